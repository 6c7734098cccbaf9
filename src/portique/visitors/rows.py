"""The rows of the visitor tables: one marked once (an alert acknowledged, a refusal
lifted), an event added to a visit's path."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import InstrumentedAttribute, Session

from portique.store import OfSite, VisitEventRow, VisitRow
from portique.visitors.records import RECEPTION, AlertKind, EventKind


def mark_once(
    session: Session,
    row: OfSite,
    at_column: InstrumentedAttribute[datetime | None],
    by_column: InstrumentedAttribute[str | None],
    *,
    by: str,
    now: datetime,
) -> bool:
    """Sets ``row``'s ``at_column`` to ``now`` and ``by_column`` to ``by``, unless it was
    marked already (a second agent's click keeps the first one's mark); whether it marked
    the row now."""
    if getattr(row, at_column.key) is not None:
        return False
    setattr(row, at_column.key, now)
    setattr(row, by_column.key, by)
    session.flush()
    return True


def add_event(
    session: Session,
    visit: VisitRow,
    kind: EventKind,
    at: datetime,
    *,
    allowed: bool,
    alert: AlertKind | None = None,
    checkpoint: str = RECEPTION,
    zone_id: str | None = None,
    passage_id: str | None = None,
) -> None:
    """Adds a point to the path of ``visit``: at reception unless ``checkpoint`` names a
    lane (then with the lane's zone and the passage it decided)."""
    session.add(
        VisitEventRow(
            visit_id=visit.visit_id,
            site_id=visit.site_id,
            at=at,
            kind=kind.value,
            checkpoint=checkpoint,
            zone_id=zone_id,
            allowed=allowed,
            alert=None if alert is None else alert.value,
            passage_id=passage_id,
        )
    )
