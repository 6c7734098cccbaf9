"""The API of the entrance: lanes, passages (decided, listed, streamed live), alerts,
lockdown and the on-site roster, each open to the roles whose job needs it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Annotated

from fastapi import Query, Request, status
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from portique.access import BadgeUid, Outcome, Presented
from portique.errors import PortiqueError
from portique.i18n import text
from portique.server import queries
from portique.server.api.common import (
    Lang,
    Lockdown,
    RecordPassage,
    Review,
    State,
    ViewAlerts,
    ViewLanes,
    ViewLockdown,
    ViewPassages,
    ViewRoster,
    api_router,
    who,
)
from portique.server.api.schemas import (
    DecisionIn,
    LaneOut,
    LockdownOut,
    OfflineLaneOut,
    OnSiteOut,
    PassageDecisionOut,
    PassageIn,
    PassageOut,
    RosterOut,
    WaitingOut,
    ZoneCountOut,
)
from portique.server.errors import ForbiddenError, NotFoundError
from portique.server.roles import Role
from portique.server.state import AppState
from portique.services import declare_lockdown, lift_lockdown, presented_from_text

router = api_router(400, 401, 403, 404, 409, 422, 429, 503)


@router.get("/lanes", tags=["lanes"])
def lanes_list(state: State, _: ViewLanes) -> list[LaneOut]:
    with state.site.session() as session:
        return [LaneOut.of(lane) for lane in queries.lanes(session, state.site.site_id)]


@router.get("/passages", tags=["passages"])
def passages_list(
    state: State,
    lang: Lang,
    _: ViewPassages,
    lane_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[PassageOut]:
    """The latest passages, newest first."""
    with state.site.session() as session:
        views = queries.recent_passages(session, state.site.site_id, limit=limit, lane_id=lane_id)
    return [PassageOut.labelled(view, lang) for view in views]


@router.post("/passages", status_code=status.HTTP_201_CREATED, tags=["passages"])
def passages_record(
    body: PassageIn, state: State, lang: Lang, principal: RecordPassage
) -> PassageDecisionOut:
    """Decides a passage at a lane now, from the QR text a scanner typed or a badge UID,
    and records it. A credential that cannot be read is a refusal with its reason, not
    an error. A lane's token records at its own lane only, and gets back no name."""
    site = state.site
    with site.session() as session:
        if not queries.lane_exists(session, site.site_id, body.lane_id):
            raise _unknown_lane(body.lane_id)
    lane_token = principal.role is Role.LANE
    if lane_token and principal.lane_id != body.lane_id:
        raise ForbiddenError(
            text(
                "Ce jeton de voie n'enregistre des passages qu'à sa propre voie.",
                "This lane token records passages at its own lane only.",
            )
        )
    presented: Presented = (
        presented_from_text(body.qr_text)
        if body.qr_text is not None
        else BadgeUid(str(body.badge_uid))
    )
    with state.gate_lock:
        report = state.gate.pass_through(body.lane_id, presented, at=state.now())
    with site.session() as session:
        view = queries.passage(session, site.site_id, report.passage_id)
    if lane_token:
        view = replace(view, person_name=None)  # a lane shows a first name at most
    return PassageDecisionOut(passage=PassageOut.labelled(view, lang), latency_ms=report.latency_ms)


def _unknown_lane(lane_id: str) -> NotFoundError:
    return NotFoundError(text(f"Aucune voie {lane_id!r}.", f"No lane {lane_id!r}."))


@router.post("/passages/{passage_id}/decision", tags=["alerts"])
def passages_decide(
    passage_id: str, body: DecisionIn, state: State, lang: Lang, principal: Review
) -> PassageOut:
    """The agent's decision on a referral: grant or deny, with the reason (recorded)."""
    with state.site.session() as session:
        view = queries.review_passage(
            session,
            state.site.site_id,
            passage_id,
            by=who(principal),
            now=state.now(),
            outcome=Outcome(body.outcome),
            comment=body.comment,
        )
    return PassageOut.labelled(view, lang)


