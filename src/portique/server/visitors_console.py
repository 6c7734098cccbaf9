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

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from portique.access import Role as PersonRole
from portique.credentials.card import CardFormat
from portique.errors import BadInputError
from portique.i18n import text
from portique.server.auth import ConsoleUser, console_form, console_page
from portique.server.console import State, render, see_other
from portique.server.roles import Permission
from portique.server.state import AppState
from portique.server.texts import negotiate
from portique.server.visitors_api import EmailOut, RowId, actor, record_visit, send_invitation
from portique.services import parse_date
from portique.services.rows import site_row
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
    check_in,
    check_out,
    get_visit,
    invite,
    lift_refusal,
    list_refusals,
    list_visits,
    pass_qr_png,
    site_badge,
    site_labels,
    typed_refusal,
    visit_for_pass,
    visit_path,
    walk_in,
    zone_list,
)

router = APIRouter(include_in_schema=False)

ViewVisits = Annotated[ConsoleUser, Depends(console_page(Permission.VIEW_VISITS))]
ManageVisits = Annotated[ConsoleUser, Depends(console_form(Permission.MANAGE_VISITS))]
Review = Annotated[ConsoleUser, Depends(console_form(Permission.REVIEW))]
ViewRefusals = Annotated[ConsoleUser, Depends(console_page(Permission.VIEW_REFUSALS))]
ManageRefusals = Annotated[ConsoleUser, Depends(console_form(Permission.MANAGE_REFUSALS))]
BADGE_CHOICES = ("show", "pdf")
ALERT_RETURN_PAGES = frozenset({"/alerts", "/visitors"})
Field200 = Annotated[str, Form(max_length=200)]
Short = Annotated[str, Form(max_length=20)]


def _timezone(state: AppState) -> ZoneInfo:
    with state.site.session() as session:
        return ZoneInfo(site_row(session, state.site.site_id).timezone)


def _moment(day: date, value: str, zone: ZoneInfo) -> datetime:
    """A time of day typed in a form (``HH:MM``) on ``day``, on the site's clock."""
    try:
        hour = time.fromisoformat(value.strip())
    except ValueError:
        raise BadInputError(
            text(f"Heure invalide : « {value} » (hh:mm).", f"Invalid time: {value!r} (hh:mm).")
        ) from None
    return datetime.combine(day, hour, tzinfo=zone)


def _optional_date(value: str) -> date | None:
    return parse_date(value) if value.strip() else None


# Today's visits -----------------------------------------------------------------------


