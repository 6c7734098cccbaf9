"""decide() on phone passes: the living code signed by the phone, fresh, and used once."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from portique.access import Outcome, Reason
from portique.credentials import (
    CODE_WINDOW,
    CredentialKind,
    HolderAlgorithm,
    PhoneKey,
    read_living_code,
)

if TYPE_CHECKING:
    from support import World


@pytest.mark.parametrize("algorithm", list(HolderAlgorithm))
def test_a_fresh_code_signed_by_the_phone_is_granted(
    world: World, algorithm: HolderAlgorithm
) -> None:
    world.student("s1")
    phone = PhoneKey(algorithm)
    decision = world.decide("in-main", world.phone("s1", world.at(10), phone=phone), world.at(10))
    assert decision.outcome is Outcome.GRANT
    assert decision.reasons == (Reason.CREDENTIAL_VALID,)
    assert (decision.credential_id, decision.person_id) == ("phone-s1", "s1")
    assert decision.code_time == world.at(10)


def test_a_card_decision_carries_no_code_time(world: World) -> None:
    world.student("s1")
    decision = world.decide("in-main", world.card("s1"), world.at(10))
    assert decision.outcome is Outcome.GRANT
    assert decision.code_time is None


@pytest.mark.parametrize("offset", [-30, -1, 0, 12, 30])
def test_a_code_within_thirty_seconds_of_the_lane_clock_is_accepted(
    world: World, offset: int
) -> None:
    world.staff("t1")
    shown = world.at(10)
    lane_time = shown + timedelta(seconds=offset)
    assert world.decide("in-main", world.phone("t1", shown), lane_time).granted


@pytest.mark.parametrize("offset", [-31, 31, 60, 3600])
def test_a_code_outside_the_window_is_refused_as_stale_with_alert(
    world: World, offset: int
) -> None:
    world.staff("t1")
    shown = world.at(10)
    decision = world.decide("in-main", world.phone("t1", shown), shown + timedelta(seconds=offset))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.STALE_CODE,)
    assert decision.alert
    assert decision.credential_id == "phone-t1"


def test_the_window_is_thirty_seconds_either_way() -> None:
    assert timedelta(seconds=30) == CODE_WINDOW


def test_a_code_already_used_is_refused_as_replayed_with_alert(world: World) -> None:
    world.staff("t1")
    code = world.phone("t1", world.at(10))
    world.used("phone-t1", world.at(10))
    decision = world.decide("in-main", code, world.at(10) + timedelta(seconds=2))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.REPLAYED_CODE,)
    assert decision.alert
    assert decision.credential_id == "phone-t1"


def test_the_next_code_of_the_same_phone_is_not_a_replay(world: World) -> None:
    world.staff("t1")
    world.used("phone-t1", world.at(10))
    later = world.at(10) + timedelta(seconds=5)
    assert world.decide("in-main", world.phone("t1", later), later).granted


def test_a_used_code_of_another_pass_does_not_block_this_one(world: World) -> None:
    world.staff("t1")
    world.used("phone-t2", world.at(10))
    assert world.decide("in-main", world.phone("t1", world.at(10)), world.at(10)).granted


def test_a_code_signed_by_another_phone_is_refused_like_a_forgery(world: World) -> None:
    world.staff("t1")
    thief = PhoneKey()
    code = world.phone("t1", world.at(10), shown_by=thief)
    decision = world.decide("in-main", code, world.at(10))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.BAD_SIGNATURE,)
    assert decision.alert


@pytest.mark.parametrize("algorithm", list(HolderAlgorithm))
def test_a_code_whose_time_was_changed_is_refused_like_a_forgery(
    world: World, algorithm: HolderAlgorithm
) -> None:
    """Moving an old screenshot's time forward breaks the phone's signature."""
    world.staff("t1")
    phone = PhoneKey(algorithm)
    old = read_living_code(world.phone("t1", world.at(9), phone=phone))
    assert old is not None
    moved = replace(old, time=world.at(10)).to_bytes()
    decision = world.decide("in-main", moved, world.at(10))
    assert decision.reasons == (Reason.BAD_SIGNATURE,)


def test_a_code_signed_for_another_credential_is_refused_like_a_forgery(world: World) -> None:
    """The phone's signature names the credential: it cannot be moved to another pass."""
    world.staff("t1")
    world.staff("t2")
    phone = PhoneKey()
    mine = read_living_code(world.phone("t1", world.at(10), phone=phone))
    theirs = read_living_code(world.phone("t2", world.at(10), phone=phone))
    assert mine is not None and theirs is not None
    swapped = replace(theirs, signature=mine.signature).to_bytes()
    assert world.decide("in-main", swapped, world.at(10)).reasons == (Reason.BAD_SIGNATURE,)


