"""The console: server-rendered pages, signing in, and the agent's pages at the lane.

Every form posts back with the CSRF token of its session; every page shows only what
the signed-in role may see. Live passages arrive by server-sent events (static/live.js).
The administration's pages are in ``portique.server.administration``, rendered by
:func:`render` here.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from portique.access import Outcome, outcome_label, reason_label
from portique.errors import BadInputError, PortiqueError
from portique.i18n import text
from portique.server import queries
from portique.server.accounts import account_principal, authenticate
from portique.server.auth import (
    CSRF_FIELD,
    SESSION_COOKIE,
    ConsoleUser,
    client_address,
    console_form,
    console_page,
    console_session,
)
from portique.server.roles import Permission, Role, allowed
from portique.server.state import AppState, app_state
from portique.server.texts import negotiate, translator
from portique.services import (
    declare_lockdown,
    lift_lockdown,
)
from portique.services.rows import site_row
from portique.visitors import visit_alerts

router = APIRouter(include_in_schema=False)
LOGIN_COOKIE = "portique_login"
HOME: dict[Role, str] = {
    Role.AGENT: "/live",
    Role.ADMINISTRATION: "/people",
    Role.DPO: "/live",
    Role.AUDITOR: "/live",
    Role.LANE: "/login",
}
NAVIGATION: tuple[tuple[str, str, Permission], ...] = (
    ("/live", "live", Permission.VIEW_PASSAGES),
    ("/alerts", "alerts", Permission.VIEW_ALERTS),
    ("/lockdown", "lockdown", Permission.VIEW_LOCKDOWN),
    ("/roster", "roster", Permission.VIEW_ROSTER),
    ("/visitors", "visitors", Permission.VIEW_VISITS),
    ("/people", "people", Permission.VIEW_PEOPLE),
    ("/people/import", "import", Permission.MANAGE_PEOPLE),
    ("/lanes", "lanes_timetables", Permission.VIEW_SITE),
    ("/refusals", "refusals", Permission.VIEW_REFUSALS),
)
RETURN_PAGES = frozenset({"/live", "/alerts"})

State = Annotated[AppState, Depends(app_state)]


def render(
    request: Request,
    name: str,
    user: ConsoleUser | None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    state = app_state(request)
    lang = negotiate(request)
    zone = ZoneInfo(_timezone(state))

    def clock(moment: datetime | None, with_date: bool = False) -> str:
        if moment is None:
            return ""
        local = moment.astimezone(zone)
        return local.strftime("%d/%m/%Y %H:%M:%S" if with_date else "%H:%M:%S")

    role = None if user is None else user.principal.role
    return state.templates.TemplateResponse(
        request,
        name,
        {
            "t": translator(lang),
            "lang": lang,
            "other_lang": "en" if lang == "fr" else "fr",
            "user": None if user is None else user.principal,
            "csrf": None if user is None else user.session.csrf,
            "csrf_field": CSRF_FIELD,
            "navigation": [
                (path, key)
                for path, key, permission in NAVIGATION
                if role is not None and allowed(role, permission)
            ],
            "can": (lambda permission: role is not None and allowed(role, Permission(permission))),
            "clock": clock,
            "reason_label": lambda reason: reason_label(reason, lang),
            "outcome_label": lambda outcome: outcome_label(outcome, lang),
            "path": request.url.path,
            **context,
        },
        status_code=status_code,
    )


def _timezone(state: AppState) -> str:
    with state.site.session() as session:
        return site_row(session, state.site.site_id).timezone


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _cookie(response: Response, state: AppState, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        secure=not state.settings.plain_http,
        httponly=True,
        samesite="strict",
    )


# Signing in and out -------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request, state: State) -> Response:
    return _login_form(request, state)


def _login_form(
    request: Request, state: State, error: str | None = None, status_code: int = 200
) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", None, status_code, login_csrf=token, error=error)
    _cookie(response, state, LOGIN_COOKIE, token, 3600)
    return response


@router.post("/login")
def login(
    request: Request,
    state: State,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not secrets.compare_digest(expected.encode(), csrf.encode()):
        return _login_form(request, state, translator(negotiate(request))("csrf_login"), 403)
    now = state.now()
    client = client_address(request)
    try:
        state.limiter.check(client, now=now, state=state)
        principal = authenticate(state.site, username, password, now=now, settings=state.settings)
    except PortiqueError as error:
        state.limiter.failed(client, now=now)
        status = 429 if error.code == "locked_out" else 401
        return _login_form(request, state, error.message, status)
    state.limiter.succeeded(client)
    if principal.role is Role.LANE:
        return _login_form(request, state, None, 403)
    session = state.sessions.open(principal.name, now=now, state=state)
    response = see_other(HOME[principal.role])
    lifetime = int(state.settings.session_lifetime.total_seconds())
    _cookie(response, state, SESSION_COOKIE, session.session_id, lifetime)
    response.delete_cookie(
        LOGIN_COOKIE, path="/", secure=not state.settings.plain_http, samesite="strict"
    )
    return response


@router.post("/logout")
def logout(
    request: Request, state: State, user: Annotated[ConsoleUser, Depends(console_form(None))]
) -> Response:
    state.sessions.close(user.session.session_id)
    response = see_other("/login")
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        secure=not state.settings.plain_http,
        httponly=True,
        samesite="strict",
    )
    return response


@router.get("/")
def home(request: Request) -> Response:
    state = app_state(request)
    session = console_session(request)
    if session is None:
        return see_other("/login")
    with state.site.session() as db:
        principal = account_principal(db, state.site.site_id, session.username)
    return see_other("/login" if principal is None else HOME[principal.role])


# The agent's pages --------------------------------------------------------------------


@router.get("/live")
def live(
    request: Request,
    state: State,
    user: Annotated[ConsoleUser, Depends(console_page(Permission.VIEW_PASSAGES))],
) -> Response:
    with state.site.session() as session:
        lanes = queries.lanes(session, state.site.site_id)
        passages = queries.recent_passages(
            session, state.site.site_id, limit=state.settings.recent_passages
        )
        lockdown = queries.lockdown(session, state.site.site_id)
        offline = _offline_lanes(session, state)
    by_lane = {lane.lane_id: [p for p in passages if p.lane_id == lane.lane_id] for lane in lanes}
    return render(
        request,
        "live.html",
        user,
        lanes=lanes,
        by_lane=by_lane,
        lockdown=lockdown,
        offline=offline,
    )


def _offline_lanes(session: Session, state: AppState) -> list[queries.OfflineLane]:
    after = state.settings.lane_offline_after
    return queries.offline_lanes(session, state.site.site_id, now=state.now(), after=after)


@router.get("/alerts")
def alerts(
    request: Request,
    state: State,
    user: Annotated[ConsoleUser, Depends(console_page(Permission.VIEW_ALERTS))],
) -> Response:
    with state.site.session() as session:
        waiting = queries.open_alerts(session, state.site.site_id)
        offline = _offline_lanes(session, state)
        visits = visit_alerts(session, state.site.site_id, now=state.now())
    return render(
        request, "alerts.html", user, alerts=waiting, offline=offline, visit_alerts=visits
    )


def _back(next_page: str) -> RedirectResponse:
    return see_other(next_page if next_page in RETURN_PAGES else "/alerts")


@router.post("/alerts/{passage_id}/acknowledge")
def acknowledge(
    passage_id: str,
    state: State,
    user: Annotated[ConsoleUser, Depends(console_form(Permission.REVIEW))],
    next_page: Annotated[str, Form(alias="next", max_length=50)] = "/alerts",
) -> Response:
    with state.site.session() as session:
        queries.review_passage(
            session, state.site.site_id, passage_id, by=user.principal.name, now=state.now()
        )
    return _back(next_page)


@router.post("/passages/{passage_id}/decision")
def decide_referral(
    passage_id: str,
    state: State,
    user: Annotated[ConsoleUser, Depends(console_form(Permission.REVIEW))],
    outcome: Annotated[str, Form(max_length=10)] = "",
    comment: Annotated[str, Form(max_length=500)] = "",
    next_page: Annotated[str, Form(alias="next", max_length=50)] = "/alerts",
) -> Response:
    if outcome not in (Outcome.GRANT.value, Outcome.DENY.value):
        raise BadInputError(text("Décidez : autoriser ou refuser.", "Decide: grant or deny."))
    with state.site.session() as session:
        queries.review_passage(
            session,
            state.site.site_id,
            passage_id,
            by=user.principal.name,
            now=state.now(),
            outcome=Outcome(outcome),
            comment=comment,
        )
    return _back(next_page)


@router.get("/lockdown")
def lockdown_page(
    request: Request,
    state: State,
    user: Annotated[ConsoleUser, Depends(console_page(Permission.VIEW_LOCKDOWN))],
) -> Response:
    return _lockdown(request, state, user)


def _lockdown(
    request: Request,
    state: AppState,
    user: ConsoleUser,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    with state.site.session() as session:
        current = queries.lockdown(session, state.site.site_id)
    return render(request, "lockdown.html", user, status_code, lockdown=current, error=error)


@router.post("/lockdown")
def lockdown_change(
    request: Request,
    state: State,
    user: Annotated[ConsoleUser, Depends(console_form(Permission.LOCKDOWN))],
    action: Annotated[str, Form(max_length=10)] = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    if action not in ("start", "end") or confirm != "yes":
        t = translator(negotiate(request))
        return _lockdown(request, state, user, t("confirm_needed"), 400)
    change = declare_lockdown if action == "start" else lift_lockdown
    with state.site.session() as session:
        change(session, state.site.site_id, by=user.principal.name, now=state.now())
    return see_other("/lockdown")


@router.get("/roster")
def roster(
    request: Request,
    state: State,
    user: Annotated[ConsoleUser, Depends(console_page(Permission.VIEW_ROSTER))],
) -> Response:
    now = state.now()
    with state.site.session() as session:
        entries = queries.on_site(session, state.site.site_id, now=now)
        zones = queries.zone_counts(session, state.site.site_id, entries)
        site_name = site_row(session, state.site.site_id).name
    return render(
        request, "roster.html", user, entries=entries, zones=zones, at=now, site_name=site_name
    )
