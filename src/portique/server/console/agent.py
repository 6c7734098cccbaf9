"""The agent's console pages at the lane: live passages (server-sent events, see
static/live.js), alerts and referrals, the lockdown, and the on-site roster."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from portique.access import Outcome
from portique.errors import BadInputError
from portique.i18n import text
from portique.server import queries
from portique.server.auth import ConsoleUser, console_form, console_page
from portique.server.console.pages import State, render, see_other
from portique.server.roles import Permission
from portique.server.state import AppState
from portique.server.texts import negotiate, translator
from portique.services import declare_lockdown, lift_lockdown
from portique.services.snapshot import site_row
from portique.visitors import visit_alerts

router = APIRouter(include_in_schema=False)
RETURN_PAGES = frozenset({"/live", "/alerts"})


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
