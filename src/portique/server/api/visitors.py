"""The visitors' API under ``/api/v1``: invitations, walk-ins, check-in and check-out, the
path of a visit, visit alerts, and the refusal list (administration only).

A pass is handed over once, in the answer that issued it (its QR text, and for a walk-in
the badge PDF); nothing keeps it.
"""

from __future__ import annotations

import base64
from datetime import date
from typing import Annotated

from fastapi import Query, status
from pydantic import AwareDatetime, BaseModel, Field

from portique.serializers import (
    EmailOut,
    PassOut,
    ReceptionOut,
    RefusalOut,
    VisitAlertOut,
    VisitEventOut,
    VisitOut,
)
from portique.server.api.common import (
    Lang,
    ManageRefusals,
    ManageVisits,
    Review,
    State,
    ViewAlerts,
    ViewRefusals,
    ViewVisits,
    api_router,
)
from portique.server.api.schemas import Body, Id, Name
from portique.server.state import AppState
from portique.server.visits import RowId, actor, receive, record_visit, send_invitation
from portique.visitors import (
    WALK_IN_DURATION,
    AlertKind,
    NewRefusal,
    NewVisit,
    RefusalAuthority,
    Visitor,
    VisitRequest,
    VisitStatus,
    acknowledge_alert,
    add_refusal,
    get_visit,
    invite,
    lift_refusal,
    list_refusals,
    list_visits,
    site_badge,
    site_labels,
    visit_alerts,
    visit_path,
    walk_in,
)

router = api_router(400, 401, 403, 404, 409, 422, 503)

Purpose = Annotated[str, Field(min_length=1, max_length=200)]


# Bodies -------------------------------------------------------------------------------


class VisitIn(Body):
    """An invitation. Without ``zones``, the pass opens every zone of the site."""

    last_name: Name
    first_name: Name
    birth_date: date | None = Field(
        default=None, description="Only to check the refusal list; not asked otherwise."
    )
    email: Annotated[str, Field(max_length=254)] | None = Field(
        default=None, description="Where the pass is sent."
    )
    purpose: Purpose
    host_id: Id = Field(description="The staff member who receives the visitor.")
    expected_from: AwareDatetime
    expected_until: AwareDatetime
    zones: list[Id] = Field(default_factory=list, max_length=50)
    send_email: bool = Field(default=True, description="Send the pass to ``email`` now.")


class WalkInIn(Body):
    """A walk-in at reception: checked in now, expected until ``expected_until`` (by
    default two hours from now)."""

    last_name: Name
    first_name: Name
    birth_date: date | None = None
    purpose: Purpose
    host_id: Id
    expected_until: AwareDatetime | None = None
    zones: list[Id] = Field(default_factory=list, max_length=50)


class NewVisitOut(BaseModel):
    visit: VisitOut
    visitor_pass: PassOut | None = Field(
        alias="pass", description="null for a refused walk-in (refusal list)."
    )
    alert: AlertKind | None = Field(description="``barred``: a walk-in refused.")
    email: EmailOut | None = Field(default=None, description="Invitations only.")
    badge_pdf: str | None = Field(
        default=None, description="Walk-ins: the CR80 badge to print, PDF in base64."
    )

    model_config = {"populate_by_name": True}

    @classmethod
    def of(
        cls, new: NewVisit, *, email: EmailOut | None = None, badge: bytes | None = None
    ) -> NewVisitOut:
        issued = new.visitor_pass
        return cls(
            visit=VisitOut.of(new.visit),
            visitor_pass=None if issued is None else PassOut.of(issued),
            alert=new.alert,
            email=email,
            badge_pdf=None if badge is None else base64.b64encode(badge).decode("ascii"),
        )


class VisitPathOut(BaseModel):
    visit: VisitOut
    path: list[VisitEventOut]


class RefusalIn(Body):
    last_name: Name
    first_name: Name
    birth_date: date
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    ordered_by: RefusalAuthority
    until: date = Field(description="Last day of the refusal (inclusive).")


# Visits -------------------------------------------------------------------------------


@router.get("/visits", tags=["visitors"])
def visits_list(
    state: State,
    _: ViewVisits,
    status_in: Annotated[list[VisitStatus] | None, Query(alias="status")] = None,
    since: AwareDatetime | None = None,
) -> list[VisitOut]:
    """Visits by expected start; ``status`` (repeatable) and ``since`` (visits ending at or
    after it) narrow the list."""
    with state.site.session() as session:
        visits = list_visits(session, state.site.site_id, statuses=status_in, since=since)
    return [VisitOut.of(visit) for visit in visits]


@router.post(
    "/visits", status_code=status.HTTP_201_CREATED, tags=["visitors"], response_model_by_alias=True
)
def visits_invite(body: VisitIn, state: State, principal: ManageVisits) -> NewVisitOut:
    """Invites a visitor: the visit, and a pass valid over the expected window (with the
    site's margin) in the zones given. The pass is e-mailed when ``email`` is given
    (``email.sent``); a visitor on the refusal list cannot be invited (403
    ``visitor_barred``)."""
    request = VisitRequest(
        Visitor(body.last_name, body.first_name, body.birth_date, body.email),
        body.purpose,
        body.host_id,
        body.expected_from,
        body.expected_until,
        tuple(body.zones),
    )
    new = record_visit(state, invite, request, by=actor(principal), now=state.now())
    email = send_invitation(state, new) if body.send_email else EmailOut(sent=False, error=None)
    return NewVisitOut.of(new, email=email)


