"""The live feed's wake-up call: a passage stored at a site is announced on PostgreSQL's
``portique_live`` channel (NOTIFY, delivered at commit), so that every server process
listening re-reads that site's state at once instead of at its next poll."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portique.services.passages import RecordedPassage

LIVE_CHANNEL = "portique_live"


def announce_passages(session: Session, site_id: str, recorded: Sequence[RecordedPassage]) -> None:
    """A passage handler: NOTIFY ``portique_live`` with the site's id (PostgreSQL only;
    a SQLite server is one machine, whose streams poll)."""
    if recorded and session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_notify(LIVE_CHANNEL, site_id)))
