"""Visits: invitations by a host, walk-ins at reception, check-in and check-out, the path,
and who is on site now.

A visit makes (or finds again) a person of role ``visitor`` and gives them a time-boxed
VISITOR_PASS credential that opens only the visit's zones, from a margin before the
expected start to a margin after the expected end. The pass stops opening lanes once the
visit ends (check-out) or is cancelled. The retention purge finds a visitor's last visit
from ``checked_out_at``, or ``expected_until`` for a visit never checked out.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portique.access import Role
from portique.config import get_settings
from portique.credentials import (
    CredentialError,
    CredentialKind,
    Keyring,
    payload_from_text,
    verify_credential,
)
from portique.dates import check_date, check_moment
from portique.i18n import text
from portique.services import NewPerson, add_person, issue_credential
from portique.services.roster import check_name, fold
from portique.services.rows import local_date, site_row
from portique.store import (
    Credentials,
    People,
    PersonRow,
    Sites,
    VisitEventRow,
    VisitRow,
    record_from,
    row_at_site,
)
from portique.visitors.alerts import raise_alert
from portique.visitors.errors import (
    UnknownVisitError,
    VisitInputError,
    VisitorBarredError,
    VisitStateError,
)
from portique.visitors.records import (
    RECEPTION,
    UNKNOWN_BIRTH_DATE,
    AlertKind,
    EventKind,
    NewVisit,
    OnSiteVisitor,
    ReceptionResult,
    VisitEvent,
    VisitKind,
    Visitor,
    VisitorPassIssued,
    VisitRecord,
    VisitRequest,
    VisitStatus,
)
from portique.visitors.refusals import find_refusal
from portique.visitors.rows import add_event

MAX_VISIT = timedelta(days=31)
MAX_PURPOSE = 200
WALK_IN_DURATION = timedelta(hours=2)
"""How long a walk-in is expected to stay when reception does not say."""
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
VISIT_ID_PREFIX = "v-"


def pass_margin() -> timedelta:
    """How long before its expected start and after its expected end a pass opens lanes
    (``PORTIQUE_VISITOR_PASS_MARGIN_MINUTES``)."""
    return timedelta(minutes=get_settings().visitor_pass_margin_minutes)


def _new_visit_id(session: Session) -> str:
    while True:
        raw = base64.b32encode(secrets.token_bytes(7)).decode("ascii").lower()
        visit_id = VISIT_ID_PREFIX + raw[:10]
        if session.get(VisitRow, visit_id) is None:
            return visit_id


def _records(session: Session, site_id: str, rows: Collection[VisitRow]) -> list[VisitRecord]:
    ids = {row.person_id for row in rows} | {row.host_id for row in rows if row.host_id}
    people = {person.person_id: person for person in People(session).of_site(site_id, ids)}
    records = []
    for row in rows:
        person = people[row.person_id]
        host = people.get(row.host_id) if row.host_id else None
        records.append(
            record_from(
                VisitRecord,
                row,
                last_name=person.last_name,
                first_name=person.first_name,
                birth_date=None if person.birth_date == UNKNOWN_BIRTH_DATE else person.birth_date,
                host_name=None if host is None else f"{host.first_name} {host.last_name}",
                kind=VisitKind(row.kind),
                status=VisitStatus(row.status),
                zones=tuple(str(zone) for zone in row.zones),
            )
        )
    return records


def _visit_row(session: Session, site_id: str, visit_id: str) -> VisitRow:
    missing = UnknownVisitError(text(f"Aucune visite {visit_id!r}.", f"No visit {visit_id!r}."))
    return row_at_site(session, VisitRow, visit_id, site_id, missing)


def get_visit(session: Session, site_id: str, visit_id: str) -> VisitRecord:
    """One visit; raises UnknownVisitError when the site has none with this id."""
    return _records(session, site_id, [_visit_row(session, site_id, visit_id)])[0]


def list_visits(
    session: Session,
    site_id: str,
    *,
    statuses: Collection[VisitStatus] | None = None,
    since: datetime | None = None,
) -> list[VisitRecord]:
    """Visits by expected start (with ``statuses`` only; ending at or after ``since``)."""
    query = select(VisitRow).where(VisitRow.site_id == site_id)
    if statuses is not None:
        query = query.where(VisitRow.status.in_([status.value for status in statuses]))
    if since is not None:
        query = query.where(VisitRow.expected_until >= check_moment(since, "since"))
    query = query.order_by(VisitRow.expected_from, VisitRow.visit_id)
    return _records(session, site_id, session.scalars(query).all())


def visit_path(session: Session, site_id: str, visit_id: str) -> list[VisitEvent]:
    """The visit's path, oldest first: check-in, checkpoints, check-out, refusals."""
    _visit_row(session, site_id, visit_id)
    query = (
        select(VisitEventRow)
        .where(VisitEventRow.visit_id == visit_id)
        .order_by(VisitEventRow.at, VisitEventRow.event_id)
    )
    return [
        record_from(
            VisitEvent,
            row,
            kind=EventKind(row.kind),
            alert=None if row.alert is None else AlertKind(row.alert),
        )
        for row in session.scalars(query)
    ]