@router.post(
    "/visits/walk-in",
    status_code=status.HTTP_201_CREATED,
    tags=["visitors"],
    response_model_by_alias=True,
)
def visits_walk_in(
    body: WalkInIn, state: State, lang: Lang, principal: ManageVisits
) -> NewVisitOut:
    """Registers a visitor at reception, checked in now, with the badge to print (no
    identity document is copied). Someone on the refusal list is refused: ``visit.status``
    ``refused``, no pass, ``alert`` ``barred`` (and an alert for the agents)."""
    now = state.now()
    request = VisitRequest(
        Visitor(body.last_name, body.first_name, body.birth_date),
        body.purpose,
        body.host_id,
        now,
        body.expected_until or now + WALK_IN_DURATION,
        tuple(body.zones),
    )
    with state.site.session() as session:
        new = walk_in(
            session, state.site.site_id, state.site.keyring(), request, by=actor(principal), now=now
        )
        badge = None
        if new.visitor_pass is not None:
            labels = site_labels(session, state.site.site_id)
            badge = site_badge(new.visit, new.visitor_pass, labels, lang=lang)
    return NewVisitOut.of(new, badge=badge)


@router.get("/visits/alerts", tags=["visitors"])
def visit_alerts_list(
    state: State, _: ViewAlerts, all_alerts: Annotated[bool, Query(alias="all")] = False
) -> list[VisitAlertOut]:
    """Alerts about visits no agent acknowledged yet (``all=true``: every one), newest
    first. Overstays and visitors not checked out at closing are raised as of now."""
    with state.site.session() as session:
        alerts = visit_alerts(
            session, state.site.site_id, now=state.now(), open_only=not all_alerts
        )
    return [VisitAlertOut.of(alert) for alert in alerts]


@router.post("/visits/alerts/{alert_id}/acknowledge", tags=["visitors"])
def visit_alerts_acknowledge(alert_id: RowId, state: State, principal: Review) -> VisitAlertOut:
    return VisitAlertOut.of(state.act(acknowledge_alert, alert_id, by=actor(principal)))


class ScanIn(Body):
    """The text of a pass read by reception's scanner (``PQ:...``)."""

    qr_text: Annotated[str, Field(min_length=1, max_length=4096)]


@router.post("/visits/check-in", tags=["visitors"])
def visits_scan_in(body: ScanIn, state: State, _: ManageVisits) -> ReceptionOut:
    """Checks in the visitor whose pass reception scanned (404 ``unknown_visit`` for a
    credential that is no visit's pass)."""
    return _scanned(state, body, arriving=True)


@router.post("/visits/check-out", tags=["visitors"])
def visits_scan_out(body: ScanIn, state: State, _: ManageVisits) -> ReceptionOut:
    """Checks out the visitor whose pass reception scanned."""
    return _scanned(state, body, arriving=False)


def _scanned(state: AppState, body: ScanIn, *, arriving: bool) -> ReceptionOut:
    return ReceptionOut.of(receive(state, arriving=arriving, qr_text=body.qr_text))


@router.get("/visits/{visit_id}", tags=["visitors"])
def visits_get(visit_id: str, state: State, _: ViewVisits) -> VisitPathOut:
    """A visit and its path: check-in, checkpoints (lane, zone, allowed, alert), check-out."""
    with state.site.session() as session:
        visit = get_visit(session, state.site.site_id, visit_id)
        path = visit_path(session, state.site.site_id, visit_id)
    return VisitPathOut(visit=VisitOut.of(visit), path=[VisitEventOut.of(e) for e in path])


@router.post("/visits/{visit_id}/check-in", tags=["visitors"])
def visits_check_in(visit_id: str, state: State, _: ManageVisits) -> ReceptionOut:
    """Checks the visitor in at reception (``pass_reused`` if already in)."""
    return ReceptionOut.of(receive(state, arriving=True, visit_id=visit_id))


@router.post("/visits/{visit_id}/check-out", tags=["visitors"])
def visits_check_out(visit_id: str, state: State, _: ManageVisits) -> ReceptionOut:
    """Checks the visitor out: the pass opens no lane again (409 if not on site)."""
    return ReceptionOut.of(receive(state, arriving=False, visit_id=visit_id))


# The refusal list ---------------------------------------------------------------------


@router.get("/refusals", tags=["refusals"])
def refusals_list(
    state: State, _: ViewRefusals, include_ended: Annotated[bool, Query(alias="all")] = False
) -> list[RefusalOut]:
    """The refusals in force (``all=true``: ended and lifted ones too), by name."""
    with state.site.session() as session:
        refusals = list_refusals(
            session, state.site.site_id, now=state.now(), include_ended=include_ended
        )
    return [RefusalOut.of(refusal) for refusal in refusals]


@router.post("/refusals", status_code=status.HTTP_201_CREATED, tags=["refusals"])
def refusals_add(body: RefusalIn, state: State, principal: ManageRefusals) -> RefusalOut:
    """Bars someone from the site until ``until``; recorded in the audit log."""
    refusal = NewRefusal(
        body.last_name, body.first_name, body.birth_date, body.reason, body.ordered_by, body.until
    )
    return RefusalOut.of(state.act(add_refusal, refusal, by=actor(principal)))


@router.post("/refusals/{refusal_id}/lift", tags=["refusals"])
def refusals_lift(refusal_id: RowId, state: State, principal: ManageRefusals) -> RefusalOut:
    """Ends a refusal now; recorded in the audit log."""
    return RefusalOut.of(state.act(lift_refusal, refusal_id, by=actor(principal)))
