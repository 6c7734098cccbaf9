"""Retention: how long each category of data is kept, and the purge that enforces it.

Defaults follow the CNIL's earlier authorisations for access control: passage events
(with the agents' reviews of them) and visitor identities 3 months, the audit log and
the lanes' online history 1 year. Sealed templates in the central store go as soon as
their credential is revoked or expired; a template on a card is only readable with a
credential that the lanes still accept, so its expiry makes it useless (see
docs/privacy.md). Each real purge is itself recorded in the audit log with its counts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.orm import Session

from portique import clock as product_clock
from portique.access import Role
from portique.config import Settings, get_settings
from portique.periodic import run_periodically
from portique.privacy import audit, audit_keys
from portique.store import (
    ACTIVE,
    AuditEntryRow,
    CredentialRow,
    Database,
    LaneStatusChangeRow,
    PassageRow,
    PersonRow,
    PhoneEnrolmentRow,
    TemplateVaultRow,
    VisitAlertRow,
    VisitEventRow,
    VisitRow,
)
from portique.store.models import PassageReviewRow

log = logging.getLogger(__name__)

RETENTION_ACTOR = "system:retention"
PURGE_ACTION = "retention.purge"


class Category(StrEnum):
    """A category of data with its own retention, as counted by a purge."""

    PASSAGES = "passages"
    PASSAGE_REVIEWS = "passage_reviews"
    VISITORS = "visitors"
    VISITS = "visits"
    VISIT_EVENTS = "visit_events"
    VISIT_ALERTS = "visit_alerts"
    TEMPLATES = "templates"
    AUDIT_ENTRIES = "audit_entries"
    LANE_STATUS_CHANGES = "lane_status_changes"
    PHONE_ENROLMENTS = "phone_enrolments"


@dataclass(frozen=True)
class RetentionPolicy:
    """How long each category is kept."""

    passages: timedelta = timedelta(days=92)
    visitors: timedelta = timedelta(days=92)
    audit: timedelta = timedelta(days=366)
    lane_status: timedelta = timedelta(days=366)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> RetentionPolicy:
        """The policy of the configuration (``PORTIQUE_RETENTION_*_DAYS``)."""
        settings = settings or get_settings()
        return cls(
            passages=timedelta(days=settings.retention_passages_days),
            visitors=timedelta(days=settings.retention_visitors_days),
            audit=timedelta(days=settings.retention_audit_days),
            lane_status=timedelta(days=settings.retention_lane_status_days),
        )

    def as_days(self) -> dict[str, int]:
        return {name: value.days for name, value in asdict(self).items()}


@dataclass(frozen=True)
class PurgeReport:
    """What a purge removed (or, for a dry run, would remove), per category."""

    site_id: str
    at: datetime
    dry_run: bool
    counts: dict[str, int]
    policy_days: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "site_id": self.site_id,
            "at": self.at.isoformat(),
            "dry_run": self.dry_run,
            "counts": self.counts,
            "total": self.total,
            "retention_days": self.policy_days,
        }


def _count(session: Session, query: Select[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def _old_passages(site_id: str, cutoff: datetime) -> Select[Any]:
    return select(PassageRow.passage_id).where(
        PassageRow.site_id == site_id, PassageRow.time < cutoff
    )


def _reviews_of(site_id: str, passages: Select[Any]) -> Select[Any]:
    """Reviews of the old passages, and reviews whose passage is already gone."""
    return select(PassageReviewRow.passage_id).where(
        PassageReviewRow.site_id == site_id,
        or_(
            PassageReviewRow.passage_id.in_(passages),
            PassageReviewRow.passage_id.not_in(select(PassageRow.passage_id)),
        ),
    )


def _expired_visitors(site_id: str, cutoff: datetime) -> Select[Any]:
    """Visitors whose last visit (or, with none, their record) ended before ``cutoff``."""
    last_visit = (
        select(VisitRow.person_id, func.max(VisitRow.expected_until).label("until"))
        .group_by(VisitRow.person_id)
        .subquery()
    )
    recent_checkout = select(VisitRow.person_id).where(VisitRow.checked_out_at >= cutoff)
    return (
        select(PersonRow.person_id)
        .outerjoin(last_visit, last_visit.c.person_id == PersonRow.person_id)
        .where(
            PersonRow.site_id == site_id,
            PersonRow.role == Role.VISITOR.value,
            PersonRow.created_at < cutoff,
            or_(last_visit.c.until.is_(None), last_visit.c.until < cutoff),
            PersonRow.person_id.not_in(recent_checkout),
        )
    )


def _dead_templates(site_id: str, now: datetime) -> Select[Any]:
    """Vault rows whose credential is revoked or past its validity."""
    return (
        select(TemplateVaultRow.credential_id)
        .join(CredentialRow, CredentialRow.credential_id == TemplateVaultRow.credential_id)
        .where(
            TemplateVaultRow.site_id == site_id,
            or_(CredentialRow.status != ACTIVE, CredentialRow.valid_until < now),
        )
    )


def _old_audit(site_id: str, cutoff: datetime) -> Select[Any]:
    return select(AuditEntryRow.seq).where(
        AuditEntryRow.site_id == site_id, AuditEntryRow.at < cutoff
    )


def _old_lane_changes(site_id: str, cutoff: datetime) -> Select[Any]:
    return select(LaneStatusChangeRow.change_id).where(
        LaneStatusChangeRow.site_id == site_id, LaneStatusChangeRow.at < cutoff
    )


def _ended_enrolments(site_id: str, cutoff: datetime) -> Select[Any]:
    """Phone enrolment links that can no longer be used, ended before ``cutoff`` (kept as
    long as passages: the credential they gave keeps its own record)."""
    return select(PhoneEnrolmentRow.enrolment_id).where(
        PhoneEnrolmentRow.site_id == site_id,
        func.coalesce(PhoneEnrolmentRow.used_at, PhoneEnrolmentRow.expires_at) < cutoff,
    )


def purge(
    session: Session,
    site_id: str,
    *,
    now: datetime,
    policy: RetentionPolicy | None = None,
    dry_run: bool = False,
) -> PurgeReport:
    """Deletes what is past retention at ``now`` in the site (nothing with ``dry_run``),
    records the purge and its counts in the audit log, and says what went."""
    policy = policy or RetentionPolicy.from_settings()
    passages = _old_passages(site_id, now - policy.passages)
    reviews = _reviews_of(site_id, passages)
    visitors = _expired_visitors(site_id, now - policy.visitors)
    visits = select(VisitRow.visit_id).where(VisitRow.person_id.in_(visitors))
    templates = _dead_templates(site_id, now)
    lane_changes = _old_lane_changes(site_id, now - policy.lane_status)
    enrolments = _ended_enrolments(site_id, now - policy.passages)
    audit_cut = _audit_cut(session, site_id, now - policy.audit)
    counts = {
        Category.PASSAGES: _count(session, passages),
        Category.PASSAGE_REVIEWS: _count(session, reviews),
        Category.VISITORS: _count(session, visitors),
        Category.VISITS: _count(session, visits),
        Category.VISIT_EVENTS: _count(
            session, select(VisitEventRow.event_id).where(VisitEventRow.visit_id.in_(visits))
        ),
        Category.VISIT_ALERTS: _count(
            session, select(VisitAlertRow.alert_id).where(VisitAlertRow.visit_id.in_(visits))
        ),
        Category.TEMPLATES: _count(session, templates),
        Category.AUDIT_ENTRIES: 0 if audit_cut is None else audit_cut[1],
        Category.LANE_STATUS_CHANGES: _count(session, lane_changes),
        Category.PHONE_ENROLMENTS: _count(session, enrolments),
    }
    report = PurgeReport(
        site_id, now, dry_run, {str(key): value for key, value in counts.items()}, policy.as_days()
    )
    if dry_run:
        return report

    # Reviews first: they are found through the passages they answer.
    session.execute(
        delete(PassageReviewRow).where(PassageReviewRow.passage_id.in_(reviews.scalar_subquery()))
    )
    session.execute(delete(PassageRow).where(PassageRow.passage_id.in_(passages)))
    for person_id in session.scalars(visitors).all():
        # One by one, through the session, so each erased visitor is audited; their
        # visits, events, alerts and credentials follow by cascade.
        row = session.get(PersonRow, person_id)
        if row is not None:
            session.delete(row)
    for credential_id in session.scalars(templates).all():
        vault = session.get(TemplateVaultRow, credential_id)
        if vault is not None:
            session.delete(vault)
    session.execute(
        delete(LaneStatusChangeRow).where(LaneStatusChangeRow.change_id.in_(lane_changes))
    )
    session.execute(delete(PhoneEnrolmentRow).where(PhoneEnrolmentRow.enrolment_id.in_(enrolments)))
    session.flush()
    if audit_cut is not None:
        _purge_audit(session, site_id, audit_cut[0], now)
    audit.record(
        session,
        site_id=site_id,
        action=PURGE_ACTION,
        target=f"sites:{site_id}",
        details={"counts": report.counts, "retention_days": report.policy_days},
        at=now,
    )
    return report


def _audit_cut(session: Session, site_id: str, cutoff: datetime) -> tuple[int, int] | None:
    """The last seq of the log's oldest run of entries past retention, and their count.

    Only a run from the start of the chain is cut, so what remains is still one chain.
    """
    rows = session.execute(
        select(AuditEntryRow.seq, AuditEntryRow.at)
        .where(AuditEntryRow.site_id == site_id)
        .order_by(AuditEntryRow.seq)
    ).all()
    cut = None
    count = 0
    for seq, at in rows:
        if at >= cutoff:
            break
        cut, count = int(seq), count + 1
    return None if cut is None else (cut, count)


def _purge_audit(session: Session, site_id: str, through_seq: int, now: datetime) -> None:
    """Deletes the entries up to ``through_seq`` and leaves a checkpoint that anchors the
    rest of the chain on the hash of the last deleted entry."""
    anchor = session.scalar(
        select(AuditEntryRow.entry_hash).where(
            AuditEntryRow.site_id == site_id, AuditEntryRow.seq == through_seq
        )
    )
    audit.lock_chain(session, site_id)  # the head is read before the range goes
    session.execute(
        delete(AuditEntryRow).where(
            AuditEntryRow.site_id == site_id, AuditEntryRow.seq <= through_seq
        )
    )
    audit.record(
        session,
        site_id=site_id,
        action=audit.CHECKPOINT_ACTION,
        target=f"sites:{site_id}",
        details={
            "deleted_through_seq": through_seq,
            "kept_from_seq": through_seq + 1,
            "anchor_hash": anchor,
        },
        at=now,
    )


def purge_site(database: Database, site_id: str, *, now: datetime) -> PurgeReport:
    """One real purge of a site with the configured policy, in its own transaction,
    attributed to ``system:retention``."""
    with database.session(actor=RETENTION_ACTOR) as session:
        report = purge(session, site_id, now=now)
    log.info("retention purge of %s: %s", site_id, report.counts)
    _checkpoint_after_purge(database, site_id, now)
    return report


def _checkpoint_after_purge(database: Database, site_id: str, now: datetime) -> None:
    """Pins the head of the audit chain outside the database after each purge (daily in
    the server). A broken chain gets no checkpoint; the purge itself stands."""
    with database.session(actor=RETENTION_ACTOR) as session:
        if audit_keys.keys_of(session, site_id) is None:
            return  # a database opened without its site folder: nowhere to write
        try:
            audit.checkpoint(session, site_id, now=now)
        except audit.AuditChainBrokenError as error:
            log.error("audit log of %s not checkpointed: %s", site_id, error.message)


async def purge_periodically(
    database: Database,
    site_id: str,
    interval: timedelta,
    *,
    clock: Callable[[], datetime] = product_clock.now,
) -> None:
    """Purges the site now, then every ``interval``, until cancelled (the server runs
    this for its lifetime). A failed run is logged and tried again at the next one."""
    await run_periodically(
        lambda now: purge_site(database, site_id, now=now),
        interval,
        clock=clock,
        log=log,
        what=f"retention purge of {site_id}",
    )
