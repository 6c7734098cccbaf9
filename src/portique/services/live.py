"""The live feed's wake-up call: a passage stored at a site, a lockdown declared or
lifted, a referral answered, is announced on PostgreSQL's ``portique_live`` channel
(NOTIFY, delivered at commit), so that every server process listening re-reads that
site's state at once instead of at its next poll."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portique.services.passages import RecordedPassage

LIVE_CHANNEL = "portique_live"


def announce(session: Session, site_id: str) -> None:
    """NOTIFY ``portique_live`` with the site's id when the transaction commits
    (PostgreSQL only: a SQLite server is one machine, whose streams poll)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_notify(LIVE_CHANNEL, site_id)))


def announce_passages(session: Session, site_id: str, recorded: Sequence[RecordedPassage]) -> None:
    """A passage handler: the live streams are told of the passages stored."""
    if recorded:
        announce(session, site_id)
