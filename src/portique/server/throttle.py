"""Login throttling that an attacker can neither bypass nor turn against a user.

Every attempt is recorded with the name typed and the client's address
(:func:`client_address`: proxy headers are believed only from ``trusted_proxies``).
Three limits, none of which a success resets:

- **per account and address**: after ``login_free_failures`` failures in the window, each
  further attempt of that name from that address waits twice as long as the one before
  (``login_delay`` doubling, at most ``login_delay_max``). Only that pair is slowed: the
  same account from elsewhere is not.
- **per address**: past ``login_failures_per_address`` failures in the window, whatever
  the names, the address must wait until its oldest failure leaves the window.
- **per account**: past ``login_failures_per_account`` failures in the window, from all
  addresses together, the name may be tried only from addresses where it signed in
  before (in the last ``known_address_days``): a guessing campaign spread over many
  addresses stops, while its owner keeps signing in from their usual post.

A name that is not an account is throttled exactly as one that is, so that the answers
never tell which names exist. The attempts are kept in the database
(:class:`SqlLoginAttempts`), so several server processes share them; another store only
has to follow :class:`LoginAttempts`.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from fastapi import Request
from sqlalchemy import delete, func, select

from portique.errors import ConfigurationError
from portique.i18n import text
from portique.server.errors import LockedOutError
from portique.server.settings import ServerSettings
from portique.services import SiteHandle
from portique.store.models import LoginAttemptRow

MAX_NAME_LENGTH = 64
UNKNOWN_ADDRESS = "unknown"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ThrottledError(LockedOutError):
    """Too many failed logins lately, for this name from this address, from this address,
    or for this name from addresses it never signed in from. ``retry_after`` in seconds."""

    code = "locked_out"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            text(
                f"Trop de tentatives de connexion : réessayez dans {retry_after} s.",
                f"Too many login attempts: try again in {retry_after} s.",
            )
        )
        self.retry_after = retry_after


def trusted_networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    """The networks of the configured ``trusted_proxies`` (addresses or CIDR blocks).

    Raises:
        ConfigurationError: an entry is not an IP address or network.
    """
    networks = []
    for proxy in proxies:
        try:
            networks.append(ipaddress.ip_network(proxy.strip(), strict=False))
        except ValueError:
            raise ConfigurationError(
                text(
                    f"trusted_proxies : {proxy!r} n'est ni une adresse IP ni un réseau.",
                    f"trusted_proxies: {proxy!r} is neither an IP address nor a network.",
                )
            ) from None
    return tuple(networks)


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: Request, trusted: tuple[Network, ...] = ()) -> str:
    """The address of the client: the peer of the connection, unless the peer is one of
    the ``trusted`` proxies; then the right-most address of ``X-Forwarded-For`` that is
    not itself a trusted proxy (what the nearest proxy saw, which a client cannot forge).
    """
    peer = request.client.host if request.client is not None else UNKNOWN_ADDRESS
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        if not _is_trusted(hop, trusted):
            return hop[:64]
    return peer


class LoginAttempts(Protocol):
    """Where login attempts are kept, shared by every server process of a site."""

    def failures(
        self, *, since: datetime, username: str | None = None, address: str | None = None
    ) -> tuple[int, datetime | None, datetime | None]:
        """How many failures since ``since`` for the name, the address or both, with the
        oldest and the latest of them (None when there are none)."""
        ...

    def signed_in_from(self, username: str, address: str, *, since: datetime) -> bool:
        """Whether ``username`` opened a session from ``address`` since ``since``."""
        ...

    def record(self, username: str, address: str, *, at: datetime, succeeded: bool) -> None:
        """Keeps one attempt; forgets failures before ``at`` minus the window and
        successes before ``at`` minus the memory of known addresses."""
        ...


@dataclass(frozen=True)
class SqlLoginAttempts:
    """Login attempts in the site's database (table ``login_attempts``)."""

    site: SiteHandle
    window: timedelta
    memory: timedelta

    def failures(
        self, *, since: datetime, username: str | None = None, address: str | None = None
    ) -> tuple[int, datetime | None, datetime | None]:
        Row = LoginAttemptRow
        query = select(func.count(), func.min(Row.at), func.max(Row.at)).where(
            Row.site_id == self.site.site_id, Row.at > since, Row.succeeded.is_(False)
        )
        if username is not None:
            query = query.where(Row.username == username)
        if address is not None:
            query = query.where(Row.address == address)
        with self.site.session() as session:
            count, oldest, latest = session.execute(query).one()
        return int(count), oldest, latest

    def signed_in_from(self, username: str, address: str, *, since: datetime) -> bool:
        Row = LoginAttemptRow
        query = (
            select(Row.attempt_id)
            .where(
                Row.site_id == self.site.site_id,
                Row.username == username,
                Row.address == address,
                Row.succeeded.is_(True),
                Row.at > since,
            )
            .limit(1)
        )
        with self.site.session() as session:
            return session.scalar(query) is not None

    def record(self, username: str, address: str, *, at: datetime, succeeded: bool) -> None:
        Row = LoginAttemptRow
        site_id = self.site.site_id
        with self.site.session() as session:
            session.execute(
                delete(Row).where(
                    Row.site_id == site_id, Row.succeeded.is_(False), Row.at <= at - self.window
                )
            )
            session.execute(
                delete(Row).where(
                    Row.site_id == site_id, Row.succeeded.is_(True), Row.at <= at - self.memory
                )
            )
            session.add(
                Row(site_id=site_id, username=username, address=address, at=at, succeeded=succeeded)
            )


