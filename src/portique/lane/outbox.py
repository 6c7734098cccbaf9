"""The lane's outbox: passage events kept on disk until the server acknowledges them.

Store and forward, at least once: an event is written (in SQLite, committed and synced)
before the lane tries to send it, and stays until the server's receipt names it. A send
that no receipt answers is tried again after a delay that doubles up to a ceiling; a new
connection to the server makes every waiting event due at once. Events the server
refuses for good (``rejected``) are kept for inspection and never sent again. The
server deduplicates by event id, so sending twice never counts twice.

The file holds personal data (who passed when): it is owner-only, and events the
server acknowledged are purged after ``keep_sent_s``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from portique.files import make_private
from portique.lane.errors import LaneError
from portique.lane.events import PassageEvent

OUTBOX_FILE = "outbox.sqlite3"
SCHEMA_VERSION = 1
_CHUNK = 500  # ids per statement, well under SQLite's parameter limit

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    body BLOB NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    sent_at REAL,
    rejected_at REAL
);
CREATE INDEX IF NOT EXISTS events_waiting ON events (next_attempt_at)
    WHERE sent_at IS NULL AND rejected_at IS NULL;
CREATE INDEX IF NOT EXISTS events_sent ON events (sent_at) WHERE sent_at IS NOT NULL;
"""

_WAITING = "sent_at IS NULL AND rejected_at IS NULL"


@dataclass(frozen=True)
class RetryPolicy:
    """When an unacknowledged event is sent again.

    The n-th retry waits ``first_delay_s * factor ** (n - 1)`` seconds, never more than
    ``max_delay_s``: the delay is bounded, the retries are not, since an event may only
    leave the outbox acknowledged (or refused by the server).
    """

    first_delay_s: float = 2.0
    factor: float = 2.0
    max_delay_s: float = 60.0

    def __post_init__(self) -> None:
        if self.first_delay_s <= 0 or self.factor < 1 or self.max_delay_s < self.first_delay_s:
            raise ValueError(
                "a retry policy needs first_delay_s > 0, factor ≥ 1 and max_delay_s ≥ first_delay_s"
            )

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th send before the next one."""
        exponent = max(attempts - 1, 0)
        if exponent > 64:  # the ceiling is long reached; avoid overflowing the float
            return self.max_delay_s
        return float(min(self.first_delay_s * self.factor**exponent, self.max_delay_s))


@dataclass(frozen=True)
class OutboxCounts:
    """How many events wait, were acknowledged, or were refused by the server."""

    waiting: int
    sent: int
    rejected: int


class Outbox:
    """Passage events on disk until acknowledged; safe to share between threads.

    ``clock`` gives wall-clock seconds (tests pass their own). With ``durable`` (the
    default) each write is synced to disk before it returns, so an event survives a
    power cut as well as a crash.
    """

    def __init__(
        self,
        path: Path,
        *,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
        durable: bool = True,
        keep_sent_s: float = 24 * 3600.0,
    ) -> None:
        self.path = Path(path)
        self.retry = retry or RetryPolicy()
        self.keep_sent_s = keep_sent_s
        self._clock = clock
        self._lock = threading.Lock()
        try:
            # The events say who passed when: owner-only, even a file left readable
            # (SQLite gives its journal files the same mode).
            make_private(self.path)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            self._db.executescript(_SCHEMA)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except (OSError, sqlite3.Error) as exc:
            raise LaneError(f"Cannot open the outbox {self.path}: {exc}.") from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def add(self, event: PassageEvent) -> bool:
        """Keeps ``event`` until acknowledged; False when it was there already."""
        now = self._clock()
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO events (event_id, body, created_at, next_attempt_at) "
                "VALUES (?, ?, ?, ?)",
                (event.event_id, event.to_bytes(), now, now),
            )
            return cursor.rowcount == 1

    def due(self, limit: int = 100) -> list[PassageEvent]:
        """Up to ``limit`` waiting events whose next attempt is due, oldest first."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT body FROM events WHERE {_WAITING} AND next_attempt_at <= ? "
                "ORDER BY seq LIMIT ?",
                (self._clock(), limit),
            ).fetchall()
        return [PassageEvent.from_bytes(body) for (body,) in rows]

    def waiting(self) -> list[PassageEvent]:
        """Every event not yet acknowledged nor refused, oldest first."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT body FROM events WHERE {_WAITING} ORDER BY seq"
            ).fetchall()
        return [PassageEvent.from_bytes(body) for (body,) in rows]

    def attempted(self, event_ids: Iterable[str]) -> None:
        """Records a send of these events: each is due again after its retry delay."""
        now = self._clock()
        with self._lock, self._transaction():
            for chunk in _chunks(event_ids):
                rows = self._db.execute(
                    f"SELECT event_id, attempts FROM events WHERE {_WAITING} "
                    f"AND event_id IN ({_marks(chunk)})",
                    chunk,
                ).fetchall()
                self._db.executemany(
                    "UPDATE events SET attempts = ?, next_attempt_at = ? WHERE event_id = ?",
                    [
                        (attempts + 1, now + self.retry.delay(attempts + 1), event_id)
                        for event_id, attempts in rows
                    ],
                )

    def mark_sent(self, event_ids: Iterable[str]) -> int:
        """Marks events acknowledged by the server; how many were waiting."""
        return self._mark("sent_at", event_ids)

    def mark_rejected(self, event_ids: Iterable[str]) -> int:
        """Marks events the server refused for good; they are kept, never sent again."""
        return self._mark("rejected_at", event_ids)

    def retry_now(self) -> int:
        """Makes every waiting event due now (the link to the server is back)."""
        with self._lock:
            cursor = self._db.execute(
                f"UPDATE events SET next_attempt_at = ? WHERE {_WAITING}", (self._clock(),)
            )
            return cursor.rowcount

    def next_due_in(self) -> float | None:
        """Seconds until the earliest waiting event is due (0 if one is), None if none waits."""
        with self._lock:
            (earliest,) = self._db.execute(
                f"SELECT MIN(next_attempt_at) FROM events WHERE {_WAITING}"
            ).fetchone()
        return None if earliest is None else max(float(earliest) - self._clock(), 0.0)

    def counts(self) -> OutboxCounts:
        with self._lock:
            waiting, sent, rejected = self._db.execute(
                f"SELECT COALESCE(SUM({_WAITING}), 0), COUNT(sent_at), COUNT(rejected_at) "
                "FROM events"
            ).fetchone()
        return OutboxCounts(int(waiting), int(sent), int(rejected))

    def purge_sent(self) -> int:
        """Deletes events acknowledged more than ``keep_sent_s`` ago; how many."""
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM events WHERE sent_at IS NOT NULL AND sent_at < ?",
                (self._clock() - self.keep_sent_s,),
            )
            return cursor.rowcount

    def _mark(self, column: str, event_ids: Iterable[str]) -> int:
        now = self._clock()
        changed = 0
        with self._lock, self._transaction():
            for chunk in _chunks(event_ids):
                cursor = self._db.execute(
                    f"UPDATE events SET {column} = ? WHERE {_WAITING} "
                    f"AND event_id IN ({_marks(chunk)})",
                    (now, *chunk),
                )
                changed += cursor.rowcount
        return changed

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on error (the connection is in autocommit)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")


def _chunks(ids: Iterable[str]) -> Iterator[Sequence[str]]:
    batch: list[str] = []
    for event_id in ids:
        batch.append(event_id)
        if len(batch) == _CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _marks(ids: Sequence[str]) -> str:
    return ", ".join("?" * len(ids))
