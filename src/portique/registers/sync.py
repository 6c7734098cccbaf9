"""Synchronising the site with the SIECLE register: read, check, plan, and apply or not.

::

    files = read_register(eleves_bytes, responsables_bytes)
    with site.session() as session:
        report = sync_register(session, site.site_id, site.keys_dir, files, now=now)
    report.as_json()   # {"added", "updated", "left", "unchanged", "revoked", "errors"}

Applying runs in the caller's transaction: a failure leaves the site as it was. Every row
it writes goes through the session, so the audit log records each change (the people by
their pseudonymous id, names as "[personal data]"), and one ``registers.siecle`` entry
sums the import up. Departures revoke credentials and bump the snapshot version once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portique.access import Role
from portique.i18n import text
from portique.privacy import audit
from portique.registers.departures import record_departure
from portique.registers.errors import (
    MissingUaiError,
    RegisterFormatError,
    WrongEstablishmentError,
)
from portique.registers.identifiers import (
    RegisterIdKind,
    RegisterKey,
    load_register_key,
    site_uai,
)
from portique.registers.plan import (
    Change,
    GuardianPlan,
    NewGroup,
    PupilPlan,
    SyncOutcome,
    SyncPlan,
    plan_sync,
)
from portique.registers.siecle import (
    GuardiansExport,
    LineError,
    PupilsExport,
    read_guardians,
    read_pupils,
)
from portique.registers.state import load_state
from portique.services.batches import Progress
from portique.services.people import NewPerson, new_person_id
from portique.services.roster import EARLIEST_BIRTH_DATE
from portique.services.rows import local_date, new_person_row, site_row
from portique.store import (
    GroupRow,
    GuardianshipRow,
    MembershipRow,
    People,
    PersonRow,
    RegisterIdRow,
    Sites,
)

IMPORT_ACTION = "registers.siecle"
UNKNOWN_GUARDIAN_BIRTH_DATE = EARLIEST_BIRTH_DATE
"""SIECLE gives no guardian's birth date: a guardian is recorded as an adult born on this
conventional date (never shown as a real one, see docs/registers.md)."""
MASS_DEPARTURE_SHARE = 0.5
"""An import that would make more than this share of the register's pupils leave is
refused unless asked for (a wrong or partial file must not empty the school)."""
EMPTY_TIMETABLE: dict[str, Any] = {"week": {}, "exceptions": []}
"""A teaching group's week until its timetable is imported: it opens nothing by itself."""
FLUSH_EVERY = 200
DIVISION_KIND, GROUP_KIND = "division", "group"
"""``groups.kind`` of a class and of a teaching group made from the register."""


class MassDepartureError(RegisterFormatError):
    """An import would make most of the register's pupils leave at once."""

    code = "mass_departure"


@dataclass(frozen=True)
class RegisterFiles:
    """The exports of one import, read and checked."""

    pupils: PupilsExport
    guardians: GuardiansExport | None


def read_register(
    pupils: bytes,
    guardians: bytes | None = None,
    *,
    pupils_name: str = "ElevesSansAdresses.xml",
    guardians_name: str = "ResponsablesAvecAdresses.xml",
) -> RegisterFiles:
    """Reads the "élèves" export and, if given, the "responsables" one.

    Raises:
        RegisterFormatError (and its kinds): a file cannot be used; nothing is imported.
    """
    pupils_export = read_pupils(pupils, name=pupils_name)
    guardians_export = None if guardians is None else read_guardians(guardians, name=guardians_name)
    if guardians_export is not None and guardians_export.uaj != pupils_export.uaj:
        raise WrongEstablishmentError(
            text(
                f"{guardians_name} est l'export de l'établissement {guardians_export.uaj}, "
                f"{pupils_name} celui de {pupils_export.uaj}.",
                f"{guardians_name} is the export of establishment {guardians_export.uaj}, "
                f"{pupils_name} that of {pupils_export.uaj}.",
            )
        )
    return RegisterFiles(pupils_export, guardians_export)


