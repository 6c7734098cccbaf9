"""A simulated lane end to end on real LFW faces: QR codes and faces in camera frames,
decisions on the lane's own snapshot, events into the store."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from lane_support import LaneSchool, face, payload

from portique.access import Outcome, Reason
from portique.credentials import (
    CredentialError,
    open_credential_template,
    open_template,
    verify_credential,
)
from portique.lane import InProcessHub, PresentBadge, ShowCode, SimulatedLane
from portique.services.rows import site_row
from portique.services.settings import TemplateStore
from portique.services.vault import set_template_store
from portique.store import Passages

IMAGE_SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"RIFF", b"II*\x00", b"MM\x00*")
LANE_FILES = {"snapshot.json", "outbox.sqlite3", "outbox.sqlite3-wal", "outbox.sqlite3-shm"}


def test_a_morning_at_the_gate_decides_as_the_policy_says(
    school: LaneSchool, hub: InProcessHub, lane: SimulatedLane, lfw_images: Path
) -> None:
    _, powell = school.enrolled_student(lfw_images, "Colin_Powell")
    plain_card = school.card(school.student())
    revoked_card = school.card(school.student())
    school.revoke(revoked_card.credential_id)
    badge = school.staff_badge("04:A2:B3:C4")
    hub.publish_snapshot(school.snapshot())
    lane.start()
    at = school.at(8, 5)

    enrolled = lane.play(ShowCode(payload(powell), face(lfw_images, "Colin_Powell", 2), at=at))
    assert enrolled is not None
    assert enrolled.decision.outcome is Outcome.GRANT
    assert enrolled.decision.reasons == (Reason.CREDENTIAL_VALID, Reason.FACE_MATCH)
    assert enrolled.face_requested and enrolled.face_compared

    # Someone else with the card, a week later (anti-passback would refuse it today).
    next_week = school.at(8, 5, day=school.day + timedelta(days=7))
    impostor = lane.play(ShowCode(payload(powell), face(lfw_images, "Tony_Blair", 1), at=next_week))
    assert impostor is not None
    assert impostor.decision.outcome is Outcome.REFER
    assert impostor.decision.reasons == (Reason.FACE_MISMATCH,)
    assert impostor.decision.alert

    revoked = lane.play(ShowCode(payload(revoked_card), face(lfw_images, "Tony_Blair", 2), at=at))
    assert revoked is not None
    assert revoked.decision.outcome is Outcome.DENY
    assert revoked.decision.reasons == (Reason.REVOKED,)
    assert revoked.decision.alert and not revoked.face_requested

    reads_before = lane.camera.reads
    staff = lane.play(PresentBadge("04a2b3c4", at=at))
    assert staff is not None
    assert staff.decision.outcome is Outcome.GRANT
    assert staff.decision.reasons == (Reason.CREDENTIAL_VALID,)
    assert staff.decision.credential_id == badge
    assert not staff.face_requested and lane.camera.reads == reads_before

    plain = lane.play(ShowCode(payload(plain_card), face(lfw_images, "Tony_Blair", 3), at=at))
    assert plain is not None and plain.decision.granted and not plain.face_requested

    assert lane.signal.outcomes == [
        Outcome.GRANT,
        Outcome.REFER,
        Outcome.DENY,
        Outcome.GRANT,
        Outcome.GRANT,
    ]
    assert lane.lane.wait_forwarded(5)
    with school.site.session() as session:
        stored = {row.passage_id: row for row in Passages(session).recent(school.site_id)}
    results = [enrolled, impostor, revoked, staff, plain]
    assert set(stored) == {result.event.event_id for result in results}
    assert stored[impostor.event.event_id].reasons == ["face_mismatch"]
    assert stored[revoked.event.event_id].outcome == "deny"


def test_an_enrolled_person_out_of_view_is_referred_for_no_face(
    school: LaneSchool, hub: InProcessHub, lane: SimulatedLane, lfw_images: Path
) -> None:
    _, card = school.enrolled_student(lfw_images, "Colin_Powell")
    hub.publish_snapshot(school.snapshot())
    lane.start()
    result = lane.play(ShowCode(payload(card), face=None, at=school.at(9)))
    assert result is not None
    assert result.decision.outcome is Outcome.REFER
    assert result.decision.reasons == (Reason.NO_FACE_CAPTURED,)
    assert lane.camera.reads == 2  # the whole window was tried: three frames in all


def test_a_person_who_did_not_opt_in_is_never_looked_at(
    school: LaneSchool, hub: InProcessHub, lane: SimulatedLane, lfw_images: Path
) -> None:
    card = school.card(school.student())
    hub.publish_snapshot(school.snapshot())
    lane.start()
    result = lane.play(
        ShowCode(payload(card), face(lfw_images, "Colin_Powell", 2), at=school.at(9))
    )
    assert result is not None and result.decision.granted
    assert not result.face_requested and not result.face_compared
    assert lane.camera.reads == 0


def test_a_lane_keeps_no_image_and_its_events_no_template(
    school: LaneSchool,
    hub: InProcessHub,
    lane: SimulatedLane,
    lfw_images: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    _, card = school.enrolled_student(lfw_images, "Colin_Powell")
    snapshot = school.snapshot()
    hub.publish_snapshot(snapshot)
    lane.start()
    code = payload(card)
    claims = verify_credential(code, snapshot.policy.verifiers, school.site_id)
    sealed = claims.sealed_template
    template = open_credential_template(claims, snapshot.template_keys)
    assert sealed is not None and template is not None
    results = [
        lane.play(ShowCode(code, face(lfw_images, "Colin_Powell", 2), at=school.at(9))),
        lane.play(
            ShowCode(
                code,
                face(lfw_images, "Tony_Blair", 1),
                at=school.at(9, day=school.day + timedelta(days=7)),
            )
        ),
    ]
    assert lane.lane.wait_forwarded(5)
    lane.close()

    files = [path for path in (tmp_path / "lane").rglob("*") if path.is_file()]
    assert {path.name for path in files} <= LANE_FILES
    for path in files:
        content = path.read_bytes()
        assert not content.startswith(IMAGE_SIGNATURES), path
        assert code[-64:] not in content and sealed[-32:] not in content, path
        assert template.tobytes()[:64] not in content, path
    for result in results:
        assert result is not None and result.face_compared
        body = result.event.to_bytes()
        for word in (b"template", b"similarity", b"score", b"image", b"frame"):
            assert word not in body
    for secret in (code.hex(), sealed.hex(), code[-64:].hex()):
        assert secret[:32] not in caplog.text


def test_a_lane_without_the_database_compares_faces_from_the_central_store(
    school: LaneSchool, hub: InProcessHub, lane: SimulatedLane, lfw_images: Path
) -> None:
    with school.site.session() as session:
        set_template_store(site_row(session, school.site_id), TemplateStore.CENTRAL)
    _, powell = school.enrolled_student(lfw_images, "Colin_Powell")
    _, blair = school.enrolled_student(lfw_images, "Tony_Blair")
    school.revoke(blair.credential_id)
    snapshot = school.snapshot()
    # Only active credentials' sealed templates travel, and no key of the lane opens them.
    assert set(snapshot.sealed_templates) == {powell.credential_id}
    claims = verify_credential(payload(powell), snapshot.policy.verifiers, school.site_id)
    assert claims.sealed_template is None and claims.vault_key is not None
    sealed = snapshot.sealed_templates[powell.credential_id]
    for key in snapshot.template_keys.values():
        with pytest.raises(CredentialError):
            open_template(sealed, key, claims.credential_id, claims.person_id)
    assert lane.lane.vault is None  # the lane reaches no database
    hub.publish_snapshot(snapshot)
    lane.start()

    match = lane.play(
        ShowCode(payload(powell), face(lfw_images, "Colin_Powell", 2), at=school.at(8))
    )
    assert match is not None
    assert match.decision.reasons == (Reason.CREDENTIAL_VALID, Reason.FACE_MATCH)
    later = school.at(8, day=school.day + timedelta(days=7))
    other = lane.play(ShowCode(payload(powell), face(lfw_images, "Tony_Blair", 2), at=later))
    assert other is not None
    assert other.decision.reasons == (Reason.FACE_MISMATCH,)
