"""The policy checks of decide(): lockdown, hours, timetables, zones, anti-passback."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import pytest

from portique.access import (
    Action,
    DaySchedule,
    Direction,
    ExceptionKind,
    Group,
    Outcome,
    Reason,
    Role,
    Timetable,
    TimetableException,
    Weekday,
)

if TYPE_CHECKING:
    from conftest import World


# Lockdown ------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_lockdown_refuses_everyone_at_entry(world: World, role: Role) -> None:
    world.person("p1", role)
    world.lock_down()
    decision = world.decide("in-main", world.card("p1"), world.at(10))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons[0] is Reason.LOCKDOWN
    assert decision.alert


def test_lockdown_refers_exits_to_the_agent(world: World) -> None:
    world.staff("t1")
    world.lock_down()
    decision = world.decide("out-main", world.card("t1"), world.at(10))
    assert decision.outcome is Outcome.REFER
    assert decision.reasons == (Reason.LOCKDOWN,)
    assert decision.alert


def test_lockdown_keeps_the_credential_reasons(world: World) -> None:
    world.staff("t1")
    world.revoke("card-t1")
    world.lock_down()
    decision = world.decide("out-main", world.card("t1"), world.at(10))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.LOCKDOWN, Reason.REVOKED)


def test_lockdown_refuses_unreadable_credentials_too(world: World) -> None:
    world.lock_down()
    decision = world.decide("in-main", b"junk", world.at(10))
    assert decision.reasons == (Reason.LOCKDOWN, Reason.MALFORMED_CREDENTIAL)


# Opening hours and timetables --------------------------------------------------------


def test_student_entering_outside_timetable_is_referred(world: World) -> None:
    world.student("s1")
    decision = world.decide("in-main", world.card("s1"), world.at(17, 30))
    assert decision.outcome is Outcome.REFER
    assert decision.reasons == (Reason.OUTSIDE_TIMETABLE,)
    assert not decision.alert


def test_student_entering_outside_timetable_is_refused_when_site_says_so(world: World) -> None:
    world.student("s1")
    world.configure(outside_hours_action=Action.DENY)
    decision = world.decide("in-main", world.card("s1"), world.at(17, 30))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.OUTSIDE_TIMETABLE,)


def test_student_may_arrive_shortly_before_first_lesson(world: World) -> None:
    world.student("s1")
    assert world.decide("in-main", world.card("s1"), world.at(7, 45)).granted
    assert not world.decide("in-main", world.card("s1"), world.at(7, 44)).granted


def test_student_may_come_back_for_the_afternoon_within_margin(world: World) -> None:
    world.student("s1")
    assert world.decide("in-main", world.card("s1"), world.at(13, 15)).granted
    assert not world.decide("in-main", world.card("s1"), world.at(12, 30)).granted


def test_student_arrival_margin_is_configurable(world: World) -> None:
    world.student("s1")
    world.configure(arrival_margin=timedelta(0))
    assert not world.decide("in-main", world.card("s1"), world.at(7, 59)).granted
    assert world.decide("in-main", world.card("s1"), world.at(8)).granted


def test_student_without_class_is_outside_timetable(world: World) -> None:
    world.student("s1", groups=())
    decision = world.decide("in-main", world.card("s1"), world.at(10))
    assert decision.reasons == (Reason.OUTSIDE_TIMETABLE,)


def test_student_with_several_groups_follows_any_of_them(world: World) -> None:
    evening = Timetable.weekly({Weekday.TUESDAY: DaySchedule.of("17:00-18:00")})
    world.groups["latin"] = Group("latin", evening, "Latin")
    world.student("s1", groups=("2nde-a", "latin"))
    assert world.decide("in-main", world.card("s1"), world.at(17, 30)).granted


def test_staff_are_not_bound_by_group_timetables(world: World) -> None:
    world.staff("t1")
    assert world.decide("in-main", world.card("t1"), world.at(18, 30)).granted


def test_staff_entering_when_site_is_closed_is_referred(world: World) -> None:
    world.staff("t1")
    decision = world.decide("in-main", world.card("t1"), world.at(6, 30))
    assert decision.outcome is Outcome.REFER
    assert decision.reasons == (Reason.SITE_CLOSED,)


def test_nobody_enters_on_sunday_without_agent(world: World) -> None:
    world.staff("t1")
    sunday = date(2025, 3, 16)
    decision = world.decide("in-main", world.card("t1"), world.at(10, day=sunday))
    assert decision.reasons == (Reason.SITE_CLOSED,)


def test_site_closed_is_stated_once_for_a_student(world: World) -> None:
    world.student("s1")
    decision = world.decide("in-main", world.card("s1"), world.at(22))
    assert decision.reasons == (Reason.SITE_CLOSED,)


def test_student_is_referred_on_a_holiday_while_staff_enter(world: World) -> None:
    holidays = TimetableException(
        date(2025, 3, 10), date(2025, 3, 14), ExceptionKind.HOLIDAY, label="vacances"
    )
    world.calendar.append(holidays)
    world.student("s1")
    world.staff("t1")
    assert world.decide("in-main", world.card("s1"), world.at(10)).reasons == (
        Reason.OUTSIDE_TIMETABLE,
    )
    assert world.decide("in-main", world.card("t1"), world.at(10)).granted


def test_closure_keeps_everyone_out(world: World) -> None:
    world.calendar.append(
        TimetableException.on(world.school_day, ExceptionKind.CLOSURE, label="grève")
    )
    world.staff("t1")
    assert world.decide("in-main", world.card("t1"), world.at(10)).reasons == (Reason.SITE_CLOSED,)


def test_special_day_replaces_the_class_timetable(world: World) -> None:
    special = DaySchedule.of("10:00-12:00")
    world.calendar.append(
        TimetableException.on(world.school_day, ExceptionKind.SPECIAL, special, "bac blanc")
    )
    world.student("s1")
    assert not world.decide("in-main", world.card("s1"), world.at(15)).granted
    assert world.decide("in-main", world.card("s1"), world.at(11)).granted


# Zones and visitors -----------------------------------------------------------------


def test_contractor_limited_to_workshops_is_refused_elsewhere(world: World) -> None:
    world.person("c1", Role.CONTRACTOR, zones=("workshop",))
    card = world.card("c1")
    assert world.decide("in-workshop", card, world.at(10)).granted
    decision = world.decide("in-main", card, world.at(10))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.WRONG_ZONE,)
    assert decision.alert


def test_visitor_pass_opens_its_zones_only(world: World) -> None:
    world.visitor("v1")
    pass_ = world.visitor_pass("v1", zones=("reception",))
    assert world.decide("in-reception", pass_, world.at(10)).granted
    decision = world.decide("in-main", pass_, world.at(10))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.WRONG_ZONE,)
    assert decision.alert


def test_visitor_pass_is_refused_after_its_time_window(world: World) -> None:
    world.visitor("v1")
    pass_ = world.visitor_pass("v1")
    decision = world.decide("in-reception", pass_, world.at(11, 30))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.EXPIRED,)


def test_visitor_pass_is_refused_before_its_time_window(world: World) -> None:
    world.visitor("v1")
    pass_ = world.visitor_pass("v1")
    assert world.decide("in-reception", pass_, world.at(8, 30)).reasons == (Reason.NOT_YET_VALID,)


def test_cancelled_visitor_pass_is_refused_as_unknown(world: World) -> None:
    world.visitor("v1")
    pass_ = world.visitor_pass("v1", recorded=False)
    decision = world.decide("in-reception", pass_, world.at(10))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.UNKNOWN_CREDENTIAL,)
    assert decision.alert


def test_visitor_leaves_freely(world: World) -> None:
    world.visitor("v1")
    pass_ = world.visitor_pass("v1", zones=("reception",))
    assert world.decide("out-main", pass_, world.at(10, 30)).granted


# Anti-passback ------------------------------------------------------------------------


def test_second_entry_without_exit_is_refused_by_anti_passback(world: World) -> None:
    world.staff("t1")
    world.passed("t1", Direction.IN, world.at(9, 50))
    decision = world.decide("in-main", world.card("t1"), world.at(10))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.ANTI_PASSBACK,)
    assert decision.alert


def test_entry_after_an_exit_is_not_anti_passback(world: World) -> None:
    world.staff("t1")
    world.passed("t1", Direction.OUT, world.at(9, 50))
    assert world.decide("in-main", world.card("t1"), world.at(10)).granted


def test_anti_passback_ends_with_its_window(world: World) -> None:
    world.staff("t1")
    world.configure(anti_passback_window=timedelta(hours=1))
    world.passed("t1", Direction.IN, world.at(9))
    assert world.decide("in-main", world.card("t1"), world.at(10)).granted
    assert not world.decide("in-main", world.card("t1"), world.at(9, 59)).granted


def test_anti_passback_can_be_disabled(world: World) -> None:
    world.staff("t1")
    world.configure(anti_passback_window=None)
    world.passed("t1", Direction.IN, world.at(9, 50))
    assert world.decide("in-main", world.card("t1"), world.at(10)).granted


def test_second_exit_without_entry_is_referred_not_refused(world: World) -> None:
    world.staff("t1")
    world.passed("t1", Direction.OUT, world.at(9, 50))
    decision = world.decide("out-main", world.card("t1"), world.at(10))
    assert decision.outcome is Outcome.REFER
    assert decision.reasons == (Reason.ANTI_PASSBACK,)
    assert not decision.alert


def test_anti_passback_applies_across_credentials_of_one_person(world: World) -> None:
    world.staff("t1")
    uid = world.badge("t1")
    world.passed("t1", Direction.IN, world.at(9, 55))
    assert world.decide("in-workshop", uid, world.at(10)).reasons == (Reason.ANTI_PASSBACK,)


def test_policy_reasons_add_up(world: World) -> None:
    world.person("c1", Role.CONTRACTOR, zones=("workshop",))
    world.passed("c1", Direction.IN, world.at(21, 50))
    decision = world.decide("in-main", world.card("c1"), world.at(22))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.ANTI_PASSBACK, Reason.WRONG_ZONE, Reason.SITE_CLOSED)
