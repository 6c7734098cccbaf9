"""Repositories: the queries the services need, one class per aggregate, over one session.

Repositories add, find and list rows; they never commit (the caller's session does) and
hold no policy. Where a query takes ``person_ids``, None means every person of the site
and a collection restricts the result to those people (a lane deciding for one person
needs only that person's rows).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from portique.errors import PortiqueError
from portique.store.models import (
    BadgeBindingRow,
    Base,
    ConsentRow,
    CredentialRow,
    ExitPermissionRow,
    GroupRow,
    GuardianshipRow,
    LaneRow,
    LockdownRow,
    MembershipRow,
    PassageRow,
    PersonRow,
    SiteRow,
    ZoneRow,
)

REVOKED = "revoked"
ACTIVE = "active"


_Query = TypeVar("_Query", bound="Select[*tuple[Any, ...]]")


def _scoped(statement: _Query, column: Any, person_ids: Collection[str] | None) -> _Query:
    if person_ids is None:
        return statement
    return statement.where(column.in_(list(person_ids)))


class OfSite(Protocol):
    """A row that belongs to one site."""

    @property
    def site_id(self) -> str: ...


_Row = TypeVar("_Row", bound=OfSite)


def find_at_site(session: Session, model: type[_Row], key: object, site_id: str) -> _Row | None:
    """The row of ``model`` with primary key ``key``, if it belongs to the site: another
    site's row reads as none (ids are unique everywhere, sites see only their own), and so
    does a number no database column holds (a typed id of 40 digits)."""
    if isinstance(key, int) and not -(2**63) <= key < 2**63:
        return None
    row = session.get(model, key)
    return row if row is not None and row.site_id == site_id else None


def row_at_site(
    session: Session, model: type[_Row], key: object, site_id: str, missing: PortiqueError
) -> _Row:
    """The row of ``model`` with primary key ``key``, if it belongs to the site (see
    :func:`find_at_site`).

    Raises:
        PortiqueError: ``missing``, when there is no such row at the site.
    """
    row = find_at_site(session, model, key, site_id)
    if row is None:
        raise missing
    return row


class _Repository:
    """Queries over one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _add(self, row: Base) -> None:
        """Adds ``row`` and flushes, so that its generated key is known at once."""
        self.session.add(row)
        self.session.flush()


class Sites(_Repository):
    """Sites with their zones, lanes, groups, lockdowns and snapshot version."""

    def get(self, site_id: str) -> SiteRow | None:
        return self.session.get(SiteRow, site_id)

    def add(self, site: SiteRow, rows: Iterable[ZoneRow | LaneRow | GroupRow] = ()) -> None:
        """Adds a site and its zones, lanes and groups, in the order given (a lane after
        its zone: the models declare no relationships for the flush to order by)."""
        for row in (site, *rows):
            self._add(row)

    def zones(self, site_id: str) -> Sequence[ZoneRow]:
        query = select(ZoneRow).where(ZoneRow.site_id == site_id).order_by(ZoneRow.zone_id)
        return self.session.scalars(query).all()

    def lanes(self, site_id: str) -> Sequence[LaneRow]:
        query = select(LaneRow).where(LaneRow.site_id == site_id).order_by(LaneRow.lane_id)
        return self.session.scalars(query).all()

    def lane(self, site_id: str, lane_id: str) -> LaneRow | None:
        return self.session.get(LaneRow, (site_id, lane_id))

    def groups(self, site_id: str) -> Sequence[GroupRow]:
        query = select(GroupRow).where(GroupRow.site_id == site_id).order_by(GroupRow.group_id)
        return self.session.scalars(query).all()

    def group(self, site_id: str, group_id: str) -> GroupRow | None:
        return self.session.get(GroupRow, (site_id, group_id))

    def add_group(self, group: GroupRow) -> None:
        self._add(group)

    def bump_version(self, site_id: str) -> None:
        """One more change that lanes must see: done in the database, so two writers
        never hand out the same version."""
        self.session.execute(
            update(SiteRow)
            .where(SiteRow.site_id == site_id)
            .values(snapshot_version=SiteRow.snapshot_version + 1)
        )

    def version(self, site_id: str) -> int | None:
        """The site's snapshot version (None for an unknown site), without loading the row."""
        query = select(SiteRow.snapshot_version).where(SiteRow.site_id == site_id)
        version = self.session.scalars(query).first()
        return None if version is None else int(version)

    def lockdown(self, site_id: str) -> LockdownRow | None:
        """The lockdown in force (declared and not lifted), if any."""
        query = (
            select(LockdownRow)
            .where(LockdownRow.site_id == site_id, LockdownRow.lifted_at.is_(None))
            .order_by(LockdownRow.since.desc(), LockdownRow.lockdown_id.desc())
            .limit(1)
        )
        return self.session.scalars(query).first()

    def add_lockdown(self, lockdown: LockdownRow) -> None:
        self._add(lockdown)


