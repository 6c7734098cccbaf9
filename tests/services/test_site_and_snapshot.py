"""Creating and opening a site, and the policy snapshot built from the store."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from portique.access import Direction, Outcome, Passage, QrPayload, decide
from portique.bootstrap import init_site, open_site
from portique.credentials import payload_from_text
from portique.services import (
    SiteExistsError,
    SiteNotFoundError,
    build_snapshot,
    declare_lockdown,
    revoke_credential,
)
from portique.services.lanes import site_snapshot
from portique.services.rows import site_row
from portique.services.settings import SERVER_SIDE_SETTINGS, change_settings
from portique.services.snapshot import SnapshotCache
from portique.store import Sites, StoreUnavailableError
from school_support import School
from store_support import DOWN_URL


def test_init_makes_the_site_folder_database_keys_and_a_default_site(
    tmp_path: Path, database_url: str
) -> None:
    directory = tmp_path / "lycee"
    created = init_site(directory, site_id="0130001A", name="Lycée", database_url=database_url)
    assert json.loads((directory / "site.json").read_text())["site_id"] == "0130001A"
    keys = directory / "keys"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    assert (keys / "keyring.json").is_file()
    assert [(lane.lane_id, lane.direction) for lane in created.lanes] == [
        ("entree", Direction.IN),
        ("sortie", Direction.OUT),
    ]
    with open_site(directory, database_url=database_url) as site:
        assert site.site_id == "0130001A"
        assert site.keyring().active_key_id == created.key_id


def test_init_refuses_a_folder_that_already_holds_a_site(tmp_path: Path) -> None:
    init_site(tmp_path / "site", site_id="first")
    with pytest.raises(SiteExistsError, match="first"):
        init_site(tmp_path / "site", site_id="second")


def test_init_on_an_unreachable_database_leaves_nothing_behind(tmp_path: Path) -> None:
    directory = tmp_path / "site"
    with pytest.raises(StoreUnavailableError, match=r"127\.0\.0\.1:1/"):
        init_site(directory, database_url=DOWN_URL)
    assert not directory.exists()


def test_opening_a_folder_without_a_site_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(SiteNotFoundError, match="portique init"):
        open_site(tmp_path)


def test_opening_a_site_on_an_unreachable_database_names_it(tmp_path: Path) -> None:
    init_site(tmp_path / "site", site_id="here")
    with pytest.raises(StoreUnavailableError) as raised:
        open_site(tmp_path / "site", database_url=DOWN_URL)
    assert "postgresql+psycopg://postgres@127.0.0.1:1/portique" in raised.value.message
    assert "hunter2" not in raised.value.message


def test_a_snapshot_scoped_to_the_holder_decides_like_the_full_snapshot(school: School) -> None:
    cards = [school.issue(school.student()) for _ in range(3)]
    revoked = school.issue(school.staff())
    with school.site.session() as session:
        revoke_credential(
            session, school.site_id, revoked.credential_id, reason="left", now=school.now
        )
    verifiers = school.site.keyring().verifiers()
    at = school.at(10)
    with school.site.session() as session:
        full = build_snapshot(session, school.site_id, at, verifiers=verifiers)
        assert len(full.people) == 3 * 2 + 1  # three students, their parents, the staff
        for card in [*cards, revoked]:
            passage = Passage("entree", at, QrPayload(payload_from_text(card.payload_text)))
            scoped = build_snapshot(
                session, school.site_id, at, verifiers=verifiers, person_ids=[card.person_id]
            )
            assert list(scoped.people) == [card.person_id]
            assert decide(scoped, passage).outcome == decide(full, passage).outcome


def test_a_cached_snapshot_part_is_read_again_once_the_version_changes(school: School) -> None:
    card = school.issue(school.student())
    cache = SnapshotCache()
    verifiers = school.site.keyring().verifiers()
    passage = Passage("entree", school.at(10), QrPayload(payload_from_text(card.payload_text)))
    scope = [card.person_id]
    with school.site.session() as session:
        before = build_snapshot(
            session,
            school.site_id,
            school.at(10),
            verifiers=verifiers,
            person_ids=scope,
            cache=cache,
        )
        declare_lockdown(session, school.site_id, by="principal", now=school.now)
    with school.site.session() as session:
        after = build_snapshot(
            session,
            school.site_id,
            school.at(10),
            verifiers=verifiers,
            person_ids=scope,
            cache=cache,
        )
    assert after.version == before.version + 1
    assert decide(before, passage).outcome is Outcome.GRANT
    assert decide(after, passage).outcome is Outcome.DENY


def _change(school: School, **changes: Any) -> tuple[int | None, int | None]:
    """The site's snapshot version before and after ``changes`` to its settings."""
    with school.site.session() as session:
        before = Sites(session).version(school.site_id)
        change_settings(site_row(session, school.site_id), **changes)
    with school.site.session() as session:
        return before, Sites(session).version(school.site_id)


@pytest.mark.parametrize(
    "changes",
    [
        {"anti_passback_minutes": 30},
        {"outside_hours_action": "deny"},
        {"pad_enabled": True},
        {"previous_face_model": "facenet-512"},
    ],
)
def test_a_setting_the_lanes_decide_with_bumps_the_snapshot_version(
    school: School, changes: dict[str, Any]
) -> None:
    at = school.at(10)
    snapshot = site_snapshot(school.site, at).to_bytes()
    before, after = _change(school, **changes)
    assert before is not None and after == before + 1
    assert site_snapshot(school.site, at).to_bytes() != snapshot


SERVER_SIDE_CHANGES: dict[str, Any] = {
    "template_store": "central",
    "information": {"dpo": "DPD de l'académie", "notice_url": "https://lycee.example/rgpd"},
    "uai": "0130001A",
}


@pytest.mark.parametrize("name", sorted(SERVER_SIDE_CHANGES))
def test_a_setting_no_snapshot_carries_leaves_the_snapshot_version(
    school: School, name: str
) -> None:
    at = school.at(10)
    snapshot = site_snapshot(school.site, at).to_bytes()
    before, after = _change(school, **{name: SERVER_SIDE_CHANGES[name]})
    assert after == before
    assert site_snapshot(school.site, at).to_bytes() == snapshot


def test_every_setting_kept_from_the_snapshots_is_shown_to_stay_out_of_them() -> None:
    assert set(SERVER_SIDE_CHANGES) == SERVER_SIDE_SETTINGS


def test_a_setting_written_again_with_its_value_leaves_the_snapshot_version(
    school: School,
) -> None:
    before, after = _change(school, anti_passback_minutes=240, face_enabled=True)
    assert after == before
