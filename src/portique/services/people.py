"""People: adding them one by one or from a school export, listing them, exit permissions."""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from portique.access import Role
from portique.access.codec import exit_rule
from portique.access.domain import ADULT_AGE, age_on
from portique.i18n import text
from portique.services.errors import PersonInputError
from portique.services.roster import (
    RejectedRow,
    Roster,
    RosterRow,
    check_birth_date,
    check_name,
    read_roster,
    slug,
)
from portique.services.rows import (
    consent_from_row,
    get_person_row,
    local_date,
    new_person_row,
    person_from_row,
    site_row,
)
from portique.store import (
    ACTIVE,
    REVOKED,
    Credentials,
    ExitPermissionRow,
    GroupRow,
    People,
    PersonRow,
    SiteRow,
    Sites,
)

PERSON_ID_PREFIX = "p-"
_PERSON_ID_CHARS = 10  # 50 random bits; the id is checked free before use


def random_person_id() -> str:
    """A pseudonymous person id (``p-`` and 10 base32 characters), never a name; not yet
    checked free."""
    raw = base64.b32encode(secrets.token_bytes(7)).decode("ascii").lower()
    return PERSON_ID_PREFIX + raw[:_PERSON_ID_CHARS]


def new_person_id(people: People) -> str:
    """A fresh pseudonymous person id (``p-`` and 10 base32 characters), never a name."""
    while True:
        person_id = random_person_id()
        if not people.exists(person_id):
            return person_id


@dataclass(frozen=True)
class NewPerson:
    """What is needed to add someone. ``groups`` are class names or ids (made if new)."""

    last_name: str
    first_name: str
    birth_date: date
    role: Role = Role.STUDENT
    groups: tuple[str, ...] = ()
    guardian_ids: tuple[str, ...] = ()


class CredentialStatus(StrEnum):
    """What a person holds, the best of their credentials: one valid now (``active``),
    else one past its end (``expired``), else one revoked, else nothing (``none``)."""

    NONE = "none"
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


def credential_statuses(
    credentials: Iterable[tuple[str, str, datetime]], now: datetime
) -> dict[str, CredentialStatus]:
    """Each holder's :class:`CredentialStatus` from their credentials' ``(person_id,
    status, valid_until)``; people without any are left out (``none``)."""
    rank = {CredentialStatus.REVOKED: 1, CredentialStatus.EXPIRED: 2, CredentialStatus.ACTIVE: 3}
    best: dict[str, CredentialStatus] = {}
    for person_id, status, valid_until in credentials:
        if status == REVOKED:
            found = CredentialStatus.REVOKED
        elif status == ACTIVE and valid_until > now:
            found = CredentialStatus.ACTIVE
        else:
            found = CredentialStatus.EXPIRED
        current = best.get(person_id)
        if current is None or rank[found] > rank[current]:
            best[person_id] = found
    return best


@dataclass(frozen=True)
class PersonRecord:
    """A person as listed: identity, role, groups, guardians, consent and credentials."""

    person_id: str
    last_name: str
    first_name: str
    birth_date: date
    role: Role
    group_ids: tuple[str, ...]
    guardian_ids: tuple[str, ...]
    active: bool
    minor: bool
    consent_in_force: bool
    credentials: int
    credential_status: CredentialStatus = CredentialStatus.NONE

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class ImportReport:
    """What ``import_people`` did: people added, lines refused, groups created."""

    imported: tuple[str, ...]
    rejected: tuple[RejectedRow, ...]
    groups_created: tuple[str, ...]
    encoding: str
    delimiter: str
    lines: int


def _group_id(session: Session, site: SiteRow, name: str, created: list[str]) -> str:
    """The id of the group called ``name`` (or with that id), made when it is new."""
    sites = Sites(session)
    name = check_name(name, text("Classe", "Class"))
    group_id = slug(name) or "groupe"
    if sites.group(site.site_id, group_id) is None:
        sites.add_group(
            GroupRow(
                site_id=site.site_id,
                group_id=group_id,
                name=name.strip(),
                timetable=site.default_timetable,
            )
        )
        created.append(group_id)
    return group_id