class People(_Repository):
    """People with their groups, guardians, consents and exit permissions."""

    def get(self, site_id: str, person_id: str) -> PersonRow | None:
        return find_at_site(self.session, PersonRow, person_id, site_id)

    def exists(self, person_id: str) -> bool:
        """Whether the id is taken, at any site (person ids are unique everywhere)."""
        return self.session.get(PersonRow, person_id) is not None

    def taken(self, person_ids: Collection[str]) -> set[str]:
        """Which of ``person_ids`` are taken, at any site, in one query."""
        query = select(PersonRow.person_id).where(PersonRow.person_id.in_(list(person_ids)))
        return set(self.session.scalars(query))

    def add(self, person: PersonRow) -> None:
        self._add(person)

    def add_links(
        self,
        person_id: str,
        site_id: str,
        group_ids: Iterable[str] = (),
        guardian_ids: Iterable[str] = (),
    ) -> None:
        """Puts a person in groups and records their guardians."""
        self.session.add_all(
            MembershipRow(person_id=person_id, group_id=group_id, site_id=site_id)
            for group_id in group_ids
        )
        self.session.add_all(
            GuardianshipRow(person_id=person_id, guardian_id=guardian_id)
            for guardian_id in guardian_ids
        )
        self.session.flush()

    def of_site(
        self, site_id: str, person_ids: Collection[str] | None = None
    ) -> Sequence[PersonRow]:
        query = _scoped(
            select(PersonRow).where(PersonRow.site_id == site_id),
            PersonRow.person_id,
            person_ids,
        ).order_by(PersonRow.last_name, PersonRow.first_name, PersonRow.person_id)
        return self.session.scalars(query).all()

    def identities(self, site_id: str) -> set[tuple[str, str, date]]:
        """(last name, first name, birth date) of everyone at the site, case-folded."""
        query = select(PersonRow.last_name, PersonRow.first_name, PersonRow.birth_date).where(
            PersonRow.site_id == site_id
        )
        return {
            (last.casefold(), first.casefold(), born)
            for last, first, born in self.session.execute(query)
        }

    def group_ids(self, site_id: str, person_ids: Collection[str] | None) -> dict[str, set[str]]:
        query = _scoped(
            select(MembershipRow.person_id, MembershipRow.group_id).where(
                MembershipRow.site_id == site_id
            ),
            MembershipRow.person_id,
            person_ids,
        )
        return self._linked_ids(query)

    def guardian_ids(self, site_id: str, person_ids: Collection[str] | None) -> dict[str, set[str]]:
        query = _scoped(
            select(GuardianshipRow.person_id, GuardianshipRow.guardian_id)
            .join(PersonRow, PersonRow.person_id == GuardianshipRow.person_id)
            .where(PersonRow.site_id == site_id),
            GuardianshipRow.person_id,
            person_ids,
        )
        return self._linked_ids(query)

    def _linked_ids(self, query: Select[str, str]) -> dict[str, set[str]]:
        """The ids each person is linked to, from a query of (person id, linked id)."""
        found: dict[str, set[str]] = {}
        for person_id, linked_id in self.session.execute(query):
            found.setdefault(person_id, set()).add(linked_id)
        return found

    def consent(self, person_id: str) -> ConsentRow | None:
        """The person's latest consent, withdrawn or not."""
        query = (
            select(ConsentRow)
            .where(ConsentRow.person_id == person_id)
            .order_by(ConsentRow.consent_id.desc())
            .limit(1)
        )
        return self.session.scalars(query).first()

    def consents(self, site_id: str, person_ids: Collection[str] | None) -> list[ConsentRow]:
        """The latest consent of each person who ever gave one."""
        latest = _scoped(
            select(func.max(ConsentRow.consent_id))
            .join(PersonRow, PersonRow.person_id == ConsentRow.person_id)
            .where(PersonRow.site_id == site_id),
            ConsentRow.person_id,
            person_ids,
        ).group_by(ConsentRow.person_id)
        query = select(ConsentRow).where(ConsentRow.consent_id.in_(latest.scalar_subquery()))
        return list(self.session.scalars(query).all())

    def add_consent(self, consent: ConsentRow) -> None:
        self._add(consent)

    def exit_permission(self, person_id: str) -> ExitPermissionRow | None:
        return self.session.get(ExitPermissionRow, person_id)

    def exit_permissions(
        self, site_id: str, person_ids: Collection[str] | None
    ) -> list[ExitPermissionRow]:
        query = _scoped(
            select(ExitPermissionRow)
            .join(PersonRow, PersonRow.person_id == ExitPermissionRow.person_id)
            .where(PersonRow.site_id == site_id),
            ExitPermissionRow.person_id,
            person_ids,
        )
        return list(self.session.scalars(query).all())

    def put_exit_permission(self, permission: ExitPermissionRow) -> None:
        self.session.merge(permission)
        self.session.flush()