def test_a_phone_pass_shown_without_its_living_code_is_refused_like_a_forgery(
    world: World,
) -> None:
    """The credential alone (copied out of the phone, or printed) opens nothing."""
    world.staff("t1")
    code = read_living_code(world.phone("t1", world.at(10)))
    assert code is not None
    decision = world.decide("in-main", code.payload, world.at(10))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.BAD_SIGNATURE,)
    assert decision.alert


def test_an_older_phone_credential_without_a_key_is_refused_like_a_forgery(world: World) -> None:
    """Before phone passes, a "phone" credential was a static picture of a card."""
    world.staff("t1")
    static = world.card("t1", kind=CredentialKind.PHONE)
    decision = world.decide("in-main", static, world.at(10))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.BAD_SIGNATURE,)


def test_a_card_wrapped_in_a_living_code_is_refused_like_a_forgery(world: World) -> None:
    world.staff("t1")
    code = read_living_code(world.phone("t1", world.at(10)))
    assert code is not None
    wrapped = replace(code, payload=world.card("t1")).to_bytes()
    assert world.decide("in-main", wrapped, world.at(10)).reasons == (Reason.BAD_SIGNATURE,)


def test_a_living_code_around_a_forged_credential_is_refused(world: World) -> None:
    world.staff("t1")
    code = read_living_code(world.phone("t1", world.at(10)))
    assert code is not None
    tampered = bytearray(code.payload)
    tampered[-3] ^= 0x01
    decision = world.decide(
        "in-main", replace(code, payload=bytes(tampered)).to_bytes(), world.at(10)
    )
    assert decision.reasons == (Reason.BAD_SIGNATURE,)
    assert decision.credential_id is None


@pytest.mark.parametrize("cut", [1, 2, 5, 69, 70])
def test_a_cut_short_living_code_is_unreadable(world: World, cut: int) -> None:
    world.staff("t1")
    code = world.phone("t1", world.at(10))
    decision = world.decide("in-main", code[:cut], world.at(10))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.MALFORMED_CREDENTIAL,)


def test_a_revoked_phone_pass_is_refused_even_with_a_good_code(world: World) -> None:
    world.staff("t1")
    world.revoke("phone-t1")
    decision = world.decide("in-main", world.phone("t1", world.at(10)), world.at(10))
    assert decision.outcome is Outcome.DENY
    assert Reason.REVOKED in decision.reasons


def test_an_expired_phone_pass_is_refused_even_with_a_good_code(world: World) -> None:
    world.staff("t1")
    end = world.at(9)
    code = world.phone("t1", world.at(10), valid_until=end)
    decision = world.decide("in-main", code, world.at(10))
    assert decision.outcome is Outcome.DENY
    assert Reason.EXPIRED in decision.reasons


def test_a_stale_code_ends_the_checks(world: World) -> None:
    """Nothing else is said about a person whose code is not proven (the timetable,
    anti-passback): the agent sees one reason, the one that matters."""
    world.student("s1")
    decision = world.decide("in-main", world.phone("s1", world.at(18)), world.at(18, 5))
    assert decision.reasons == (Reason.STALE_CODE,)


def test_a_good_code_still_meets_the_policy(world: World) -> None:
    world.student("s1")
    decision = world.decide("in-main", world.phone("s1", world.at(18)), world.at(18))
    assert decision.outcome is Outcome.REFER
    assert decision.reasons == (Reason.OUTSIDE_TIMETABLE,)
    assert decision.code_time == world.at(18)
