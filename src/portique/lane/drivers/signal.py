"""Lane signals: how the person and the agent learn the decision.

A console line (Rich) in French or English; an HTTP relay hook that POSTs the outcome to
a door controller; a GPIO hook that writes to sysfs-like value files (one line per
outcome); a simulated signal that records what it was shown. A signal never blocks the
lane for long and never raises: a relay that does not answer is logged, and the next
decision goes on. What leaves the lane is the outcome and its reasons, never who passed.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console
from rich.text import Text

from portique.access import Decision, Outcome, outcome_label, reason_label

log = logging.getLogger(__name__)


class LaneSignal(Protocol):
    """Shows a decision to the person at the lane and the agent."""

    def show(self, decision: Decision) -> None:
        """Signals ``decision``; returns quickly and never raises."""

    def close(self) -> None:
        """Finishes pending work and releases the device."""


_STYLES: Mapping[Outcome, str] = {
    Outcome.GRANT: "bold green",
    Outcome.DENY: "bold red",
    Outcome.REFER: "bold yellow",
}


def signal_json(decision: Decision, lang: str = "fr") -> dict[str, Any]:
    """What a relay receives: the lane, the outcome with its label, the reasons, the alert
    and the time; no credential or person id."""
    return {
        "lane_id": decision.lane_id,
        "outcome": decision.outcome.value,
        "label": outcome_label(decision.outcome, lang),
        "reasons": [reason.value for reason in decision.reasons],
        "alert": decision.alert,
        "time": decision.time.isoformat(),
    }


class ConsoleSignal:
    """One line per decision on a terminal: time, lane, outcome and reasons, in ``lang``."""

    def __init__(self, console: Console | None = None, *, lang: str = "fr") -> None:
        self.console = console or Console(highlight=False)
        self.lang = lang

    def line(self, decision: Decision) -> Text:
        """The line shown for ``decision``."""
        alert = " ⚠ ALERTE" if self.lang.startswith("fr") else " ⚠ ALERT"
        reasons = ", ".join(reason_label(reason, self.lang) for reason in decision.reasons)
        text = Text()
        text.append(f"{decision.time.astimezone():%H:%M:%S} ", style="dim")
        text.append(f"{decision.lane_id} ")
        text.append(outcome_label(decision.outcome, self.lang), style=_STYLES[decision.outcome])
        text.append(f" — {reasons}")
        if decision.alert:
            text.append(alert, style="bold red")
        return text

    def show(self, decision: Decision) -> None:
        try:
            self.console.print(self.line(decision))
        except OSError as exc:
            log.warning("the console signal failed: %s", exc)

    def close(self) -> None:
        pass


class HttpRelaySignal:
    """POSTs each decision as JSON (:func:`signal_json`) to ``url``, from a worker thread.
    With ``pulse_s``, the body also says for how long a grant releases the door
    (``"pulse_s"``), for a door controller that times its own strike.

    A request that fails or takes longer than ``timeout_s`` is logged and dropped; when
    the relay lags, at most ``backlog`` decisions wait and the oldest are dropped
    first, since a stale "open" is worse than none.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 1.0,
        lang: str = "fr",
        backlog: int = 8,
        pulse_s: float | None = None,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"A relay URL starts with http:// or https://, not {url!r}.")
        self.url = url
        self.timeout_s = timeout_s
        self.lang = lang
        self.pulse_s = pulse_s
        self.sent = 0
        self.failed = 0
        self._queue: queue.Queue[Decision | None] = queue.Queue(maxsize=backlog)
        self._thread = threading.Thread(target=self._work, name="portique-relay", daemon=True)
        self._thread.start()

    def show(self, decision: Decision) -> None:
        while True:
            try:
                self._queue.put_nowait(decision)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                    log.warning("the relay at %s lags: an older decision was dropped", self.url)
                except queue.Empty:
                    pass

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=self.timeout_s * 2 + 1)

    def _work(self) -> None:
        while True:
            decision = self._queue.get()
            if decision is None:
                return
            message = signal_json(decision, self.lang)
            if self.pulse_s is not None:
                message["pulse_s"] = self.pulse_s
            body = json.dumps(message).encode("utf-8")
            request = urllib.request.Request(
                self.url, data=body, headers={"Content-Type": "application/json"}, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    response.read()
                self.sent += 1
            except (urllib.error.URLError, OSError, ValueError) as exc:
                self.failed += 1
                log.warning("the relay at %s did not take the decision: %s", self.url, exc)


class GpioSignal:
    """Drives one output line per outcome through sysfs-like value files.

    On each decision, the outcome's file gets ``1`` and the others ``0``; after
    ``pulse_s`` seconds (None: never) the line drops back to ``0``. A file that does not
    exist (a line not exported, a relay not wired) is skipped, with one warning.
    """

    def __init__(self, lines: Mapping[Outcome, Path], *, pulse_s: float | None = 1.0) -> None:
        self.lines = {outcome: Path(path) for outcome, path in lines.items()}
        self.pulse_s = pulse_s
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._warned: set[Path] = set()

    def show(self, decision: Decision) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            for outcome, path in self.lines.items():
                self._write(path, "1" if outcome is decision.outcome else "0")
            if self.pulse_s is not None:
                self._timer = threading.Timer(self.pulse_s, self._release)
                self._timer.daemon = True
                self._timer.start()

    def close(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
        self._release()

    def _release(self) -> None:
        with self._lock:
            for path in self.lines.values():
                self._write(path, "0")

    def _write(self, path: Path, value: str) -> None:
        if not path.exists():
            if path not in self._warned:
                self._warned.add(path)
                log.warning("GPIO line %s does not exist: it is left alone", path)
            return
        try:
            with path.open("w", encoding="ascii") as handle:
                handle.write(value)
        except OSError as exc:
            log.warning("cannot drive GPIO line %s: %s", path, exc)


class SimulatedSignal:
    """Records the decisions it is shown, for tests and demos."""

    def __init__(self) -> None:
        self.decisions: list[Decision] = []
        self._lock = threading.Lock()

    def show(self, decision: Decision) -> None:
        with self._lock:
            self.decisions.append(decision)

    @property
    def outcomes(self) -> list[Outcome]:
        with self._lock:
            return [decision.outcome for decision in self.decisions]

    def close(self) -> None:
        pass
