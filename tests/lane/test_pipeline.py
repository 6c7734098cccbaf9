"""One passage, decided once: the credential's signature is checked exactly once, whether
the lane decides it on its snapshot or the server's in-process gate on the store, with a
face compared or not."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from lane_support import LaneSchool, face, payload

from portique.access import QrPayload
from portique.biometrics import FaceEngine
from portique.credentials import Keyring
from portique.lane import Lane, LaneSnapshot
from portique.services import Gate


class CountingKey:
    """A site's public key that counts the signatures it checks (Ed25519, the costly
    step of a passage)."""

    def __init__(self, key: Ed25519PublicKey, counts: list[int]) -> None:
        self._key = key
        self._counts = counts

    def verify(self, signature: bytes, data: bytes) -> None:
        self._counts.append(1)
        self._key.verify(signature, data)


def counting(verifiers: dict[str, Ed25519PublicKey], counts: list[int]) -> dict[str, CountingKey]:
    return {key_id: CountingKey(key, counts) for key_id, key in verifiers.items()}


class CountingKeyring:
    """The site's keyring, handing out counting verifiers to the gate."""

    def __init__(self, keyring: Keyring, counts: list[int]) -> None:
        self._keyring = keyring
        self._counts = counts

    def verifiers(self) -> dict[str, CountingKey]:
        return counting(self._keyring.verifiers(), self._counts)

    def template_keys(self) -> dict[str, bytes]:
        return dict(self._keyring.template_keys())


def test_a_lane_checks_the_signature_once_for_a_passage_with_a_face(
    school: LaneSchool, lane_engine: FaceEngine, lfw_images: Path, tmp_path: Path
) -> None:
    _, card = school.enrolled_student(lfw_images, "Colin_Powell")
    counts: list[int] = []
    snapshot = school.snapshot()
    policy = replace(snapshot.policy, verifiers=counting(dict(snapshot.policy.verifiers), counts))
    counted = LaneSnapshot(policy, snapshot.template_keys, snapshot.face_model)
    with Lane(school.lane_config(tmp_path / "lane"), face_engine=lane_engine) as lane:
        lane.apply_snapshot(counted)
        shown = face(lfw_images, "Colin_Powell", 2)
        result = lane.present(QrPayload(payload(card)), frame=shown, at=school.at(9))
    assert result.face_requested and result.face_compared
    assert result.decision.granted
    assert len(counts) == 1


def test_a_lane_checks_the_signature_once_for_a_passage_without_a_face(
    school: LaneSchool, tmp_path: Path
) -> None:
    card = school.card(school.student())
    counts: list[int] = []
    snapshot = school.snapshot()
    policy = replace(snapshot.policy, verifiers=counting(dict(snapshot.policy.verifiers), counts))
    with Lane(school.lane_config(tmp_path / "lane")) as lane:
        lane.apply_snapshot(LaneSnapshot(policy, snapshot.template_keys, snapshot.face_model))
        result = lane.present(QrPayload(payload(card)), at=school.at(9))
    assert result.decision.granted and not result.face_requested
    assert len(counts) == 1


def test_the_in_process_gate_checks_the_signature_once_for_a_passage_with_a_face(
    school: LaneSchool, lfw_images: Path
) -> None:
    _, card = school.enrolled_student(lfw_images, "Colin_Powell")
    counts: list[int] = []
    keyring = CountingKeyring(school.site.keyring(), counts)
    gate = Gate(school.site, keyring=keyring, face_engine=lambda: school.face_engine)  # type: ignore[arg-type]
    shown = face(lfw_images, "Colin_Powell", 2)
    result = gate.pass_through("entree", QrPayload(payload(card)), at=school.at(9), face=shown)
    assert result.face_requested and result.face_compared
    assert result.decision.granted
    assert len(counts) == 1
