"""What the site holds that a register import compares against, read in a few queries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from portique.registers.identifiers import RegisterIdKind
from portique.store import Credentials, GroupRow, People, PersonRow, RegisterIdRow, record_from


@dataclass(frozen=True)
class KnownPerson:
    """A person of the site as an import sees them."""

    person_id: str
    role: str
    last_name: str
    first_name: str
    birth_date: date
    active: bool
    left_on: date | None
    groups: frozenset[str]
    guardians: frozenset[str]
    credentials: int

    @property
    def identity(self) -> tuple[str, str, date]:
        return identity_of(self.last_name, self.first_name, self.birth_date)


def identity_of(last_name: str, first_name: str, born: date) -> tuple[str, str, date]:
    """How two records of one person are recognised without a register number."""
    return (" ".join(last_name.split()).casefold(), " ".join(first_name.split()).casefold(), born)


@dataclass(frozen=True)
class RegisterState:
    """The site's people, their register hashes and its groups."""

    people: Mapping[str, KnownPerson]
    person_of: Mapping[tuple[str, str], str]
    """(kind, hash) → person id."""
    hashes_of: Mapping[str, Mapping[str, str]]
    """person id → kind → hash."""
    groups: Mapping[str, str]
    """group id → name."""

    def linked(self, person_id: str, *kinds: RegisterIdKind) -> bool:
        """Whether the person carries a register number of one of these kinds."""
        have = self.hashes_of.get(person_id, {})
        return any(kind.value in have for kind in kinds)


def load_state(session: Session, site_id: str) -> RegisterState:
    """The register state of the site, in five queries whatever its size."""
    people = People(session)
    groups_of = people.group_ids(site_id, None)
    guardians_of = people.guardian_ids(site_id, None)
    counts = Credentials(session).counts(site_id)
    rows = session.scalars(select(PersonRow).where(PersonRow.site_id == site_id))
    known = {
        row.person_id: record_from(
            KnownPerson,
            row,
            groups=frozenset(groups_of.get(row.person_id, ())),
            guardians=frozenset(guardians_of.get(row.person_id, ())),
            credentials=counts.get(row.person_id, 0),
        )
        for row in rows
    }
    person_of: dict[tuple[str, str], str] = {}
    hashes_of: dict[str, dict[str, str]] = {}
    for row in session.scalars(select(RegisterIdRow).where(RegisterIdRow.site_id == site_id)):
        person_of[(row.kind, row.key_hash)] = row.person_id
        hashes_of.setdefault(row.person_id, {}).setdefault(row.kind, row.key_hash)
    groups = {
        row.group_id: row.name
        for row in session.scalars(select(GroupRow).where(GroupRow.site_id == site_id))
    }
    return RegisterState(known, person_of, hashes_of, groups)
