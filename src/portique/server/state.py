"""What one running server holds: its site, gate, settings, sessions and templates."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from fastapi import Request
from fastapi.templating import Jinja2Templates

from portique.server.sessions import LoginLimiter, SessionStore
from portique.server.settings import ServerSettings
from portique.services import Gate, SiteHandle


@dataclass
class AppState:
    site: SiteHandle
    gate: Gate
    settings: ServerSettings
    sessions: SessionStore
    limiter: LoginLimiter
    templates: Jinja2Templates
    gate_lock: threading.Lock = field(default_factory=threading.Lock)
    """The gate caches its snapshot for one thread at a time."""

    def now(self) -> datetime:
        return self.settings.clock()


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.portique
    return state
