"""The JSON forms of timetables, calendars and site settings: the store keeps them so, and
the lanes' snapshots carry them so (one format for both).

A timetable::

    {"week": {"monday": {"ranges": ["08:00-12:00", "13:30-17:00"], "lunch": "12:00-13:30"},
              "wednesday": {"ranges": ["08:00-12:00"]}},
     "exceptions": [{"first": "2025-04-14", "last": "2025-04-25", "kind": "holiday",
                     "label": "Vacances de printemps"}]}

Days left out are closed. A calendar is a list of exceptions in the same form. Site
settings are a flat object (``portique.services.settings`` keeps them with their
defaults; a lane's snapshot carries the engine's part).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from portique.access.domain import PolicyError
from portique.access.exits import STANDARD_EXIT_RULES, ExitRule
from portique.access.policy import SiteSettings
from portique.access.reasons import Action
from portique.access.timetable import (
    DaySchedule,
    ExceptionKind,
    TimeRange,
    Timetable,
    TimetableException,
    Weekday,
)
from portique.biometrics.pad import DEFAULT_PAD_THRESHOLD

_LESSONS = {"ranges": ["08:00-12:00", "13:30-17:00"], "lunch": "12:00-13:30"}
DEFAULT_TIMETABLE: dict[str, Any] = {
    "week": {
        "monday": _LESSONS,
        "tuesday": _LESSONS,
        "wednesday": {"ranges": ["08:00-12:00"]},
        "thursday": _LESSONS,
        "friday": _LESSONS,
    },
    "exceptions": [],
}
"""The timetable a new class gets until the school enters its own."""

DEFAULT_OPENING_HOURS: dict[str, Any] = {
    "week": {
        **{
            day: {"ranges": ["07:00-19:00"]}
            for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
        },
        "saturday": {"ranges": ["08:00-12:30"]},
    },
    "exceptions": [],
}


def _day_to_json(day: DaySchedule) -> dict[str, Any]:
    data: dict[str, Any] = {"ranges": [str(r) for r in day.ranges]}
    if day.lunch is not None:
        data["lunch"] = str(day.lunch)
    return data


def _day_from_json(data: Any) -> DaySchedule:
    if not isinstance(data, dict):
        raise ValueError(f"a day is an object with 'ranges', not {data!r}")
    lunch = data.get("lunch")
    return DaySchedule(
        tuple(TimeRange.parse(text) for text in data.get("ranges", [])),
        TimeRange.parse(lunch) if lunch else None,
    )


def exception_to_json(exception: TimetableException) -> dict[str, Any]:
    data: dict[str, Any] = {
        "first": exception.first.isoformat(),
        "last": exception.last.isoformat(),
        "kind": exception.kind.value,
    }
    if exception.kind is ExceptionKind.SPECIAL:
        data["schedule"] = _day_to_json(exception.schedule)
    if exception.label:
        data["label"] = exception.label
    return data


def exception_from_json(data: Any) -> TimetableException:
    if not isinstance(data, dict):
        raise ValueError(f"an exception is an object, not {data!r}")
    kind = ExceptionKind(data["kind"])
    schedule = _day_from_json(data["schedule"]) if kind is ExceptionKind.SPECIAL else None
    return TimetableException(
        date.fromisoformat(data["first"]),
        date.fromisoformat(data["last"]),
        kind,
        schedule if schedule is not None else DaySchedule(),
        str(data.get("label", "")),
    )


def timetable_to_json(timetable: Timetable) -> dict[str, Any]:
    return {
        "week": {
            day.name.lower(): _day_to_json(timetable.week[day])
            for day in Weekday
            if not timetable.week[day].is_empty
        },
        "exceptions": [exception_to_json(e) for e in timetable.exceptions],
    }


def timetable_from_json(data: Any) -> Timetable:
    """The timetable stored as ``data``; raises PolicyError when it is malformed."""
    try:
        week = data.get("week", {})
        days = {Weekday[name.upper()]: _day_from_json(day) for name, day in week.items()}
        exceptions = [exception_from_json(e) for e in data.get("exceptions", [])]
        return Timetable.weekly(days, exceptions)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise PolicyError(f"A stored timetable is malformed: {exc!r}.") from None


def calendar_from_json(data: Any) -> tuple[TimetableException, ...]:
    """The site calendar stored as ``data`` (a list of exceptions)."""
    try:
        return tuple(exception_from_json(e) for e in data)
    except (KeyError, TypeError, ValueError) as exc:
        raise PolicyError(f"The stored site calendar is malformed: {exc!r}.") from None


def exit_rule(code: str) -> ExitRule:
    """The standard exit rule called ``code`` (``after_last_lesson``, ``at_lunch``...)."""
    try:
        return STANDARD_EXIT_RULES[code]
    except KeyError:
        raise PolicyError(
            f"Unknown exit rule {code!r}; use one of {', '.join(STANDARD_EXIT_RULES)}."
        ) from None


def _minutes(value: Any) -> timedelta | None:
    return None if value is None else timedelta(minutes=float(value))


def _pad_threshold(data: Mapping[str, Any]) -> float | None:
    """The liveness threshold the lanes apply; None when the site does not check faces
    for presentation attacks (settings stored before PAD existed do not)."""
    if not data.get("pad_enabled"):
        return None
    stored = data.get("pad_threshold")
    return DEFAULT_PAD_THRESHOLD if stored is None else float(stored)


def settings_from_json(data: Mapping[str, Any], face_threshold: float | None) -> SiteSettings:
    """The engine's settings from their JSON form (every key present: a missing one is a
    KeyError, never a default); face comparison is on only when the site enables it and
    a threshold is known (a model was enrolled and calibrated)."""
    try:
        return SiteSettings(
            face_enabled=bool(data["face_enabled"]) and face_threshold is not None,
            face_threshold=face_threshold,
            face_mismatch_action=Action(data["face_mismatch_action"]),
            poor_capture_action=Action(data["poor_capture_action"]),
            outside_hours_action=Action(data["outside_hours_action"]),
            anti_passback_window=_minutes(data["anti_passback_minutes"]),
            arrival_margin=_minutes(data["arrival_margin_minutes"]) or timedelta(0),
            default_exit_rule=exit_rule(str(data["default_exit_rule"])),
            pad_threshold=_pad_threshold(data),
        )
    except (TypeError, ValueError) as exc:
        raise PolicyError(f"The stored site settings are malformed: {exc}") from None
