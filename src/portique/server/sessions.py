"""Console sessions: the signed-in browsers (cookie and CSRF token), kept in the
database so that every worker and every server of a region shares them and a restart
signs nobody out. Failed logins are counted by ``portique.server.throttle``."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete

from portique.server.settings import ServerSettings
from portique.store import ConsoleSessionRow, Database

SESSION_COOKIE = "portique_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class ConsoleSession:
    """A signed-in browser: its site and account, the CSRF token of its forms, the end
    of validity. ``session_id`` is the cookie's secret; the database keeps its hash."""

    session_id: str
    site_id: str
    username: str
    csrf: str
    expires_at: datetime


def csrf_matches(session: ConsoleSession, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(session.csrf.encode(), given.encode())


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    """Console sessions, in the site's database: what one server process opens, any
    other finds (``portique serve --workers N``, several servers behind a proxy), and a
    restart keeps. Only the SHA-256 of a session's secret is stored, so a copy of the
    database signs nobody in."""

    def __init__(self, settings: ServerSettings, database: Database) -> None:
        self._settings = settings
        self._database = database

    def open(self, site_id: str, username: str, *, now: datetime) -> ConsoleSession:
        session = ConsoleSession(
            session_id=secrets.token_urlsafe(32),
            site_id=site_id,
            username=username,
            csrf=secrets.token_urlsafe(32),
            expires_at=now + self._settings.session_lifetime,
        )
        with self._database.session() as db:
            db.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.expires_at <= now))
            db.add(
                ConsoleSessionRow(
                    session_hash=_hash(session.session_id),
                    site_id=site_id,
                    username=username,
                    csrf=session.csrf,
                    created_at=now,
                    expires_at=session.expires_at,
                )
            )
        return session

    def get(self, session_id: str, *, now: datetime) -> ConsoleSession | None:
        with self._database.session() as db:
            row = db.get(ConsoleSessionRow, _hash(session_id))
        if row is None or row.expires_at <= now:
            return None
        return ConsoleSession(session_id, row.site_id, row.username, row.csrf, row.expires_at)

    def close(self, session_id: str) -> None:
        with self._database.session() as db:
            db.execute(
                delete(ConsoleSessionRow).where(ConsoleSessionRow.session_hash == _hash(session_id))
            )
