"""The retention purge removes exactly what is past retention, and audits itself."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from privacy_support import add_visit
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portique.privacy import audit
from portique.privacy.retention import RetentionPolicy, purge
from portique.services import create_enrolment_link
from portique.store import (
    REVOKED,
    AuditEntryRow,
    CredentialRow,
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
from school_support import School

DAY = timedelta(days=1)


def _passage(session: Session, school: School, passage_id: str, at: datetime) -> None:
    session.add(
        PassageRow(
            passage_id=passage_id,
            site_id=school.site_id,
            lane_id="entree",
            direction="in",
            time=at,
            outcome="refer",
            reasons=[],
            credential_id=None,
            person_id=None,
            latency_ms=1.0,
            snapshot_version=1,
        )
    )
    session.add(
        PassageReviewRow(
            passage_id=passage_id,
            site_id=school.site_id,
            reviewed_at=at,
            reviewed_by="agent",
            outcome="grant",
            comment=None,
        )
    )


def _visitor(session: Session, school: School, person_id: str, created: datetime) -> None:
    session.add(
        PersonRow(
            person_id=person_id,
            site_id=school.site_id,
            last_name="Visiteur",
            first_name="Vic",
            birth_date=date(1970, 1, 1),
            role="visitor",
            zones=None,
            active=True,
            created_at=created,
        )
    )


def _count(session: Session, column: Any, site_id: str) -> int:
    """Rows of the site (the PostgreSQL database is shared by the tests of a run)."""
    table = column.class_
    query = select(func.count(column)).where(table.site_id == site_id)
    return int(session.scalar(query) or 0)


def _ids(session: Session, column: Any, site_id: str) -> list[Any]:
    return list(session.scalars(select(column).where(column.class_.site_id == site_id)))


def test_purge_removes_exactly_what_is_past_retention(school: School) -> None:
    now = school.now + 400 * DAY  # everything set up by init_site is 400 days old
    student = school.student()
    revoked, expired, active = (school.issue(student) for _ in range(3))
    with school.site.session() as session:
        for name, at in (("old", now - 100 * DAY), ("recent", now - 80 * DAY)):
            _passage(session, school, f"p-{name}", at)
        _visitor(session, school, "vis-old", now - 200 * DAY)
        _visitor(session, school, "vis-recent", now - 200 * DAY)
        _visitor(session, school, "vis-none-old", now - 100 * DAY)
        _visitor(session, school, "vis-none-new", now - 10 * DAY)
        session.flush()
        add_visit(session, school, "vis-old", now - 100 * DAY)
        add_visit(session, school, "vis-recent", now - 10 * DAY)
        for issued in (revoked, expired, active):
            session.add(
                TemplateVaultRow(
                    credential_id=issued.credential_id,
                    site_id=school.site_id,
                    person_id=student,
                    sealed=b"\x01" * 161,
                    created_at=school.now,
                )
            )
        session.get_one(CredentialRow, revoked.credential_id).status = REVOKED
        session.get_one(CredentialRow, expired.credential_id).valid_until = now - DAY
        session.get_one(CredentialRow, active.credential_id).valid_until = now + DAY
        for at in (now - 400 * DAY, now - 10 * DAY):
            session.add(
                LaneStatusChangeRow(site_id=school.site_id, lane_id="entree", at=at, online=False)
            )
        # Phone enrolment links: one ended long ago, one used recently, one still open.
        for made in (now - 100 * DAY, now - 10 * DAY, now - timedelta(minutes=10)):
            create_enrolment_link(session, school.site_id, student, now=made)
        session.flush()
        recent = session.scalars(
            select(PhoneEnrolmentRow).where(
                PhoneEnrolmentRow.site_id == school.site_id,
                PhoneEnrolmentRow.created_at == now - 10 * DAY,
            )
        ).one()
        recent.used_at = now - 10 * DAY
    with school.site.session() as session:
        old_audit = _count(session, AuditEntryRow.entry_id, school.site_id)
        kept_entry = audit.record(
            session, site_id=school.site_id, action="test.recent", at=now - 10 * DAY
        )

    with school.site.session() as session:
        dry = purge(session, school.site_id, now=now, dry_run=True, policy=RetentionPolicy())
    expected = {
        "passages": 1,
        "passage_reviews": 1,
        "visitors": 2,
        "visits": 1,
        "visit_events": 1,
        "visit_alerts": 1,
        "templates": 2,
        "audit_entries": old_audit,
        "lane_status_changes": 1,
        "phone_enrolments": 1,
    }
    assert dry.counts == expected
    with school.site.session() as session:
        assert (
            _count(session, PassageRow.passage_id, school.site_id) == 2
        )  # a dry run deletes nothing

    with school.site.database.session(actor="system:retention") as session:
        done = purge(session, school.site_id, now=now, policy=RetentionPolicy())
    assert done.counts == expected

    with school.site.session() as session:
        assert _ids(session, PassageRow.passage_id, school.site_id) == ["p-recent"]
        assert _ids(session, PassageReviewRow.passage_id, school.site_id) == ["p-recent"]
        visitors = set(
            session.scalars(
                select(PersonRow.person_id).where(
                    PersonRow.role == "visitor", PersonRow.site_id == school.site_id
                )
            )
        )
        assert visitors == {"vis-recent", "vis-none-new"}
        assert _ids(session, VisitRow.visit_id, school.site_id) == ["v-vis-recent"]
        assert _count(session, VisitEventRow.event_id, school.site_id) == 1
        assert _count(session, VisitAlertRow.alert_id, school.site_id) == 1
        vault = _ids(session, TemplateVaultRow.credential_id, school.site_id)
        assert vault == [active.credential_id]
        assert _count(session, LaneStatusChangeRow.change_id, school.site_id) == 1
        assert session.get(PersonRow, student) is not None  # not a visitor: untouched
        remaining = audit.entries(session, school.site_id)
        assert remaining[0].entry_id == kept_entry.entry_id
        actions = [entry.action for entry in remaining]
        assert audit.CHECKPOINT_ACTION in actions
        purge_entry = next(entry for entry in remaining if entry.action == "retention.purge")
        assert purge_entry.details["counts"] == expected
        assert purge_entry.actor == "system:retention"
        assert audit.verify(session, school.site_id).intact

    with school.site.session() as session:
        again = purge(session, school.site_id, now=now, policy=RetentionPolicy())
    assert again.total == 0
    with school.site.session() as session:
        assert audit.verify(session, school.site_id).intact


def test_purging_the_whole_log_keeps_it_verifiable(school: School) -> None:
    now = school.now + 800 * DAY
    school.staff()
    with school.site.session() as session:
        report = purge(session, school.site_id, now=now, policy=RetentionPolicy())
    assert report.counts["audit_entries"] > 0
    with school.site.session() as session:
        verdict = audit.verify(session, school.site_id)
        assert verdict.intact, verdict
        assert verdict.first_seq == report.counts["audit_entries"] + 1
