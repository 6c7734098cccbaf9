"""The replay memory of living codes: each (credential, time) opens a lane once.

A living code stays acceptable for its whole window (``phone.CODE_WINDOW``), so a
screenshot shown twice inside it would pass twice. The lane remembers the codes it
accepted and the engine refuses one it has seen (``replayed_code``). A code older than
the window is refused as stale anyway, so the memory forgets it: it never holds more
than the codes of the last minute or so.

The engine reads a frozen set of :class:`CodeStamp` (``PolicySnapshot.seen_codes``);
the lane keeps a :class:`ReplayMemory` and hands the engine its current stamps, the way
it keeps its own granted passages for anti-passback. The in-process gate keeps the same
stamps in the site's database (``seen_codes``), so two runs of ``portique pass`` share them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from portique.credentials.phone import CODE_WINDOW

MAX_REMEMBERED = 100_000
"""A bound on the memory whatever happens (a lane sees a few hundred codes a minute at
most); past it, the oldest codes are forgotten first."""


@dataclass(frozen=True, slots=True)
class CodeStamp:
    """One living code: the credential and the time it carries."""

    credential_id: str
    time: datetime


class ReplayMemory:
    """The codes a lane accepted within the window, oldest forgotten first; thread-safe."""

    def __init__(self, window: timedelta = CODE_WINDOW, limit: int = MAX_REMEMBERED) -> None:
        self.window = window
        self.limit = limit
        self._seen: dict[CodeStamp, None] = {}
        self._stamps: frozenset[CodeStamp] = frozenset()
        self._lock = threading.Lock()

    def __contains__(self, stamp: object) -> bool:
        return stamp in self._stamps

    def __len__(self) -> int:
        return len(self._stamps)

    def stamps(self) -> frozenset[CodeStamp]:
        """The codes remembered now, for the engine (``PolicySnapshot.seen_codes``)."""
        return self._stamps

    def remember(self, stamp: CodeStamp, now: datetime) -> bool:
        """Keeps ``stamp`` as used and forgets the codes that went stale before ``now``;
        whether it was new."""
        with self._lock:
            horizon = now - self.window
            fresh = {seen: None for seen in self._seen if seen.time >= horizon}
            new = stamp not in fresh
            if new and stamp.time >= horizon:
                fresh[stamp] = None
            while len(fresh) > self.limit:
                del fresh[next(iter(fresh))]
            self._seen = fresh
            self._stamps = frozenset(fresh)
            return new