@router.get(
    "/passages/stream",
    tags=["passages"],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def passages_stream(
    request: Request,
    state: State,
    lang: Lang,
    _: ViewPassages,
    lane_id: Annotated[str | None, Query(max_length=64)] = None,
) -> StreamingResponse:
    """Server-sent events: ``passage`` for each passage new or changed (an alert
    answered), ``lockdown`` when the lockdown starts or ends. The stream closes after
    a while; EventSource reconnects by itself."""
    return StreamingResponse(
        live_events(request, state, lang, lane_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _poll(
    state: AppState, lane_id: str | None
) -> tuple[list[queries.PassageView], queries.LockdownView]:
    with state.site.session() as session:
        views = queries.recent_passages(
            session, state.site.site_id, limit=state.settings.recent_passages, lane_id=lane_id
        )
        return views, queries.lockdown(session, state.site.site_id)


async def live_events(
    request: Request, state: AppState, lang: str, lane_id: str | None
) -> AsyncIterator[str]:
    """The event stream of the live console: polls the site's passages, so passages
    recorded by any process (a lane agent, the CLI) show up too."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + state.settings.live_stream_s
    sent: dict[str, bool] = {}
    lockdown_sent: bool | None = None
    yield "retry: 2000\n\n"
    while loop.time() < deadline and not await request.is_disconnected():
        try:
            views, lockdown = await run_in_threadpool(_poll, state, lane_id)
        except PortiqueError:
            return
        for view in reversed(views):
            reviewed = view.review is not None
            if sent.get(view.passage_id) == reviewed:
                continue
            sent[view.passage_id] = reviewed
            data = PassageOut.labelled(view, lang).model_dump_json()
            yield f"event: passage\nid: {view.passage_id}\ndata: {data}\n\n"
        if lockdown.in_force != lockdown_sent:
            lockdown_sent = lockdown.in_force
            data = LockdownOut.of(lockdown).model_dump_json()
            yield f"event: lockdown\ndata: {data}\n\n"
        await asyncio.sleep(state.settings.live_poll_s)
    yield f"event: end\ndata: {json.dumps({'reconnect': True})}\n\n"


# Alerts -------------------------------------------------------------------------------


@router.get("/alerts", tags=["alerts"])
def alerts_list(state: State, lang: Lang, _: ViewAlerts) -> list[OfflineLaneOut | PassageOut]:
    """Offline lanes first (``kind`` ``lane_offline``: they clear themselves when the
    lane is heard from again), then alerts and referrals no agent has answered yet,
    newest first."""
    with state.site.session() as session:
        offline = queries.offline_lanes(
            session,
            state.site.site_id,
            now=state.now(),
            after=state.settings.lane_offline_after,
        )
        views = queries.open_alerts(session, state.site.site_id)
    alerts: list[OfflineLaneOut | PassageOut] = [
        OfflineLaneOut.labelled(lane, lang) for lane in offline
    ]
    return alerts + [PassageOut.labelled(view, lang) for view in views]


@router.get("/alerts/waiting", tags=["alerts"])
def alerts_waiting(state: State, _: ViewAlerts) -> WaitingOut:
    """What waits for the agents: the counter every console page shows and polls, the
    newest waiting passages (a new one sounds on the agent's console), the lanes offline
    and the lockdown."""
    with state.site.session() as session:
        found = queries.waiting(
            session, state.site.site_id, now=state.now(), after=state.settings.lane_offline_after
        )
    return WaitingOut.of(found)


@router.post("/alerts/{passage_id}/acknowledge", tags=["alerts"])
def alerts_acknowledge(passage_id: str, state: State, lang: Lang, principal: Review) -> PassageOut:
    with state.site.session() as session:
        view = queries.review_passage(
            session, state.site.site_id, passage_id, by=who(principal), now=state.now()
        )
    return PassageOut.labelled(view, lang)


# Lockdown and roster ------------------------------------------------------------------


@router.get("/lockdown", tags=["lockdown"])
def lockdown_get(state: State, _: ViewLockdown) -> LockdownOut:
    with state.site.session() as session:
        return LockdownOut.of(queries.lockdown(session, state.site.site_id))


@router.post("/lockdown/start", tags=["lockdown"])
def lockdown_start(state: State, principal: Lockdown) -> LockdownOut:
    """Every entry is refused from now on, until the lockdown ends."""
    with state.site.session() as session:
        declare_lockdown(session, state.site.site_id, by=who(principal), now=state.now())
        return LockdownOut.of(queries.lockdown(session, state.site.site_id))


@router.post("/lockdown/end", tags=["lockdown"])
def lockdown_end(state: State, principal: Lockdown) -> LockdownOut:
    with state.site.session() as session:
        lift_lockdown(session, state.site.site_id, by=who(principal), now=state.now())
        return LockdownOut.of(queries.lockdown(session, state.site.site_id))


@router.get("/roster", tags=["roster"])
def roster(state: State, _: ViewRoster) -> RosterOut:
    """Who is on site now (for an evacuation or a lockdown), visitors included, and how
    many in each zone."""
    now = state.now()
    with state.site.session() as session:
        entries = queries.on_site(session, state.site.site_id, now=now)
        zones = queries.zone_counts(session, state.site.site_id, entries)
    return RosterOut(
        at=now,
        count=len(entries),
        people=[OnSiteOut.of(e) for e in entries],
        zones=[ZoneCountOut.of(zone) for zone in zones],
    )
