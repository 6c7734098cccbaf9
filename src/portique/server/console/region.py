"""The regional supervision's page: every site's health in numbers (lanes online, open
alerts, passages in the last hour, referral rate), never a person."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from portique.server.console.pages import ViewRegion
from portique.server.region import site_health

router = APIRouter(include_in_schema=False)


@router.get("/region")
def region(page: ViewRegion) -> Response:
    state = page.state
    with state.site.session() as session:
        health = site_health(
            session, now=state.now(), lane_offline_after=state.settings.lane_offline_after
        )
    return page.render("region.html", health=health)
