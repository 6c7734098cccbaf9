"""What the API and the console both do for a visit: record it, send its pass, and name
who made it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Path

from portique.serializers import EmailOut
from portique.server.accounts import Principal
from portique.server.state import AppState
from portique.visitors import (
    MailError,
    NewVisit,
    ReceptionResult,
    VisitRequest,
    check_in,
    check_out,
    send_pass,
    site_labels,
    visit_for_pass,
)

RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
"""The number of an alert or a refusal (a database integer)."""


def actor(principal: Principal) -> str:
    """How visits and refusals name who made them (as the audit log does)."""
    return f"account:{principal.name}"[:200]


def send_invitation(state: AppState, new: NewVisit) -> EmailOut:
    """Sends the pass of a new invitation; a failure is reported, not raised: the
    invitation stands and the pass can be printed."""
    if new.visitor_pass is None or not new.visit.email:
        return EmailOut(sent=False, error=None)
    try:
        with state.site.session() as session:
            labels = site_labels(session, state.site.site_id)
        send_pass(new.visit, new.visitor_pass, labels)
    except MailError as error:
        return EmailOut(sent=False, error=error.message)
    return EmailOut(sent=True, error=None)


def record_visit(
    state: AppState,
    create: Callable[..., NewVisit],
    request: VisitRequest,
    *,
    by: str,
    now: datetime,
) -> NewVisit:
    """Records a visit with ``create`` (``invite`` or ``walk_in``) in a session of its own."""
    site = state.site
    with site.session() as session:
        new: NewVisit = create(session, site.site_id, site.keyring(), request, by=by, now=now)
    return new


def receive(
    state: AppState, *, arriving: bool, visit_id: str | None = None, qr_text: str = ""
) -> ReceptionResult:
    """Checks a visitor in (or out) at reception: the visit named, or else the one whose
    pass reads ``qr_text``."""
    site = state.site
    change = check_in if arriving else check_out
    with site.session() as session:
        if visit_id is None:
            visit_id = visit_for_pass(session, site.site_id, site.keyring(), qr_text)
        return change(session, site.site_id, visit_id, now=state.now())
