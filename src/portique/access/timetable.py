"""Weekly timetables in site-local time, with holidays, closures and special days."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time


class Weekday(enum.IntEnum):
    """Days of the week, numbered as ``date.weekday()`` numbers them."""

    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


@dataclass(frozen=True, order=True)
class TimeRange:
    """A range of local wall-clock time within one day: ``start`` included, ``end`` excluded."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("a time range is in site-local wall-clock time, without a time zone")
        if self.start >= self.end:
            raise ValueError(f"a time range must end after it starts: {self}")

    @classmethod
    def parse(cls, text: str) -> TimeRange:
        """``"08:00-12:00"`` → ``TimeRange(time(8), time(12))``."""
        try:
            start_text, end_text = text.split("-")
            return cls(time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip()))
        except ValueError as error:
            raise ValueError(f"not a time range like '08:00-12:00': {text!r} ({error})") from None

    def contains(self, moment: time) -> bool:
        return self.start <= moment < self.end

    def contains_with_margin(self, moment: time, margin_seconds: int) -> bool:
        """Whether ``moment`` is in the range, or up to ``margin_seconds`` before it starts."""
        return _seconds(self.start) - margin_seconds <= _seconds(moment) and moment < self.end

    def __str__(self) -> str:
        return f"{self.start.isoformat('minutes')}-{self.end.isoformat('minutes')}"


def _ranges(items: Iterable[TimeRange | str]) -> tuple[TimeRange, ...]:
    return tuple(
        sorted(item if isinstance(item, TimeRange) else TimeRange.parse(item) for item in items)
    )


@dataclass(frozen=True)
class DaySchedule:
    """One day of a timetable: the ranges when the group is expected (or the site open),
    and the lunch window, if there is one.

    For a group, the ranges are its lessons; their last end is "the day's last lesson".
    """

    ranges: tuple[TimeRange, ...] = ()
    lunch: TimeRange | None = None

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.ranges))
        object.__setattr__(self, "ranges", ordered)

    @classmethod
    def of(cls, *ranges: TimeRange | str, lunch: TimeRange | str | None = None) -> DaySchedule:
        """``DaySchedule.of("08:00-12:00", "13:30-17:00", lunch="12:00-13:30")``."""
        lunch_range = TimeRange.parse(lunch) if isinstance(lunch, str) else lunch
        return cls(_ranges(ranges), lunch_range)

    @property
    def is_empty(self) -> bool:
        return not self.ranges

    @property
    def last_end(self) -> time | None:
        """When the day's last range ends, or None on a day without any."""
        return max((r.end for r in self.ranges), default=None)

    def contains(self, moment: time) -> bool:
        return any(r.contains(moment) for r in self.ranges)


CLOSED = DaySchedule()


class ExceptionKind(enum.StrEnum):
    """How a date departs from the weekly timetable.

    In a site's calendar (applying to every group): HOLIDAY means no lessons for
    any group while the site keeps its opening hours (staff may work); CLOSURE
    closes the site to everyone; SPECIAL gives every group the day's own schedule.
    In one timetable's own exceptions, HOLIDAY and CLOSURE both empty the day.
    """

    HOLIDAY = "holiday"
    CLOSURE = "closure"
    SPECIAL = "special"


# A closure always wins; a special day wins over a holiday period around it.
_PRIORITY: Mapping[ExceptionKind, int] = {
    ExceptionKind.CLOSURE: 0,
    ExceptionKind.SPECIAL: 1,
    ExceptionKind.HOLIDAY: 2,
}


@dataclass(frozen=True)
class TimetableException:
    """Dates from ``first`` to ``last`` (both included) that follow ``schedule`` instead
    of the weekly timetable; ``schedule`` only matters for SPECIAL days."""

    first: date
    last: date
    kind: ExceptionKind
    schedule: DaySchedule = CLOSED
    label: str = ""

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"exception {self.label!r} ends before it starts")
        if self.kind is not ExceptionKind.SPECIAL and not self.schedule.is_empty:
            raise ValueError(f"only a SPECIAL day has its own schedule ({self.label!r})")

    @classmethod
    def on(
        cls, day: date, kind: ExceptionKind, schedule: DaySchedule = CLOSED, label: str = ""
    ) -> TimetableException:
        """An exception for one single date."""
        return cls(day, day, kind, schedule, label)

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last

    @property
    def effective_schedule(self) -> DaySchedule:
        return self.schedule if self.kind is ExceptionKind.SPECIAL else CLOSED


def _weekly(days: Mapping[Weekday, DaySchedule]) -> tuple[DaySchedule, ...]:
    return tuple(days.get(weekday, CLOSED) for weekday in Weekday)


@dataclass(frozen=True)
class Timetable:
    """A week of day schedules (Monday first) and the dates that depart from it."""

    week: tuple[DaySchedule, ...] = field(default_factory=lambda: (CLOSED,) * 7)
    exceptions: tuple[TimetableException, ...] = ()

    def __post_init__(self) -> None:
        if len(self.week) != len(Weekday):
            raise ValueError(f"a timetable has one schedule per weekday, got {len(self.week)}")

    @classmethod
    def weekly(
        cls,
        days: Mapping[Weekday, DaySchedule],
        exceptions: Sequence[TimetableException] = (),
    ) -> Timetable:
        """A timetable from the days that have a schedule; the other days are closed."""
        return cls(_weekly(days), tuple(exceptions))

    def day(self, on: date, calendar: Sequence[TimetableException] = ()) -> DaySchedule:
        """The schedule of ``on``: the most specific exception, else the weekday's.

        ``calendar`` holds exceptions shared by many timetables (a site's holidays);
        they rank after this timetable's own exceptions of the same kind.
        """
        best: TimetableException | None = None
        for exception in (*self.exceptions, *calendar):
            if exception.covers(on) and (
                best is None or _PRIORITY[exception.kind] < _PRIORITY[best.kind]
            ):
                best = exception
        if best is not None:
            return best.effective_schedule
        return self.week[on.weekday()]
