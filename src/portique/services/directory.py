"""Finding people at a site of a thousand or more: a name typed any way, filters, sorting
and pages, the same for the console's People page and ``GET /api/v1/people``.

A name is matched as the refusal list compares names (:func:`portique.access.names.likeness_key`):
without case, accents, punctuation or look-alike characters, each word typed found in the
last or the first name, so "lea martin", "MARTIN Léa" and "Léa Mart" all find Léa Martin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from portique.access import Role
from portique.access.names import likeness_key
from portique.services.people import CredentialStatus, PersonRecord, list_people
from portique.services.roster import fold

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
"""The most people one page (or one API answer) holds."""
MAX_TEXT = 200


class PeopleSort(StrEnum):
    """What a list of people is ordered by (then by name, then by id)."""

    NAME = "name"
    FIRST_NAME = "first_name"
    BIRTH_DATE = "birth_date"
    ROLE = "role"
    CLASS = "class"
    CREDENTIALS = "credentials"


@dataclass(frozen=True)
class PeopleQuery:
    """Who to list: every filter left at None (or ``text`` empty) keeps everyone."""

    text: str = ""
    role: Role | None = None
    group_id: str | None = None
    consent: bool | None = None
    credential_status: CredentialStatus | None = None
    sort: PeopleSort = PeopleSort.NAME
    descending: bool = False
    limit: int = DEFAULT_PAGE_SIZE
    offset: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must lie between 1 and {MAX_PAGE_SIZE}")
        if self.offset < 0:
            raise ValueError("offset must not be negative")

    @property
    def filtered(self) -> bool:
        """Whether anything narrows the list."""
        return bool(self.words) or any(
            value is not None
            for value in (self.role, self.group_id, self.consent, self.credential_status)
        )

    @property
    def words(self) -> tuple[str, ...]:
        """The typed words as names are compared (empty words dropped)."""
        return tuple(key for key in map(_key, self.text[:MAX_TEXT].split()) if key)


@dataclass(frozen=True)
class PeoplePage:
    """One page of the people a query found: ``total`` of them in all."""

    people: tuple[PersonRecord, ...]
    total: int
    limit: int
    offset: int

    @property
    def next_offset(self) -> int | None:
        after = self.offset + self.limit
        return after if after < self.total else None

    @property
    def previous_offset(self) -> int | None:
        return max(0, self.offset - self.limit) if self.offset > 0 else None


@lru_cache(maxsize=16384)
def _key(value: str) -> str:
    """A name's likeness key, kept: the same names come back at every search."""
    return likeness_key(value)


def name_matches(record: PersonRecord, words: tuple[str, ...]) -> bool:
    """Whether each of ``words`` (likeness keys) is found in the last or first name."""
    last, first = _key(record.last_name), _key(record.first_name)
    return all(word in last or word in first for word in words)


def _keeps(query: PeopleQuery) -> Callable[[PersonRecord], bool]:
    words = query.words

    def keeps(record: PersonRecord) -> bool:
        return (
            (query.role is None or record.role is query.role)
            and (query.group_id is None or query.group_id in record.group_ids)
            and (query.consent is None or record.consent_in_force is query.consent)
            and (
                query.credential_status is None
                or record.credential_status is query.credential_status
            )
            and (not words or name_matches(record, words))
        )

    return keeps


def _name(record: PersonRecord) -> tuple[str, str]:
    return fold(record.last_name), fold(record.first_name)


_SORT_KEYS: dict[PeopleSort, Callable[[PersonRecord], Any]] = {
    PeopleSort.NAME: lambda r: (),
    PeopleSort.FIRST_NAME: lambda r: fold(r.first_name),
    PeopleSort.BIRTH_DATE: lambda r: r.birth_date,
    PeopleSort.ROLE: lambda r: r.role.value,
    PeopleSort.CLASS: lambda r: tuple(fold(group) for group in r.group_ids),
    PeopleSort.CREDENTIALS: lambda r: r.credentials,
}


def select_people(
    session: Session, site_id: str, query: PeopleQuery, *, now: datetime
) -> list[PersonRecord]:
    """Everyone the query's filters keep, in its order (all of them, not one page)."""
    key, keeps = _SORT_KEYS[query.sort], _keeps(query)
    found = [record for record in list_people(session, site_id, now=now) if keeps(record)]
    found.sort(key=lambda r: (key(r), _name(r), r.person_id), reverse=query.descending)
    return found


def search_people(
    session: Session, site_id: str, query: PeopleQuery, *, now: datetime
) -> PeoplePage:
    """The page of people the query asks for, and how many it finds in all."""
    found = select_people(session, site_id, query, now=now)
    chosen = found[query.offset : query.offset + query.limit]
    return PeoplePage(tuple(chosen), len(found), query.limit, query.offset)