@dataclass(frozen=True)
class SyncReport:
    """What an import did (or, for a dry run, would do)."""

    dry_run: bool
    added: tuple[PupilPlan, ...]
    updated: tuple[PupilPlan, ...]
    left: tuple[PupilPlan, ...]
    unchanged: int
    revoked: int
    errors: tuple[LineError, ...]
    encoding: str
    school_year: int | None

    def as_json(self) -> dict[str, Any]:
        """The command line's JSON answer: exactly these keys."""
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "left": len(self.left),
            "unchanged": self.unchanged,
            "revoked": self.revoked,
            "errors": [error.as_json() for error in self.errors],
        }

    @property
    def changed_anything(self) -> bool:
        return bool(self.added or self.updated or self.left)


def check_establishment(session: Session, site_id: str, files: RegisterFiles) -> None:
    """Refuses an export of another establishment than the site's.

    Raises:
        MissingUaiError: the site has no UAI. WrongEstablishmentError: it differs.
    """
    uai = site_uai(session, site_id)
    if uai is None:
        raise MissingUaiError(
            text(
                "L'établissement n'a pas de code UAI : indiquez-le d'abord "
                "(`portique uai 0130001A`).",
                "The site has no UAI code: record it first (`portique uai 0130001A`).",
            )
        )
    if files.pupils.uaj != uai:
        raise WrongEstablishmentError(
            text(
                f"Cet export est celui de l'établissement {files.pupils.uaj}, pas de "
                f"{uai} : rien n'a été importé.",
                f"This export belongs to establishment {files.pupils.uaj}, not {uai}: "
                "nothing was imported.",
            )
        )


def sync_register(
    session: Session,
    site_id: str,
    keys_dir: Path,
    files: RegisterFiles,
    *,
    now: datetime,
    dry_run: bool = False,
    complete: bool = True,
    allow_mass_departure: bool = False,
    progress: Progress | None = None,
) -> SyncReport:
    """Brings the site's pupils and guardians in line with the register (or, with
    ``dry_run``, only says what that would do: nothing is written).

    Raises:
        MissingUaiError, WrongEstablishmentError: not this site's export.
        MassDepartureError: most pupils would leave and ``allow_mass_departure`` is off.
    """
    check_establishment(session, site_id, files)
    site = site_row(session, site_id)
    today = local_date(site, now)
    key = load_register_key(keys_dir, create=not dry_run) or RegisterKey.ephemeral()
    plan = plan_sync(
        files.pupils, files.guardians, load_state(session, site_id), key, today=today,
        complete=complete,
    )  # fmt: skip
    if (
        not allow_mass_departure
        and plan.register_pupils
        and plan.absent > MASS_DEPARTURE_SHARE * plan.register_pupils
    ):
        raise MassDepartureError(
            text(
                f"Cet export ferait partir {plan.absent} élèves sur {plan.register_pupils} : "
                "est-ce bien l'export complet de l'établissement ? Rien n'a été importé "
                "(--allow-mass-departure pour confirmer).",
                f"This export would make {plan.absent} of {plan.register_pupils} pupils leave: "
                "is it the establishment's whole export? Nothing was imported "
                "(--allow-mass-departure to confirm).",
            )
        )
    if not dry_run:
        _apply(session, site_id, plan, now=now, progress=progress)
        _record(session, site_id, files, plan, now)
    return SyncReport(
        dry_run=dry_run,
        added=plan.of(SyncOutcome.ADDED),
        updated=plan.of(SyncOutcome.UPDATED),
        left=plan.of(SyncOutcome.LEFT),
        unchanged=len(plan.of(SyncOutcome.UNCHANGED)),
        revoked=plan.revoked,
        errors=plan.errors,
        encoding=files.pupils.encoding,
        school_year=files.pupils.school_year,
    )


def _record(
    session: Session, site_id: str, files: RegisterFiles, plan: SyncPlan, now: datetime
) -> None:
    audit.record(
        session,
        site_id=site_id,
        action=IMPORT_ACTION,
        target=f"sites:{site_id}",
        details={
            "counts": {outcome.value: len(plan.of(outcome)) for outcome in SyncOutcome},
            "revoked": plan.revoked,
            "errors": len(plan.errors),
            "school_year": files.pupils.school_year,
            "pupils_sha256": files.pupils.digest,
            "guardians_sha256": None if files.guardians is None else files.guardians.digest,
        },
        at=now,
    )


