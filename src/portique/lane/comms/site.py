"""The server's side of the link backed by a Portique site: its store and its keyring.

``StoreSink`` keeps passage events in the store's passages table, the event id as the
passage id, so an event sent twice is stored once, and the lanes' heartbeats in the
lane_status table. ``site_snapshot`` builds a lane
snapshot from the store, and ``SitePublisher`` publishes a new one whenever the site's
snapshot version changes (a revocation, a lockdown, a new credential...).

This module runs on the server: it imports the store and the services, which a lane
never needs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from portique import clock
from portique.credentials import Keyring
from portique.errors import PortiqueError
from portique.lane.events import PassageEvent
from portique.lane.snapshot import LaneSnapshot
from portique.privacy.vault import sealed_templates
from portique.services import SiteHandle, build_snapshot
from portique.services.policy_json import face_choice
from portique.services.snapshot import site_row
from portique.store import (
    LaneStatusChangeRow,
    LaneStatusRow,
    PassageRow,
    PersonRow,
    Sites,
    StoreConflictError,
)
from portique.visitors import LanePassage, record_checkpoints

log = logging.getLogger(__name__)

SessionFactory = Callable[[], AbstractContextManager[Session]]
_CHUNK = 500


class StoreSink:
    """Passage events and lane heartbeats into the store (``SiteHandle.session`` or
    ``Database.session``)."""

    def __init__(self, session: SessionFactory) -> None:
        self._session = session

    def lane_seen(self, site_id: str, lane_id: str, at: datetime, *, online: bool) -> None:
        try:
            self._lane_seen(site_id, lane_id, at, online)
        except StoreConflictError:
            # The lane's first two heartbeats raced: the row exists now.
            self._lane_seen(site_id, lane_id, at, online)

    def _lane_seen(self, site_id: str, lane_id: str, at: datetime, online: bool) -> None:
        with self._session() as session:
            row = session.get(LaneStatusRow, (site_id, lane_id))
            if row is None or row.online != online:
                # The history of the assessment report's offline periods (issue 9).
                session.add(
                    LaneStatusChangeRow(site_id=site_id, lane_id=lane_id, at=at, online=online)
                )
            if row is None:
                session.add(
                    LaneStatusRow(site_id=site_id, lane_id=lane_id, last_seen_at=at, online=online)
                )
            else:
                row.last_seen_at = at
                row.online = online

    def store(self, events: Sequence[PassageEvent]) -> int:
        try:
            return self._store(events)
        except StoreConflictError:
            # Another ingest stored some of these ids meanwhile: what is left is new.
            return self._store(events)

    def _store(self, events: Sequence[PassageEvent]) -> int:
        with self._session() as session:
            seen: set[str] = set()
            ids = [event.event_id for event in events]
            for start in range(0, len(ids), _CHUNK):
                query = select(PassageRow.passage_id).where(
                    PassageRow.passage_id.in_(ids[start : start + _CHUNK])
                )
                seen.update(session.scalars(query))
            rows = []
            for event in events:
                if event.event_id in seen:
                    continue
                seen.add(event.event_id)
                rows.append(_row(event))
            if rows:
                # One bulk INSERT: a burst from many lanes is one statement, not one per row.
                session.execute(insert(PassageRow), rows)
                _visitor_checkpoints(session, rows)
            return len(rows)


def _visitor_checkpoints(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Passages of visitors' passes become checkpoints on their visits' paths."""
    by_site: dict[str, list[LanePassage]] = {}
    for row in rows:
        if row["credential_id"] is not None:
            by_site.setdefault(row["site_id"], []).append(
                LanePassage(
                    row["passage_id"],
                    row["lane_id"],
                    row["time"],
                    row["outcome"],
                    tuple(row["reasons"]),
                    row["credential_id"],
                )
            )
    for site_id, passages in by_site.items():
        record_checkpoints(session, site_id, passages)


def _row(event: PassageEvent) -> dict[str, Any]:
    return dict(
        passage_id=event.event_id,
        site_id=event.site_id,
        lane_id=event.lane_id,
        direction=None if event.direction is None else event.direction.value,
        time=event.time,
        outcome=event.outcome.value,
        reasons=[reason.value for reason in event.reasons],
        alert=event.alert,
        credential_id=event.credential_id,
        person_id=event.person_id,
        latency_ms=event.latency_ms,
        snapshot_version=event.snapshot_version,
    )


def site_snapshot(
    site: SiteHandle, now: datetime | None = None, *, keyring: Keyring | None = None
) -> LaneSnapshot:
    """The lane snapshot of ``site`` at ``now``: its whole policy, its verifying keys and
    template keys, the model of its templates and, for a site with a central template
    store, the sealed templates (still sealed: each key travels only in its credential)."""
    now = now or clock.now()
    keyring = keyring or site.keyring()
    with site.session() as session:
        policy = build_snapshot(session, site.site_id, now, verifiers=keyring.verifiers())
        model = face_choice(site_row(session, site.site_id).settings).model
        sealed = sealed_templates(session, site.site_id)
        # The lane display greets people by their first name: that, and nothing more.
        rows = session.execute(
            select(PersonRow.person_id, PersonRow.first_name).where(
                PersonRow.site_id == site.site_id
            )
        )
        names = {person_id: first for person_id, first in rows if person_id in policy.people}
    return LaneSnapshot(
        policy,
        keyring.template_keys(),
        model,
        issued_at=now,
        sealed_templates=sealed,
        first_names=names,
    )


class SitePublisher:
    """Publishes the site's lane snapshot whenever its snapshot version changes.

    ``publish`` is a hub's ``publish_snapshot``. Call :meth:`refresh` after a change,
    or :meth:`start` a thread that checks every ``interval_s`` seconds.
    """

    def __init__(
        self,
        site: SiteHandle,
        publish: Callable[[LaneSnapshot], None],
        *,
        keyring: Keyring | None = None,
        interval_s: float = 2.0,
    ) -> None:
        self.site = site
        self.interval_s = interval_s
        self._publish = publish
        self._keyring = keyring or site.keyring()
        self._published: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh(self, now: datetime | None = None) -> bool:
        """Publishes a snapshot if the site's version changed; whether it did."""
        with self.site.session() as session:
            version = Sites(session).version(self.site.site_id)
        if version is None or version == self._published:
            return False
        snapshot = site_snapshot(self.site, now, keyring=self._keyring)
        self._publish(snapshot)
        self._published = snapshot.version
        log.info("published snapshot version %d of %s", snapshot.version, self.site.site_id)
        return True

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="portique-publisher", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.refresh()
            except PortiqueError as error:
                log.warning("could not publish the site's snapshot: %s", error.message)
            self._stop.wait(self.interval_s)
