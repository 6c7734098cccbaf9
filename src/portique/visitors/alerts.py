"""Alerts about visits: raised by the path (wrong zone, outside the window, a pass used
twice) and by the clock (overstay, no check-out at closing), then acknowledged by an agent.

There is one alert per visit and kind. One raised again by a new event opens again, with
the new time and place; one raised by the clock is raised once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from portique.i18n import text
from portique.services.rows import site_from_row, site_row
from portique.store import People, VisitAlertRow, VisitRow, record_from, row_at_site
from portique.visitors.errors import UnknownVisitError
from portique.visitors.records import AlertKind, VisitAlert, VisitStatus
from portique.visitors.rows import mark_once

CLOSING_LOOKBACK_DAYS = 7
"""How far back the last closing of the site is looked for (a week covers any holiday)."""


def raise_alert(
    session: Session,
    visit: VisitRow,
    kind: AlertKind,
    *,
    at: datetime,
    checkpoint: str | None = None,
    zone_id: str | None = None,
    again: bool = True,
) -> None:
    """Raises ``kind`` about ``visit``; with ``again``, an alert already raised (even
    acknowledged) opens again at ``at``, otherwise it is left as it is."""
    row = session.scalars(
        select(VisitAlertRow).where(
            VisitAlertRow.visit_id == visit.visit_id, VisitAlertRow.kind == kind.value
        )
    ).one_or_none()
    details = {"checkpoint": checkpoint, "zone_id": zone_id}
    if row is None:
        session.add(
            VisitAlertRow(
                visit_id=visit.visit_id,
                site_id=visit.site_id,
                kind=kind.value,
                raised_at=at,
                details=details,
            )
        )
    elif again:
        row.raised_at = at
        row.details = details
        row.acknowledged_at = None
        row.acknowledged_by = None
    session.flush()


def _last_closing(site_id: str, session: Session, now: datetime) -> datetime | None:
    """When the site last closed before ``now`` (the end of its last opening range on
    the latest day that has one), on the site's clock."""
    row = site_row(session, site_id)
    site = site_from_row(row)
    zone = ZoneInfo(row.timezone)
    today = now.astimezone(zone).date()
    for back in range(CLOSING_LOOKBACK_DAYS + 1):
        day = today - timedelta(days=back)
        last_end = site.opening_hours_on(day).last_end
        if last_end is None:
            continue
        closing = datetime.combine(day, last_end, tzinfo=zone)
        if closing <= now:
            return closing
    return None


def check_time_alerts(session: Session, site_id: str, *, now: datetime) -> int:
    """Raises the alerts the clock brings at ``now``: a visitor on site after the expected
    end of the visit (``overstay``), or still checked in after the site closed
    (``not_checked_out``). Returns how many visits it looked at."""
    on_site = session.scalars(
        select(VisitRow).where(
            VisitRow.site_id == site_id, VisitRow.status == VisitStatus.ON_SITE.value
        )
    ).all()
    if not on_site:
        return 0
    closing = _last_closing(site_id, session, now)
    for visit in on_site:
        if now > visit.expected_until:
            raise_alert(session, visit, AlertKind.OVERSTAY, at=now, again=False)
        arrived = visit.checked_in_at or visit.expected_from
        if closing is not None and arrived < closing:
            raise_alert(session, visit, AlertKind.NOT_CHECKED_OUT, at=now, again=False)
    return len(on_site)


def _alerts(session: Session, site_id: str, rows: list[VisitAlertRow]) -> list[VisitAlert]:
    visits = {
        visit.visit_id: visit
        for visit in session.scalars(
            select(VisitRow).where(VisitRow.visit_id.in_({row.visit_id for row in rows}))
        )
    }
    names = {
        person.person_id: f"{person.first_name} {person.last_name}"
        for person in People(session).of_site(
            site_id, {visit.person_id for visit in visits.values()}
        )
    }
    return [
        record_from(
            VisitAlert,
            row,
            visitor_name=names.get(visits[row.visit_id].person_id, ""),
            kind=AlertKind(row.kind),
            checkpoint=_detail(row, "checkpoint"),
            zone_id=_detail(row, "zone_id"),
        )
        for row in rows
        if row.visit_id in visits and row.kind in {kind.value for kind in AlertKind}
    ]


def _detail(row: VisitAlertRow, key: str) -> str | None:
    value = row.details.get(key)
    return value if isinstance(value, str) else None


def visit_alerts(
    session: Session, site_id: str, *, now: datetime, open_only: bool = True, limit: int = 100
) -> list[VisitAlert]:
    """The alerts about visits, newest first (only those no agent acknowledged yet, by
    default), after raising those the clock brings at ``now``."""
    check_time_alerts(session, site_id, now=now)
    query = select(VisitAlertRow).where(VisitAlertRow.site_id == site_id)
    if open_only:
        query = query.where(VisitAlertRow.acknowledged_at.is_(None))
    query = query.order_by(VisitAlertRow.raised_at.desc(), VisitAlertRow.alert_id).limit(limit)
    return _alerts(session, site_id, list(session.scalars(query)))


def alerts_of_visit(session: Session, site_id: str, visit_id: str) -> list[VisitAlert]:
    """Every alert a visit raised, acknowledged or not, oldest first."""
    query = (
        select(VisitAlertRow)
        .where(VisitAlertRow.site_id == site_id, VisitAlertRow.visit_id == visit_id)
        .order_by(VisitAlertRow.raised_at, VisitAlertRow.alert_id)
    )
    return _alerts(session, site_id, list(session.scalars(query)))


def acknowledge_alert(
    session: Session, site_id: str, alert_id: int, *, by: str, now: datetime
) -> VisitAlert:
    """An agent saw the alert; acknowledging twice keeps the first acknowledgement.

    Raises:
        UnknownVisitError: no such alert at the site.
    """
    missing = UnknownVisitError(
        text(f"Aucune alerte de visite n° {alert_id}.", f"No visit alert number {alert_id}.")
    )
    row = row_at_site(session, VisitAlertRow, alert_id, site_id, missing)
    mark_once(
        session, row, VisitAlertRow.acknowledged_at, VisitAlertRow.acknowledged_by, by=by, now=now
    )
    return _alerts(session, site_id, [row])[0]
