"""What one running server holds: its site, gate, settings, sessions and templates."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from fastapi import Request
from fastapi.templating import Jinja2Templates

from portique.server.jobs import Jobs
from portique.server.sessions import SessionStore
from portique.server.settings import ServerSettings
from portique.server.throttle import LoginThrottle
from portique.services import Gate, SiteHandle

T = TypeVar("T")


@dataclass
class AppState:
    site: SiteHandle
    gate: Gate
    settings: ServerSettings
    sessions: SessionStore
    throttle: LoginThrottle
    templates: Jinja2Templates
    gate_lock: threading.Lock = field(default_factory=threading.Lock)
    """The gate caches its snapshot for one thread at a time."""
    jobs: Jobs = field(default_factory=Jobs)
    """The console's background jobs (batches of cards, revocations, consents)."""

    def now(self) -> datetime:
        return self.settings.clock()

    def act(self, change: Callable[..., T], *args: object, by: str) -> T:
        """``change(session, site_id, *args, by=by, now=now)`` in a transaction of its
        own: what someone does at the site, recorded under their name."""
        with self.site.session() as session:
            return change(session, self.site.site_id, *args, by=by, now=self.now())


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.portique
    return state