def _insert(people: People, site_id: str, new: NewPerson, now: datetime) -> str:
    """Stores a checked person under a fresh id (groups and guardians are linked apart)."""
    person_id = new_person_id(people)
    people.add(new_person_row(person_id, site_id, new, now))
    return person_id


def add_person(session: Session, site_id: str, new: NewPerson, *, now: datetime) -> str:
    """Adds a person and returns their new pseudonymous id.

    Raises:
        PersonInputError: a name is empty, the birth date is impossible, a guardian is
            unknown here or is the person themselves.
    """
    site = site_row(session, site_id)
    people = People(session)
    last_name = check_name(new.last_name, text("Nom", "Last name"))
    first_name = check_name(new.first_name, text("Prénom", "First name"))
    birth_date = check_birth_date(new.birth_date, local_date(site, now))
    guardians = tuple(dict.fromkeys(new.guardian_ids))
    for guardian_id in guardians:
        guardian = people.get(site_id, guardian_id)
        if guardian is None:
            raise PersonInputError(
                text(
                    f"Représentant légal inconnu dans l'établissement : {guardian_id}.",
                    f"Unknown guardian at this site: {guardian_id}.",
                )
            )
        problem = guardian_problem(guardian, local_date(site, now))
        if problem is not None:
            raise PersonInputError(problem)
    created: list[str] = []
    group_ids = tuple(dict.fromkeys(_group_id(session, site, name, created) for name in new.groups))
    person_id = _insert(
        people, site_id, NewPerson(last_name, first_name, birth_date, new.role), now
    )
    people.add_links(person_id, site_id, group_ids, guardians)
    Sites(session).bump_version(site_id)
    return person_id


GUARDIAN_ROLES = frozenset({Role.PARENT, Role.STAFF})
"""Who may hold parental authority here: a parent, or staff (a boarding school's tutor)."""


def guardian_problem(guardian: PersonRow, today: date) -> str | None:
    """Why ``guardian`` cannot act as a minor's guardian on ``today``, or None when they can.

    A guardian is an active adult with the role parent or staff: a pupil recorded as the
    guardian of another one would otherwise give a parent's consent (issue 16).
    """
    if age_on(guardian.birth_date, today) < ADULT_AGE:
        return text(
            f"{guardian.person_id} est mineur : un représentant légal doit être majeur.",
            f"{guardian.person_id} is a minor: a guardian must be an adult.",
        )
    if guardian.role not in GUARDIAN_ROLES:
        return text(
            f"{guardian.person_id} a le rôle {guardian.role} : un représentant légal est un "
            "parent ou un membre du personnel.",
            f"{guardian.person_id} has the role {guardian.role}: a guardian is a parent or a "
            "staff member.",
        )
    if not guardian.active:
        return text(
            f"{guardian.person_id} n'est plus actif : il ne peut plus agir comme représentant "
            "légal.",
            f"{guardian.person_id} is no longer active and cannot act as a guardian.",
        )
    return None


def import_people(session: Session, site_id: str, data: bytes, *, now: datetime) -> ImportReport:
    """Adds the people of a school export (see ``portique.services.roster``).

    A line naming someone already at the site (same last name, first name and birth
    date, in any case) is refused as a duplicate, so importing the same file twice adds
    nobody twice. Everything happens in the caller's transaction: on a fatal error
    nothing is imported. For a large file beside a running gate, use
    :func:`import_people_in_steps`.

    Raises:
        RosterFormatError: the file cannot be read (nothing is imported).
    """
    site = site_row(session, site_id)
    roster = read_roster(data, today=local_date(site, now))
    people = People(session)
    batch = _ImportBatch(roster, people.identities(site_id))
    batch.add(session, site, people, roster.rows, now)
    if batch.imported:
        Sites(session).bump_version(site_id)
    return batch.report()


