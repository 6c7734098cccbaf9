"""Finding 4: a guardian is an adult parent or staff member, and only a recorded guardian
gives a minor's consent."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from portique.access import ConsentGiver, Role
from portique.services import (
    ConsentError,
    NewPerson,
    PersonInputError,
    add_person,
    grant_consent,
    set_exit_permission,
)
from portique.store import People
from school_support import School

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
"""The tests' own time: ages are counted on this day."""


def _add(school: School, role: Role, born: date, guardians: tuple[str, ...] = ()) -> str:
    with school.site.session() as session:
        return add_person(
            session,
            school.site_id,
            NewPerson("Durand", "Alex", born, role, (), guardians),
            now=NOW,
        )


def _minor(school: School, guardians: tuple[str, ...] = ()) -> str:
    return _add(school, Role.STUDENT, date(2011, 5, 1), guardians)


def _parent(school: School) -> str:
    return _add(school, Role.PARENT, date(1980, 5, 1))


def test_a_minor_cannot_be_recorded_as_the_guardian_of_another_minor(school: School) -> None:
    pupil = _minor(school, (_parent(school),))
    with pytest.raises(PersonInputError, match=r"majeur|adult"):
        _minor(school, (pupil,))


@pytest.mark.parametrize("role", [Role.STUDENT, Role.CONTRACTOR, Role.VISITOR])
def test_a_guardian_must_be_a_parent_or_staff(school: School, role: Role) -> None:
    adult = _add(school, role, date(1990, 1, 1))
    with pytest.raises(PersonInputError, match="parent"):
        _minor(school, (adult,))


@pytest.mark.parametrize("role", [Role.PARENT, Role.STAFF])
def test_an_adult_parent_or_staff_member_can_be_a_guardian(school: School, role: Role) -> None:
    guardian = _add(school, role, date(1979, 2, 3))
    pupil = _minor(school, (guardian,))
    with school.site.session() as session:
        consent = grant_consent(
            session, school.site_id, pupil, by=guardian, now=NOW, giver=ConsentGiver.PARENT
        )
    assert consent.created and consent.given_by == guardian


def test_a_minor_already_recorded_as_guardian_cannot_give_consent(school: School) -> None:
    # A guardianship written before the rule existed (or straight into the store).
    pupil = _minor(school, (_parent(school),))
    other = _minor(school, (_parent(school),))
    with school.site.session() as session:
        People(session).add_links(other, school.site_id, (), (pupil,))
    with school.site.session() as session, pytest.raises(ConsentError, match=r"majeur|adult"):
        grant_consent(session, school.site_id, other, by=pupil, now=NOW, giver=ConsentGiver.PARENT)


def test_consent_for_a_minor_is_given_only_by_one_of_their_guardians(school: School) -> None:
    pupil = _minor(school, (_parent(school),))
    stranger = _parent(school)
    with school.site.session() as session, pytest.raises(ConsentError):
        grant_consent(
            session, school.site_id, pupil, by=stranger, now=NOW, giver=ConsentGiver.PARENT
        )


def test_a_minor_recorded_as_guardian_cannot_set_an_exit_permission(school: School) -> None:
    pupil = _minor(school, (_parent(school),))
    other = _minor(school, (_parent(school),))
    with school.site.session() as session:
        People(session).add_links(other, school.site_id, (), (pupil,))
    with school.site.session() as session, pytest.raises(PersonInputError, match=r"majeur|adult"):
        set_exit_permission(session, school.site_id, other, "free", granted_by=pupil, on=NOW.date())
