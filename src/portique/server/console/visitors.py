"""The console's visitor pages: today's visits at reception (invite, walk-in, check-in,
check-out), one visit's path as a timeline, visit alerts, and the refusal list.

A pass is shown once, in the answer to the form that issued it (the QR code of an
invitation, the badge of a walk-in, or the badge as a PDF to print); nothing keeps it.
"""

from __future__ import annotations

import base64
from datetime import date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form
from fastapi.responses import Response
from sqlalchemy import select

from portique.access import Role as PersonRole
from portique.credentials.card import CardFormat
from portique.errors import BadInputError
from portique.i18n import text
from portique.serializers import EmailOut
from portique.server.console.pages import (
    ChoiceField,
    IdField,
    ManageRefusals,
    ManageVisits,
    NextPage,
    NoteField,
    Page,
    PersonFields,
    PersonForm,
    Review,
    ShortField,
    TextField,
    ViewRefusals,
    ViewVisits,
    download,
    see_other,
    site_zone,
)
from portique.server.visits import RowId, actor, receive, record_visit, send_invitation
from portique.services import parse_date
from portique.store import PersonRow, Sites
from portique.visitors import (
    PASS_IN_FORCE,
    WALK_IN_DURATION,
    NewVisit,
    RefusalAuthority,
    Visitor,
    VisitRequest,
    acknowledge_alert,
    add_refusal,
    alerts_of_visit,
    get_visit,
    invite,
    lift_refusal,
    list_refusals,
    list_visits,
    pass_qr_png,
    site_badge,
    site_labels,
    typed_refusal,
    visit_path,
    walk_in,
    zone_list,
)

router = APIRouter(include_in_schema=False)

BADGE_CHOICES = ("show", "pdf")
ALERT_RETURN_PAGES = frozenset({"/alerts", "/visitors"})
Zones = Annotated[list[str] | None, Form()]


def _moment(day: date, value: str, zone: ZoneInfo) -> datetime:
    """A time of day typed in a form (``HH:MM``) on ``day``, on the site's clock."""
    try:
        hour = time.fromisoformat(value.strip())
    except ValueError:
        raise BadInputError(
            text(f"Heure invalide : « {value} » (hh:mm).", f"Invalid time: {value!r} (hh:mm).")
        ) from None
    return datetime.combine(day, hour, tzinfo=zone)


def _visitor(person: PersonForm, email: str = "") -> Visitor:
    """A visitor as typed in a form: the birth date only if given (for the refusal list)."""
    born = parse_date(person.birth_date) if person.birth_date.strip() else None
    return Visitor(person.last_name, person.first_name, born, email.strip() or None)


# Today's visits -----------------------------------------------------------------------


def _visitors_page(page: Page, error: str | None = None, status_code: int = 200) -> Response:
    state = page.state
    now = state.now()
    zone = site_zone(state)
    midnight = datetime.combine(now.astimezone(zone).date(), time.min, tzinfo=zone)
    site_id = state.site.site_id
    with state.site.session() as session:
        visits = list_visits(session, site_id, since=midnight)
        hosts = session.scalars(
            select(PersonRow)
            .where(
                PersonRow.site_id == site_id,
                PersonRow.role == PersonRole.STAFF.value,
                PersonRow.active.is_(True),
            )
            .order_by(PersonRow.last_name, PersonRow.first_name)
        ).all()
        zones = Sites(session).zones(site_id)
    return page.render(
        "visitors.html",
        status_code,
        current=[visit for visit in visits if visit.status in PASS_IN_FORCE],
        others=[visit for visit in visits if visit.status not in PASS_IN_FORCE],
        hosts=hosts,
        zones=zones,
        today=now.astimezone(zone).date().isoformat(),
        error=error,
    )


@router.get("/visitors")
def visitors(page: ViewVisits) -> Response:
    return _visitors_page(page)


def _visit_page(
    page: Page,
    visit_id: str,
    *,
    new: NewVisit | None = None,
    email: EmailOut | None = None,
    badge: bytes | None = None,
) -> Response:
    site_id = page.state.site.site_id
    with page.state.site.session() as session:
        visit = get_visit(session, site_id, visit_id)
        path = visit_path(session, site_id, visit_id)
        alerts = alerts_of_visit(session, site_id, visit_id)
        labels = site_labels(session, site_id)
    issued = None if new is None else new.visitor_pass
    qr = None if issued is None or badge is not None else pass_qr_png(issued)
    return page.render(
        "visitors_visit.html",
        201 if new is not None else 200,
        visit=visit,
        path=path,
        alerts=alerts,
        zones=zone_list(visit.zones, labels.zone_names),
        new=new,
        email=email,
        qr=None if qr is None else base64.b64encode(qr).decode("ascii"),
        badge=None if badge is None else base64.b64encode(badge).decode("ascii"),
    )


@router.get("/visitors/{visit_id}")
def visit_page(visit_id: str, page: ViewVisits) -> Response:
    return _visit_page(page, visit_id)


