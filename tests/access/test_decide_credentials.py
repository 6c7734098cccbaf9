"""The credential and person checks of decide(): forged, old, revoked, unknown."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from portique.access import Outcome, Reason

if TYPE_CHECKING:
    from support import World


def test_valid_card_in_timetable_is_granted(world: World) -> None:
    world.student("s1")
    decision = world.decide("in-main", world.card("s1"), world.at(10))
    assert decision.outcome is Outcome.GRANT
    assert decision.reasons == (Reason.CREDENTIAL_VALID,)
    assert not decision.alert
    assert (decision.credential_id, decision.person_id) == ("card-s1", "s1")
    assert decision.lane_id == "in-main"
    assert decision.time == world.at(10)
    assert decision.snapshot_version == world.version


def test_decision_carries_the_snapshot_version(world: World) -> None:
    world.staff("t1")
    world.version = 42
    assert world.decide("in-main", world.card("t1"), world.at(10)).snapshot_version == 42


def test_revoked_credential_is_refused_with_alert(world: World) -> None:
    world.student("s1")
    world.revoke("card-s1")
    decision = world.decide("in-main", world.card("s1"), world.at(10))
    assert decision.outcome is Outcome.DENY
    assert Reason.REVOKED in decision.reasons
    assert decision.alert
    assert decision.credential_id == "card-s1"


def test_revoked_credential_is_refused_at_exit_too(world: World) -> None:
    world.student("s1")
    world.revoke("card-s1")
    decision = world.decide("out-main", world.card("s1"), world.at(17, 30))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.REVOKED,)


def test_old_card_of_former_student_is_refused_with_alert(world: World) -> None:
    """The 2024 intrusion: last year's card, its holder since gone."""
    world.student("s1", active=False)
    last_year = world.card(
        "s1", valid_from=world.year_start - timedelta(days=365), valid_until=world.year_start
    )
    decision = world.decide("in-main", last_year, world.at(10))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.EXPIRED,)
    assert decision.alert


def test_expired_credential_is_refused_with_alert(world: World) -> None:
    world.staff("t1")
    expired = world.card("t1", valid_until=world.at(9, 59))
    decision = world.decide("in-main", expired, world.at(10))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.EXPIRED,)
    assert decision.alert


def test_credential_is_valid_up_to_its_last_second(world: World) -> None:
    world.staff("t1")
    card = world.card("t1", valid_until=world.at(10))
    assert world.decide("in-main", card, world.at(10)).outcome is Outcome.GRANT


def test_credential_not_yet_valid_is_refused_without_alert(world: World) -> None:
    world.staff("t1")
    future = world.card("t1", valid_from=world.at(10, 1))
    decision = world.decide("in-main", future, world.at(10))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.NOT_YET_VALID,)
    assert not decision.alert


def test_revoked_and_expired_credential_states_both_reasons(world: World) -> None:
    world.staff("t1")
    world.revoke("card-t1")
    expired = world.card("t1", valid_until=world.at(9))
    decision = world.decide("in-main", expired, world.at(10))
    assert decision.reasons == (Reason.REVOKED, Reason.EXPIRED)


def test_forged_credential_is_refused_with_alert(world: World) -> None:
    world.staff("t1")
    card = bytearray(world.card("t1"))
    card[-1] ^= 0x01
    decision = world.decide("in-main", bytes(card), world.at(10))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.BAD_SIGNATURE,)
    assert decision.alert
    assert decision.credential_id is None and decision.person_id is None


def test_altered_validity_breaks_the_signature(world: World) -> None:
    world.staff("t1")
    card = bytearray(world.card("t1", valid_until=world.at(9)))
    card[8:12] = (0xFFFFFFFE).to_bytes(4, "big")  # push valid_until far away
    decision = world.decide("in-main", bytes(card), world.at(10))
    assert decision.reasons == (Reason.BAD_SIGNATURE,)


def test_credential_signed_with_an_untrusted_key_is_refused_with_alert(world: World) -> None:
    world.staff("t1")
    decision = world.decide("in-main", world.card("t1", key=world.retired_key), world.at(10))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.UNKNOWN_KEY,)
    assert decision.alert