def _checked_request(session: Session, site_id: str, request: VisitRequest, now: datetime) -> None:
    """Refuses a request that cannot make a visit: window, host, zones, e-mail, purpose."""
    start, end = request.expected_from, request.expected_until
    for moment, what in ((start, "expected_from"), (end, "expected_until")):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise VisitInputError(
                text("Une heure de visite doit avoir un fuseau.", "A visit time needs a zone.")
            )
        check_moment(moment, what)
    if request.visitor.birth_date is not None:
        check_date(request.visitor.birth_date, "birth_date")
    if end <= start:
        raise VisitInputError(
            text("La fin de la visite précède son début.", "The visit ends before it starts.")
        )
    if end <= now:
        raise VisitInputError(
            text("La fin de la visite est déjà passée.", "The end of the visit is already past.")
        )
    if end - start > MAX_VISIT:
        raise VisitInputError(
            text(
                f"Une visite dure au plus {MAX_VISIT.days} jours.",
                f"A visit lasts at most {MAX_VISIT.days} days.",
            )
        )
    if not " ".join(request.purpose.split()):
        raise VisitInputError(text("Indiquez l'objet de la visite.", "Give the visit's purpose."))
    host = People(session).get(site_id, request.host_id)
    if host is None or host.role != Role.STAFF.value or not host.active:
        raise VisitInputError(
            text(
                f"{request.host_id!r} n'est pas un membre du personnel en fonction : un visiteur "
                "est reçu par un membre du personnel.",
                f"{request.host_id!r} is not an active staff member: a visitor is received by "
                "a staff member.",
            )
        )
    known = {zone.zone_id for zone in Sites(session).zones(site_id)}
    unknown = sorted(set(request.zones) - known)
    if unknown:
        raise VisitInputError(
            text(
                f"Zone(s) inconnue(s) : {', '.join(unknown)} (zones : {', '.join(sorted(known))}).",
                f"Unknown zone(s): {', '.join(unknown)} (zones: {', '.join(sorted(known))}).",
            )
        )
    email = request.visitor.email
    if email is not None and (len(email) > 254 or not _EMAIL.fullmatch(email)):
        raise VisitInputError(
            text(f"Adresse e-mail invalide : {email!r}.", f"Invalid e-mail address: {email!r}.")
        )


def _visitor_person(session: Session, site_id: str, visitor: Visitor, now: datetime) -> str:
    """The visitor's person id: the same visitor (names and birth date) is found again,
    so their last visit stays computable; anyone else is added."""
    last = check_name(visitor.last_name, text("Nom", "Last name"))
    first = check_name(visitor.first_name, text("Prénom", "First name"))
    if visitor.birth_date is not None:
        query = select(PersonRow).where(
            PersonRow.site_id == site_id,
            PersonRow.role == Role.VISITOR.value,
            PersonRow.birth_date == visitor.birth_date,
        )
        for person in session.scalars(query):
            if fold(person.last_name) == fold(last) and fold(person.first_name) == fold(first):
                person.active = True
                return person.person_id
    new = NewPerson(last, first, visitor.birth_date or UNKNOWN_BIRTH_DATE, Role.VISITOR)
    return add_person(session, site_id, new, now=now)


