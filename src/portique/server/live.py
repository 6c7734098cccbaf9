"""The live state of a site as the agents' streams show it, read once for all of them.

Every stream of a server process reads the same :class:`LiveFeed`: the site's recent
passages, its lockdown and its open alerts (offline lanes, visits: overstay, closing
time, wrong zone) are read from the database at most once per ``live_poll_s`` whatever
the number of streams, and at once when another process announces a passage
(PostgreSQL's LISTEN on ``portique_live``, see :mod:`portique.services.live`). So
streams fan out across workers and servers through the database, and 200 agents cost
the database what one does.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from portique.server import queries
from portique.server.settings import ServerSettings
from portique.services import SiteHandle
from portique.services.live import LIVE_CHANNEL
from portique.store.database import libpq_url
from portique.visitors import VisitAlert, visit_alerts

log = logging.getLogger(__name__)

LISTEN_WAIT_S = 1.0
"""How long the listener waits for a notification before it looks whether to stop."""
LISTEN_RETRY_S = 5.0
"""After a lost connection, the listener tries again this much later (polls meanwhile)."""


@dataclass(frozen=True)
class LiveState:
    """What the live streams show, as read at one moment; ``generation`` grows with
    each read."""

    generation: int
    passages: list[queries.PassageView]
    lockdown: queries.LockdownView
    offline: list[queries.OfflineLane]
    visits: list[VisitAlert]


class LiveFeed:
    """The live state of one site for every stream of this process (thread-safe)."""

    def __init__(self, site: SiteHandle, settings: ServerSettings) -> None:
        self._site = site
        self._settings = settings
        self._lock = threading.Lock()
        self._state: LiveState | None = None
        self._read_at = 0.0
        self._woken = threading.Event()
        self._stop = threading.Event()
        self._listener: threading.Thread | None = None

    def due(self) -> bool:
        """Whether the next look should read the database (stale, or woken)."""
        return (
            self._state is None
            or self._woken.is_set()
            or time.monotonic() - self._read_at >= self._settings.live_poll_s
        )

    def current(self) -> LiveState:
        """The live state, read again if it is due (blocking: run it in a thread). Of
        several streams asking together, one reads and the others get its reading."""
        self._start_listening()
        with self._lock:
            if self._state is None or self.due():
                self._woken.clear()
                self._state = self._read(self._state.generation + 1 if self._state else 1)
                self._read_at = time.monotonic()
            return self._state

    def peek(self) -> LiveState | None:
        """The last reading, without touching the database."""
        return self._state

    def _read(self, generation: int) -> LiveState:
        site_id = self._site.site_id
        now = self._settings.clock()
        with self._site.session() as session:
            return LiveState(
                generation,
                queries.recent_passages(session, site_id, limit=self._settings.recent_passages),
                queries.lockdown(session, site_id),
                queries.offline_lanes(
                    session, site_id, now=now, after=self._settings.lane_offline_after
                ),
                # Raises the alerts the clock brings (overstay, closing time) as it reads.
                visit_alerts(session, site_id, now=now),
            )

    def _start_listening(self) -> None:
        if self._site.database.is_sqlite or self._listener is not None:
            return
        with self._lock:
            if self._listener is None:
                self._listener = threading.Thread(
                    target=self._listen, name="portique-live-listener", daemon=True
                )
                self._listener.start()

    def _listen(self) -> None:
        import psycopg

        url, password = libpq_url(self._site.database.url)
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    url, autocommit=True, password=password.get("PGPASSWORD")
                ) as connection:
                    connection.execute(f"LISTEN {LIVE_CHANNEL}")
                    while not self._stop.is_set():
                        for notice in connection.notifies(timeout=LISTEN_WAIT_S):
                            if notice.payload == self._site.site_id:
                                self._woken.set()
            except psycopg.Error as exc:
                log.warning("live feed: LISTEN %s lost (%s); polling meanwhile", LIVE_CHANNEL, exc)
                self._stop.wait(LISTEN_RETRY_S)

    def close(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.join(timeout=LISTEN_WAIT_S * 3)