def test_credential_of_another_site_is_refused_with_alert(world: World) -> None:
    world.staff("t1")
    decision = world.decide("in-main", world.card("t1", site_id="lycee-other"), world.at(10))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.WRONG_SITE,)
    assert decision.alert


def test_unreadable_qr_code_is_refused_without_alert(world: World) -> None:
    decision = world.decide("in-main", b"https://example.org/menu", world.at(10))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.MALFORMED_CREDENTIAL,)
    assert not decision.alert


def test_truncated_qr_payload_is_refused_as_malformed(world: World) -> None:
    world.staff("t1")
    decision = world.decide("in-main", world.card("t1")[:20], world.at(10))
    assert decision.reasons == (Reason.MALFORMED_CREDENTIAL,)


def test_empty_qr_payload_is_refused_as_malformed(world: World) -> None:
    assert world.decide("in-main", b"", world.at(10)).reasons == (Reason.MALFORMED_CREDENTIAL,)


def test_credential_of_unsupported_version_is_refused(world: World) -> None:
    world.staff("t1")
    card = bytearray(world.card("t1"))
    card[1] = 99
    decision = world.decide("in-main", bytes(card), world.at(10))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.UNSUPPORTED_VERSION,)


def test_credential_of_unknown_person_is_refused_with_alert(world: World) -> None:
    decision = world.decide("in-main", world.card("ghost"), world.at(10))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.UNKNOWN_PERSON,)
    assert decision.alert
    assert decision.person_id == "ghost"


def test_inactive_person_is_refused_with_alert(world: World) -> None:
    world.student("s1", active=False)
    decision = world.decide("in-main", world.card("s1"), world.at(10))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.PERSON_INACTIVE,)
    assert decision.alert


def test_unknown_lane_is_refused_with_alert(world: World) -> None:
    world.staff("t1")
    decision = world.decide("in-roof", world.card("t1"), world.at(10))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.UNKNOWN_LANE,)
    assert decision.alert


def test_phone_pass_with_a_fresh_code_is_granted_like_a_card(world: World) -> None:
    world.staff("t1")
    phone = world.phone("t1", world.at(10))
    assert world.decide("in-main", phone, world.at(10)).outcome is Outcome.GRANT


# Badges --------------------------------------------------------------------------


def test_bound_badge_is_granted_whatever_the_reader_format(world: World) -> None:
    world.staff("t1")
    world.badge("t1", "04:a2:b3:c4")
    for typed in ("04A2B3C4", "0x04a2b3c4", "04-A2-B3-C4", "0077771716"):
        decision = world.decide("in-main", typed, world.at(10))
        assert decision.outcome is Outcome.GRANT, typed
        assert decision.credential_id == "badge-t1"


def test_unknown_badge_is_refused_with_alert(world: World) -> None:
    decision = world.decide("in-main", "DEADBEEF", world.at(10))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.UNKNOWN_CREDENTIAL,)
    assert decision.alert


def test_garbled_badge_read_is_refused_as_malformed(world: World) -> None:
    decision = world.decide("in-main", "not a uid!", world.at(10))
    assert decision.reasons == (Reason.MALFORMED_CREDENTIAL,)
    assert not decision.alert


def test_revoked_badge_is_refused_with_alert(world: World) -> None:
    world.staff("t1")
    uid = world.badge("t1")
    world.revoke("badge-t1")
    decision = world.decide("in-main", uid, world.at(10))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.REVOKED,)
    assert decision.alert


def test_expired_badge_is_refused_with_alert(world: World) -> None:
    world.staff("t1")
    uid = world.badge("t1", valid_until=world.at(9))
    decision = world.decide("in-main", uid, world.at(10))
    assert decision.reasons == (Reason.EXPIRED,)
    assert decision.alert


def test_badge_not_yet_valid_is_refused(world: World) -> None:
    world.staff("t1")
    uid = world.badge("t1", valid_from=world.at(11), valid_until=world.year_end)
    assert world.decide("in-main", uid, world.at(10)).reasons == (Reason.NOT_YET_VALID,)


def test_badge_of_a_person_who_left_is_refused(world: World) -> None:
    world.staff("t1", active=False)
    uid = world.badge("t1")
    assert world.decide("in-main", uid, world.at(10)).reasons == (Reason.PERSON_INACTIVE,)
