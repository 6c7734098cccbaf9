"""The refusal list: barring by name and birth date, checked at invitation and walk-in, audited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from visitors_support import Visits

from portique.access import Outcome
from portique.privacy import verify
from portique.store import AuditEntryRow, Credentials, VisitRow
from portique.visitors import (
    AlertKind,
    EventKind,
    NewRefusal,
    RefusalAuthority,
    UnknownRefusalError,
    VisitInputError,
    VisitorBarredError,
    VisitStatus,
    add_refusal,
    check_in,
    lift_refusal,
    list_refusals,
    on_site_visitors,
    visit_alerts,
    visit_path,
)

BORN = date(1990, 7, 14)
DIRECTION = "account:direction"


def _bar(visits: Visits, *, until_days: int = 30) -> int:
    school = visits.school
    refusal = NewRefusal(
        "Durand",
        "Alice",
        BORN,
        "Ordonnance du tribunal judiciaire",
        RefusalAuthority.COURT,
        school.today + timedelta(days=until_days),
    )
    with school.site.session() as session:
        record = add_refusal(
            session, school.site_id, refusal, by="account:direction", now=school.now
        )
    return record.refusal_id


def test_a_barred_person_cannot_be_invited(visits: Visits) -> None:
    _bar(visits)
    school = visits.school
    # Accents and case do not hide a name.
    request = visits.request(school.at(9), school.at(10), name="DURÂND", born=BORN)
    with pytest.raises(VisitorBarredError):
        visits.invite(request)
    with school.site.session() as session:
        assert (
            session.scalars(select(VisitRow).where(VisitRow.site_id == school.site_id)).all() == []
        )


def test_a_barred_walk_in_is_refused_and_flagged_to_the_agent(visits: Visits) -> None:
    refusal_id = _bar(visits)
    school = visits.school
    refused = visits.walk_in(visits.request(school.at(9), school.at(10), born=BORN))
    assert refused.visitor_pass is None
    assert refused.alert is AlertKind.BARRED
    assert refused.visit.status is VisitStatus.REFUSED
    assert refused.visit.credential_id is None
    with school.site.session() as session:
        (alert,) = visit_alerts(session, school.site_id, now=school.at(9, 1))
        (event,) = visit_path(session, school.site_id, refused.visit.visit_id)
        assert on_site_visitors(session, school.site_id) == []
        assert list(Credentials(session).of_person(refused.visit.person_id)) == []
    assert (alert.kind, alert.visit_id) == (AlertKind.BARRED, refused.visit.visit_id)
    assert (event.kind, event.allowed, event.alert) == (EventKind.REFUSED, False, AlertKind.BARRED)

    # Someone else of the same name, born another day, is not barred.
    other = visits.walk_in(visits.request(school.at(9), school.at(10), born=date(1991, 1, 1)))
    assert other.visitor_pass is not None

    with school.site.session() as session:
        lift_refusal(session, school.site_id, refusal_id, by="account:direction", now=school.now)
    admitted = visits.walk_in(visits.request(school.at(9, 30), school.at(10), born=BORN))
    assert admitted.visit.status is VisitStatus.ON_SITE
    assert admitted.visitor_pass is not None


def test_a_name_alone_matches_when_the_birth_date_was_not_given(visits: Visits) -> None:
    _bar(visits)
    school = visits.school
    with pytest.raises(VisitorBarredError):
        visits.invite(visits.request(school.at(9), school.at(10)))


def test_a_refusal_ends_after_its_end_date(visits: Visits) -> None:
    _bar(visits, until_days=0)
    school = visits.school
    with school.site.session() as session:
        assert len(list_refusals(session, school.site_id, now=school.now)) == 1
        later = school.now + timedelta(days=2)
        assert list_refusals(session, school.site_id, now=later) == []
        assert len(list_refusals(session, school.site_id, now=later, include_ended=True)) == 1
    # The school day is after the end date: the visitor is no longer barred.
    assert visits.invite(visits.request(school.at(9), school.at(10), born=BORN)).visitor_pass


def test_every_change_of_the_list_is_audited_without_names(visits: Visits) -> None:
    refusal_id = _bar(visits)
    school = visits.school
    with school.site.session() as session:
        lift_refusal(session, school.site_id, refusal_id, by="account:direction", now=school.now)
        lift_refusal(session, school.site_id, refusal_id, by="account:other", now=school.now)
        with pytest.raises(UnknownRefusalError):
            lift_refusal(session, school.site_id, 10_000, by="account:direction", now=school.now)
    with school.site.session() as session:
        entries = session.scalars(
            select(AuditEntryRow)
            .where(
                AuditEntryRow.site_id == school.site_id,
                AuditEntryRow.action.like("refusal.%"),
            )
            .order_by(AuditEntryRow.seq)
        ).all()
        assert verify(session, school.site_id).breach is None
    assert [(e.action, e.actor, e.target) for e in entries] == [
        ("refusal.add", "account:direction", f"refusals:{refusal_id}"),
        ("refusal.lift", "account:direction", f"refusals:{refusal_id}"),
    ]
    assert "Durand" not in str([e.details for e in entries])


def test_a_refusal_needs_a_reason_and_an_end_date_to_come(visits: Visits) -> None:
    school = visits.school
    with school.site.session() as session:
        for reason, until in (("  ", school.today), ("motif", school.today - timedelta(days=1))):
            refusal = NewRefusal("X", "Y", BORN, reason, RefusalAuthority.HEAD_TEACHER, until)
            with pytest.raises(VisitInputError):
                add_refusal(
                    session, school.site_id, refusal, by="account:direction", now=school.now
                )


def test_a_visitor_barred_after_the_invitation_is_refused_at_check_in(visits: Visits) -> None:
    school = visits.school
    new = visits.invite(visits.request(school.at(9), school.at(10), born=BORN))
    assert new.visitor_pass is not None
    _bar(visits)
    with school.site.session() as session:
        result = check_in(session, school.site_id, new.visit.visit_id, now=school.at(9))
    assert result.alert is AlertKind.BARRED
    assert result.visit.status is VisitStatus.REFUSED
    lane = school.pass_("entree", new.visitor_pass.payload_text, at=school.at(9, 5))
    assert lane.decision.outcome is Outcome.DENY