IMPORT_STEP_SECONDS = 0.03
"""How long an import aims to hold the database for writing in one transaction, its
commit included: a lane's passage waits about this long behind it at most."""
IMPORT_PAUSE_SECONDS = 0.03
"""The pause between two steps, in which the writers waiting in this process (the lanes'
passages, queued on the database's lock) go first; as long as a step, so that the import
takes at most half of the process's time (Python runs one thread at a time: an import
that never paused would slow every passage's many small waits on the database)."""
IMPORT_PAUSE_BESIDE_A_SERVER_SECONDS = 0.1
"""The pause when the import runs in a process of its own (the CLI) beside a server on
SQLite: the server's writers only poll for the lock, at most every 100 ms."""
_FIRST_STEP_ROWS = 5
_MAX_STEP_ROWS = 2_000


def import_people_in_steps(
    transaction: Callable[[], AbstractContextManager[Session]],
    site_id: str,
    data: bytes,
    *,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
    pause: float = IMPORT_PAUSE_SECONDS,
) -> ImportReport:
    """As :func:`import_people`, in short transactions of their own (``transaction()``
    opens one, e.g. ``SiteHandle.session``) with ``pause`` seconds between them, so that
    a large file never holds the lanes' writes: each step adds as many lines as the last
    ones show fit in :data:`IMPORT_STEP_SECONDS`. ``progress(lines_done, lines)`` is
    called after each. The file is read whole first, so a file that cannot be read imports
    nobody; the lanes see the new people once the last step is done (one snapshot
    version).

    Raises:
        RosterFormatError: the file cannot be read (nothing is imported).
    """
    with transaction() as session:
        today = local_date(site_row(session, site_id), now)
        known = People(session).identities(site_id)
    roster = read_roster(data, today=today)
    batch = _ImportBatch(roster, known)
    rows, done, size = roster.rows, 0, _FIRST_STEP_ROWS
    while done < len(rows):
        step = rows[done : done + size]
        with transaction() as session:
            # Timed from inside: waiting for the lanes to finish is not the step's cost.
            started = time.monotonic()
            batch.add(session, site_row(session, site_id), People(session), step, now)
        done += len(step)
        took = max(time.monotonic() - started, 0.001)
        size = max(1, min(_MAX_STEP_ROWS, int(len(step) * IMPORT_STEP_SECONDS / took)))
        if progress is not None:
            progress(done, len(rows))
        if done < len(rows):
            time.sleep(pause)
    if batch.imported:
        with transaction() as session:
            Sites(session).bump_version(site_id)
    return batch.report()


class _ImportBatch:
    """The lines of one import as they are added: duplicates refused, classes made."""

    def __init__(self, roster: Roster, known: set[tuple[str, str, date]]) -> None:
        self.roster = roster
        self.known = known
        self.seen: dict[tuple[str, str, date], int] = {}
        self.rejected = list(roster.rejected)
        self.imported: list[str] = []
        self.imported_ids: set[str] = set()
        self.created: list[str] = []

    def add(
        self,
        session: Session,
        site: SiteRow,
        people: People,
        rows: Iterable[RosterRow],
        now: datetime,
    ) -> None:
        """Adds ``rows`` in the session: the people in one flush, then their classes (a
        flush per person would double an import's time)."""
        links: list[tuple[str, list[str]]] = []
        wanted = [row for row in rows if not self._refused(row)]
        fresh = iter(self._new_ids(people, len(wanted)))
        with session.no_autoflush:
            for row in wanted:
                group_ids = [_group_id(session, site, row.group, self.created)] if row.group else []
                person_id = next(fresh)
                session.add(new_person_row(person_id, site.site_id, row, now))
                links.append((person_id, group_ids))
        session.flush()
        for person_id, group_ids in links:
            people.add_links(person_id, site.site_id, group_ids)
        self.imported.extend(person_id for person_id, _ in links)

    def _refused(self, row: RosterRow) -> bool:
        identity = (row.last_name.casefold(), row.first_name.casefold(), row.birth_date)
        if identity in self.known:
            reason = text("déjà présent dans l'établissement", "already at the site")
        elif identity in self.seen:
            first = self.seen[identity]
            reason = text(f"doublon de la ligne {first}", f"duplicate of line {first}")
        else:
            self.seen[identity] = row.line
            return False
        self.rejected.append(RejectedRow(row.line, reason))
        return True

    def _new_ids(self, people: People, count: int) -> list[str]:
        """``count`` fresh person ids, checked free in one query (not one per person)."""
        chosen: list[str] = []
        while len(chosen) < count:
            drawn = {random_person_id() for _ in range(count - len(chosen))} - self.imported_ids
            free = drawn - people.taken(drawn)
            chosen.extend(free)
            self.imported_ids.update(free)
        return chosen

    def report(self) -> ImportReport:
        roster = self.roster
        return ImportReport(
            imported=tuple(self.imported),
            rejected=tuple(sorted(self.rejected, key=lambda r: r.line)),
            groups_created=tuple(self.created),
            encoding=roster.encoding,
            delimiter=roster.delimiter,
            lines=len(roster.rows) + len(roster.rejected),
        )