class Credentials(_Repository):
    """Issued credentials (metadata only) and badge bindings."""

    def get(self, site_id: str, credential_id: str) -> CredentialRow | None:
        return find_at_site(self.session, CredentialRow, credential_id, site_id)

    def add(self, credential: CredentialRow) -> None:
        self._add(credential)

    def of_person(self, person_id: str) -> Sequence[CredentialRow]:
        query = (
            select(CredentialRow)
            .where(CredentialRow.person_id == person_id)
            .order_by(CredentialRow.issued_at, CredentialRow.credential_id)
        )
        return self.session.scalars(query).all()

    def revoked(self, site_id: str, person_ids: Collection[str] | None) -> Sequence[CredentialRow]:
        query = _scoped(
            select(CredentialRow).where(
                CredentialRow.site_id == site_id, CredentialRow.status == REVOKED
            ),
            CredentialRow.person_id,
            person_ids,
        )
        return self.session.scalars(query).all()

    def binding(self, site_id: str, badge_uid: str) -> BadgeBindingRow | None:
        """The binding of a normalized badge UID."""
        return self.session.get(BadgeBindingRow, (site_id, badge_uid))

    def bindings(
        self, site_id: str, person_ids: Collection[str] | None
    ) -> list[tuple[BadgeBindingRow, CredentialRow]]:
        """Badge bindings with their credential (which holds validity and status)."""
        query = _scoped(
            select(BadgeBindingRow, CredentialRow)
            .join(CredentialRow, CredentialRow.credential_id == BadgeBindingRow.credential_id)
            .where(BadgeBindingRow.site_id == site_id),
            BadgeBindingRow.person_id,
            person_ids,
        )
        return [(binding, credential) for binding, credential in self.session.execute(query)]

    def add_binding(self, binding: BadgeBindingRow) -> None:
        self._add(binding)

    def standings(
        self, site_id: str, person_ids: Collection[str] | None
    ) -> list[tuple[str, str, datetime]]:
        """Each credential's holder, status and end of validity (for what a person holds)."""
        query = _scoped(
            select(CredentialRow.person_id, CredentialRow.status, CredentialRow.valid_until).where(
                CredentialRow.site_id == site_id
            ),
            CredentialRow.person_id,
            person_ids,
        )
        return [(person, status, until) for person, status, until in self.session.execute(query)]

    def counts(self, site_id: str) -> dict[str, int]:
        """Active credentials per person."""
        query = (
            select(CredentialRow.person_id, func.count())
            .where(CredentialRow.site_id == site_id, CredentialRow.status == ACTIVE)
            .group_by(CredentialRow.person_id)
        )
        return {person_id: int(count) for person_id, count in self.session.execute(query)}


class Passages(_Repository):
    """Decision events."""

    def add(self, passage: PassageRow) -> None:
        self._add(passage)

    def last_granted(
        self,
        site_id: str,
        person_ids: Collection[str] | None,
        *,
        since: datetime,
        until: datetime,
    ) -> dict[str, tuple[str, datetime]]:
        """The direction and time of each person's last granted passage in [since, until].

        The window is short (the anti-passback window), so every passage in it is read
        and the latest kept per person."""
        query = _scoped(
            select(PassageRow.person_id, PassageRow.direction, PassageRow.time)
            .where(
                PassageRow.site_id == site_id,
                PassageRow.time >= since,
                PassageRow.time <= until,
                PassageRow.outcome == "grant",
                PassageRow.person_id.is_not(None),
                PassageRow.direction.is_not(None),
            )
            .order_by(PassageRow.time.desc(), PassageRow.passage_id),
            PassageRow.person_id,
            person_ids,
        )
        found: dict[str, tuple[str, datetime]] = {}
        for person_id, direction, when in self.session.execute(query):
            if person_id is not None and direction is not None:
                found.setdefault(person_id, (direction, when))
        return found

    def recent(self, site_id: str, limit: int = 50) -> Sequence[PassageRow]:
        query = (
            select(PassageRow)
            .where(PassageRow.site_id == site_id)
            .order_by(PassageRow.time.desc(), PassageRow.passage_id)
            .limit(limit)
        )
        return self.session.scalars(query).all()
