"""The server's own settings: cookies, sessions, login limits and live updates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from portique import clock


def utc_now() -> datetime:
    return clock.now()


@dataclass(frozen=True)
class ServerSettings:
    """How the server behaves; the defaults suit a school, the tests shorten the delays.

    ``plain_http`` drops the ``Secure`` flag of cookies: only for the demo served over
    plain HTTP on localhost (``portique demo``), never behind a real network.
    """

    plain_http: bool = False
    session_lifetime: timedelta = timedelta(hours=10)
    max_failed_logins: int = 5
    lockout: timedelta = timedelta(minutes=15)
    login_attempts_per_client: int = 20
    login_window: timedelta = timedelta(minutes=5)
    live_poll_s: float = 0.5
    """The live feed reads the database at least this often (a LISTEN wakes it sooner)."""
    live_check_s: float = 0.2
    """A stream looks at its process's live feed this often (memory, not the database)."""
    live_stream_s: float = 60.0
    """A live stream ends after this long; the browser's EventSource reconnects itself."""
    recent_passages: int = 50
    lane_offline_after: timedelta = timedelta(seconds=60)
    """A lane silent this long (no heartbeat) is an "offline lane" alert."""
    departure_sweep: timedelta = timedelta(minutes=10)
    """How often pupils whose leaving date has passed are made to leave."""
    clock: Callable[[], datetime] = field(default=utc_now)
