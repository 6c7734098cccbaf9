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
from portique.store.database import Database, libpq_url
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

    def __init__(
        self, site: SiteHandle, settings: ServerSettings, listener: LiveListener | None = None
    ) -> None:
        self._site = site
        self._settings = settings
        self._listener = listener
        self._lock = threading.Lock()
        self._state: LiveState | None = None
        self._read_at = 0.0
        self._woken = threading.Event()
        if listener is not None:
            listener.wake_on(site.site_id, self._woken)

    def due(self) -> bool:
        """Whether the next look should read the database: woken by a notification, or
        stale (``live_poll_s``; ``live_listen_poll_s`` while LISTEN is up, since only
        what the clock raises, an offline lane or an overstay, is left to find)."""
        listening = self._listener is not None and self._listener.listening
        interval = self._settings.live_listen_poll_s if listening else self._settings.live_poll_s
        return (
            self._state is None
            or self._woken.is_set()
            or time.monotonic() - self._read_at >= interval
        )

    def current(self) -> LiveState:
        """The live state, read again if it is due (blocking: run it in a thread). Of
        several streams asking together, one reads and the others get its reading."""
        if self._listener is not None:
            self._listener.start()
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


class LiveListener:
    """One LISTEN connection per server process for every site it serves: a passage
    announced for a site wakes that site's live feed (PostgreSQL only; started at the
    first stream, it reconnects after a loss and the feeds poll meanwhile)."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._feeds: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def listening(self) -> bool:
        return self._listening.is_set()

    def wake_on(self, site_id: str, woken: threading.Event) -> None:
        """``woken`` is set whenever something is announced for ``site_id``."""
        self._feeds[site_id] = woken

    def start(self) -> None:
        if self._database.is_sqlite or self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._listen, name="portique-live-listener", daemon=True
                )
                self._thread.start()

    def _listen(self) -> None:
        import psycopg

        url, password = libpq_url(self._database.url)
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    url, autocommit=True, password=password.get("PGPASSWORD")
                ) as connection:
                    connection.execute(f"LISTEN {LIVE_CHANNEL}")
                    self._listening.set()
                    # What was stored before LISTEN was up is read at once.
                    for feed in self._feeds.values():
                        feed.set()
                    while not self._stop.is_set():
                        for notice in connection.notifies(timeout=LISTEN_WAIT_S):
                            announced = self._feeds.get(notice.payload)
                            if announced is not None:
                                announced.set()
            except psycopg.Error as exc:
                self._listening.clear()
                log.warning("live feed: LISTEN %s lost (%s); polling meanwhile", LIVE_CHANNEL, exc)
                self._stop.wait(LISTEN_RETRY_S)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=LISTEN_WAIT_S * 3)
