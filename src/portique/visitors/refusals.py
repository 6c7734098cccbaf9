"""The refusal list: people barred from the site by a court order or the head teacher.

A refusal names someone by last name, first name and birth date, never by face, and is in
force until its end date (inclusive) unless lifted earlier. Every change goes to the
audit log. Visitors are checked against it when invited and when they walk in.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portique.access.names import likeness_key
from portique.dates import check_date
from portique.errors import BadInputError
from portique.i18n import text
from portique.privacy.audit import record
from portique.services import parse_date
from portique.services.roster import check_name, fold
from portique.services.rows import local_date, site_row
from portique.store import RefusalRow, record_from, row_at_site
from portique.visitors.errors import UnknownRefusalError, VisitInputError
from portique.visitors.records import NewRefusal, RefusalAuthority, RefusalRecord, Visitor
from portique.visitors.rows import mark_once

MAX_REASON = 500


def _record(row: RefusalRow) -> RefusalRecord:
    return record_from(RefusalRecord, row, ordered_by=RefusalAuthority(row.ordered_by))


def typed_refusal(
    last_name: str,
    first_name: str,
    birth_date: str,
    reason: str,
    ordered_by: str,
    until: str,
    *,
    bad_authority: str,
) -> NewRefusal:
    """A refusal as typed on the command line or in the console's form (dates
    ``jj/mm/aaaa``).

    Raises:
        BadInputError: ``bad_authority`` when ``ordered_by`` names no authority; a date
            that cannot be read.
    """
    if ordered_by not in {authority.value for authority in RefusalAuthority}:
        raise BadInputError(bad_authority)
    return NewRefusal(
        last_name,
        first_name,
        parse_date(birth_date),
        reason,
        RefusalAuthority(ordered_by),
        parse_date(until),
    )


def add_refusal(
    session: Session, site_id: str, refusal: NewRefusal, *, by: str, now: datetime
) -> RefusalRecord:
    """Bars someone until ``refusal.until``; audited (``refusal.add``).

    Raises:
        VisitInputError: a name or the reason is empty, or the end date is past.
    """
    site = site_row(session, site_id)
    check_date(refusal.birth_date, "birth_date")
    check_date(refusal.until, "until")
    reason = " ".join(refusal.reason.split())[:MAX_REASON]
    if not reason:
        raise VisitInputError(text("Indiquez le motif du refus.", "Give the reason for barring."))
    if refusal.until < local_date(site, now):
        raise VisitInputError(
            text("La date de fin est déjà passée.", "The end date is already past.")
        )
    row = RefusalRow(
        site_id=site_id,
        last_name=check_name(refusal.last_name, text("Nom", "Last name")),
        first_name=check_name(refusal.first_name, text("Prénom", "First name")),
        birth_date=refusal.birth_date,
        reason=reason,
        ordered_by=refusal.ordered_by.value,
        until=refusal.until,
        created_by=by,
        created_at=now,
    )
    session.add(row)
    session.flush()
    # The log names the refusal by its id: names and birth dates stay out of it.
    record(
        session,
        site_id=site_id,
        actor=by,
        action="refusal.add",
        target=f"refusals:{row.refusal_id}",
        details={"ordered_by": row.ordered_by, "until": row.until.isoformat()},
        at=now,
    )
    return _record(row)


def list_refusals(
    session: Session, site_id: str, *, now: datetime, include_ended: bool = False
) -> list[RefusalRecord]:
    """The refusals in force (or all of them), by name."""
    today = local_date(site_row(session, site_id), now)
    query = select(RefusalRow).where(RefusalRow.site_id == site_id)
    records = [_record(row) for row in session.scalars(query)]
    if not include_ended:
        records = [refusal for refusal in records if refusal.in_force_on(today)]
    return sorted(records, key=lambda r: (fold(r.last_name), fold(r.first_name), r.refusal_id))


def lift_refusal(
    session: Session, site_id: str, refusal_id: int, *, by: str, now: datetime
) -> RefusalRecord:
    """Ends a refusal now; audited (``refusal.lift``). Lifting twice keeps the first.

    Raises:
        UnknownRefusalError: no such refusal at the site.
    """
    missing = UnknownRefusalError(
        text(f"Aucun refus n° {refusal_id}.", f"No refusal number {refusal_id}.")
    )
    row = row_at_site(session, RefusalRow, refusal_id, site_id, missing)
    if mark_once(session, row, RefusalRow.lifted_at, RefusalRow.lifted_by, by=by, now=now):
        record(
            session,
            site_id=site_id,
            actor=by,
            action="refusal.lift",
            target=f"refusals:{row.refusal_id}",
            details={"ordered_by": row.ordered_by},
            at=now,
        )
    return _record(row)


def find_refusal(
    session: Session, site_id: str, visitor: Visitor, *, on: date
) -> RefusalRecord | None:
    """The refusal in force on ``on`` that names ``visitor``, if any.

    Names are compared by their likeness (``access.names.likeness_key``): without
    case, accents or punctuation, look-alike characters of other scripts folded. When
    the visitor's birth date is not known, the same names are enough: the agent checks,
    not the software.
    """
    # Look-alike characters are folded: a Cyrillic "е" does not make another person.
    last, first = likeness_key(visitor.last_name), likeness_key(visitor.first_name)
    query = select(RefusalRow).where(RefusalRow.site_id == site_id, RefusalRow.until >= on)
    if visitor.birth_date is not None:
        query = query.where(RefusalRow.birth_date == visitor.birth_date)
    for row in session.scalars(query):
        if (
            row.lifted_at is None
            and likeness_key(row.last_name) == last
            and likeness_key(row.first_name) == first
        ):
            return _record(row)
    return None
