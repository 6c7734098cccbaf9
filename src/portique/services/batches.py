"""Acting on many people at once (a class, a filtered list): what each would get, then
revoking their credentials or recording the consents collected on paper.

Each person is changed through the ordinary service (``revoke_credential``,
``grant_consent``), so the audit log records every change person by person; each runs
in a transaction of their own (from the ``sessions`` factory), so one person refused (a
guardian no longer valid, say) is reported and leaves the others done, and a long batch
never holds the database while lanes record passages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portique.access import ConsentGiver, Role
from portique.errors import BadInputError
from portique.i18n import text
from portique.services.consent import grant_consent
from portique.services.credentials import revoke_credential
from portique.services.people import PersonRecord
from portique.store import ACTIVE, CredentialRow, People

MAX_BATCH = 400
"""The most people one action takes: a class is 35, a level a few hundred."""

Progress = Callable[[int, int], None]
"""Called with (items done, items to do) as long work goes on, for a progress bar."""
Sessions = Callable[[], AbstractContextManager[Session]]
"""Opens a session in a transaction of its own (``SiteHandle.session``)."""
Change = Callable[[Session], str]
"""One person's change, in the session given; what it did, for the report."""


@dataclass(frozen=True)
class Guardian:
    person_id: str
    name: str


@dataclass(frozen=True)
class BatchPerson:
    """Someone a batch would act on, with what the preview shows: their active
    credentials, whether a consent is in force, and who may sign for them."""

    person_id: str
    name: str
    group_ids: tuple[str, ...]
    minor: bool
    consent_in_force: bool
    credential_ids: tuple[str, ...]
    guardians: tuple[Guardian, ...]


@dataclass(frozen=True)
class Outcome:
    """What a batch did for one person: ``done`` False with the reason when refused."""

    person_id: str
    done: bool
    detail: str


def batch_people(
    session: Session, site_id: str, records: Sequence[PersonRecord]
) -> list[BatchPerson]:
    """The preview of ``records``, in their order.

    Raises:
        BadInputError: more than :data:`MAX_BATCH` people.
    """
    if len(records) > MAX_BATCH:
        raise BadInputError(
            text(
                f"{len(records)} personnes : une action en prend au plus {MAX_BATCH}. "
                "Affinez la recherche (une classe, un rôle…).",
                f"{len(records)} people: one action takes at most {MAX_BATCH}. "
                "Narrow the search (a class, a role…).",
            )
        )
    ids = [record.person_id for record in records]
    active: dict[str, list[str]] = {}
    query = (
        select(CredentialRow.person_id, CredentialRow.credential_id)
        .where(
            CredentialRow.site_id == site_id,
            CredentialRow.status == ACTIVE,
            CredentialRow.person_id.in_(ids),
        )
        .order_by(CredentialRow.issued_at, CredentialRow.credential_id)
    )
    for person_id, credential_id in session.execute(query):
        active.setdefault(person_id, []).append(credential_id)
    guardian_ids = {g for record in records for g in record.guardian_ids}
    names = {
        row.person_id: f"{row.first_name} {row.last_name}"
        for row in People(session).of_site(site_id, guardian_ids)
    }
    return [
        BatchPerson(
            person_id=record.person_id,
            name=record.display_name,
            group_ids=record.group_ids,
            minor=record.minor,
            consent_in_force=record.consent_in_force,
            credential_ids=tuple(active.get(record.person_id, ())),
            guardians=tuple(Guardian(g, names[g]) for g in record.guardian_ids if g in names),
        )
        for record in records
    ]


def _each(
    sessions: Sessions,
    items: Sequence[tuple[str, Change]],
    progress: Progress | None,
) -> list[Outcome]:
    """Runs each person's change in a transaction of its own; a refusal is reported."""
    outcomes = []
    for done, (person_id, change) in enumerate(items, start=1):
        try:
            with sessions() as session:
                detail = change(session)
            outcomes.append(Outcome(person_id, True, detail))
        except BadInputError as error:
            outcomes.append(Outcome(person_id, False, error.message))
        if progress is not None:
            progress(done, len(items))
    return outcomes


def revoke_people(
    sessions: Sessions,
    site_id: str,
    person_ids: Sequence[str],
    *,
    reason: str,
    now: datetime,
    progress: Progress | None = None,
) -> list[Outcome]:
    """Revokes every active credential of each person, with ``reason``.

    Raises:
        BadInputError: no reason given.
    """
    reason = " ".join(reason.split())[:200]
    if not reason:
        raise BadInputError(text("Indiquez le motif de la révocation.", "Give the reason."))

    def revoke(person_id: str) -> Change:
        def change(session: Session) -> str:
            query = select(CredentialRow.credential_id).where(
                CredentialRow.site_id == site_id,
                CredentialRow.person_id == person_id,
                CredentialRow.status == ACTIVE,
            )
            revoked = [
                revoke_credential(session, site_id, credential_id, reason=reason, now=now)
                for credential_id in session.scalars(query).all()
            ]
            return ", ".join(record.credential_id for record in revoked)

        return change

    return _each(sessions, [(person_id, revoke(person_id)) for person_id in person_ids], progress)


def record_paper_consents(
    sessions: Sessions,
    site_id: str,
    signed: Sequence[tuple[str, str | None]],
    *,
    now: datetime,
    progress: Progress | None = None,
) -> list[Outcome]:
    """Records the consents collected on paper: for each ``(person_id, by)``, ``by`` the
    guardian who signed for a minor, or None for an adult who signed for themselves."""

    def grant(person_id: str, by: str | None) -> Change:
        def change(session: Session) -> str:
            giver = None
            if by is not None:
                guardian = People(session).get(site_id, by)
                is_staff = guardian is not None and guardian.role == Role.STAFF.value
                giver = ConsentGiver.LEGAL_GUARDIAN if is_staff else ConsentGiver.PARENT
            record = grant_consent(session, site_id, person_id, by=by, now=now, giver=giver)
            return record.given_by

        return change

    items = [(person_id, grant(person_id, by)) for person_id, by in signed]
    return _each(sessions, items, progress)
