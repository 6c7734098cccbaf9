"""The agent's console pages at the lane: live passages (server-sent events, see
static/live.js), alerts and referrals (pupils who left the school among them), the
lockdown, and the on-site roster."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.orm import Session

from portique.access import Outcome
from portique.errors import BadInputError
from portique.i18n import text
from portique.registers import recent_departures
from portique.server import queries
from portique.server.console.pages import (
    ChoiceField,
    Lockdown,
    NextPage,
    NoteField,
    Page,
    Review,
    ViewAlerts,
    ViewLockdown,
    ViewPassages,
    ViewRoster,
    see_other,
)
from portique.server.console.registers_texts import register_translator
from portique.server.state import AppState
from portique.services import declare_lockdown, lift_lockdown
from portique.services.rows import site_row
from portique.visitors import visit_alerts

router = APIRouter(include_in_schema=False)
RETURN_PAGES = frozenset({"/live", "/alerts"})


@router.get("/live")
def live(page: ViewPassages) -> Response:
    state = page.state
    with state.site.session() as session:
        lanes = queries.lanes(session, state.site.site_id)
        passages = queries.recent_passages(
            session, state.site.site_id, limit=state.settings.recent_passages
        )
        lockdown = queries.lockdown(session, state.site.site_id)
        offline = _offline_lanes(session, state)
    by_lane = {lane.lane_id: [p for p in passages if p.lane_id == lane.lane_id] for lane in lanes}
    return page.render(
        "live.html", lanes=lanes, by_lane=by_lane, lockdown=lockdown, offline=offline
    )


def _offline_lanes(session: Session, state: AppState) -> list[queries.OfflineLane]:
    after = state.settings.lane_offline_after
    return queries.offline_lanes(session, state.site.site_id, now=state.now(), after=after)


@router.get("/alerts")
def alerts(page: ViewAlerts) -> Response:
    state = page.state
    with state.site.session() as session:
        waiting = queries.open_alerts(session, state.site.site_id)
        offline = _offline_lanes(session, state)
        visits = visit_alerts(session, state.site.site_id, now=state.now())
        departures = recent_departures(
            session, state.site.site_id, now=state.now(), unacknowledged_only=True
        )
    return page.render(
        "alerts.html",
        alerts=waiting,
        offline=offline,
        visit_alerts=visits,
        departures=departures,
        r=register_translator(page.lang),
    )


@router.post("/alerts/{passage_id}/acknowledge")
def acknowledge(passage_id: str, page: Review, next_page: NextPage = "/alerts") -> Response:
    return _review(page, passage_id, next_page)


@router.post("/passages/{passage_id}/decision")
def decide_referral(
    passage_id: str,
    page: Review,
    outcome: ChoiceField = "",
    comment: NoteField = "",
    next_page: NextPage = "/alerts",
) -> Response:
    if outcome not in (Outcome.GRANT.value, Outcome.DENY.value):
        raise BadInputError(text("Décidez : autoriser ou refuser.", "Decide: grant or deny."))
    return _review(page, passage_id, next_page, Outcome(outcome), comment)


def _review(
    page: Page,
    passage_id: str,
    next_page: str,
    outcome: Outcome | None = None,
    comment: str | None = None,
) -> Response:
    """Records the agent's answer (see ``queries.review_passage``), then goes back to the
    page it came from."""
    state = page.state
    with state.site.session() as session:
        queries.review_passage(
            session,
            state.site.site_id,
            passage_id,
            by=page.user.principal.name,
            now=state.now(),
            outcome=outcome,
            comment=comment,
        )
    return see_other(next_page if next_page in RETURN_PAGES else "/alerts")


@router.get("/lockdown")
def lockdown_page(page: ViewLockdown) -> Response:
    return _lockdown(page)


def _lockdown(page: Page, error: str | None = None, status_code: int = 200) -> Response:
    with page.state.site.session() as session:
        current = queries.lockdown(session, page.state.site.site_id)
    return page.render("lockdown.html", status_code, lockdown=current, error=error)


@router.post("/lockdown")
def lockdown_change(
    page: Lockdown,
    action: ChoiceField = "",
    confirm: ChoiceField = "",
) -> Response:
    if action not in ("start", "end") or confirm != "yes":
        return _lockdown(page, page.t("confirm_needed"), 400)
    change = declare_lockdown if action == "start" else lift_lockdown
    page.state.act(change, by=page.user.principal.name)
    return see_other("/lockdown")


@router.get("/roster")
def roster(page: ViewRoster) -> Response:
    state = page.state
    now = state.now()
    with state.site.session() as session:
        entries = queries.on_site(session, state.site.site_id, now=now)
        zones = queries.zone_counts(session, state.site.site_id, entries)
        site_name = site_row(session, state.site.site_id).name
    return page.render("roster.html", entries=entries, zones=zones, at=now, site_name=site_name)
