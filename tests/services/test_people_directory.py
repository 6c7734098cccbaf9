"""Finding people: a name typed any way, filters, sorting and pages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portique.access import Role
from portique.services import (
    MAX_PAGE_SIZE,
    CredentialStatus,
    NewPerson,
    PeopleQuery,
    PeopleSort,
    add_person,
    revoke_credential,
    search_people,
)
from school_support import School


def _add(school: School, last: str, first: str, role: Role = Role.STAFF, **extra: object) -> str:
    born = extra.pop("born", date(1980, 1, 1))
    assert isinstance(born, date)
    groups = extra.pop("groups", ())
    assert isinstance(groups, tuple)
    with school.site.session() as session:
        return add_person(
            session, school.site_id, NewPerson(last, first, born, role, groups), now=school.now
        )


def _names(school: School, query: PeopleQuery) -> list[str]:
    with school.site.session() as session:
        found = search_people(session, school.site_id, query, now=school.now)
    return [f"{p.first_name} {p.last_name}" for p in found.people]


def test_a_name_typed_without_accents_or_case_finds_the_person(school: School) -> None:
    _add(school, "Lefèvre", "Héloïse")
    _add(school, "Martin", "Léa")
    _add(school, "Dupont", "Jean-Pierre")
    assert _names(school, PeopleQuery(text="heloise")) == ["Héloïse Lefèvre"]
    assert _names(school, PeopleQuery(text="LEFEVRE")) == ["Héloïse Lefèvre"]
    assert _names(school, PeopleQuery(text="martin lea")) == ["Léa Martin"]
    assert _names(school, PeopleQuery(text="jean pierre")) == ["Jean-Pierre Dupont"]
    assert _names(school, PeopleQuery(text="  mart  ")) == ["Léa Martin"]
    assert _names(school, PeopleQuery(text="martin zoe")) == []


def test_a_look_alike_letter_finds_the_name_as_the_refusal_list_does(school: School) -> None:
    _add(school, "Dupont", "Marc")
    assert _names(school, PeopleQuery(text="Dup\u043ent")) == ["Marc Dupont"]


def test_filters_by_role_class_consent_and_credential_status_combine(school: School) -> None:
    consenting = school.student()
    school.consent(consenting, by=_guardian(school, consenting))
    other = school.student()
    staff = _add(school, "Bernard", "Paul")
    expired = _add(school, "Roux", "Anne")
    school.issue(consenting)
    school.issue(staff)
    school.issue(expired, valid_from=school.today - timedelta(days=400),
                 valid_until=school.today - timedelta(days=40))  # fmt: skip
    revoked = school.issue(other)
    with school.site.session() as session:
        revoke_credential(session, school.site_id, revoked.credential_id, reason="perte",
                          now=school.now)  # fmt: skip

    def ids(**filters: object) -> set[str]:
        with school.site.session() as session:
            found = search_people(
                session,
                school.site_id,
                PeopleQuery(**filters, limit=MAX_PAGE_SIZE),
                now=school.now,  # type: ignore[arg-type]
            )
        return {p.person_id for p in found.people}

    assert ids(role=Role.STUDENT) == {consenting, other}
    assert ids(group_id="2nde-a", consent=True) == {consenting}
    assert ids(group_id="2nde-a", consent=False) == {other}
    assert ids(credential_status=CredentialStatus.ACTIVE) == {consenting, staff}
    assert ids(credential_status=CredentialStatus.EXPIRED) == {expired}
    assert ids(credential_status=CredentialStatus.REVOKED) == {other}
    assert consenting not in ids(credential_status=CredentialStatus.NONE)


def _guardian(school: School, student: str) -> str:
    with school.site.session() as session:
        found = search_people(session, school.site_id, PeopleQuery(text=""), now=school.now)
    return next(p for p in found.people if p.person_id == student).guardian_ids[0]


def test_pages_follow_the_order_and_say_how_many_there_are(school: School) -> None:
    for index, first in enumerate(("Zoé", "Émile", "Anaïs", "Bruno", "Chloé")):
        _add(school, "Martin", first, born=date(1980 + index, 1, 1))
    query = PeopleQuery(sort=PeopleSort.FIRST_NAME, limit=2)
    with school.site.session() as session:
        first = search_people(session, school.site_id, query, now=school.now)
        last = search_people(
            session, school.site_id, PeopleQuery(sort=PeopleSort.FIRST_NAME, limit=2, offset=4),
            now=school.now,
        )  # fmt: skip
    assert [p.first_name for p in first.people] == ["Anaïs", "Bruno"]
    assert (first.total, first.next_offset, first.previous_offset) == (5, 2, None)
    assert [p.first_name for p in last.people] == ["Zoé"]
    assert (last.next_offset, last.previous_offset) == (None, 2)
    # Accents sort with their letter: Émile between Chloé and Zoé, in both directions.
    descending = _names(school, PeopleQuery(sort=PeopleSort.BIRTH_DATE, descending=True))
    assert descending[0] == "Chloé Martin"
    assert _names(school, PeopleQuery(sort=PeopleSort.FIRST_NAME))[3] == "Émile Martin"


@pytest.mark.parametrize("limit", [0, MAX_PAGE_SIZE + 1])
def test_a_page_larger_than_the_maximum_is_refused(limit: int) -> None:
    with pytest.raises(ValueError):
        PeopleQuery(limit=limit)