def _create(
    session: Session,
    site_id: str,
    keyring: Keyring,
    request: VisitRequest,
    kind: VisitKind,
    *,
    by: str,
    now: datetime,
    margin: timedelta | None,
) -> NewVisit:
    site = site_row(session, site_id)
    _checked_request(session, site_id, request, now)
    # The list is read on the visit's first day: a refusal that ends before it bars nothing.
    first_day = local_date(site, max(now, request.expected_from))
    refusal = find_refusal(session, site_id, request.visitor, on=first_day)
    if refusal is not None and kind is VisitKind.INVITED:
        raise VisitorBarredError(
            text(
                "Cette personne fait l'objet d'une interdiction d'accès à l'établissement : "
                "l'invitation est impossible. Voyez la direction.",
                "This person is barred from the site: they cannot be invited. See the "
                "administration.",
            )
        )
    zones = list(request.zones) or [zone.zone_id for zone in Sites(session).zones(site_id)]
    person_id = _visitor_person(session, site_id, request.visitor, now)
    visit = VisitRow(
        visit_id=_new_visit_id(session),
        site_id=site_id,
        person_id=person_id,
        host_id=request.host_id,
        purpose=" ".join(request.purpose.split())[:MAX_PURPOSE],
        kind=kind.value,
        expected_from=request.expected_from,
        expected_until=request.expected_until,
        zones=zones,
        email=request.visitor.email,
        credential_id=None,
        status=VisitStatus.EXPECTED.value,
        created_by=by,
        created_at=now,
    )
    session.add(visit)
    session.flush()
    if refusal is not None:
        # A barred walk-in gets no pass: the refusal and the alert are what is recorded.
        visit.status = VisitStatus.REFUSED.value
        add_event(session, visit, EventKind.REFUSED, now, allowed=False, alert=AlertKind.BARRED)
        raise_alert(session, visit, AlertKind.BARRED, at=now, checkpoint=RECEPTION)
        return NewVisit(get_visit(session, site_id, visit.visit_id), None, AlertKind.BARRED)

    margin = pass_margin() if margin is None else margin
    issued = issue_credential(
        session,
        site_id,
        keyring,
        person_id,
        now=now,
        kind=CredentialKind.VISITOR_PASS,
        window=(request.expected_from - margin, request.expected_until + margin),
    )
    visit.credential_id = issued.credential_id
    if kind is VisitKind.WALK_IN:
        visit.status = VisitStatus.ON_SITE.value
        visit.checked_in_at = now
        add_event(session, visit, EventKind.CHECK_IN, now, allowed=True)
    session.flush()
    visitor_pass = VisitorPassIssued(
        issued.credential_id, issued.payload_text, issued.valid_from, issued.valid_until
    )
    return NewVisit(get_visit(session, site_id, visit.visit_id), visitor_pass)


def invite(
    session: Session,
    site_id: str,
    keyring: Keyring,
    request: VisitRequest,
    *,
    by: str,
    now: datetime,
    margin: timedelta | None = None,
) -> NewVisit:
    """Records an invitation and issues the visitor's pass (to send or print).

    Raises:
        VisitInputError: the window, host, zones, purpose or e-mail cannot be used.
        VisitorBarredError: the visitor is on the refusal list (nothing is recorded).
    """
    return _create(
        session, site_id, keyring, request, VisitKind.INVITED, by=by, now=now, margin=margin
    )


def walk_in(
    session: Session,
    site_id: str,
    keyring: Keyring,
    request: VisitRequest,
    *,
    by: str,
    now: datetime,
    margin: timedelta | None = None,
) -> NewVisit:
    """Registers a visitor at reception and checks them in now, with a pass to print on a
    badge. Someone on the refusal list is refused: the visit is recorded as ``refused``,
    without a pass, and the agent gets a ``barred`` alert.

    Raises:
        VisitInputError: the window, host, zones or purpose cannot be used.
    """
    return _create(
        session, site_id, keyring, request, VisitKind.WALK_IN, by=by, now=now, margin=margin
    )


def _ended(visit: VisitRow) -> VisitStateError:
    status = VisitStatus(visit.status)
    return VisitStateError(
        text(
            f"La visite {visit.visit_id} n'est plus en cours ({status.value}) : invitez à "
            "nouveau le visiteur.",
            f"Visit {visit.visit_id} is over ({status.value}): invite the visitor again.",
        )
    )


def _barred_since(session: Session, visit: VisitRow, now: datetime) -> bool:
    person = People(session).get(visit.site_id, visit.person_id)
    if person is None:
        return False
    born = None if person.birth_date == UNKNOWN_BIRTH_DATE else person.birth_date
    visitor = Visitor(person.last_name, person.first_name, born)
    today = local_date(site_row(session, visit.site_id), now)
    return find_refusal(session, visit.site_id, visitor, on=today) is not None


def check_in(session: Session, site_id: str, visit_id: str, *, now: datetime) -> ReceptionResult:
    """Checks a visitor in at reception. A pass checked in again without a check-out is
    not checked in twice: it raises ``pass_reused``. A check-in outside the pass's window
    is done (the agent is there) and raises ``outside_window``. A visitor put on the
    refusal list since the invitation is refused (``barred``) and the pass ends.

    Raises:
        UnknownVisitError: no such visit. VisitStateError: the visit is over or refused.
    """
    visit = _visit_row(session, site_id, visit_id)
    if visit.status == VisitStatus.EXPECTED.value and _barred_since(session, visit, now):
        # Barred after the invitation: the pass is refused here and opens no lane again.
        visit.status = VisitStatus.REFUSED.value
        add_event(session, visit, EventKind.REFUSED, now, allowed=False, alert=AlertKind.BARRED)
        raise_alert(session, visit, AlertKind.BARRED, at=now, checkpoint=RECEPTION)
        Sites(session).bump_version(site_id)
        session.flush()
        return ReceptionResult(get_visit(session, site_id, visit_id), AlertKind.BARRED)
    alert: AlertKind | None = None
    if visit.status == VisitStatus.ON_SITE.value:
        alert = AlertKind.PASS_REUSED
        add_event(session, visit, EventKind.CHECK_IN, now, allowed=False, alert=alert)
    elif visit.status == VisitStatus.EXPECTED.value:
        credential = (
            None
            if visit.credential_id is None
            else Credentials(session).get(site_id, visit.credential_id)
        )
        if credential is not None and not credential.valid_from <= now <= credential.valid_until:
            alert = AlertKind.OUTSIDE_WINDOW
        visit.status = VisitStatus.ON_SITE.value
        visit.checked_in_at = now
        add_event(session, visit, EventKind.CHECK_IN, now, allowed=True, alert=alert)
    else:
        raise _ended(visit)
    if alert is not None:
        raise_alert(session, visit, alert, at=now, checkpoint=RECEPTION)
    session.flush()
    return ReceptionResult(get_visit(session, site_id, visit_id), alert)