def _apply(
    session: Session,
    site_id: str,
    plan: SyncPlan,
    *,
    now: datetime,
    progress: Progress | None,
) -> None:
    if not plan.changes_anything:
        return
    site = site_row(session, site_id)
    add_groups(session, site_id, plan.groups, site.default_timetable)
    guardian_ids = _apply_guardians(session, site_id, plan.guardians, now=now)
    pupils = plan.pupils
    for start in range(0, len(pupils), FLUSH_EVERY):
        batch = pupils[start : start + FLUSH_EVERY]
        _apply_batch(session, site_id, batch, guardian_ids, now=now)
        if progress is not None:
            progress(start + len(batch), len(pupils))
    Sites(session).bump_version(site_id)


def _apply_batch(
    session: Session,
    site_id: str,
    batch: Iterable[PupilPlan],
    guardian_ids: Mapping[str, str],
    *,
    now: datetime,
) -> None:
    """One batch of pupils. The models declare no relationships for a flush to order
    rows by, so people are flushed before the rows that name them."""
    added: list[tuple[PupilPlan, PersonRow]] = []
    for pupil in batch:
        if pupil.outcome is SyncOutcome.ADDED:
            added.append((pupil, _add_person_row(session, site_id, pupil, now=now)))
        elif pupil.outcome is SyncOutcome.UPDATED:
            _update_pupil(session, site_id, pupil, guardian_ids)
        elif pupil.outcome is SyncOutcome.LEFT:
            _leave(session, site_id, pupil, now=now)
    session.flush()
    for pupil, row in added:
        _add_links(session, site_id, pupil, row.person_id, guardian_ids)
    session.flush()


def add_groups(
    session: Session, site_id: str, groups: Iterable[NewGroup], default: Mapping[str, Any]
) -> None:
    """Creates the classes and groups a register names: a class gets the site's
    ``default`` timetable, a teaching group none."""
    for group in groups:
        session.add(
            GroupRow(
                site_id=site_id,
                group_id=group.group_id,
                name=group.name,
                timetable=dict(default) if group.division else EMPTY_TIMETABLE,
                kind=DIVISION_KIND if group.division else GROUP_KIND,
            )
        )
    session.flush()


def new_person(
    session: Session, site_id: str, last_name: str, first_name: str, born: date, role: Role,
    now: datetime,
) -> PersonRow:  # fmt: skip
    """Adds someone a register names, active, with a new person id."""
    with session.no_autoflush:
        person_id = new_person_id(People(session))
    row = new_person_row(person_id, site_id, NewPerson(last_name, first_name, born, role), now)
    session.add(row)
    return row


def _apply_guardians(
    session: Session, site_id: str, guardians: Iterable[GuardianPlan], *, now: datetime
) -> dict[str, str]:
    """Creates new guardians and renames changed ones; their person id by hash."""
    ids: dict[str, str] = {}
    for guardian in guardians:
        if guardian.person_id is None:
            row = new_person(
                session, site_id, guardian.last_name, guardian.first_name,
                UNKNOWN_GUARDIAN_BIRTH_DATE, Role.PARENT, now,
            )  # fmt: skip
            ids[guardian.key] = row.person_id
            continue
        ids[guardian.key] = guardian.person_id
        if guardian.renamed:
            known = session.get(PersonRow, guardian.person_id)
            if known is not None:
                known.last_name, known.first_name = guardian.last_name, guardian.first_name
    session.flush()
    session.add_all(
        RegisterIdRow(
            site_id=site_id,
            kind=RegisterIdKind.SIECLE_PERSON.value,
            key_hash=guardian.key,
            person_id=ids[guardian.key],
        )
        for guardian in guardians
        if guardian.person_id is None
    )
    session.flush()
    return ids


def _add_person_row(
    session: Session, site_id: str, pupil: PupilPlan, *, now: datetime
) -> PersonRow:
    row = new_person(
        session, site_id, pupil.last_name, pupil.first_name, pupil.birth_date, Role.STUDENT, now
    )
    row.left_on = pupil.left_on
    return row


