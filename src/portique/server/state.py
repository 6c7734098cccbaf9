"""What one running server holds: the sites it serves (each with its gate and live
feed), its settings, sessions and templates; and the state a request sees, bound to the
site of whoever calls."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypeVar

from fastapi import Request
from fastapi.templating import Jinja2Templates

from portique.server.jobs import Jobs
from portique.server.live import LiveFeed
from portique.server.sessions import SESSION_COOKIE, SessionStore
from portique.server.settings import ServerSettings
from portique.server.throttle import LoginThrottle
from portique.services import Gate, SiteHandle

T = TypeVar("T")


@dataclass(frozen=True)
class ServedSite:
    """One site a server serves: its handle, gate, live feed, login throttle and the
    console's background jobs (a job of one site is never seen from another)."""

    site: SiteHandle
    gate: Gate
    live: LiveFeed
    throttle: LoginThrottle
    gate_lock: threading.Lock = field(default_factory=threading.Lock)
    jobs: Jobs = field(default_factory=Jobs)


@dataclass
class AppState:
    """The server's state as one request sees it: ``site``, ``gate`` and ``live`` are
    those of the caller's site (:func:`app_state`); ``sites`` every site served."""

    site: SiteHandle
    gate: Gate
    settings: ServerSettings
    sessions: SessionStore
    throttle: LoginThrottle
    templates: Jinja2Templates
    live: LiveFeed
    sites: Mapping[str, ServedSite] = field(default_factory=dict)
    gate_lock: threading.Lock = field(default_factory=threading.Lock)
    """The gate caches its snapshot for one thread at a time."""
    jobs: Jobs = field(default_factory=Jobs)
    """The console's background jobs (batches of cards, revocations, consents)."""

    def now(self) -> datetime:
        return self.settings.clock()

    def for_site(self, site_id: str) -> AppState:
        """This state bound to another site this server serves."""
        served = self.sites[site_id]
        return replace(
            self,
            site=served.site,
            gate=served.gate,
            live=served.live,
            throttle=served.throttle,
            gate_lock=served.gate_lock,
            jobs=served.jobs,
        )

    def act(self, change: Callable[..., T], *args: object, by: str) -> T:
        """``change(session, site_id, *args, by=by, now=now)`` in a transaction of its
        own: what someone does at the site, recorded under their name."""
        with self.site.session() as session:
            return change(session, self.site.site_id, *args, by=by, now=self.now())


def app_state(request: Request) -> AppState:
    """The server's state bound to the site of the caller: the site of the API token
    or of the console session presented, else (nobody signed in yet) the first site."""
    state: AppState = request.app.state.portique
    if len(state.sites) <= 1:
        return state
    site_id: str | None = getattr(request.state, "portique_site", None)
    if site_id is None:
        site_id = _caller_site(request, state) or ""
        request.state.portique_site = site_id
    return state.for_site(site_id) if site_id in state.sites else state


def _caller_site(request: Request, state: AppState) -> str | None:
    from portique.server.accounts import token_site

    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        with state.site.session() as session:
            return token_site(session, secret.strip())
    session_id = request.cookies.get(state.settings.cookie_name(SESSION_COOKIE))
    if session_id:
        console = state.sessions.get(session_id, now=state.now())
        return None if console is None else console.site_id
    return None
