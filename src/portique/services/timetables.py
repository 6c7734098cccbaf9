"""Changing what the lanes decide by: class timetables, opening hours, face per lane.

Each change is checked whole before anything is stored, stored in the caller's
transaction and bumps the site's snapshot version, so the lanes apply it at their next
decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy.orm import Session

from portique.access import PolicyError, TimeRange, Timetable, Weekday
from portique.access.codec import timetable_from_json, timetable_to_json
from portique.i18n import text
from portique.services.errors import TimetableInputError, UnknownGroupError, UnknownLaneError
from portique.services.rows import site_row
from portique.store import Sites

WEEKDAY_NAMES: tuple[str, ...] = tuple(day.name.lower() for day in Weekday)
"""The weekdays as a timetable's JSON names them, Monday first."""


@dataclass(frozen=True)
class SetupChange:
    """A change to the site's set-up: the snapshot version that carries it, and when."""

    snapshot_version: int
    changed_at: datetime


def set_group_timetable(
    session: Session, site_id: str, group_id: str, timetable: Any, *, now: datetime
) -> SetupChange:
    """Replaces the weekly timetable of class ``group_id`` by ``timetable`` (the JSON form
    of :mod:`portique.access.codec`, exceptions included).

    Raises:
        UnknownGroupError: the site has no such class.
        TimetableInputError: a range is malformed or overlaps another, a day is unknown.
    """
    site_row(session, site_id)
    group = Sites(session).group(site_id, group_id)
    if group is None:
        raise UnknownGroupError(
            text(f"Classe inconnue : {group_id!r}.", f"Unknown class: {group_id!r}.")
        )
    group.timetable = timetable_to_json(parse_timetable(timetable))
    return _bumped(session, site_id, now)


def set_opening_hours(session: Session, site_id: str, hours: Any, *, now: datetime) -> SetupChange:
    """Replaces the site's opening hours by ``hours`` (a timetable's JSON form).

    Raises:
        TimetableInputError: a range is malformed or overlaps another, a day is unknown.
    """
    site = site_row(session, site_id)
    site.opening_hours = timetable_to_json(parse_timetable(hours))
    return _bumped(session, site_id, now)


def set_lane_face(
    session: Session, site_id: str, lane_id: str, offered: bool, *, now: datetime
) -> SetupChange:
    """Offers face comparison at lane ``lane_id`` (to those who opted in) or stops it.
    It only takes effect while the site itself offers face comparison.

    Raises:
        UnknownLaneError: the site has no such lane.
    """
    site_row(session, site_id)
    lane = Sites(session).lane(site_id, lane_id)
    if lane is None:
        raise UnknownLaneError(text(f"Voie inconnue : {lane_id!r}.", f"Unknown lane: {lane_id!r}."))
    lane.face_enabled = offered
    return _bumped(session, site_id, now)


def parse_timetable(data: Any) -> Timetable:
    """The timetable ``data`` describes, checked day by day with a message saying which
    day and range is wrong; raises TimetableInputError."""
    week = data.get("week", {}) if isinstance(data, dict) else None
    if not isinstance(week, dict):
        raise TimetableInputError(
            text(
                "Un emploi du temps est un objet avec une semaine (« week »).",
                "A timetable is an object with a week (“week”).",
            )
        )
    for name, day in week.items():
        _check_day(name, day)
    try:
        return timetable_from_json(data)
    except PolicyError as error:
        raise TimetableInputError(
            text(
                f"Emploi du temps invalide : {error.message}", f"Invalid timetable: {error.message}"
            )
        ) from None


def _check_day(name: Any, day: Any) -> None:
    if name not in WEEKDAY_NAMES:
        raise TimetableInputError(
            text(
                f"Jour inconnu : {name!r} (attendu : {', '.join(WEEKDAY_NAMES)}).",
                f"Unknown weekday: {name!r} (expected: {', '.join(WEEKDAY_NAMES)}).",
            )
        )
    if not isinstance(day, dict) or not isinstance(day.get("ranges", []), list):
        raise TimetableInputError(
            text(
                f"{name} : un jour a une liste de plages (« ranges »).",
                f"{name}: a day has a list of ranges (“ranges”).",
            )
        )
    ranges = sorted(_range(name, item) for item in day.get("ranges", []))
    for before, after in pairwise(ranges):
        if after.start < before.end:
            raise TimetableInputError(
                text(
                    f"{name} : les plages {before} et {after} se chevauchent.",
                    f"{name}: the ranges {before} and {after} overlap.",
                )
            )
    lunch = day.get("lunch")
    if lunch:
        _range(name, lunch)


def _range(day: str, item: Any) -> TimeRange:
    try:
        if not isinstance(item, str):
            raise ValueError(repr(item))
        return TimeRange.parse(item)
    except ValueError:
        raise TimetableInputError(
            text(
                f"{day} : plage horaire invalide {item!r} ; écrivez-la comme 08:00-12:00, "
                "la fin après le début.",
                f"{day}: invalid time range {item!r}; write it like 08:00-12:00, "
                "ending after it starts.",
            )
        ) from None


def _bumped(session: Session, site_id: str, now: datetime) -> SetupChange:
    sites = Sites(session)
    sites.bump_version(site_id)
    return SetupChange(sites.version(site_id) or 0, now)
