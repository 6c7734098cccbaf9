"""The regional supervision's view: each site's health in numbers, never a person.

What a regional account sees of a site is counted in the database and leaves it as
numbers only: lanes (how many, how many online), open alerts, passages in the last
hour and the share of them referred to an agent. No name, no person's id, no credential,
no passage: the query reads counts, so nothing personal can slip into the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from portique.access import Outcome
from portique.store import LaneRow, LaneStatusRow, PassageRow, SiteRow, VisitAlertRow
from portique.store.models import PassageReviewRow

HEALTH_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class SiteHealth:
    """One site's health at ``at``: counts and a rate, nothing about anyone."""

    site_id: str
    name: str
    lanes: int
    lanes_online: int
    open_alerts: int
    passages_per_hour: int
    referral_rate: float | None
    """Share of the last hour's passages referred to an agent; None without passages."""


def _per_site(session: Session, query: Select[str, int]) -> dict[str, int]:
    return {site_id: int(count) for site_id, count in session.execute(query)}


def site_health(
    session: Session, *, now: datetime, lane_offline_after: timedelta
) -> list[SiteHealth]:
    """The health of every site of the database, by site id."""
    since = now - HEALTH_WINDOW
    lanes = _per_site(session, select(LaneRow.site_id, func.count()).group_by(LaneRow.site_id))
    online = _per_site(
        session,
        select(LaneStatusRow.site_id, func.count())
        .where(
            LaneStatusRow.online.is_(True), LaneStatusRow.last_seen_at >= now - lane_offline_after
        )
        .group_by(LaneStatusRow.site_id),
    )
    offline = _per_site(
        session,
        select(LaneStatusRow.site_id, func.count())
        .where(
            or_(
                LaneStatusRow.online.is_(False),
                LaneStatusRow.last_seen_at < now - lane_offline_after,
            )
        )
        .group_by(LaneStatusRow.site_id),
    )
    passage_alerts = _per_site(
        session,
        select(PassageRow.site_id, func.count())
        .outerjoin(PassageReviewRow, PassageReviewRow.passage_id == PassageRow.passage_id)
        .where(
            PassageReviewRow.passage_id.is_(None),
            or_(PassageRow.alert.is_(True), PassageRow.outcome == Outcome.REFER.value),
        )
        .group_by(PassageRow.site_id),
    )
    visit_alerts = _per_site(
        session,
        select(VisitAlertRow.site_id, func.count())
        .where(VisitAlertRow.acknowledged_at.is_(None))
        .group_by(VisitAlertRow.site_id),
    )
    hour = {
        site_id: (int(total), int(referred or 0))
        for site_id, total, referred in session.execute(
            select(
                PassageRow.site_id,
                func.count(),
                func.sum(case((PassageRow.outcome == Outcome.REFER.value, 1), else_=0)),
            )
            .where(and_(PassageRow.time >= since, PassageRow.time <= now))
            .group_by(PassageRow.site_id)
        )
    }
    health = []
    for site_id, name in session.execute(
        select(SiteRow.site_id, SiteRow.name).order_by(SiteRow.site_id)
    ):
        total, referred = hour.get(site_id, (0, 0))
        health.append(
            SiteHealth(
                site_id=site_id,
                name=name,
                lanes=lanes.get(site_id, 0),
                lanes_online=online.get(site_id, 0),
                open_alerts=offline.get(site_id, 0)
                + passage_alerts.get(site_id, 0)
                + visit_alerts.get(site_id, 0),
                passages_per_hour=total,
                referral_rate=round(referred / total, 4) if total else None,
            )
        )
    return health