def _add_links(
    session: Session,
    site_id: str,
    pupil: PupilPlan,
    person_id: str,
    guardian_ids: Mapping[str, str],
) -> None:
    """A new pupil's register hashes, classes and guardians."""
    session.add_all(
        RegisterIdRow(site_id=site_id, kind=kind.value, key_hash=digest, person_id=person_id)
        for kind, digest in pupil.keys
    )
    session.add_all(
        MembershipRow(person_id=person_id, group_id=group_id, site_id=site_id)
        for group_id in pupil.group_ids
    )
    session.add_all(
        GuardianshipRow(person_id=person_id, guardian_id=guardian_ids[key])
        for key in dict.fromkeys(pupil.guardian_keys or ())
        if key in guardian_ids
    )


def _update_pupil(
    session: Session, site_id: str, pupil: PupilPlan, guardian_ids: Mapping[str, str]
) -> None:
    assert pupil.person_id is not None
    row = session.get(PersonRow, pupil.person_id)
    if row is None:
        return
    changes = set(pupil.changes)
    if Change.NAME in changes:
        row.last_name, row.first_name = pupil.last_name, pupil.first_name
    if Change.BIRTH_DATE in changes:
        row.birth_date = pupil.birth_date
    if Change.RETURNED in changes:
        row.active = True
    if Change.LEAVING_DATE in changes or Change.RETURNED in changes:
        row.left_on = pupil.left_on
    if changes & {Change.CLASS, Change.GROUPS}:
        _replace_memberships(session, site_id, pupil.person_id, pupil.group_ids)
    if Change.GUARDIANS in changes and pupil.guardian_keys is not None:
        wanted = {guardian_ids[key] for key in pupil.guardian_keys if key in guardian_ids}
        _replace_register_guardians(session, site_id, pupil.person_id, wanted)
    if Change.REGISTER in changes:
        _link(session, site_id, pupil)


def _replace_memberships(
    session: Session, site_id: str, person_id: str, group_ids: Iterable[str]
) -> None:
    wanted = set(group_ids)
    current = list(
        session.scalars(select(MembershipRow).where(MembershipRow.person_id == person_id))
    )
    for membership in current:
        if membership.group_id not in wanted:
            session.delete(membership)
    have = {membership.group_id for membership in current}
    session.add_all(
        MembershipRow(person_id=person_id, group_id=group_id, site_id=site_id)
        for group_id in wanted - have
    )


def _replace_register_guardians(
    session: Session, site_id: str, person_id: str, wanted: set[str]
) -> None:
    """Guardians from the register follow it; guardians entered by hand stay."""
    from_register = set(
        session.scalars(
            select(RegisterIdRow.person_id).where(
                RegisterIdRow.site_id == site_id,
                RegisterIdRow.kind == RegisterIdKind.SIECLE_PERSON.value,
            )
        )
    )
    current = list(
        session.scalars(select(GuardianshipRow).where(GuardianshipRow.person_id == person_id))
    )
    for link in current:
        if link.guardian_id in from_register and link.guardian_id not in wanted:
            session.delete(link)
    have = {link.guardian_id for link in current}
    session.add_all(
        GuardianshipRow(person_id=person_id, guardian_id=guardian_id)
        for guardian_id in wanted - have
    )


def _link(session: Session, site_id: str, pupil: PupilPlan) -> None:
    """Gives the pupil the register hashes they lack (a first import after a CSV)."""
    assert pupil.person_id is not None
    for kind, digest in pupil.keys:
        if session.get(RegisterIdRow, (site_id, kind.value, digest)) is None:
            session.add(
                RegisterIdRow(
                    site_id=site_id, kind=kind.value, key_hash=digest, person_id=pupil.person_id
                )
            )


def _leave(session: Session, site_id: str, pupil: PupilPlan, *, now: datetime) -> None:
    assert pupil.person_id is not None and pupil.left_on is not None and pupil.cause is not None
    row = session.get(PersonRow, pupil.person_id)
    if row is not None:
        record_departure(
            session, row, left_on=pupil.left_on, cause=pupil.cause,
            class_name=pupil.class_name, now=now,
        )  # fmt: skip
