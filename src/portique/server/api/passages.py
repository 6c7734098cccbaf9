"""The API of the entrance: lanes, passages (decided, listed, streamed live), alerts,
lockdown and the on-site roster, each open to the roles whose job needs it."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Annotated

from fastapi import Query, Request, status
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from portique.access import BadgeUid, Outcome, Presented
from portique.errors import PortiqueError
from portique.i18n import text
from portique.serializers import VisitAlertOut
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
from portique.server.live import LiveState
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


async def live_events(
    request: Request, state: AppState, lang: str, lane_id: str | None
) -> AsyncIterator[str]:
    """The event stream of the live console, from the process's live feed (one reading
    of the database for every stream; passages recorded by any process show up):
    ``passage`` new or changed, ``lockdown`` as it changes, ``alert`` for each alert as
    it is raised (an offline lane, ``kind`` ``lane_offline``; a visit's, ``kind`` its
    own: ``overstay``, ``not_checked_out``...).

    A browser that reconnects names the last passage it got (``Last-Event-ID``): the
    passages up to it are not sent again, unless answered since. Streams end after about
    ``live_stream_s``, each at its own moment, so that the consoles of a site do not all
    reconnect at once."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + state.settings.live_stream_s * random.uniform(0.75, 1.25)
    feed = state.live
    resumed_from = request.headers.get("Last-Event-ID", "")[:64]
    sent: dict[str, bool] = {}
    alerted: set[str] = set()
    lockdown_sent: bool | None = None
    seen = 0
    yield "retry: 2000\n\n"
    while loop.time() < deadline and not await request.is_disconnected():
        reading = feed.peek()
        if reading is None or feed.due():
            try:
                reading = await run_in_threadpool(feed.current)
            except PortiqueError:
                return
        if reading.generation != seen:
            if not seen and resumed_from:
                _resume(reading, resumed_from, sent)
            seen = reading.generation
            for chunk in _changes(reading, lang, lane_id, sent, alerted):
                yield chunk
            if reading.lockdown.in_force != lockdown_sent:
                lockdown_sent = reading.lockdown.in_force
                data = LockdownOut.of(reading.lockdown).model_dump_json()
                yield f"event: lockdown\ndata: {data}\n\n"
        await asyncio.sleep(state.settings.live_check_s)
    yield f"event: end\ndata: {json.dumps({'reconnect': True})}\n\n"


def _resume(reading: LiveState, last_id: str, sent: dict[str, bool]) -> None:
    """Marks the passages up to ``last_id`` (newest first in the reading) as sent
    unanswered: only those answered since go again."""
    ids = [view.passage_id for view in reading.passages]
    if last_id in ids:
        for passage_id in ids[ids.index(last_id) :]:
            sent[passage_id] = False


def _changes(
    reading: LiveState,
    lang: str,
    lane_id: str | None,
    sent: dict[str, bool],
    alerted: set[str],
) -> Iterator[str]:
    """The events a stream has not sent yet: passages new or answered, alerts new."""
    for view in reversed(reading.passages):
        if lane_id is not None and view.lane_id != lane_id:
            continue
        reviewed = view.review is not None
        if sent.get(view.passage_id) == reviewed:
            continue
        sent[view.passage_id] = reviewed
        data = PassageOut.labelled(view, lang).model_dump_json()
        yield f"event: passage\nid: {view.passage_id}\ndata: {data}\n\n"
    for lane in reading.offline:
        key = f"lane:{lane.lane_id}:{lane.last_seen_at.isoformat()}"
        if key not in alerted and (lane_id is None or lane.lane_id == lane_id):
            alerted.add(key)
            yield f"event: alert\ndata: {OfflineLaneOut.labelled(lane, lang).model_dump_json()}\n\n"
    for alert in reversed(reading.visits):
        key = f"visit:{alert.alert_id}"
        if key not in alerted:
            alerted.add(key)
            yield f"event: alert\ndata: {VisitAlertOut.of(alert).model_dump_json()}\n\n"


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