@router.post("/visitors/invite")
def visit_invite(
    page: ManageVisits,
    person: PersonFields,
    email: Annotated[str, Form(max_length=254)] = "",
    purpose: TextField = "",
    host_id: IdField = "",
    day: ShortField = "",
    start: ShortField = "",
    end: ShortField = "",
    zones: Zones = None,
) -> Response:
    """Invites a visitor; the pass is sent by e-mail when an address is given, and shown
    once in the answer to print."""
    state = page.state
    try:
        zone = site_zone(state)
        visit_day = parse_date(day)
        visitor = _visitor(person, email)
        when = _moment(visit_day, start, zone), _moment(visit_day, end, zone)
        request = VisitRequest(visitor, purpose, host_id, *when, tuple(zones or ()))
        new = record_visit(state, invite, request, by=actor(page.user.principal), now=state.now())
    except BadInputError as error:
        return _visitors_page(page, error.message, 400)
    email_out = send_invitation(state, new)
    return _visit_page(page, new.visit.visit_id, new=new, email=email_out)


@router.post("/visitors/walk-in")
def visit_walk_in(
    page: ManageVisits,
    person: PersonFields,
    purpose: TextField = "",
    host_id: IdField = "",
    end: ShortField = "",
    zones: Zones = None,
    badge: ChoiceField = "show",
) -> Response:
    """Registers a walk-in, checked in now: the badge is shown to print, or handed over as
    a PDF for a badge printer. A visitor on the refusal list is refused and flagged."""
    state = page.state
    now = state.now()
    try:
        if badge not in BADGE_CHOICES:
            raise BadInputError(text("Choix de badge invalide.", "Invalid badge choice."))
        zone = site_zone(state)
        today = now.astimezone(zone).date()
        until = _moment(today, end, zone) if end.strip() else now + WALK_IN_DURATION
        visitor = _visitor(person)
        request = VisitRequest(visitor, purpose, host_id, now, until, tuple(zones or ()))
        new = record_visit(state, walk_in, request, by=actor(page.user.principal), now=now)
    except BadInputError as error:
        return _visitors_page(page, error.message, 400)
    if new.visitor_pass is None:
        return _visit_page(page, new.visit.visit_id, new=new)
    with state.site.session() as session:
        labels = site_labels(session, state.site.site_id)
    fmt: CardFormat = "pdf" if badge == "pdf" else "png"
    printed = site_badge(new.visit, new.visitor_pass, labels, fmt=fmt, lang=page.lang)
    if fmt == "pdf":
        return download(printed, "application/pdf", f"badge-{new.visit.visit_id}.pdf")
    return _visit_page(page, new.visit.visit_id, new=new, badge=printed)


@router.post("/visitors/scan")
def visit_scan(
    page: ManageVisits,
    qr_text: Annotated[str, Form(max_length=4096)] = "",
    action: ChoiceField = "",
) -> Response:
    """Reception's scanner typed a pass: check its visitor in or out."""
    try:
        if action not in ("in", "out"):
            raise BadInputError(text("Arrivée ou départ ?", "Check in or out?"))
        result = receive(page.state, arriving=action == "in", qr_text=qr_text)
    except BadInputError as error:
        return _visitors_page(page, error.message, 400)
    return see_other(f"/visitors/{result.visit.visit_id}")


@router.post("/visitors/{visit_id}/check-in")
def visit_check_in(visit_id: str, page: ManageVisits) -> Response:
    receive(page.state, arriving=True, visit_id=visit_id)
    return see_other(f"/visitors/{visit_id}")


@router.post("/visitors/{visit_id}/check-out")
def visit_check_out(visit_id: str, page: ManageVisits) -> Response:
    receive(page.state, arriving=False, visit_id=visit_id)
    return see_other("/visitors")


@router.post("/visitors/alerts/{alert_id}/acknowledge")
def visit_alert_acknowledge(
    alert_id: RowId,
    page: Review,
    next_page: NextPage = "/alerts",
) -> Response:
    page.state.act(acknowledge_alert, alert_id, by=actor(page.user.principal))
    return see_other(next_page if next_page in ALERT_RETURN_PAGES else "/alerts")


# The refusal list ---------------------------------------------------------------------


def _refusals_page(page: Page, error: str | None = None, status_code: int = 200) -> Response:
    state = page.state
    with state.site.session() as session:
        refusals = list_refusals(session, state.site.site_id, now=state.now(), include_ended=True)
    return page.render(
        "visitors_refusals.html",
        status_code,
        refusals=refusals,
        authorities=list(RefusalAuthority),
        today=state.now().astimezone(site_zone(state)).date(),
        error=error,
    )


@router.get("/refusals")
def refusals(page: ViewRefusals) -> Response:
    return _refusals_page(page)


@router.post("/refusals")
def refusal_add(
    page: ManageRefusals,
    person: PersonFields,
    reason: NoteField = "",
    ordered_by: ShortField = "",
    until: ShortField = "",
) -> Response:
    state = page.state
    bad_authority = text("Autorité inconnue.", "Unknown authority.")
    try:
        typed = (person.last_name, person.first_name, person.birth_date, reason, ordered_by, until)
        refusal = typed_refusal(*typed, bad_authority=bad_authority)
        state.act(add_refusal, refusal, by=actor(page.user.principal))
    except BadInputError as error:
        return _refusals_page(page, error.message, 400)
    return see_other("/refusals")


@router.post("/refusals/{refusal_id}/lift")
def refusal_lift(refusal_id: RowId, page: ManageRefusals) -> Response:
    page.state.act(lift_refusal, refusal_id, by=actor(page.user.principal))
    return see_other("/refusals")