class LoginThrottle:
    """The three limits of the module's docstring, over a :class:`LoginAttempts` store."""

    def __init__(self, attempts: LoginAttempts, settings: ServerSettings) -> None:
        self.attempts = attempts
        self.settings = settings

    @staticmethod
    def name(typed: str) -> str:
        """The name an attempt is counted under: as accounts are named, cut to their length."""
        return typed.strip().lower()[:MAX_NAME_LENGTH]

    def check(self, typed: str, address: str, *, now: datetime) -> None:
        """Raises ThrottledError when this attempt must wait; before any password is checked."""
        settings = self.settings
        username, since = self.name(typed), now - settings.login_window
        count, _, latest = self.attempts.failures(since=since, username=username, address=address)
        if count >= settings.login_free_failures and latest is not None:
            doubling = min(count - settings.login_free_failures, 30)
            delay = min(settings.login_delay * 2**doubling, settings.login_delay_max)
            self._wait_until(latest + delay, now)
        count, oldest, _ = self.attempts.failures(since=since, address=address)
        if count >= settings.login_failures_per_address and oldest is not None:
            self._wait_until(oldest + settings.login_window, now)
        count, oldest, _ = self.attempts.failures(since=since, username=username)
        if count >= settings.login_failures_per_account and oldest is not None:
            known_since = now - timedelta(days=settings.known_address_days)
            if not self.attempts.signed_in_from(username, address, since=known_since):
                self._wait_until(oldest + settings.login_window, now)

    @staticmethod
    def _wait_until(moment: datetime, now: datetime) -> None:
        if moment > now:
            raise ThrottledError(max(1, math.ceil((moment - now).total_seconds())))

    def failed(self, typed: str, address: str, *, now: datetime) -> None:
        self.attempts.record(self.name(typed), address, at=now, succeeded=False)

    def succeeded(self, typed: str, address: str, *, now: datetime) -> None:
        """Marks ``address`` known to the account; the failures counted stay counted."""
        self.attempts.record(self.name(typed), address, at=now, succeeded=True)


def login_throttle(site: SiteHandle, settings: ServerSettings) -> LoginThrottle:
    """The throttle of a served site, its attempts in the site's database."""
    memory = timedelta(days=settings.known_address_days)
    attempts = SqlLoginAttempts(site, settings.login_window, max(memory, settings.login_window))
    return LoginThrottle(attempts, settings)
