"""Passage recording: lane events stored as passages, and the handlers told of each.

Every passage reaches the store here, whether an in-process gate decided it or a lane
forwarded it: :class:`PassageRecorder` stores each event once (its event id is the
passage id, so an event sent twice is stored once) and then hands the new passages to
its handlers in the same transaction. The handlers are registered where the site is
opened (``portique.bootstrap``): the visitors' checkpoints are one. Nothing here knows
who listens, so no service calls up into the flows built on it.

A stored passage holds the lane, its direction, the time, the outcome and reasons, the
credential and person ids, the latency and the snapshot version: never an image, a
template or a score.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from portique.lane.events import PassageEvent
from portique.store import PassageRow

_CHUNK = 500
"""Event ids looked up per query when a batch is checked for ids already stored."""


@dataclass(frozen=True)
class RecordedPassage:
    """What a handler learns of a stored passage: ids, lane, time, outcome and reasons."""

    passage_id: str
    lane_id: str
    time: datetime
    outcome: str
    reasons: tuple[str, ...]
    credential_id: str | None


PassageHandler = Callable[[Session, str, Sequence[RecordedPassage]], object]
"""Told of the passages just stored at one site, in the transaction that stores them."""


class PassageRecorder:
    """Stores passage events and tells its handlers of the new ones."""

    def __init__(self, handlers: Sequence[PassageHandler] = ()) -> None:
        self.handlers = tuple(handlers)

    def record(self, session: Session, events: Sequence[PassageEvent]) -> int:
        """Stores the events whose ids are not stored yet; how many were new.

        One bulk INSERT for the whole batch: a burst from many lanes is one statement,
        not one per row.
        """
        seen = _stored_ids(session, [event.event_id for event in events])
        fresh: list[PassageEvent] = []
        for event in events:
            if event.event_id not in seen:
                seen.add(event.event_id)
                fresh.append(event)
        if fresh:
            session.execute(insert(PassageRow), [_row(event) for event in fresh])
            self._notify(session, fresh)
        return len(fresh)

    def _notify(self, session: Session, events: Sequence[PassageEvent]) -> None:
        by_site: dict[str, list[RecordedPassage]] = {}
        for event in events:
            by_site.setdefault(event.site_id, []).append(
                RecordedPassage(
                    event.event_id,
                    event.lane_id,
                    event.time,
                    event.outcome.value,
                    tuple(reason.value for reason in event.reasons),
                    event.credential_id,
                )
            )
        for site_id, passages in by_site.items():
            for handler in self.handlers:
                handler(session, site_id, passages)


def _stored_ids(session: Session, ids: Sequence[str]) -> set[str]:
    seen: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        query = select(PassageRow.passage_id).where(
            PassageRow.passage_id.in_(ids[start : start + _CHUNK])
        )
        seen.update(session.scalars(query))
    return seen


def _row(event: PassageEvent) -> dict[str, Any]:
    return dict(
        passage_id=event.event_id,
        site_id=event.site_id,
        lane_id=event.lane_id,
        direction=None if event.direction is None else event.direction.value,
        time=event.time,
        outcome=event.outcome.value,
        reasons=[reason.value for reason in event.reasons],
        alert=event.alert,
        credential_id=event.credential_id,
        person_id=event.person_id,
        latency_ms=event.latency_ms,
        snapshot_version=event.snapshot_version,
    )
