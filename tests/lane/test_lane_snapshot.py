"""The lane's snapshot: serialised and back, kept private on disk, never rolled back."""

from __future__ import annotations

import json
import stat
from dataclasses import replace
from pathlib import Path

import pytest
from lane_support import LaneSchool, payload

from portique.access import Passage, QrPayload, Reason, decide
from portique.lane import (
    Lane,
    LaneSnapshot,
    NoSnapshotError,
    SnapshotError,
    SnapshotFile,
)
from portique.services import declare_lockdown
from portique.services.rows import site_row
from portique.services.settings import set_presentation_attack_detection


def test_a_snapshot_round_trips_through_its_json_bytes(
    school: LaneSchool, lfw_images: Path
) -> None:
    school.enrolled_student(lfw_images, "Colin_Powell")
    revoked = school.card(school.student())
    school.revoke(revoked.credential_id)
    school.staff_badge("04:A2:B3:C4")
    snapshot = school.snapshot()
    data = snapshot.to_bytes()
    again = LaneSnapshot.from_bytes(data)
    assert again.to_bytes() == data
    assert again.version == snapshot.version and again.face_model == "dlib-resnet-v1"
    assert again.template_keys == snapshot.template_keys
    assert again.face_threshold == snapshot.face_threshold is not None
    assert set(again.policy.people) == set(snapshot.policy.people)
    passage = Passage("entree", school.at(9), QrPayload(payload(revoked)))
    assert decide(again.policy, passage) == decide(snapshot.policy, passage)


def test_the_sites_presentation_attack_check_travels_with_the_snapshot(
    school: LaneSchool,
) -> None:
    assert (
        LaneSnapshot.from_bytes(school.snapshot().to_bytes()).policy.settings.pad_threshold is None
    )
    with school.site.session() as session:
        row = site_row(session, school.site_id)
        set_presentation_attack_detection(row, enabled=True, threshold=0.3)
    again = LaneSnapshot.from_bytes(school.snapshot().to_bytes())
    assert again.policy.settings.pad_threshold == 0.3


def test_a_lockdown_travels_with_the_snapshot(school: LaneSchool) -> None:
    card = school.card(school.student())
    with school.site.session() as session:
        declare_lockdown(session, school.site_id, by="principal", now=school.now)
    again = LaneSnapshot.from_bytes(school.snapshot().to_bytes())
    decision = decide(again.policy, Passage("entree", school.at(9), QrPayload(payload(card))))
    assert Reason.LOCKDOWN in decision.reasons


def test_an_unknown_format_or_a_malformed_snapshot_is_refused(school: LaneSchool) -> None:
    body = json.loads(school.snapshot().to_bytes())
    for broken in (
        {**body, "format": 99},
        {**body, "people": [{"person_id": "x"}]},
        {**body, "lanes": [{**body["lanes"][0], "zone_id": "nowhere"}]},
        {**body, "template_keys": {"k": "not base64!"}},
    ):
        with pytest.raises(SnapshotError):
            LaneSnapshot.from_bytes(json.dumps(broken).encode())
    with pytest.raises(SnapshotError):
        LaneSnapshot.from_bytes(b"\xff not json")


def test_the_snapshot_file_is_owner_only_and_refused_when_exposed(
    school: LaneSchool, tmp_path: Path
) -> None:
    file = SnapshotFile(tmp_path / "snapshot.json")
    assert file.load() is None
    assert file.save(school.snapshot())
    assert stat.S_IMODE(file.path.stat().st_mode) == 0o600
    file.path.chmod(0o644)
    with pytest.raises(SnapshotError, match="chmod 600"):
        SnapshotFile(file.path).load()


def test_a_newer_snapshot_replaces_an_older_one_never_the_reverse(
    school: LaneSchool, tmp_path: Path
) -> None:
    older = school.snapshot()
    card = school.card(school.student())
    school.revoke(card.credential_id)
    newer = school.snapshot()
    assert newer.version > older.version
    with Lane(school.lane_config(tmp_path / "lane")) as lane:
        assert lane.apply_snapshot(newer)
        assert not lane.apply_snapshot(older)
        assert not lane.apply_snapshot(newer)
        assert lane.version == newer.version
        refused = lane.present(QrPayload(payload(card)), at=school.at(9))
        assert refused.decision.reasons == (Reason.REVOKED,)
    stored = SnapshotFile(tmp_path / "lane" / "snapshot.json")
    assert not stored.save(older)
    loaded = stored.load()
    assert loaded is not None and loaded.version == newer.version


def test_a_restarted_lane_decides_offline_from_the_snapshot_on_its_disk(
    school: LaneSchool, tmp_path: Path
) -> None:
    card = school.card(school.student())
    with Lane(school.lane_config(tmp_path / "lane")) as lane:
        lane.apply_snapshot(school.snapshot())
    with Lane(school.lane_config(tmp_path / "lane")) as restarted:
        restarted.start()
        result = restarted.present(QrPayload(payload(card)), at=school.at(9))
        assert result.decision.granted
        assert restarted.outbox.counts().waiting == 1


def test_a_lane_without_any_snapshot_says_so_rather_than_deciding(
    school: LaneSchool, tmp_path: Path
) -> None:
    card = school.card(school.student())
    with Lane(school.lane_config(tmp_path / "lane")) as lane:
        lane.start()
        with pytest.raises(NoSnapshotError):
            lane.present(QrPayload(payload(card)), at=school.at(9))


def test_a_snapshot_of_another_site_is_refused(school: LaneSchool, tmp_path: Path) -> None:
    snapshot = school.snapshot()
    foreign_site = replace(snapshot.policy.site, site_id="another-site")
    foreign = LaneSnapshot(replace(snapshot.policy, site=foreign_site), snapshot.template_keys)
    with Lane(school.lane_config(tmp_path / "lane")) as lane:
        assert not lane.apply_snapshot(foreign)
        assert lane.snapshot is None


def test_anti_passback_holds_on_the_lane_between_two_snapshots(
    school: LaneSchool, tmp_path: Path
) -> None:
    card = payload(school.card(school.student()))
    with Lane(school.lane_config(tmp_path / "lane")) as lane:
        lane.apply_snapshot(school.snapshot())
        assert lane.present(QrPayload(card), at=school.at(9)).decision.granted
        school.card(school.student())  # any change: a newer snapshot, unaware of the passage
        assert lane.apply_snapshot(school.snapshot())
        again = lane.present(QrPayload(card), at=school.at(9, 5))
        assert again.decision.reasons == (Reason.ANTI_PASSBACK,)
