"""Console sessions: the signed-in browsers (cookie and CSRF token), in the memory of the
server process. Failed logins are counted by ``portique.server.throttle``."""

from __future__ import annotations

import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime

from portique.server.settings import ServerSettings

SESSION_COOKIE = "portique_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class ConsoleSession:
    """A signed-in browser: the account, the CSRF token of its forms, the end of validity."""

    session_id: str
    username: str
    csrf: str
    expires_at: datetime


def csrf_matches(session: ConsoleSession, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(session.csrf.encode(), given.encode())


class SessionStore:
    """Console sessions, in the memory of the server process.

    A restart signs everyone out, which is safe; several server processes would need a
    shared store (see the report of issue 6).
    """

    def __init__(self, settings: ServerSettings) -> None:
        self._settings = settings
        self._sessions: dict[str, ConsoleSession] = {}
        self._lock = threading.Lock()

    def open(self, username: str, *, now: datetime) -> ConsoleSession:
        session = ConsoleSession(
            session_id=secrets.token_urlsafe(32),
            username=username,
            csrf=secrets.token_urlsafe(32),
            expires_at=now + self._settings.session_lifetime,
        )
        with self._lock:
            self._sessions = {
                key: value for key, value in self._sessions.items() if value.expires_at > now
            }
            self._sessions[session.session_id] = session
        return session

    def get(self, session_id: str, *, now: datetime) -> ConsoleSession | None:
        with self._lock:
            session = self._sessions.get(session_id)
        if session is None or session.expires_at <= now:
            return None
        return session

    def close(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)
