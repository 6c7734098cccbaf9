"""The product's one clock: every "now" comes from here; tests may shift it, production may not.

A gate decides by the time: timetables, opening hours, validity windows, retention,
visit windows and heartbeats all read :func:`now`. Tests and replays need to choose that
time (a Sunday night, the night the clocks change) for whole processes they start, not
only for the functions they call with ``now=``. Three variables shift the clock of a
process, and of every process it starts, onto one shared timeline:

- ``PORTIQUE_CLOCK_AT``: an ISO-8601 time with its offset, what the clock read at the origin;
- ``PORTIQUE_CLOCK_ORIGIN``: the real POSIX time of that origin (default: the first read);
- ``PORTIQUE_TEST_CLOCK=1``: the shift is allowed. Without it a shifted clock is refused
  with :class:`ClockOverrideRefused`, so that a production process never takes its time
  from a setting left behind by a test.

From the origin the shifted clock runs at real speed: heartbeats, timeouts and back-offs
behave as usual, only the date and hour differ.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime, timedelta

from portique.errors import ConfigurationError
from portique.i18n import text

AT_VARIABLE = "PORTIQUE_CLOCK_AT"
ORIGIN_VARIABLE = "PORTIQUE_CLOCK_ORIGIN"
ALLOW_VARIABLE = "PORTIQUE_TEST_CLOCK"


class ClockOverrideRefused(ConfigurationError):
    """A shifted clock was asked for where tests are not allowed to shift it."""

    code = "clock_override"


_lock = threading.Lock()
_cache: dict[tuple[str, str, str], timedelta] = {}


def now() -> datetime:
    """The current time, timezone-aware in UTC (shifted only where tests allowed it)."""
    real = datetime.now(UTC)
    shift = current_shift()
    return real + shift if shift else real


def current_shift() -> timedelta:
    """How far this process's clock is from the real one (zero unless tests shifted it).

    Raises :class:`ClockOverrideRefused` when ``PORTIQUE_CLOCK_AT`` is set but tests
    did not allow it, and :class:`~portique.errors.ConfigurationError` when it is not
    a time with an offset.
    """
    at = os.environ.get(AT_VARIABLE, "").strip()
    if not at:
        return timedelta(0)
    key = (at, os.environ.get(ORIGIN_VARIABLE, "").strip(), os.environ.get(ALLOW_VARIABLE, ""))
    with _lock:
        shift = _cache.get(key)
        if shift is None:
            shift = _shift_of(*key)
            _cache[key] = shift
    return shift


def check() -> None:
    """Refuses, at start-up, a clock override that this process may not take."""
    current_shift()


def is_shifted() -> bool:
    """Whether this process runs on a shifted (test) clock."""
    return current_shift() != timedelta(0)


def _shift_of(at: str, origin: str, allowed: str) -> timedelta:
    if allowed != "1":
        raise ClockOverrideRefused(
            text(
                f"{AT_VARIABLE} est défini ({at!r}) sans {ALLOW_VARIABLE}=1 : une horloge "
                "décalée est réservée aux tests et aux rejeux. Retirez cette variable pour "
                "fonctionner à l'heure réelle.",
                f"{AT_VARIABLE} is set ({at!r}) but {ALLOW_VARIABLE}=1 is not: a shifted clock "
                "is for tests and replays only. Unset it to run on the real time.",
            )
        )
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise ConfigurationError(
            f"{AT_VARIABLE} must be an ISO-8601 time with its offset "
            f"(e.g. 2027-03-28T02:30+01:00), not {at!r}."
        )
    try:
        real_origin = float(origin) if origin else time.time()
    except ValueError:
        raise ConfigurationError(
            f"{ORIGIN_VARIABLE} must be a POSIX time in seconds, not {origin!r}."
        ) from None
    return moment.astimezone(UTC) - datetime.fromtimestamp(real_origin, UTC)


def shift_environment(at: datetime, origin: float | None = None) -> dict[str, str]:
    """The variables that put a process (and its children) on a clock reading ``at`` now."""
    if at.utcoffset() is None:
        raise ValueError("the forced time needs an offset (an aware datetime)")
    return {
        AT_VARIABLE: at.isoformat(),
        ORIGIN_VARIABLE: repr(time.time() if origin is None else origin),
        ALLOW_VARIABLE: "1",
    }