def check_out(session: Session, site_id: str, visit_id: str, *, now: datetime) -> ReceptionResult:
    """Checks a visitor out at reception: the visit ends and its pass opens no lane again.

    Raises:
        UnknownVisitError: no such visit. VisitStateError: not on site.
    """
    visit = _visit_row(session, site_id, visit_id)
    if visit.status != VisitStatus.ON_SITE.value:
        if visit.status == VisitStatus.EXPECTED.value:
            raise VisitStateError(
                text(
                    f"{visit_id} n'a pas été enregistré à l'arrivée.",
                    f"{visit_id} was never checked in.",
                )
            )
        raise _ended(visit)
    visit.status = VisitStatus.LEFT.value
    visit.checked_out_at = now
    add_event(session, visit, EventKind.CHECK_OUT, now, allowed=True)
    Sites(session).bump_version(site_id)
    session.flush()
    return ReceptionResult(get_visit(session, site_id, visit_id), None)


def visit_for_pass(session: Session, site_id: str, keyring: Keyring, qr_text: str) -> str:
    """The id of the visit whose pass a scanner read at reception (``PQ:...``).

    Raises:
        UnknownVisitError: not a pass of this site, or of no visit.
    """
    unknown = UnknownVisitError(
        text("Ce titre n'est le laissez-passer d'aucune visite.", "This is no visit's pass.")
    )
    try:
        claims = verify_credential(payload_from_text(qr_text), keyring.verifiers(), site_id)
    except CredentialError:
        raise unknown from None
    if claims.kind is not CredentialKind.VISITOR_PASS:
        raise unknown
    row = session.scalars(
        select(VisitRow).where(
            VisitRow.site_id == site_id, VisitRow.credential_id == claims.credential_id
        )
    ).one_or_none()
    if row is None:
        raise unknown
    return row.visit_id


def visit_passes(session: Session, site_id: str, credential_ids: Collection[str]) -> set[str]:
    """Those of ``credential_ids`` that are visitors' passes."""
    if not credential_ids:
        return set()
    query = select(VisitRow.credential_id).where(
        VisitRow.site_id == site_id, VisitRow.credential_id.in_(list(credential_ids))
    )
    return {credential_id for credential_id in session.scalars(query) if credential_id}


def on_site_visitors(session: Session, site_id: str) -> list[OnSiteVisitor]:
    """Visitors checked in and not out, with the zone of the last lane that let them
    through (None: not past a lane yet, at reception)."""
    visits = session.scalars(
        select(VisitRow).where(
            VisitRow.site_id == site_id, VisitRow.status == VisitStatus.ON_SITE.value
        )
    ).all()
    if not visits:
        return []
    ids = [visit.visit_id for visit in visits]
    last: dict[str, VisitEventRow] = {}
    query = (
        select(VisitEventRow)
        .where(VisitEventRow.visit_id.in_(ids), VisitEventRow.allowed.is_(True))
        .order_by(VisitEventRow.at, VisitEventRow.event_id)
    )
    for event in session.scalars(query):
        if event.zone_id is not None or event.visit_id not in last:
            last[event.visit_id] = event
    people = {
        person.person_id: person
        for person in People(session).of_site(site_id, {visit.person_id for visit in visits})
    }
    entries = []
    for visit in visits:
        person = people[visit.person_id]
        seen = last.get(visit.visit_id)
        entries.append(
            OnSiteVisitor(
                visit_id=visit.visit_id,
                person_id=visit.person_id,
                name=f"{person.last_name} {person.first_name}",
                since=visit.checked_in_at or visit.expected_from,
                zone_id=None if seen is None else seen.zone_id,
                checkpoint=RECEPTION if seen is None else seen.checkpoint,
            )
        )
    return entries
