"""Face comparison in decide(): only for people who opted in, and never a bare refusal."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from portique.access import (
    Action,
    CaptureFailure,
    ConsentGiver,
    FaceOutcome,
    Outcome,
    Reason,
    SiteSettings,
)

if TYPE_CHECKING:
    from conftest import World

MATCH = FaceOutcome.compared(0.9)
MISMATCH = FaceOutcome.compared(0.1)


def _opted_in(world: World, person_id: str = "s1") -> bytes:
    """A minor student whose parent consented, holding a card with a template."""
    world.student(person_id)
    world.consent(person_id)
    return world.card(person_id, template=True)


def test_opted_in_person_with_template_is_asked_for_a_face(world: World) -> None:
    card = _opted_in(world)
    assert world.needs_face("in-main", card, world.at(10))


def test_face_match_is_granted_with_both_reasons(world: World) -> None:
    card = _opted_in(world)
    decision = world.decide("in-main", card, world.at(10), MATCH)
    assert decision.outcome is Outcome.GRANT
    assert decision.reasons == (Reason.CREDENTIAL_VALID, Reason.FACE_MATCH)


def test_similarity_at_the_threshold_matches(world: World) -> None:
    card = _opted_in(world)
    at_threshold = FaceOutcome.compared(world.face_threshold)
    assert world.decide("in-main", card, world.at(10), at_threshold).granted


def test_face_mismatch_is_referred_to_agent(world: World) -> None:
    card = _opted_in(world)
    decision = world.decide("in-main", card, world.at(10), MISMATCH)
    assert decision.outcome is Outcome.REFER
    assert decision.reasons == (Reason.FACE_MISMATCH,)
    assert decision.alert


def test_a_suspected_presentation_attack_is_referred_with_an_alert_whatever_the_policy(
    world: World,
) -> None:
    card = _opted_in(world)
    world.configure(poor_capture_action=Action.DENY)
    attack = FaceOutcome.failed(CaptureFailure.PRESENTATION_ATTACK)
    decision = world.decide("in-main", card, world.at(10), attack)
    assert decision.outcome is Outcome.REFER
    assert decision.reasons == (Reason.FACE_PRESENTATION_ATTACK,)
    assert decision.alert


def test_face_mismatch_is_refused_when_site_says_so(world: World) -> None:
    card = _opted_in(world)
    world.configure(face_mismatch_action=Action.DENY)
    decision = world.decide("in-main", card, world.at(10), MISMATCH)
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.FACE_MISMATCH,)


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (CaptureFailure.NO_FACE, Reason.NO_FACE_CAPTURED),
        (CaptureFailure.LOW_QUALITY, Reason.FACE_QUALITY_TOO_LOW),
    ],
)
def test_poor_capture_is_referred_to_agent(
    world: World, failure: CaptureFailure, reason: Reason
) -> None:
    card = _opted_in(world)
    decision = world.decide("in-main", card, world.at(10), FaceOutcome.failed(failure))
    assert decision.outcome is Outcome.REFER
    assert decision.reasons == (reason,)
    assert not decision.alert


def test_poor_capture_is_refused_when_site_says_so(world: World) -> None:
    card = _opted_in(world)
    world.configure(poor_capture_action=Action.DENY)
    low = FaceOutcome.failed(CaptureFailure.LOW_QUALITY)
    assert world.decide("in-main", card, world.at(10), low).outcome is Outcome.DENY


def test_missing_face_outcome_is_referred_as_not_checked(world: World) -> None:
    card = _opted_in(world)
    decision = world.decide("in-main", card, world.at(10))
    assert decision.outcome is Outcome.REFER
    assert decision.reasons == (Reason.FACE_NOT_CHECKED,)


def test_person_without_consent_is_never_asked_for_a_face(world: World) -> None:
    world.student("s1")
    card = world.card("s1", template=True)
    assert not world.needs_face("in-main", card, world.at(10))
    plain = world.decide("in-main", card, world.at(10))
    assert plain.outcome is Outcome.GRANT
    assert plain.reasons == (Reason.CREDENTIAL_VALID,)


def test_face_outcome_of_a_person_without_consent_is_ignored(world: World) -> None:
    world.student("s1")
    card = world.card("s1", template=True)
    without = world.decide("in-main", card, world.at(10))
    with_mismatch = world.decide("in-main", card, world.at(10), MISMATCH)
    assert with_mismatch == without


def test_withdrawn_consent_means_no_face_even_with_template(world: World) -> None:
    card = _opted_in(world)
    world.consent("s1", withdrawn_at=world.at(7))
    assert not world.needs_face("in-main", card, world.at(10))
    assert world.decide("in-main", card, world.at(10), MISMATCH).reasons == (
        Reason.CREDENTIAL_VALID,
    )


def test_withdrawn_consent_is_final_even_for_earlier_passages(world: World) -> None:
    card = _opted_in(world)
    world.consent("s1", withdrawn_at=world.at(11))
    assert not world.needs_face("in-main", card, world.at(10))


def test_consent_given_later_than_the_passage_does_not_apply(world: World) -> None:
    card = _opted_in(world)
    world.consent("s1", given_at=world.at(11))
    assert not world.needs_face("in-main", card, world.at(10))


def test_minor_cannot_consent_alone(world: World) -> None:
    world.student("s1")
    world.consent("s1", giver=ConsentGiver.SELF, given_by="s1")
    assert not world.needs_face("in-main", world.card("s1", template=True), world.at(10))


def test_consent_of_someone_not_a_guardian_does_not_count(world: World) -> None:
    world.student("s1")
    world.consent("s1", giver=ConsentGiver.PARENT, given_by="neighbour")
    assert not world.needs_face("in-main", world.card("s1", template=True), world.at(10))


def test_legal_guardian_consent_counts_for_a_minor(world: World) -> None:
    world.student("s1", guardians=("aunt",))
    world.consent("s1", giver=ConsentGiver.LEGAL_GUARDIAN, given_by="aunt")
    assert world.needs_face("in-main", world.card("s1", template=True), world.at(10))


def test_parental_consent_lapses_at_eighteen(world: World) -> None:
    world.student("s1", age=18)
    world.consent("s1", giver=ConsentGiver.PARENT, given_by="parent-s1")
    assert not world.needs_face("in-main", world.card("s1", template=True), world.at(10))


def test_adult_consents_for_themself(world: World) -> None:
    world.staff("t1")
    world.consent("t1")
    assert world.needs_face("in-main", world.card("t1", template=True), world.at(10))


def test_credential_without_template_needs_no_face(world: World) -> None:
    world.student("s1")
    world.consent("s1")
    assert not world.needs_face("in-main", world.card("s1"), world.at(10))


def test_badge_needs_no_face(world: World) -> None:
    world.student("s1")
    world.consent("s1")
    assert not world.needs_face("in-main", world.badge("s1"), world.at(10))


def test_lane_without_camera_needs_no_face(world: World) -> None:
    card = _opted_in(world)
    assert not world.needs_face("in-workshop", card, world.at(10))  # no face at this lane
    assert not world.needs_face("out-main", card, world.at(17, 30))


def test_site_without_face_comparison_needs_no_face(world: World) -> None:
    card = _opted_in(world)
    world.settings = SiteSettings(face_enabled=False)
    assert not world.needs_face("in-main", card, world.at(10))
    assert world.decide("in-main", card, world.at(10), MISMATCH).granted


def test_face_is_not_asked_when_the_passage_is_refused_anyway(world: World) -> None:
    card = _opted_in(world)
    world.revoke("card-s1")
    assert not world.needs_face("in-main", card, world.at(10))
    assert not world.needs_face("in-main", card, world.at(17, 30))  # outside timetable


def test_face_is_not_asked_during_lockdown(world: World) -> None:
    card = _opted_in(world)
    world.lock_down()
    assert not world.needs_face("in-main", card, world.at(10))