def _visitors_page(
    request: Request,
    state: AppState,
    user: ConsoleUser,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    now = state.now()
    zone = _timezone(state)
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
    current = [visit for visit in visits if visit.status in PASS_IN_FORCE]
    return render(
        request,
        "visitors.html",
        user,
        status_code,
        current=current,
        others=[visit for visit in visits if visit.status not in PASS_IN_FORCE],
        hosts=hosts,
        zones=zones,
        today=now.astimezone(zone).date().isoformat(),
        error=error,
    )


@router.get("/visitors")
def visitors(request: Request, state: State, user: ViewVisits) -> Response:
    return _visitors_page(request, state, user)


def _visit_page(
    request: Request,
    state: AppState,
    user: ConsoleUser,
    visit_id: str,
    *,
    new: NewVisit | None = None,
    email: EmailOut | None = None,
    badge: bytes | None = None,
) -> Response:
    site_id = state.site.site_id
    with state.site.session() as session:
        visit = get_visit(session, site_id, visit_id)
        path = visit_path(session, site_id, visit_id)
        alerts = alerts_of_visit(session, site_id, visit_id)
        labels = site_labels(session, site_id)
    issued = None if new is None else new.visitor_pass
    qr = None if issued is None or badge is not None else pass_qr_png(issued)
    return render(
        request,
        "visitors_visit.html",
        user,
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
def visit_page(visit_id: str, request: Request, state: State, user: ViewVisits) -> Response:
    return _visit_page(request, state, user, visit_id)


def _request(
    *,
    last_name: str,
    first_name: str,
    birth_date: str,
    email: str,
    purpose: str,
    host_id: str,
    start: datetime,
    end: datetime,
    zones: list[str],
) -> VisitRequest:
    return VisitRequest(
        Visitor(last_name, first_name, _optional_date(birth_date), email.strip() or None),
        purpose,
        host_id,
        start,
        end,
        tuple(zones),
    )


@router.post("/visitors/invite")
def visit_invite(
    request: Request,
    state: State,
    user: ManageVisits,
    last_name: Field200 = "",
    first_name: Field200 = "",
    birth_date: Short = "",
    email: Annotated[str, Form(max_length=254)] = "",
    purpose: Field200 = "",
    host_id: Annotated[str, Form(max_length=64)] = "",
    day: Short = "",
    start: Short = "",
    end: Short = "",
    zones: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Invites a visitor; the pass is sent by e-mail when an address is given, and shown
    once in the answer to print."""
    try:
        zone = _timezone(state)
        visit_day = parse_date(day)
        visit_request = _request(
            last_name=last_name,
            first_name=first_name,
            birth_date=birth_date,
            email=email,
            purpose=purpose,
            host_id=host_id,
            start=_moment(visit_day, start, zone),
            end=_moment(visit_day, end, zone),
            zones=zones or [],
        )
        new = record_visit(state, invite, visit_request, by=actor(user.principal), now=state.now())
    except BadInputError as error:
        return _visitors_page(request, state, user, error=error.message, status_code=400)
    email_out = send_invitation(state, new)
    return _visit_page(request, state, user, new.visit.visit_id, new=new, email=email_out)


@router.post("/visitors/walk-in")
def visit_walk_in(
    request: Request,
    state: State,
    user: ManageVisits,
    last_name: Field200 = "",
    first_name: Field200 = "",
    birth_date: Short = "",
    purpose: Field200 = "",
    host_id: Annotated[str, Form(max_length=64)] = "",
    end: Short = "",
    zones: Annotated[list[str] | None, Form()] = None,
    badge: Annotated[str, Form(max_length=10)] = "show",
) -> Response:
    """Registers a walk-in, checked in now: the badge is shown to print, or handed over as
    a PDF for a badge printer. A visitor on the refusal list is refused and flagged."""
    now = state.now()
    lang = negotiate(request)
    try:
        if badge not in BADGE_CHOICES:
            raise BadInputError(text("Choix de badge invalide.", "Invalid badge choice."))
        zone = _timezone(state)
        until = (
            _moment(now.astimezone(zone).date(), end, zone)
            if end.strip()
            else now + WALK_IN_DURATION
        )
        visit_request = _request(
            last_name=last_name,
            first_name=first_name,
            birth_date=birth_date,
            email="",
            purpose=purpose,
            host_id=host_id,
            start=now,
            end=until,
            zones=zones or [],
        )
        new = record_visit(state, walk_in, visit_request, by=actor(user.principal), now=now)
    except BadInputError as error:
        return _visitors_page(request, state, user, error=error.message, status_code=400)
    if new.visitor_pass is None:
        return _visit_page(request, state, user, new.visit.visit_id, new=new)
    with state.site.session() as session:
        labels = site_labels(session, state.site.site_id)
    fmt: CardFormat = "pdf" if badge == "pdf" else "png"
    printed = site_badge(new.visit, new.visitor_pass, labels, fmt=fmt, lang=lang)
    if fmt == "pdf":
        name = f"badge-{new.visit.visit_id}.pdf"
        return Response(
            printed,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return _visit_page(request, state, user, new.visit.visit_id, new=new, badge=printed)


@router.post("/visitors/scan")
def visit_scan(
    request: Request,
    state: State,
    user: ManageVisits,
    qr_text: Annotated[str, Form(max_length=4096)] = "",
    action: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Reception's scanner typed a pass: check its visitor in or out."""
    change = {"in": check_in, "out": check_out}.get(action)
    try:
        if change is None:
            raise BadInputError(text("Arrivée ou départ ?", "Check in or out?"))
        with state.site.session() as session:
            visit_id = visit_for_pass(session, state.site.site_id, state.site.keyring(), qr_text)
            change(session, state.site.site_id, visit_id, now=state.now())
    except BadInputError as error:
        return _visitors_page(request, state, user, error=error.message, status_code=400)
    return see_other(f"/visitors/{visit_id}")


@router.post("/visitors/{visit_id}/check-in")
def visit_check_in(visit_id: str, state: State, user: ManageVisits) -> Response:
    with state.site.session() as session:
        check_in(session, state.site.site_id, visit_id, now=state.now())
    return see_other(f"/visitors/{visit_id}")


@router.post("/visitors/{visit_id}/check-out")
def visit_check_out(visit_id: str, state: State, user: ManageVisits) -> Response:
    with state.site.session() as session:
        check_out(session, state.site.site_id, visit_id, now=state.now())
    return see_other("/visitors")


@router.post("/visitors/alerts/{alert_id}/acknowledge")
def visit_alert_acknowledge(
    alert_id: RowId,
    state: State,
    user: Review,
    next_page: Annotated[str, Form(alias="next", max_length=50)] = "/alerts",
) -> Response:
    with state.site.session() as session:
        acknowledge_alert(
            session, state.site.site_id, alert_id, by=actor(user.principal), now=state.now()
        )
    return see_other(next_page if next_page in ALERT_RETURN_PAGES else "/alerts")


# The refusal list ---------------------------------------------------------------------


def _refusals_page(
    request: Request,
    state: AppState,
    user: ConsoleUser,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    with state.site.session() as session:
        refusals = list_refusals(session, state.site.site_id, now=state.now(), include_ended=True)
    today = state.now().astimezone(_timezone(state)).date()
    return render(
        request,
        "visitors_refusals.html",
        user,
        status_code,
        refusals=refusals,
        authorities=list(RefusalAuthority),
        today=today,
        error=error,
    )


@router.get("/refusals")
def refusals(request: Request, state: State, user: ViewRefusals) -> Response:
    return _refusals_page(request, state, user)


@router.post("/refusals")
def refusal_add(
    request: Request,
    state: State,
    user: ManageRefusals,
    last_name: Field200 = "",
    first_name: Field200 = "",
    birth_date: Short = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    ordered_by: Short = "",
    until: Short = "",
) -> Response:
    try:
        refusal = typed_refusal(
            last_name,
            first_name,
            birth_date,
            reason,
            ordered_by,
            until,
            bad_authority=text("Autorité inconnue.", "Unknown authority."),
        )
        with state.site.session() as session:
            add_refusal(
                session, state.site.site_id, refusal, by=actor(user.principal), now=state.now()
            )
    except BadInputError as error:
        return _refusals_page(request, state, user, error=error.message, status_code=400)
    return see_other("/refusals")


@router.post("/refusals/{refusal_id}/lift")
def refusal_lift(refusal_id: RowId, state: State, user: ManageRefusals) -> Response:
    with state.site.session() as session:
        lift_refusal(
            session, state.site.site_id, refusal_id, by=actor(user.principal), now=state.now()
        )
    return see_other("/refusals")
