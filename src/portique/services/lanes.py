"""The server's end of the lanes' link, backed by a site: its store and its keyring.

``StoreSink`` keeps passage events in the store's passages table, the event id as the
passage id, so an event sent twice is stored once, and the lanes' heartbeats in the
lane_status table. ``site_snapshot`` builds a lane snapshot from the store, and
``SitePublisher`` publishes a new one whenever the site's snapshot version changes (a
revocation, a lockdown, a new credential...). A lane device never imports this module.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Container, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portique import clock
from portique.access import Outcome, Reason
from portique.credentials import Keyring
from portique.errors import PortiqueError
from portique.lane.events import PassageEvent
from portique.lane.snapshot import LaneSnapshot
from portique.services.credentials import previous_model_credentials
from portique.services.passages import PassageRecorder
from portique.services.rows import site_row
from portique.services.settings import site_settings
from portique.services.site import SiteHandle
from portique.services.snapshot import build_snapshot
from portique.services.vault import sealed_templates
from portique.store import (
    CredentialRow,
    LaneStatusChangeRow,
    LaneStatusRow,
    LockdownRow,
    PersonRow,
    Sites,
    StoreConflictError,
    VisitRow,
)

log = logging.getLogger(__name__)

SessionFactory = Callable[[], AbstractContextManager[Session]]


class StoreSink:
    """Passage events and lane heartbeats into the store: ``sessions`` opens a transaction
    (``SiteHandle.session`` or ``Database.session``), ``passages`` stores the events and
    tells its handlers (``SiteHandle.passages``).

    One batch is stored at a time: lanes forward from their own threads, and a second
    SQLite writer would only wait for the first.
    """

    def __init__(self, sessions: SessionFactory, passages: PassageRecorder) -> None:
        self._session = sessions
        self._passages = passages
        self._lock = threading.Lock()

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
        with self._lock:
            try:
                return self._store(events)
            except StoreConflictError:
                # Another ingest stored some of these ids meanwhile: what is left is new.
                return self._store(events)

    def _store(self, events: Sequence[PassageEvent]) -> int:
        with self._session() as session:
            return self._passages.record(session, flag_inconsistent_grants(session, events))


def flag_inconsistent_grants(
    session: Session, events: Sequence[PassageEvent]
) -> list[PassageEvent]:
    """``events``, each GRANT that the server's records contradict flagged: stored with
    an alert and the reason ``inconsistent_grant``, never silently. A lane granted a
    credential the site never issued (a card signed with an unknown key), one revoked
    before the passage, or a passage during a lockdown in force at that time: a lane on
    an old snapshot, or a lane device in someone else's hands."""
    grants = [e for e in events if e.outcome is Outcome.GRANT and not e.alert]
    if not grants:
        return list(events)
    granted = {e.event_id for e in grants}
    ids = {e.credential_id for e in grants if e.credential_id is not None}
    credentials = {
        row.credential_id: row
        for row in session.scalars(
            select(CredentialRow).where(CredentialRow.credential_id.in_(ids))
        )
    }
    passes = set(
        session.scalars(select(VisitRow.credential_id).where(VisitRow.credential_id.in_(ids)))
    )
    sites = {e.site_id for e in grants}
    lockdowns = list(session.scalars(select(LockdownRow).where(LockdownRow.site_id.in_(sites))))
    checked, flagged = [], 0
    for event in events:
        if event.event_id in granted and _contradicted(event, credentials, passes, lockdowns):
            flagged += 1
            event = replace(event, alert=True, reasons=(*event.reasons, Reason.INCONSISTENT_GRANT))
        checked.append(event)
    if flagged:
        log.warning("%d granted passages the server's records refuse: stored flagged", flagged)
    return checked


def _contradicted(
    event: PassageEvent,
    credentials: Mapping[str, CredentialRow],
    passes: Container[str | None],
    lockdowns: Sequence[LockdownRow],
) -> bool:
    at = event.time
    for lockdown in lockdowns:
        lifted = lockdown.lifted_at
        if (
            lockdown.site_id == event.site_id
            and lockdown.since <= at
            and (lifted is None or at < lifted)
        ):
            return True
    if event.credential_id is None:
        return False
    row = credentials.get(event.credential_id)
    if row is None:
        return event.credential_id not in passes
    return row.site_id != event.site_id or (row.revoked_at is not None and row.revoked_at <= at)


def site_snapshot(
    site: SiteHandle, now: datetime | None = None, *, keyring: Keyring | None = None
) -> LaneSnapshot:
    """The lane snapshot of ``site`` at ``now``: its whole policy, its verifying keys and
    template keys, the model of its templates and, for a site with a central template
    store, the sealed templates (still sealed: each key travels only in its credential),
    and the first names of its people for the lane display's greeting."""
    now = now or clock.now()
    keyring = keyring or site.keyring()
    with site.session() as session:
        policy = build_snapshot(session, site.site_id, now, verifiers=keyring.verifiers())
        settings = site_settings(site_row(session, site.site_id))
        sealed = sealed_templates(session, site.site_id)
        names = _first_names(session, site.site_id, policy.people)
        previous = previous_model_credentials(session, site.site_id)
    return LaneSnapshot(
        policy,
        keyring.template_keys(),
        settings.face_model,
        issued_at=now,
        sealed_templates=sealed,
        first_names=names,
        previous_face_model=settings.previous_face_model,
        previous_model_credentials=previous,
    )


def _first_names(session: Session, site_id: str, people: Container[str]) -> dict[str, str]:
    """The first names of the people of a policy: the lane display greets them by that,
    and nothing more (no last name ever reaches a lane)."""
    rows = session.execute(
        select(PersonRow.person_id, PersonRow.first_name).where(PersonRow.site_id == site_id)
    )
    return {person_id: first for person_id, first in rows if person_id in people}


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
