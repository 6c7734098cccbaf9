"""Exits of minors: the permission their parents granted, read at the time they leave."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pytest

from portique.access import (
    STANDARD_EXIT_RULES,
    AfterLastLesson,
    AtLunch,
    BetweenLessons,
    DaySchedule,
    ExceptionKind,
    ExitRule,
    FreeExit,
    NeverUnaccompanied,
    Outcome,
    Reason,
    SiteSettings,
    TimetableException,
)

if TYPE_CHECKING:
    from conftest import World


def _leave(world: World, hour: int, minute: int = 0, rule: ExitRule | None = None) -> Outcome:
    if "s1" not in world.people:
        world.student("s1")
    if rule is not None:
        world.permit_exit("s1", rule)
    return world.decide("out-main", world.card("s1"), world.at(hour, minute)).outcome


def test_minor_without_exit_permission_is_refused_at_exit_lane(world: World) -> None:
    world.student("s1")
    world.permit_exit("s1", AfterLastLesson())
    decision = world.decide("out-main", world.card("s1"), world.at(10))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.EXIT_NOT_PERMITTED,)
    assert not decision.alert


@pytest.mark.parametrize(
    ("hour", "minute", "expected"),
    [(7, 50, Outcome.DENY), (10, 0, Outcome.DENY), (12, 30, Outcome.DENY), (17, 0, Outcome.GRANT)],
)
def test_minor_may_leave_after_last_lesson(
    world: World, hour: int, minute: int, expected: Outcome
) -> None:
    assert _leave(world, hour, minute, AfterLastLesson()) is expected


@pytest.mark.parametrize(
    ("hour", "minute", "expected"),
    [(11, 59, Outcome.DENY), (12, 0, Outcome.GRANT), (13, 29, Outcome.GRANT),
     (13, 30, Outcome.DENY), (17, 5, Outcome.GRANT)],
)  # fmt: skip
def test_minor_allowed_at_lunch_leaves_at_lunch_and_after_lessons(
    world: World, hour: int, minute: int, expected: Outcome
) -> None:
    assert _leave(world, hour, minute, AtLunch()) is expected


def test_minor_with_free_exit_leaves_any_time(world: World) -> None:
    assert _leave(world, 10, 0, FreeExit()) is Outcome.GRANT


def test_minor_allowed_between_lessons_leaves_in_free_periods_only(world: World) -> None:
    assert _leave(world, 10, 0, BetweenLessons()) is Outcome.DENY
    assert _leave(world, 12, 30) is Outcome.GRANT


def test_minor_never_unaccompanied_is_referred_to_the_agent(world: World) -> None:
    world.student("s1")
    world.permit_exit("s1", NeverUnaccompanied())
    decision = world.decide("out-main", world.card("s1"), world.at(17, 30))
    assert decision.outcome is Outcome.REFER
    assert decision.reasons == (Reason.EXIT_REQUIRES_AGENT,)


def test_minor_without_recorded_permission_follows_the_site_default(world: World) -> None:
    assert _leave(world, 10) is Outcome.DENY
    assert _leave(world, 17, 30) is Outcome.GRANT


def test_site_default_exit_rule_is_configurable(world: World) -> None:
    world.settings = SiteSettings(default_exit_rule=NeverUnaccompanied())
    assert _leave(world, 17, 30) is Outcome.REFER


def test_minor_leaves_any_time_on_a_day_without_lessons(world: World) -> None:
    world.calendar.append(TimetableException.on(world.school_day, ExceptionKind.HOLIDAY))
    assert _leave(world, 10, 0, AfterLastLesson()) is Outcome.GRANT


def test_last_lesson_is_the_last_of_all_the_minors_groups(world: World) -> None:
    world.calendar.append(
        TimetableException.on(
            world.school_day, ExceptionKind.SPECIAL, DaySchedule.of("08:00-10:00")
        )
    )
    assert _leave(world, 10, 0, AfterLastLesson()) is Outcome.GRANT


def test_adult_student_leaves_freely(world: World) -> None:
    world.student("s1", age=18)
    world.permit_exit("s1", NeverUnaccompanied())
    assert world.decide("out-main", world.card("s1"), world.at(10)).granted


def test_minority_follows_the_birth_date_at_the_passage_time(world: World) -> None:
    """Born on 11 March 2007: a minor on the 10th, an adult on the 11th (Paris dates)."""
    world.student("s1", birth_date=date(2007, 3, 11))
    world.permit_exit("s1", AfterLastLesson())
    card = world.card("s1")
    eve = world.decide("out-main", card, world.at(10, day=date(2025, 3, 10)))
    birthday = world.decide("out-main", card, world.at(0, 30))  # 23:30 UTC on the 10th
    assert eve.outcome is Outcome.DENY
    assert birthday.outcome is Outcome.GRANT


def test_staff_are_never_held_by_exit_rules(world: World) -> None:
    world.staff("t1", age=17)  # an apprentice
    assert world.decide("out-main", world.card("t1"), world.at(10)).granted


def test_standard_exit_rules_are_found_by_code() -> None:
    assert set(STANDARD_EXIT_RULES) == {
        "free",
        "after_last_lesson",
        "at_lunch",
        "between_lessons",
        "never_unaccompanied",
    }
    for code, rule in STANDARD_EXIT_RULES.items():
        assert rule.code == code
