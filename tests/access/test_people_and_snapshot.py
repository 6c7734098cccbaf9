"""People, consent, badges and the consistency checks of a policy snapshot."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portique.access import (
    BadgeBinding,
    CaptureFailure,
    Decision,
    Direction,
    FaceOutcome,
    Lane,
    Outcome,
    Passage,
    Person,
    PolicyError,
    PolicySnapshot,
    Reason,
    Role,
    SiteSettings,
    Zone,
    age_on,
)
from portique.credentials import (
    Claims,
    CredentialKind,
    InvalidBadgeUidError,
    check_validity,
    normalize_badge_uid,
)

if TYPE_CHECKING:
    from conftest import World

NOON = datetime(2025, 3, 11, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (date(2007, 3, 11), date(2025, 3, 10), 17),
        (date(2007, 3, 11), date(2025, 3, 11), 18),
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
    ],
)
def test_age_counts_whole_years_from_birthday(birth: date, on: date, age: int) -> None:
    assert age_on(birth, on) == age


def test_minority_is_derived_never_stored() -> None:
    person = Person("s1", Role.STUDENT, date(2007, 3, 11))
    assert person.is_minor_on(date(2025, 3, 10))
    assert not person.is_minor_on(date(2025, 3, 11))
    assert "minor" not in {f.name for f in dataclasses.fields(Person)}


def test_badge_binding_stores_the_normalized_uid() -> None:
    typed = BadgeBinding("04a2b3c4", "b1", "p1", NOON, NOON + timedelta(days=1))
    shown = BadgeBinding("04:A2:B3:C4", "b1", "p1", NOON, NOON + timedelta(days=1))
    assert typed.badge_uid == shown.badge_uid == normalize_badge_uid("0x04A2B3C4")


def test_badge_binding_with_garbled_uid_is_refused() -> None:
    with pytest.raises(InvalidBadgeUidError):
        BadgeBinding("zz", "b1", "p1", NOON, NOON)


@given(
    start=st.integers(0, 10_000),
    length=st.integers(0, 10_000),
    probe=st.integers(-1, 20_001),
)
def test_badge_validity_follows_the_same_rule_as_a_qr_credential(
    start: int, length: int, probe: int
) -> None:
    valid_from = NOON + timedelta(seconds=start)
    valid_until = valid_from + timedelta(seconds=length)
    now = NOON + timedelta(seconds=probe)
    binding = BadgeBinding("04A2B3C4", "b1", "p1", valid_from, valid_until)
    claims = Claims("b1", "p1", "site", CredentialKind.BADGE, valid_from, valid_until, "k1")
    assert binding.validity_at(now) is check_validity(claims, now)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        Passage.badge("in-main", datetime(2025, 3, 11, 10), "04A2B3C4")
    with pytest.raises(ValueError):
        BadgeBinding("04A2B3C4", "b1", "p1", datetime(2025, 1, 1), NOON)


def test_face_outcome_is_a_similarity_or_a_failure() -> None:
    with pytest.raises(ValueError):
        FaceOutcome()
    with pytest.raises(ValueError):
        FaceOutcome(0.5, CaptureFailure.NO_FACE)
    with pytest.raises(ValueError):
        FaceOutcome.compared(float("nan"))


def test_decision_without_reason_cannot_exist() -> None:
    with pytest.raises(ValueError):
        Decision(Outcome.GRANT, (), "in-main", NOON, 1)


def test_reasons_have_stable_string_values() -> None:
    assert Reason.REVOKED == "revoked"
    assert Reason("face_mismatch") is Reason.FACE_MISMATCH
    assert Outcome.REFER == "refer"


# Snapshot ------------------------------------------------------------------------------


def test_face_enabled_site_needs_a_threshold() -> None:
    with pytest.raises(PolicyError):
        SiteSettings(face_enabled=True)


def test_anti_passback_window_must_be_positive() -> None:
    with pytest.raises(PolicyError):
        SiteSettings(anti_passback_window=timedelta(0))


def test_snapshot_refuses_a_lane_into_an_unknown_zone(world: World) -> None:
    snapshot = world.snapshot()
    with pytest.raises(PolicyError, match="unknown zone"):
        dataclasses.replace(snapshot, lanes={"x": Lane("x", "roof", Direction.IN)})


def test_snapshot_refuses_an_entry_under_another_id(world: World) -> None:
    snapshot = world.snapshot()
    with pytest.raises(PolicyError):
        dataclasses.replace(snapshot, zones={"a": Zone("b")})


def test_snapshot_build_refuses_duplicate_ids(world: World) -> None:
    snapshot = world.snapshot()
    with pytest.raises(PolicyError, match="twice"):
        PolicySnapshot.build(
            version=1,
            site=snapshot.site,
            verifiers=snapshot.verifiers,
            revocations=snapshot.revocations,
            zones=[Zone("main"), Zone("main")],
        )


def test_snapshot_refuses_an_unknown_time_zone(world: World) -> None:
    snapshot = world.snapshot()
    with pytest.raises(PolicyError):
        dataclasses.replace(snapshot, site=dataclasses.replace(snapshot.site, timezone="Mars/Base"))


def test_snapshot_is_read_only(world: World) -> None:
    world.staff("t1")
    snapshot = world.snapshot()
    with pytest.raises(TypeError):
        snapshot.people["x"] = snapshot.people["t1"]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        snapshot.version = 2  # type: ignore[misc]


def test_snapshot_does_not_follow_later_changes_to_its_sources(world: World) -> None:
    world.staff("t1")
    people = {"t1": world.people["t1"]}
    snapshot = dataclasses.replace(world.snapshot(), people=people)
    people.clear()
    assert "t1" in snapshot.people
