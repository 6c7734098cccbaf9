"""Exit permissions that parents grant a minor, as rules a new kind can be added to."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time
from typing import ClassVar

from portique.access.reasons import Outcome
from portique.access.timetable import DaySchedule


@dataclass(frozen=True)
class ExitContext:
    """What an exit rule may look at: the local date and time, and the day's schedule
    of every group the minor belongs to."""

    local_date: date
    local_time: time
    days: tuple[DaySchedule, ...]

    @property
    def in_lesson(self) -> bool:
        return any(day.contains(self.local_time) for day in self.days)

    @property
    def last_lesson_end(self) -> time | None:
        """When the day's last lesson of any of the minor's groups ends; None if none today."""
        return max((end for day in self.days if (end := day.last_end) is not None), default=None)

    @property
    def lessons_over(self) -> bool:
        end = self.last_lesson_end
        return end is None or self.local_time >= end

    @property
    def at_lunch(self) -> bool:
        """Within a lunch window of one of the groups, and not in a lesson of another."""
        in_window = any(
            day.lunch is not None and day.lunch.contains(self.local_time) for day in self.days
        )
        return in_window and not self.in_lesson


class ExitRule(abc.ABC):
    """One kind of exit permission. ``code`` is its stable name (storage, API).

    A rule answers GRANT (may leave now), DENY (may not) or REFER (the agent decides).
    To add a kind, subclass with a new ``code`` and add it to ``STANDARD_EXIT_RULES``
    if it takes no parameters.
    """

    code: ClassVar[str]

    @abc.abstractmethod
    def verdict(self, context: ExitContext) -> Outcome:
        """Whether the minor may leave at ``context``'s time."""


@dataclass(frozen=True)
class FreeExit(ExitRule):
    """May leave at any time."""

    code: ClassVar[str] = "free"

    def verdict(self, context: ExitContext) -> Outcome:
        return Outcome.GRANT


@dataclass(frozen=True)
class AfterLastLesson(ExitRule):
    """May leave once the day's last lesson has ended (or on a day without lessons)."""

    code: ClassVar[str] = "after_last_lesson"

    def verdict(self, context: ExitContext) -> Outcome:
        return Outcome.GRANT if context.lessons_over else Outcome.DENY


@dataclass(frozen=True)
class AtLunch(ExitRule):
    """May leave during the lunch window and after the last lesson."""

    code: ClassVar[str] = "at_lunch"

    def verdict(self, context: ExitContext) -> Outcome:
        return Outcome.GRANT if context.at_lunch or context.lessons_over else Outcome.DENY


@dataclass(frozen=True)
class BetweenLessons(ExitRule):
    """May leave whenever no lesson is under way (free periods, lunch, end of day)."""

    code: ClassVar[str] = "between_lessons"

    def verdict(self, context: ExitContext) -> Outcome:
        return Outcome.DENY if context.in_lesson else Outcome.GRANT


@dataclass(frozen=True)
class NeverUnaccompanied(ExitRule):
    """Never leaves alone: every exit is referred to the agent, who checks the escort."""

    code: ClassVar[str] = "never_unaccompanied"

    def verdict(self, context: ExitContext) -> Outcome:
        return Outcome.REFER


STANDARD_EXIT_RULES: Mapping[str, ExitRule] = {
    rule.code: rule
    for rule in (FreeExit(), AfterLastLesson(), AtLunch(), BetweenLessons(), NeverUnaccompanied())
}


@dataclass(frozen=True)
class ExitPermission:
    """The exit rule a parent or guardian (``granted_by``) chose for a minor."""

    person_id: str
    rule: ExitRule
    granted_by: str
    granted_on: date
