"""Lanes and server in one process (the embedded default): direct calls, no network.

``InProcessHub`` is the server's end: lanes connect to it, it ingests their events into
a sink and answers with receipts at once, and hands them the latest snapshot of their
site (like a retained message); it records the lanes' heartbeats in ``lane_status``.
``set_online(False)`` cuts every lane off, as a server
restart would, so the offline paths can be exercised without a broker.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime

from portique.errors import PortiqueError
from portique.lane.comms.base import (
    EventSink,
    Ingestor,
    LanePresence,
    LaneStatusSink,
    LinkHandler,
    utc_now,
)
from portique.lane.events import PassageEvent
from portique.lane.snapshot import LaneSnapshot

log = logging.getLogger(__name__)


class InProcessHub:
    """The server's end of the in-process link."""

    def __init__(
        self,
        sink: EventSink,
        *,
        lane_status: LaneStatusSink | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.ingestor = Ingestor(sink)
        self.presence = LanePresence(lane_status, clock)
        self.clock = clock
        self._lock = threading.Lock()
        self._online = True
        self._snapshots: dict[str, LaneSnapshot] = {}
        self._lanes: list[InProcessTransport] = []

    def start(self) -> None:
        """Nothing to connect to: lanes reach this hub by direct calls."""

    def close(self) -> None:
        """Nothing to disconnect: each lane's transport leaves when the lane closes."""

    def connect(self, site_id: str, lane_id: str) -> InProcessTransport:
        """A transport for lane ``lane_id`` of site ``site_id``."""
        return InProcessTransport(self, site_id, lane_id)

    @property
    def online(self) -> bool:
        return self._online

    def set_online(self, online: bool) -> None:
        """Brings the server's end up or down; lanes hear it as their link changing."""
        with self._lock:
            changed = online != self._online
            self._online = online
            lanes = list(self._lanes)
        if not changed:
            return
        for lane in lanes:
            lane.link_changed(online)

    def publish_snapshot(self, snapshot: LaneSnapshot) -> None:
        """Makes ``snapshot`` the latest of its site and hands it to its connected lanes."""
        with self._lock:
            current = self._snapshots.get(snapshot.site_id)
            if current is not None and current.version > snapshot.version:
                return
            self._snapshots[snapshot.site_id] = snapshot
            lanes = [lane for lane in self._lanes if lane.site_id == snapshot.site_id]
            online = self._online
        if online:
            for lane in lanes:
                lane.deliver(snapshot)

    def latest(self, site_id: str) -> LaneSnapshot | None:
        with self._lock:
            return self._snapshots.get(site_id)

    def _register(self, lane: InProcessTransport) -> None:
        with self._lock:
            self._lanes.append(lane)

    def _unregister(self, lane: InProcessTransport) -> None:
        with self._lock:
            if lane in self._lanes:
                self._lanes.remove(lane)


class InProcessTransport:
    """A lane's end of the in-process link; sends are ingested before ``send`` returns."""

    def __init__(self, hub: InProcessHub, site_id: str, lane_id: str) -> None:
        self.hub = hub
        self.site_id = site_id
        self.lane_id = lane_id
        self._handler: LinkHandler | None = None

    @property
    def connected(self) -> bool:
        return self._handler is not None and self.hub.online

    def start(self, handler: LinkHandler) -> None:
        self._handler = handler
        self.hub._register(self)
        if self.hub.online:
            handler.link_changed(True)
            snapshot = self.hub.latest(self.site_id)
            if snapshot is not None:
                handler.snapshot_received(self._mine(snapshot))

    def send(self, events: Sequence[PassageEvent]) -> bool:
        handler = self._handler
        if handler is None or not self.hub.online:
            return False
        try:
            receipt = self.hub.ingestor.ingest(self.site_id, self.lane_id, events)
        except PortiqueError as error:
            log.warning("the server could not store %d events: %s", len(events), error.message)
            return False
        handler.receipt_received(receipt)
        return True

    def heartbeat(self) -> bool:
        if self._handler is None or not self.hub.online:
            return False
        self.hub.presence.heard(self.site_id, self.lane_id)
        return True

    def close(self) -> None:
        if self._handler is not None and self.hub.online:
            self.hub.presence.heard(self.site_id, self.lane_id, online=False)
        self.hub._unregister(self)
        self._handler = None

    def link_changed(self, up: bool) -> None:
        handler = self._handler
        if handler is None:
            return
        handler.link_changed(up)
        snapshot = self.hub.latest(self.site_id) if up else None
        if snapshot is not None:
            handler.snapshot_received(self._mine(snapshot))

    def deliver(self, snapshot: LaneSnapshot) -> None:
        handler = self._handler
        if handler is not None:
            handler.snapshot_received(self._mine(snapshot))

    def _mine(self, snapshot: LaneSnapshot) -> LaneSnapshot:
        """The lane's own copy: for it alone, with the keys it needs and no others. It
        never expires: the server is in this process, nobody stands between."""
        issued = snapshot.issued_at or self.hub.clock()
        return snapshot.for_lane(self.lane_id, issued_at=issued, expires_at=None)
