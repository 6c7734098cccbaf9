"""Pupils who leave: every credential revoked at once (reason ``left_school``), the agents
alerted, recent departures listed, and the daily sweep of leaving dates that have passed.

A departure is learnt two ways: the register gives a leaving date (``DATE_SORTIE``) that
has passed, or a complete export no longer lists the pupil. Either way the person becomes
inactive, each of their active credentials (card, phone code, badge) is revoked and the
site's snapshot version bumps, so every lane refuses them from its next snapshot; the
departure is recorded for the agents, who acknowledge it on the alerts page.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portique import clock as product_clock
from portique.errors import BadInputError
from portique.i18n import text
from portique.periodic import run_periodically
from portique.services.rows import local_date, site_row
from portique.store import (
    ACTIVE,
    REVOKED,
    CredentialRow,
    Database,
    DepartureRow,
    People,
    PersonRow,
    Sites,
    record_from,
)

log = logging.getLogger(__name__)

LEFT_SCHOOL = "left_school"
"""The revocation reason of the credentials of a pupil who left."""
SWEEP_ACTOR = "system:registers"
RECENT_DAYS = 30
"""How far back the console lists departures."""


class DepartureCause(enum.StrEnum):
    """How Portique learnt that a pupil left."""

    LEAVING_DATE = "leaving_date"
    """The register gives a leaving date, and it has passed."""
    ABSENT = "absent"
    """A complete export of the register no longer lists the pupil."""


@dataclass(frozen=True)
class Departure:
    """A departure as listed to the agents and the administration."""

    departure_id: int
    person_id: str
    last_name: str
    first_name: str
    class_name: str | None
    left_on: date
    cause: DepartureCause
    detected_at: datetime
    revoked: int
    acknowledged_at: datetime | None
    acknowledged_by: str | None

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def revoke_credentials(session: Session, person_ids: Iterable[str], *, now: datetime) -> int:
    """Revokes every active credential of these people for ``left_school``; the count.

    The caller bumps the snapshot version once for the whole batch."""
    wanted = list(person_ids)
    revoked = 0
    for start in range(0, len(wanted), 500):
        query = select(CredentialRow).where(
            CredentialRow.person_id.in_(wanted[start : start + 500]),
            CredentialRow.status == ACTIVE,
        )
        for credential in session.scalars(query):
            credential.status = REVOKED
            credential.revoked_at = now
            credential.revocation_reason = LEFT_SCHOOL
            revoked += 1
    return revoked


def record_departure(
    session: Session,
    person: PersonRow,
    *,
    left_on: date,
    cause: DepartureCause,
    class_name: str | None,
    now: datetime,
) -> int:
    """Makes ``person`` inactive from ``left_on``, revokes their credentials, lets their
    consent lapse (it was given to this school for a pupil who is no longer one: a
    return means asking again) and records the departure for the agents; returns how
    many credentials were revoked."""
    person.active = False
    person.left_on = left_on
    consent = People(session).consent(person.person_id)
    if consent is not None and consent.withdrawn_at is None:
        consent.withdrawn_at = now
    revoked = revoke_credentials(session, [person.person_id], now=now)
    session.add(
        DepartureRow(
            site_id=person.site_id,
            person_id=person.person_id,
            left_on=left_on,
            cause=cause.value,
            class_name=class_name,
            detected_at=now,
            revoked=revoked,
        )
    )
    return revoked


def sweep_leavers(session: Session, site_id: str, *, now: datetime) -> tuple[str, ...]:
    """Pupils still active whose leaving date has passed (on the site's calendar) leave
    now: their credentials are revoked and the agents alerted. Returns their ids."""
    site = site_row(session, site_id)
    today = local_date(site, now)
    due = list(
        session.scalars(
            select(PersonRow).where(
                PersonRow.site_id == site_id,
                PersonRow.active.is_(True),
                PersonRow.left_on.is_not(None),
                PersonRow.left_on < today,
            )
        )
    )
    if not due:
        return ()
    classes = _class_names(session, site_id, [person.person_id for person in due])
    for person in due:
        assert person.left_on is not None
        record_departure(
            session,
            person,
            left_on=person.left_on,
            cause=DepartureCause.LEAVING_DATE,
            class_name=classes.get(person.person_id),
            now=now,
        )
    Sites(session).bump_version(site_id)
    return tuple(person.person_id for person in due)


def _class_names(session: Session, site_id: str, person_ids: Sequence[str]) -> dict[str, str]:
    """The name of one class of each person (the first by id), for the departure list."""
    from portique.store import GroupRow, MembershipRow

    query = (
        select(MembershipRow.person_id, GroupRow.name, GroupRow.group_id)
        .join(
            GroupRow,
            (GroupRow.site_id == MembershipRow.site_id)
            & (GroupRow.group_id == MembershipRow.group_id),
        )
        .where(MembershipRow.site_id == site_id, MembershipRow.person_id.in_(list(person_ids)))
        .order_by(GroupRow.group_id)
    )
    found: dict[str, str] = {}
    for person_id, name, group_id in session.execute(query):
        found.setdefault(person_id, name or group_id)
    return found


def recent_departures(
    session: Session,
    site_id: str,
    *,
    now: datetime,
    days: int = RECENT_DAYS,
    unacknowledged_only: bool = False,
) -> list[Departure]:
    """Departures detected in the last ``days`` days, newest first."""
    query = (
        select(DepartureRow, PersonRow.last_name, PersonRow.first_name)
        .join(PersonRow, PersonRow.person_id == DepartureRow.person_id)
        .where(
            DepartureRow.site_id == site_id,
            DepartureRow.detected_at >= now - timedelta(days=days),
        )
        .order_by(DepartureRow.detected_at.desc(), PersonRow.last_name, PersonRow.first_name)
    )
    if unacknowledged_only:
        query = query.where(DepartureRow.acknowledged_at.is_(None))
    return [
        record_from(
            Departure,
            row,
            last_name=last_name,
            first_name=first_name,
            cause=DepartureCause(row.cause),
        )
        for row, last_name, first_name in session.execute(query)
    ]


class UnknownDepartureError(BadInputError):
    """No such departure at the site."""

    code = "unknown_departure"


def acknowledge_departures(
    session: Session,
    site_id: str,
    departure_ids: Iterable[int] | None,
    *,
    by: str,
    now: datetime,
) -> int:
    """The agents saw these departures (all unacknowledged ones when None); the count."""
    query = select(DepartureRow).where(
        DepartureRow.site_id == site_id, DepartureRow.acknowledged_at.is_(None)
    )
    wanted = None if departure_ids is None else set(departure_ids)
    if wanted is not None:
        query = query.where(DepartureRow.departure_id.in_(wanted))
    rows = list(session.scalars(query))
    if wanted is not None and not rows and wanted:
        known = session.scalars(
            select(DepartureRow.departure_id).where(
                DepartureRow.site_id == site_id, DepartureRow.departure_id.in_(wanted)
            )
        ).all()
        if not known:
            raise UnknownDepartureError(
                text("Départ inconnu dans l'établissement.", "Unknown departure at this site.")
            )
    for row in rows:
        row.acknowledged_at = now
        row.acknowledged_by = by
    return len(rows)


def sweep_site(database: Database, site_id: str, *, now: datetime) -> tuple[str, ...]:
    """One sweep of a site's passed leaving dates, in its own transaction."""
    with database.session(actor=SWEEP_ACTOR) as session:
        gone = sweep_leavers(session, site_id, now=now)
    if gone:
        log.info("departures of %s: %d pupil(s) left today", site_id, len(gone))
    return gone


async def sweep_periodically(
    database: Database,
    site_id: str,
    interval: timedelta,
    *,
    clock: Callable[[], datetime] = product_clock.now,
) -> None:
    """Sweeps now, then every ``interval``, until cancelled (the server runs this for its
    lifetime, so a leaving date revokes the card the day after, without anyone acting)."""
    await run_periodically(
        lambda now: sweep_site(database, site_id, now=now),
        interval,
        clock=clock,
        log=log,
        what=f"departure sweep of {site_id}",
    )
