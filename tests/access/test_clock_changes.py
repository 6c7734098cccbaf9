"""Decisions on the nights the clocks change, and on a leap day.

A lane's clock gives UTC; the engine reads the site's wall clock from it. On the last
Sunday of March, Paris goes from 02:00 (CET, +01:00) straight to 03:00 (CEST, +02:00): an
hour of wall-clock time does not exist and that day has 23 hours. On the last Sunday of
October, 02:00-03:00 happens twice. These scenarios pin the times on both sides of each
change, for a boarding school (internat) whose pupils are on site on Sundays.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from portique.access import (
    AfterLastLesson,
    DaySchedule,
    Direction,
    Group,
    Outcome,
    Reason,
    Timetable,
    Weekday,
)
from portique.credentials import default_validity

if TYPE_CHECKING:
    from conftest import World

CLASS = "2nde-a"  # the class of the access tests' world


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def boarding_school(world: World, sunday: DaySchedule) -> None:
    """The site opens on Sundays with ``sunday``'s hours (an internat); the class has an
    evening study on Sundays, 18:00-20:00."""
    weekly = {day: DaySchedule.of("07:00-19:00") for day in Weekday if day < Weekday.SUNDAY}
    world.opening_hours = Timetable.weekly({**weekly, Weekday.SUNDAY: sunday})
    study = Timetable.weekly({Weekday.SUNDAY: DaySchedule.of("18:00-20:00")})
    world.groups[CLASS] = Group(CLASS, study, "Seconde A (internes)")


def test_a_lane_reads_the_summer_hour_after_the_spring_gap(world: World) -> None:
    # Open 03:00-04:00 only: a lane that kept the winter offset would read 02:30 and refuse.
    boarding_school(world, DaySchedule.of("03:00-04:00"))
    world.staff("t1")
    card = world.card("t1")
    closed = world.decide("in-main", card, utc(2025, 3, 30, 0, 59, 59))  # 01:59:59 CET
    assert closed.reasons == (Reason.SITE_CLOSED,)
    assert world.decide("in-main", card, utc(2025, 3, 30, 1, 0)).granted  # 03:00 CEST
    assert world.decide("in-main", card, utc(2025, 3, 30, 1, 30)).granted  # 03:30 CEST
    late = world.decide("in-main", card, utc(2025, 3, 30, 2, 0))  # 04:00 CEST
    assert late.reasons == (Reason.SITE_CLOSED,)


def test_one_second_crosses_the_missing_hour(world: World) -> None:
    boarding_school(world, DaySchedule.of("00:00-02:00", "03:00-05:00"))
    world.staff("t1")
    card = world.card("t1")
    assert world.decide("in-main", card, utc(2025, 3, 30, 0, 59, 59)).granted  # 01:59:59 CET
    assert world.decide("in-main", card, utc(2025, 3, 30, 1, 0, 0)).granted  # 03:00:00 CEST


def test_an_exit_permission_on_the_day_with_23_hours_uses_the_summer_hour(world: World) -> None:
    boarding_school(world, DaySchedule.of("07:00-22:00"))
    world.student("s1")
    world.permit_exit("s1", AfterLastLesson())
    card = world.card("s1")
    # 17:30 UTC is 19:30 CEST: the study (18:00-20:00) is not over.
    during = world.decide("out-main", card, utc(2025, 3, 30, 17, 30))
    assert (during.outcome, during.reasons) == (Outcome.DENY, (Reason.EXIT_NOT_PERMITTED,))
    # 18:00 UTC is 20:00 CEST: it is over (with the winter offset it would read 19:00).
    assert world.decide("out-main", card, utc(2025, 3, 30, 18, 0)).granted


def test_anti_passback_holds_when_the_wall_clock_goes_back_an_hour(world: World) -> None:
    boarding_school(world, DaySchedule.of("00:00-23:59"))
    world.configure(anti_passback_window=timedelta(minutes=30))
    world.staff("t1")
    card = world.card("t1")
    # 00:50 UTC is 02:50 CEST; 15 minutes later the wall clock reads 02:05 CET.
    world.passed("t1", Direction.IN, utc(2024, 10, 27, 0, 50))
    again = world.decide("in-main", card, utc(2024, 10, 27, 1, 5))
    assert again.reasons == (Reason.ANTI_PASSBACK,)
    # 35 minutes after the entry (02:25 CET, "earlier" on the wall clock): allowed again.
    assert world.decide("in-main", card, utc(2024, 10, 27, 1, 25)).granted


def test_the_repeated_hour_keeps_its_timetable(world: World) -> None:
    boarding_school(world, DaySchedule.of("02:00-02:30"))
    world.staff("t1")
    card = world.card("t1")
    # 02:15 happens twice on the wall clock: both are inside the range.
    assert world.decide("in-main", card, utc(2024, 10, 27, 0, 15)).granted  # 02:15 CEST
    assert world.decide("in-main", card, utc(2024, 10, 27, 1, 15)).granted  # 02:15 CET
    closed = world.decide("in-main", card, utc(2024, 10, 27, 0, 45))  # 02:45 CEST
    assert closed.reasons == (Reason.SITE_CLOSED,)


def test_a_card_issued_on_a_leap_day_lasts_to_the_end_of_the_school_year() -> None:
    start, end = default_validity(date(2028, 2, 29))
    assert start == utc(2028, 2, 28, 23, 0)  # midnight in Paris
    assert end == utc(2028, 8, 31, 21, 59, 59)  # 23:59:59 CEST


def test_a_pupil_born_on_a_leap_day_comes_of_age_on_the_first_of_march(world: World) -> None:
    pupil = world.student("s2", birth_date=date(2008, 2, 29))
    assert pupil.is_minor_on(date(2026, 2, 28))
    assert not pupil.is_minor_on(date(2026, 3, 1))
