"""Timetables: time ranges, day schedules, and the exceptions that override a week."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from portique.access import (
    CLOSED,
    DaySchedule,
    ExceptionKind,
    TimeRange,
    Timetable,
    TimetableException,
    Weekday,
)

MONDAY = date(2025, 3, 10)
WEEK = Timetable.weekly(
    {day: DaySchedule.of("08:00-12:00", "13:30-17:00") for day in Weekday if day < 5}
)


def test_time_range_includes_its_start_and_excludes_its_end() -> None:
    lesson = TimeRange.parse("08:00-12:00")
    assert lesson.contains(time(8))
    assert lesson.contains(time(11, 59, 59))
    assert not lesson.contains(time(12))
    assert str(lesson) == "08:00-12:00"


def test_time_range_margin_opens_it_early_only() -> None:
    lesson = TimeRange.parse("08:00-12:00")
    assert lesson.contains_with_margin(time(7, 45), 15 * 60)
    assert not lesson.contains_with_margin(time(7, 44), 15 * 60)
    assert not lesson.contains_with_margin(time(12), 15 * 60)


def test_time_range_margin_does_not_wrap_past_midnight() -> None:
    early = TimeRange.parse("00:10-01:00")
    assert early.contains_with_margin(time(0), 3600)
    assert not early.contains_with_margin(time(23, 30), 3600)


@pytest.mark.parametrize("text", ["12:00-08:00", "08:00", "8h-12h", "08:00-08:00"])
def test_malformed_time_range_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        TimeRange.parse(text)


def test_day_schedule_sorts_its_ranges_and_knows_its_last_end() -> None:
    day = DaySchedule.of("13:30-17:00", "08:00-12:00", lunch="12:00-13:30")
    assert [str(r) for r in day.ranges] == ["08:00-12:00", "13:30-17:00"]
    assert day.last_end == time(17)
    assert day.lunch == TimeRange.parse("12:00-13:30")
    assert CLOSED.last_end is None
    assert CLOSED.is_empty


def test_weekday_without_a_schedule_is_closed() -> None:
    assert WEEK.day(MONDAY + timedelta(days=6)) == CLOSED


def test_timetable_needs_seven_days() -> None:
    with pytest.raises(ValueError):
        Timetable((CLOSED,) * 5)


def test_holiday_empties_the_days_it_covers() -> None:
    winter = TimetableException(MONDAY, date(2025, 3, 21), ExceptionKind.HOLIDAY, label="hiver")
    timetable = Timetable(WEEK.week, (winter,))
    assert timetable.day(date(2025, 3, 14)) == CLOSED
    assert timetable.day(date(2025, 3, 24)) == WEEK.day(MONDAY)


def test_special_day_wins_over_the_holiday_around_it() -> None:
    exam = DaySchedule.of("09:00-12:00")
    holidays = TimetableException(MONDAY, date(2025, 3, 21), ExceptionKind.HOLIDAY)
    oral = TimetableException.on(date(2025, 3, 12), ExceptionKind.SPECIAL, exam)
    timetable = Timetable(WEEK.week, (holidays, oral))
    assert timetable.day(date(2025, 3, 12)) == exam
    assert timetable.day(date(2025, 3, 13)) == CLOSED


def test_closure_wins_over_everything() -> None:
    exam = DaySchedule.of("09:00-12:00")
    special = TimetableException.on(MONDAY, ExceptionKind.SPECIAL, exam)
    strike = TimetableException.on(MONDAY, ExceptionKind.CLOSURE)
    assert Timetable(WEEK.week, (special,)).day(MONDAY, (strike,)) == CLOSED


def test_timetable_own_special_day_ranks_before_the_shared_calendar() -> None:
    own = DaySchedule.of("10:00-11:00")
    shared = DaySchedule.of("14:00-15:00")
    timetable = Timetable(WEEK.week, (TimetableException.on(MONDAY, ExceptionKind.SPECIAL, own),))
    calendar = (TimetableException.on(MONDAY, ExceptionKind.SPECIAL, shared),)
    assert timetable.day(MONDAY, calendar) == own


def test_only_a_special_day_has_its_own_schedule() -> None:
    with pytest.raises(ValueError):
        TimetableException.on(MONDAY, ExceptionKind.HOLIDAY, DaySchedule.of("08:00-09:00"))


def test_exception_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError):
        TimetableException(date(2025, 3, 21), MONDAY, ExceptionKind.HOLIDAY)
