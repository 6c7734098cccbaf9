"""The door: its contact (open or shut), watched against the lane's grants.

A lane that drives a door strike (a relay or GPIO line pulsed on each grant, see
``drivers/signal.py``) may also read the door's contact. :class:`DoorMonitor` raises two
alarms for the agent: *porte forcée* (the door opened while no grant had released it)
and *porte maintenue ouverte* (the door stayed open longer than allowed). Contacts:
:class:`GpioDoorContact` reads a sysfs-like value file; :class:`SimulatedDoorContact` is
opened and shut by a script (demo and tests). Time is a monotonic clock passed in, so
tests move it by hand.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from portique.access import Decision, Reason
from portique.lane.drivers.alarm import Alarm

log = logging.getLogger(__name__)

UNLOCK_S = 5.0
"""After a grant, the door may open within this many seconds (the strike's release)."""
HELD_OPEN_S = 30.0
"""A door open longer than this raises "porte maintenue ouverte"."""


class DoorContact(Protocol):
    """The door's contact."""

    def is_open(self) -> bool | None:
        """Whether the door is open now; None when the contact cannot be read."""

    def close(self) -> None:
        """Releases the input."""


class GpioDoorContact:
    """A contact on a GPIO input read through its value file: ``1`` is open, unless
    ``active_low`` (a contact that closes the circuit when the door opens)."""

    def __init__(self, path: Path, *, active_low: bool = False) -> None:
        self.path = Path(path)
        self.active_low = active_low
        self._warned = False

    def is_open(self) -> bool | None:
        try:
            value = self.path.read_text(encoding="ascii").strip()
        except OSError as exc:
            if not self._warned:
                self._warned = True
                log.warning("cannot read the door contact %s: %s", self.path, exc)
            return None
        self._warned = False
        if value not in ("0", "1"):
            return None
        return (value == "1") != self.active_low

    def close(self) -> None:
        pass


class SimulatedDoorContact:
    """A door a script opens and shuts."""

    def __init__(self) -> None:
        self._open = False
        self._lock = threading.Lock()

    def open(self) -> None:
        with self._lock:
            self._open = True

    def shut(self) -> None:
        with self._lock:
            self._open = False

    def is_open(self) -> bool | None:
        with self._lock:
            return self._open

    def close(self) -> None:
        pass


class DoorMonitor:
    """Watches a door contact against the lane's grants; a lane signal (every grant
    releases the door for ``unlock_s``) and an alarm source (``drivers/alarm.py``).

    :meth:`check` looks at the contact once (tests call it, at the times they choose);
    :meth:`watch` runs it every ``poll_s`` in a thread. Each opening raises each alarm
    at most once.
    """

    def __init__(
        self,
        contact: DoorContact,
        alarm: Alarm | None = None,
        *,
        unlock_s: float = UNLOCK_S,
        held_open_s: float = HELD_OPEN_S,
        poll_s: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if unlock_s <= 0 or held_open_s <= 0 or poll_s <= 0:
            raise ValueError("door times are positive numbers of seconds")
        self.contact = contact
        self.unlock_s = unlock_s
        self.held_open_s = held_open_s
        self.poll_s = poll_s
        self._alarm = alarm
        self._clock = clock
        self._lock = threading.Lock()
        self._released_until = float("-inf")
        self._opened_at: float | None = None
        self._raised: set[Reason] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def show(self, decision: Decision) -> None:
        """A grant releases the door: it may open within ``unlock_s``."""
        if decision.granted:
            with self._lock:
                self._released_until = self._clock() + self.unlock_s

    def check(self) -> list[Reason]:
        """Reads the contact once; the alarms this raised."""
        state = self.contact.is_open()
        now = self._clock()
        raised = []
        with self._lock:
            if not state:
                if state is False:
                    self._opened_at = None
                    self._raised.clear()
                return []
            if self._opened_at is None:
                self._opened_at = now
                if now > self._released_until:
                    raised.append(Reason.DOOR_FORCED)
                # One grant lets one opening through.
                self._released_until = float("-inf")
            if now - self._opened_at > self.held_open_s:
                raised.append(Reason.DOOR_HELD_OPEN)
            raised = [reason for reason in raised if reason not in self._raised]
            self._raised.update(raised)
        for reason in raised:
            if self._alarm is None:
                log.warning("door alarm with nobody to tell: %s", reason.value)
                continue
            try:
                self._alarm(reason)
            except Exception:
                log.exception("the door alarm %s could not be raised", reason.value)
        return raised

    def watch(self, alarm: Alarm) -> None:
        """Polls the contact every ``poll_s`` in a thread, raising ``alarm``."""
        self._alarm = alarm
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="portique-door", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        self.contact.close()

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            self.check()
