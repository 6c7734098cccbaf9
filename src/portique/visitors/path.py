"""A visitor's path: every lane that decides on a visitor's pass adds a checkpoint.

The passage events of lanes (in process, through the API or forwarded by lane agents)
go through :func:`record_checkpoints` as the server stores them: it is one of the
handlers of ``portique.services.passages``, registered by ``portique.bootstrap``. A granted entry
while the visit is still expected checks the visitor in at that lane; a granted exit
while on site checks them out, so the on-site roster stays right even when nobody goes
by reception. Refusals at lanes become alerts: a zone the pass does not open
(``wrong_zone``), a pass out of its window or of a visit that ended (``outside_window``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from portique.access import Direction, Outcome, Reason
from portique.services.passages import RecordedPassage
from portique.store import Sites, VisitRow
from portique.visitors.alerts import raise_alert
from portique.visitors.records import PASS_IN_FORCE, AlertKind, EventKind, VisitStatus
from portique.visitors.rows import add_event

_WINDOW_REASONS = frozenset({Reason.EXPIRED.value, Reason.NOT_YET_VALID.value})


def _alert(passage: RecordedPassage, visit: VisitRow) -> AlertKind | None:
    if Reason.WRONG_ZONE.value in passage.reasons:
        return AlertKind.WRONG_ZONE
    if _WINDOW_REASONS.intersection(passage.reasons):
        return AlertKind.OUTSIDE_WINDOW
    if passage.outcome != Outcome.GRANT.value and visit.status not in PASS_IN_FORCE:
        return AlertKind.OUTSIDE_WINDOW
    return None


def record_checkpoints(session: Session, site_id: str, passages: Sequence[RecordedPassage]) -> int:
    """Adds a checkpoint to the path of each visit whose pass one of ``passages`` names;
    returns how many. Passages of other credentials cost one indexed query."""
    mine = [p for p in passages if p.credential_id is not None]
    if not mine:
        return 0
    query = select(VisitRow).where(
        VisitRow.site_id == site_id,
        VisitRow.credential_id.in_({p.credential_id for p in mine}),
    )
    visits = {visit.credential_id: visit for visit in session.scalars(query)}
    if not visits:
        return 0
    lanes = {lane.lane_id: lane for lane in Sites(session).lanes(site_id)}
    recorded = 0
    for passage in sorted(mine, key=lambda p: p.time):
        visit = visits.get(passage.credential_id)
        if visit is None:
            continue
        lane = lanes.get(passage.lane_id)
        zone_id = None if lane is None else lane.zone_id
        allowed = passage.outcome == Outcome.GRANT.value
        kind = EventKind.CHECKPOINT
        if allowed and lane is not None:
            if lane.direction == Direction.IN.value and visit.status == VisitStatus.EXPECTED.value:
                kind = EventKind.CHECK_IN
                visit.status = VisitStatus.ON_SITE.value
                visit.checked_in_at = passage.time
            elif (
                lane.direction == Direction.OUT.value and visit.status == VisitStatus.ON_SITE.value
            ):
                kind = EventKind.CHECK_OUT
                visit.status = VisitStatus.LEFT.value
                visit.checked_out_at = passage.time
                Sites(session).bump_version(site_id)
        alert = _alert(passage, visit)
        add_event(
            session,
            visit,
            kind,
            passage.time,
            allowed=allowed,
            alert=alert,
            checkpoint=passage.lane_id,
            zone_id=zone_id,
            passage_id=passage.passage_id,
        )
        if alert is not None:
            raise_alert(
                session, visit, alert, at=passage.time, checkpoint=passage.lane_id, zone_id=zone_id
            )
        recorded += 1
    session.flush()
    return recorded