def list_people(
    session: Session, site_id: str, *, now: datetime, person_ids: Iterable[str] | None = None
) -> list[PersonRecord]:
    """Everyone at the site (or those named), by name, with consent and credentials."""
    site = site_row(session, site_id)
    people = People(session)
    scope = None if person_ids is None else list(person_ids)
    rows = people.of_site(site_id, scope)
    groups_of = people.group_ids(site_id, scope)
    guardians_of = people.guardian_ids(site_id, scope)
    consents = {row.person_id: row for row in people.consents(site_id, scope)}
    counts = Credentials(session).counts(site_id)
    statuses = credential_statuses(Credentials(session).standings(site_id, scope), now)
    today = local_date(site, now)
    records = []
    for row in rows:
        groups = groups_of.get(row.person_id, set())
        guardians = guardians_of.get(row.person_id, set())
        person = person_from_row(row, groups, guardians)
        consent = consents.get(row.person_id)
        records.append(
            PersonRecord(
                person_id=row.person_id,
                last_name=row.last_name,
                first_name=row.first_name,
                birth_date=row.birth_date,
                role=person.role,
                group_ids=tuple(sorted(groups)),
                guardian_ids=tuple(sorted(guardians)),
                active=row.active,
                minor=person.is_minor_on(today),
                consent_in_force=consent is not None
                and consent_from_row(consent).is_effective(person, now, today),
                credentials=counts.get(row.person_id, 0),
                credential_status=statuses.get(row.person_id, CredentialStatus.NONE),
            )
        )
    return records


def get_person(session: Session, site_id: str, person_id: str, *, now: datetime) -> PersonRecord:
    """One person as listed; raises UnknownPersonError when not at the site."""
    get_person_row(session, site_id, person_id)
    return list_people(session, site_id, now=now, person_ids=[person_id])[0]


def set_exit_permission(
    session: Session,
    site_id: str,
    person_id: str,
    rule: str,
    *,
    granted_by: str,
    on: date,
) -> None:
    """Records the exit rule a guardian chose for a minor (``at_lunch``, ``free``...)."""
    exit_rule(rule)
    person = get_person_row(session, site_id, person_id)
    guardians = People(session).guardian_ids(site_id, [person_id]).get(person_id, set())
    if granted_by not in guardians:
        raise PersonInputError(
            text(
                f"{granted_by} n'est pas représentant légal de {person.person_id}.",
                f"{granted_by} is not a guardian of {person.person_id}.",
            )
        )
    problem = guardian_problem(get_person_row(session, site_id, granted_by), on)
    if problem is not None:
        raise PersonInputError(problem)
    People(session).put_exit_permission(
        ExitPermissionRow(person_id=person_id, rule=rule, granted_by=granted_by, granted_on=on)
    )
    Sites(session).bump_version(site_id)
