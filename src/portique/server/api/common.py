"""What the API's routes share: the version prefix and the error answers, the state and
the language of a request, and the permission each route asks of its caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from portique.server.accounts import Principal
from portique.server.api.schemas import ErrorOut
from portique.server.auth import api_permission
from portique.server.roles import Permission
from portique.server.state import AppState, app_state
from portique.server.texts import negotiate

API_PREFIX = "/api/v1"


def api_router(*statuses: int) -> APIRouter:
    """A router under the API prefix whose routes may answer ``statuses`` with an error
    body (as the OpenAPI schema says)."""
    errors: dict[int | str, dict[str, object]] = {code: {"model": ErrorOut} for code in statuses}
    return APIRouter(prefix=API_PREFIX, responses=errors)


def who(principal: Principal) -> str:
    """How an agent's answer (a review, a lockdown) names the caller."""
    return principal.name[:64]


State = Annotated[AppState, Depends(app_state)]
Lang = Annotated[str, Depends(negotiate)]

ViewPeople = Annotated[Principal, Depends(api_permission(Permission.VIEW_PEOPLE))]
ManagePeople = Annotated[Principal, Depends(api_permission(Permission.MANAGE_PEOPLE))]
ManageCredentials = Annotated[Principal, Depends(api_permission(Permission.MANAGE_CREDENTIALS))]
ManageConsent = Annotated[Principal, Depends(api_permission(Permission.MANAGE_CONSENT))]
ViewLanes = Annotated[Principal, Depends(api_permission(Permission.VIEW_LANES))]
ViewPassages = Annotated[Principal, Depends(api_permission(Permission.VIEW_PASSAGES))]
RecordPassage = Annotated[Principal, Depends(api_permission(Permission.RECORD_PASSAGE))]
ViewAlerts = Annotated[Principal, Depends(api_permission(Permission.VIEW_ALERTS))]
Review = Annotated[Principal, Depends(api_permission(Permission.REVIEW))]
ViewLockdown = Annotated[Principal, Depends(api_permission(Permission.VIEW_LOCKDOWN))]
Lockdown = Annotated[Principal, Depends(api_permission(Permission.LOCKDOWN))]
ViewRoster = Annotated[Principal, Depends(api_permission(Permission.VIEW_ROSTER))]
ViewVisits = Annotated[Principal, Depends(api_permission(Permission.VIEW_VISITS))]
ManageVisits = Annotated[Principal, Depends(api_permission(Permission.MANAGE_VISITS))]
ViewRefusals = Annotated[Principal, Depends(api_permission(Permission.VIEW_REFUSALS))]
ManageRefusals = Annotated[Principal, Depends(api_permission(Permission.MANAGE_REFUSALS))]
