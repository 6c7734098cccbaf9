"""What lanes and the server exchange, whatever carries it: the interfaces and the ingest.

A lane holds a :class:`Transport`: it sends batches of passage events and hears back
snapshots, receipts and the state of its link through a :class:`LinkHandler`, and
sends a heartbeat now and then so the server knows it is alive. The server side stores
what arrives through an :class:`Ingestor` into an :class:`EventSink`, which keeps each
event once, by its id, however often it arrives, and records heartbeats through a
:class:`LanePresence` into a :class:`LaneStatusSink`.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from portique import clock
from portique.errors import PortiqueError
from portique.lane.events import PassageEvent, Receipt
from portique.lane.snapshot import LaneSnapshot

log = logging.getLogger(__name__)


class LinkHandler(Protocol):
    """What a transport tells the lane; called from the transport's own thread."""

    def snapshot_received(self, snapshot: LaneSnapshot) -> None:
        """A snapshot arrived (perhaps not newer than the lane's)."""

    def receipt_received(self, receipt: Receipt) -> None:
        """The server stored (or refused for good) these events."""

    def link_changed(self, up: bool) -> None:
        """The link to the server came up (True) or went down (False)."""


class Transport(Protocol):
    """A lane's end of the link to the server."""

    @property
    def connected(self) -> bool:
        """Whether a send now would likely reach the server."""

    def start(self, handler: LinkHandler) -> None:
        """Begins listening; ``handler`` hears snapshots, receipts and link changes."""

    def send(self, events: Sequence[PassageEvent]) -> bool:
        """Hands ``events`` to the link; False when it is down. Delivery is confirmed
        only by a receipt, never by this call."""

    def heartbeat(self) -> bool:
        """Tells the server the lane is alive; False when the link is down."""

    def close(self) -> None:
        """Stops the link; the outbox keeps whatever was not acknowledged."""


class Hub(Protocol):
    """The server's end of a link: it publishes snapshots to the lanes of its sites."""

    def start(self) -> None:
        """Begins serving the lanes (connects to the broker, if there is one)."""

    def publish_snapshot(self, snapshot: LaneSnapshot) -> None:
        """Makes ``snapshot`` the latest of its site and sends it to that site's lanes."""

    def close(self) -> None:
        """Stops serving; the lanes keep deciding on what they hold."""


class EventSink(Protocol):
    """Where the server keeps passage events; idempotent by event id."""

    def store(self, events: Sequence[PassageEvent]) -> int:
        """Stores the events not stored yet and returns how many were new; an event
        already stored is ignored. Raises when nothing could be stored (the lane then
        sends again)."""


class LaneStatusSink(Protocol):
    """Where the server keeps when it last heard from each lane."""

    def lane_seen(self, site_id: str, lane_id: str, at: datetime, *, online: bool) -> None:
        """Lane ``lane_id`` of site ``site_id`` was heard from at ``at`` (the server's
        time); ``online`` False when it said it was leaving (or its last will came)."""


def utc_now() -> datetime:
    return clock.now()


class LanePresence:
    """A hub's record of the lanes it hears from, stamped with the hub's own clock (a
    lane's clock may drift; the server's decides when a lane is silent)."""

    def __init__(
        self, sink: LaneStatusSink | None, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.sink = sink
        self.clock = clock

    def heard(self, site_id: str, lane_id: str, *, online: bool = True) -> None:
        if self.sink is None:
            return
        try:
            self.sink.lane_seen(site_id, lane_id, self.clock(), online=online)
        except PortiqueError as error:
            # The next heartbeat records it: a missed one costs nothing.
            log.warning("could not record lane %s/%s: %s", site_id, lane_id, error.message)


class Ingestor:
    """The server's ingest of a batch from one lane: checks, stores, answers a receipt.

    An event that does not belong to the lane it came from (another site or lane id
    than its topic) is refused for good; storing failures raise, and the lane, without
    a receipt, sends the batch again later.
    """

    def __init__(self, sink: EventSink) -> None:
        self.sink = sink
        self._lock = threading.Lock()
        self.stored = 0
        self.duplicates = 0

    def ingest(self, site_id: str, lane_id: str, events: Sequence[PassageEvent]) -> Receipt:
        """Stores a batch from lane ``lane_id`` of site ``site_id``; its receipt."""
        return self.ingest_many([(site_id, lane_id, events)])[0]

    def ingest_many(
        self, batches: Sequence[tuple[str, str, Sequence[PassageEvent]]]
    ) -> list[Receipt]:
        """Stores batches from several lanes in one call to the sink; a receipt each."""
        accepted: list[PassageEvent] = []
        receipts = []
        for site_id, lane_id, events in batches:
            mine = [e for e in events if e.site_id == site_id and e.lane_id == lane_id]
            rejected = tuple(
                e.event_id for e in events if e.site_id != site_id or e.lane_id != lane_id
            )
            if rejected:
                log.warning(
                    "refused %d events from lane %s/%s that name another site or lane",
                    len(rejected),
                    site_id,
                    lane_id,
                )
            accepted.extend(mine)
            receipts.append(Receipt(tuple(e.event_id for e in mine), rejected))
        new = self.sink.store(accepted) if accepted else 0
        with self._lock:
            self.stored += new
            self.duplicates += len(accepted) - new
        return receipts


class MemorySink:
    """An event sink in memory, for tests, demos and benchmarks.

    ``events`` holds each event once, in arrival order; ``deliveries`` counts how many
    times each id arrived, duplicates included; ``lanes`` the last time and status each
    lane was heard from.
    """

    def __init__(self) -> None:
        self.lanes: dict[tuple[str, str], tuple[datetime, bool]] = {}
        self.events: dict[str, PassageEvent] = {}
        self.deliveries: Counter[str] = Counter()
        self._changed = threading.Condition()

    def store(self, events: Sequence[PassageEvent]) -> int:
        with self._changed:
            new = 0
            for event in events:
                self.deliveries[event.event_id] += 1
                if event.event_id not in self.events:
                    self.events[event.event_id] = event
                    new += 1
            self._changed.notify_all()
            return new

    def lane_seen(self, site_id: str, lane_id: str, at: datetime, *, online: bool) -> None:
        with self._changed:
            self.lanes[(site_id, lane_id)] = (at, online)
            self._changed.notify_all()

    def __len__(self) -> int:
        with self._changed:
            return len(self.events)

    def wait_for(self, count: int, timeout: float) -> bool:
        """Waits until at least ``count`` distinct events are stored; whether they were."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self.events) >= count, timeout)
