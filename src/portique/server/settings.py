"""The server's own settings: cookies, sessions, login limits and live updates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from portique import clock


def utc_now() -> datetime:
    return clock.now()


HOST_PREFIX = "__Host-"


@dataclass(frozen=True)
class ServerSettings:
    """How the server behaves; the defaults suit a school, the tests shorten the delays.

    ``plain_http`` drops the ``Secure`` flag of cookies: only for the demo served over
    plain HTTP on localhost (``portique demo``), never behind a real network.
    """

    plain_http: bool = False
    session_lifetime: timedelta = timedelta(hours=10)
    trusted_proxies: tuple[str, ...] = ()
    """Addresses or networks of the reverse proxies whose ``X-Forwarded-For`` is believed
    (``portique.server.throttle.client_address``); no other peer's is."""
    login_window: timedelta = timedelta(minutes=15)
    """How long a failed login counts (``portique.server.throttle``)."""
    login_free_failures: int = 3
    """Failures of one name from one address before each further attempt waits."""
    login_delay: timedelta = timedelta(seconds=2)
    """The first wait; it doubles with each further failure of the pair."""
    login_delay_max: timedelta = timedelta(minutes=15)
    login_failures_per_address: int = 30
    """Failures from one address, whatever the names, before the address must wait."""
    login_failures_per_account: int = 50
    """Failures of one name from all addresses before it may be tried only from
    addresses it signed in from."""
    known_address_days: int = 30
    live_poll_s: float = 0.5
    """The live feed reads the database at least this often (a LISTEN wakes it sooner)."""
    live_listen_poll_s: float = 5.0
    """The same while PostgreSQL's LISTEN wakes the feed at each passage stored."""
    live_check_s: float = 0.2
    """A stream looks at its process's live feed this often (memory, not the database)."""
    live_stream_s: float = 60.0
    """A live stream ends after this long; the browser's EventSource reconnects itself."""
    recent_passages: int = 50
    lane_offline_after: timedelta = timedelta(seconds=60)
    """A lane silent this long (no heartbeat) is an "offline lane" alert."""
    departure_sweep: timedelta = timedelta(minutes=10)
    """How often pupils whose leaving date has passed are made to leave."""
    background_imports: bool = True
    """The console's people imports run in a thread of their own; off, before the answer
    (the tests, which then read the report at once)."""
    clock: Callable[[], datetime] = field(default=utc_now)

    def cookie_name(self, name: str) -> str:
        """The name a console cookie is sent under: ``__Host-`` + ``name``, which a browser
        keeps only if it came over HTTPS for this very host with ``Path=/`` (so a sibling
        sub-domain cannot plant one: no login CSRF); the bare name over plain HTTP, where
        the prefix cannot be honoured."""
        return name if self.plain_http else HOST_PREFIX + name
