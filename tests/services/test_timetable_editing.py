"""Changing class timetables, opening hours and face comparison per lane: each change is
checked whole, bumps the snapshot version and reaches the next decision; a bad one
changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from portique.access import Outcome, Reason
from portique.services import (
    TimetableInputError,
    UnknownGroupError,
    UnknownLaneError,
    set_group_timetable,
    set_lane_face,
    set_opening_hours,
)
from portique.store import GroupRow, LaneRow, SiteRow, Sites
from school_support import School

GROUP = "2nde-a"
AFTERNOONS_ONLY = {"week": {"tuesday": {"ranges": ["13:30-17:00"]}}, "exceptions": []}


def _version(school: School) -> int:
    with school.site.session() as session:
        version = Sites(session).version(school.site_id)
    assert version is not None
    return version


def _stored(school: School) -> tuple[dict[str, Any] | None, dict[str, Any], bool]:
    """The class's timetable (None before it has a student), the opening hours and
    whether the exit offers face comparison."""
    with school.site.session() as session:
        group = session.get(GroupRow, (school.site_id, GROUP))
        site = session.get(SiteRow, school.site_id)
        lane = session.get(LaneRow, (school.site_id, "sortie"))
        assert site is not None and lane is not None
        return None if group is None else group.timetable, site.opening_hours, lane.face_enabled


def test_a_new_class_timetable_reaches_the_next_decision(school: School) -> None:
    card = school.issue(school.student())
    assert school.pass_("entree", card, at=school.at(10)).decision.granted
    before = _version(school)
    with school.site.session() as session:
        change = set_group_timetable(
            session, school.site_id, GROUP, AFTERNOONS_ONLY, now=school.now
        )
    assert change.snapshot_version == before + 1 == _version(school)
    # A week later, so that the first entry is no passback.
    next_week, week_after = school.day + timedelta(days=7), school.day + timedelta(days=14)
    report = school.pass_("entree", card, at=school.at(10, day=next_week))
    assert report.decision.outcome is Outcome.REFER
    assert report.decision.reasons == (Reason.OUTSIDE_TIMETABLE,)
    assert school.pass_("entree", card, at=school.at(14, day=week_after)).decision.granted


def test_new_opening_hours_reach_the_next_decision(school: School) -> None:
    card = school.issue(school.staff())
    hours = {"week": {"tuesday": {"ranges": ["12:00-19:00"]}}}
    with school.site.session() as session:
        set_opening_hours(session, school.site_id, hours, now=school.now)
    report = school.pass_("entree", card, at=school.at(10))
    assert Reason.SITE_CLOSED in report.decision.reasons
    assert _stored(school)[1] == {
        "week": {"tuesday": {"ranges": ["12:00-19:00"]}},
        "exceptions": [],
    }


def test_face_comparison_is_offered_or_stopped_per_lane(school: School) -> None:
    before = _version(school)
    with school.site.session() as session:
        set_lane_face(session, school.site_id, "sortie", True, now=school.now)
    assert _stored(school)[2] is True
    assert _version(school) == before + 1
    with school.site.session() as session:
        set_lane_face(session, school.site_id, "sortie", False, now=school.now)
    assert _stored(school)[2] is False


@pytest.mark.parametrize(
    ("week", "says"),
    [
        ({"tuesday": {"ranges": ["12:00-08:00"]}}, "12:00-08:00"),
        ({"tuesday": {"ranges": ["8h-12h"]}}, "8h-12h"),
        ({"tuesday": {"ranges": ["08:00-12:00", "11:00-14:00"]}}, "chevauchent"),
        ({"mardi": {"ranges": ["08:00-12:00"]}}, "mardi"),
        ({"tuesday": {"ranges": ["08:00-12:00"], "lunch": "13:00-12:00"}}, "13:00-12:00"),
        ({"tuesday": "08:00-12:00"}, "ranges"),
    ],
)
def test_a_bad_timetable_is_refused_and_changes_nothing(
    school: School, week: dict[str, Any], says: str
) -> None:
    school.student()
    before, version = _stored(school), _version(school)
    for change in (
        lambda session: set_group_timetable(
            session, school.site_id, GROUP, {"week": week}, now=school.now
        ),
        lambda session: set_opening_hours(session, school.site_id, {"week": week}, now=school.now),
    ):
        with pytest.raises(TimetableInputError, match=says), school.site.session() as session:
            change(session)
    assert _stored(school) == before
    assert _version(school) == version


def test_an_unknown_class_or_lane_is_refused(school: School) -> None:
    version = _version(school)
    with pytest.raises(UnknownGroupError), school.site.session() as session:
        set_group_timetable(session, school.site_id, "3e-z", AFTERNOONS_ONLY, now=school.now)
    with pytest.raises(UnknownLaneError), school.site.session() as session:
        set_lane_face(session, school.site_id, "garage", True, now=school.now)
    assert _version(school) == version
