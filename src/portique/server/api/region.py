"""The API of the regional supervision: every site's health in numbers, never a person."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from pydantic import BaseModel, Field

from portique.server.accounts import Principal
from portique.server.api.common import State, api_router
from portique.server.auth import api_permission
from portique.server.region import SiteHealth, site_health
from portique.server.roles import Permission

router = api_router(401, 403)

ViewRegion = Annotated[Principal, Depends(api_permission(Permission.VIEW_REGION))]


class SiteHealthOut(BaseModel, SiteHealth):
    """One site's health: counts and a rate, nothing about anyone."""

    lanes_online: int = Field(description="Lanes heard from lately and not gone.")
    open_alerts: int = Field(
        description="Offline lanes, passage alerts and referrals unanswered, visit alerts."
    )
    passages_per_hour: int = Field(description="Passages in the last hour.")
    referral_rate: float | None = Field(
        description="Share of the last hour's passages referred to an agent (none: no passage)."
    )


@router.get("/region/health", tags=["region"])
def region_health(state: State, _: ViewRegion) -> list[SiteHealthOut]:
    """Every site of the platform's database, with its health now."""
    with state.site.session() as session:
        health = site_health(
            session, now=state.now(), lane_offline_after=state.settings.lane_offline_after
        )
    return [SiteHealthOut.model_validate(site, from_attributes=True) for site in health]
