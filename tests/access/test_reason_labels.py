"""Reasons and outcomes in plain French and English, and a scenario for every reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from portique.access import (
    LANE_ALARMS,
    SERVER_FLAGS,
    CaptureFailure,
    Decision,
    Direction,
    FaceOutcome,
    NeverUnaccompanied,
    Outcome,
    Reason,
    decide,
    outcome_label,
    reason_label,
)

if TYPE_CHECKING:
    from conftest import World


@pytest.mark.parametrize("reason", list(Reason))
def test_every_reason_has_a_french_and_an_english_label(reason: Reason) -> None:
    french, english = reason_label(reason, "fr"), reason_label(reason, "en")
    assert french and english
    assert french != english or reason is Reason.ANTI_PASSBACK


def test_labels_are_distinct_within_a_language() -> None:
    for lang in ("fr", "en"):
        labels = [reason_label(reason, lang) for reason in Reason]
        assert len(set(labels)) == len(labels)


def test_labels_default_to_french_and_accept_regional_tags() -> None:
    assert reason_label(Reason.REVOKED) == "Titre d'accès révoqué"
    assert reason_label(Reason.REVOKED, "en-GB") == "Revoked credential"
    assert reason_label(Reason.REVOKED, "fr_FR") == reason_label(Reason.REVOKED)


def test_label_in_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="de"):
        reason_label(Reason.REVOKED, "de")


def test_outcomes_have_labels_in_the_words_of_the_console() -> None:
    assert outcome_label(Outcome.GRANT) == "Autorisé"
    assert outcome_label(Outcome.DENY) == "Refusé"
    assert outcome_label(Outcome.REFER) == "À vérifier par l'agent"
    assert outcome_label(Outcome.REFER, "en") == "Referred to the agent"


# One scenario per reason: adding a reason without a scenario fails below.


def _valid(w: World) -> Decision:
    w.staff("t1")
    return w.decide("in-main", w.card("t1"), w.at(10))


def _face_match(w: World) -> Decision:
    w.staff("t1")
    w.consent("t1")
    return w.decide("in-main", w.card("t1", template=True), w.at(10), FaceOutcome.compared(0.99))


def _face(w: World, outcome: FaceOutcome | None) -> Decision:
    w.staff("t1")
    w.consent("t1")
    return w.decide("in-main", w.card("t1", template=True), w.at(10), outcome)


def _tampered(w: World, index: int, value: int) -> Decision:
    w.staff("t1")
    card = bytearray(w.card("t1"))
    card[index] = value
    return w.decide("in-main", bytes(card), w.at(10))


def _revoked(w: World) -> Decision:
    w.staff("t1")
    w.revoke("card-t1")
    return w.decide("in-main", w.card("t1"), w.at(10))


def _expired(w: World) -> Decision:
    w.staff("t1")
    return w.decide("in-main", w.card("t1", valid_until=w.at(8)), w.at(10))


def _not_yet_valid(w: World) -> Decision:
    w.staff("t1")
    return w.decide("in-main", w.card("t1", valid_from=w.at(11)), w.at(10))


def _inactive(w: World) -> Decision:
    w.staff("t1", active=False)
    return w.decide("in-main", w.card("t1"), w.at(10))


def _lockdown(w: World) -> Decision:
    w.staff("t1")
    w.lock_down()
    return w.decide("in-main", w.card("t1"), w.at(10))


def _stale_snapshot(w: World) -> Decision:
    w.staff("t1")
    stale = replace(w.snapshot(), expires_at=w.at(9))
    return decide(stale, w.passage("in-main", w.card("t1"), w.at(10), None))


def _site_closed(w: World) -> Decision:
    w.staff("t1")
    return w.decide("in-main", w.card("t1"), w.at(5))


def _outside_timetable(w: World) -> Decision:
    w.student("s1")
    return w.decide("in-main", w.card("s1"), w.at(18))


def _wrong_zone(w: World) -> Decision:
    w.visitor("v1")
    return w.decide("in-main", w.visitor_pass("v1", ("reception",)), w.at(10))


def _anti_passback(w: World) -> Decision:
    w.staff("t1")
    w.passed("t1", Direction.IN, w.at(9) - timedelta(minutes=5))
    return w.decide("in-main", w.card("t1"), w.at(9))


def _exit_not_permitted(w: World) -> Decision:
    w.student("s1")
    return w.decide("out-main", w.card("s1"), w.at(10))


def _exit_requires_agent(w: World) -> Decision:
    w.student("s1")
    w.permit_exit("s1", NeverUnaccompanied())
    return w.decide("out-main", w.card("s1"), w.at(17, 30))


def _unknown_person(w: World) -> Decision:
    return w.decide("in-main", w.card("nobody"), w.at(10))


def _unknown_credential(w: World) -> Decision:
    return w.decide("in-main", "0A0B0C0D", w.at(10))


def _stale_code(w: World) -> Decision:
    w.staff("t1")
    return w.decide("in-main", w.phone("t1", w.at(10)), w.at(10, 1))


def _replayed_code(w: World) -> Decision:
    w.staff("t1")
    w.used("phone-t1", w.at(10))
    return w.decide("in-main", w.phone("t1", w.at(10)), w.at(10))


def _unknown_key(w: World) -> Decision:
    w.staff("t1")
    return w.decide("in-main", w.card("t1", key=w.retired_key), w.at(10))


def _wrong_site(w: World) -> Decision:
    w.staff("t1")
    return w.decide("in-main", w.card("t1", site_id="elsewhere"), w.at(10))


SCENARIOS: dict[Reason, Callable[[World], Decision]] = {
    Reason.CREDENTIAL_VALID: _valid,
    Reason.FACE_MATCH: _face_match,
    Reason.UNKNOWN_LANE: lambda w: w.decide("nowhere", b"x", w.at(10)),
    Reason.MALFORMED_CREDENTIAL: lambda w: w.decide("in-main", b"\x00garbage", w.at(10)),
    Reason.UNSUPPORTED_VERSION: lambda w: _tampered(w, 1, 7),
    Reason.BAD_SIGNATURE: lambda w: _tampered(w, -2, 0),
    Reason.UNKNOWN_KEY: _unknown_key,
    Reason.WRONG_SITE: _wrong_site,
    Reason.UNKNOWN_CREDENTIAL: _unknown_credential,
    Reason.REVOKED: _revoked,
    Reason.EXPIRED: _expired,
    Reason.NOT_YET_VALID: _not_yet_valid,
    Reason.STALE_CODE: _stale_code,
    Reason.REPLAYED_CODE: _replayed_code,
    Reason.UNKNOWN_PERSON: _unknown_person,
    Reason.PERSON_INACTIVE: _inactive,
    Reason.LOCKDOWN: _lockdown,
    Reason.SITE_CLOSED: _site_closed,
    Reason.STALE_SNAPSHOT: _stale_snapshot,
    Reason.OUTSIDE_TIMETABLE: _outside_timetable,
    Reason.WRONG_ZONE: _wrong_zone,
    Reason.ANTI_PASSBACK: _anti_passback,
    Reason.EXIT_NOT_PERMITTED: _exit_not_permitted,
    Reason.EXIT_REQUIRES_AGENT: _exit_requires_agent,
    Reason.FACE_MISMATCH: lambda w: _face(w, FaceOutcome.compared(-0.2)),
    Reason.FACE_QUALITY_TOO_LOW: lambda w: _face(w, FaceOutcome.failed(CaptureFailure.LOW_QUALITY)),
    Reason.NO_FACE_CAPTURED: lambda w: _face(w, FaceOutcome.failed(CaptureFailure.NO_FACE)),
    Reason.FACE_PRESENTATION_ATTACK: lambda w: _face(
        w, FaceOutcome.failed(CaptureFailure.PRESENTATION_ATTACK)
    ),
    Reason.FACE_NOT_CHECKED: lambda w: _face(w, None),
}


DECISION_REASONS = [
    reason for reason in Reason if reason not in LANE_ALARMS and reason not in SERVER_FLAGS
]


def test_every_reason_has_a_scenario() -> None:
    """Every reason of a decision; the lane alarms (door, reader) are raised by the lane
    itself, never by the engine (tests/lane/test_door.py, test_readers.py)."""
    assert set(SCENARIOS) == set(DECISION_REASONS)


@pytest.mark.parametrize("reason", DECISION_REASONS)
def test_scenario_produces_its_reason(world: World, reason: Reason) -> None:
    decision = SCENARIOS[reason](world)
    assert reason in decision.reasons
    positive = reason in (Reason.CREDENTIAL_VALID, Reason.FACE_MATCH)
    assert (decision.outcome is Outcome.GRANT) == positive
