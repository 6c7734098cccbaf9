"""Visits through the services: passes at lanes, the path, reception, alerts, the roster."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from visitors_support import WORKSHOPS, Visits

from portique.access import Outcome, Reason
from portique.credentials import CredentialKind, payload_from_text, verify_credential
from portique.lane.events import PassageEvent
from portique.services.lanes import StoreSink
from portique.store import Credentials, VisitRow
from portique.visitors import (
    AlertKind,
    EventKind,
    UnknownVisitError,
    VisitInputError,
    VisitKind,
    VisitStateError,
    VisitStatus,
    acknowledge_alert,
    alerts_of_visit,
    check_in,
    check_out,
    check_time_alerts,
    get_visit,
    invite,
    on_site_visitors,
    visit_alerts,
    visit_for_pass,
    visit_path,
)
from school_support import School


def _alerts(school: School, now: datetime) -> dict[AlertKind, str]:
    with school.site.session() as session:
        found = visit_alerts(session, school.site_id, now=now)
    return {alert.kind: alert.visit_id for alert in found}


def test_an_invitation_issues_a_time_boxed_pass_limited_to_its_zones(visits: Visits) -> None:
    school = visits.school
    new = visits.invite(visits.request(school.at(9), school.at(11)))
    assert new.visitor_pass is not None
    visit = new.visit
    assert (visit.kind, visit.status, visit.zones) == (
        VisitKind.INVITED,
        VisitStatus.EXPECTED,
        ("main",),
    )
    assert visit.host_name == "Camille Bernard"
    claims = verify_credential(
        payload_from_text(new.visitor_pass.payload_text),
        school.site.keyring().verifiers(),
        school.site_id,
    )
    assert claims.kind is CredentialKind.VISITOR_PASS
    # The default margin is 30 minutes on each side of the expected window.
    assert claims.valid_from == school.at(8, 30)
    assert claims.valid_until == school.at(11, 30)

    inside = school.pass_("entree", new.visitor_pass.payload_text, at=school.at(9, 5))
    assert inside.decision.outcome is Outcome.GRANT
    workshops = school.pass_(WORKSHOPS, new.visitor_pass.payload_text, at=school.at(9, 10))
    assert workshops.decision.outcome is Outcome.DENY
    assert Reason.WRONG_ZONE in workshops.decision.reasons
    late = school.pass_("entree", new.visitor_pass.payload_text, at=school.at(11, 45))
    assert Reason.EXPIRED in late.decision.reasons


def test_lanes_leave_checkpoints_on_the_path_and_raise_alerts(visits: Visits) -> None:
    school = visits.school
    new = visits.invite(visits.request(school.at(9), school.at(11)))
    assert new.visitor_pass is not None
    qr = new.visitor_pass.payload_text
    visit_id = new.visit.visit_id
    with school.site.session() as session:
        assert check_in(session, school.site_id, visit_id, now=school.at(9)).alert is None
    school.pass_("entree", qr, at=school.at(9, 5))
    refused = school.pass_(WORKSHOPS, qr, at=school.at(9, 20))
    assert _alerts(school, school.at(9, 21)) == {AlertKind.WRONG_ZONE: visit_id}

    with school.site.session() as session:
        path = visit_path(session, school.site_id, visit_id)
        (visitor,) = on_site_visitors(session, school.site_id)
    assert [(e.kind, e.checkpoint, e.zone_id, e.allowed, e.alert) for e in path] == [
        (EventKind.CHECK_IN, "accueil", None, True, None),
        (EventKind.CHECKPOINT, "entree", "main", True, None),
        (EventKind.CHECKPOINT, WORKSHOPS, WORKSHOPS, False, AlertKind.WRONG_ZONE),
    ]
    assert path[2].passage_id == refused.passage_id
    # Seen last in the main building: the refusal at the workshops did not move them.
    assert (visitor.visit_id, visitor.zone_id, visitor.checkpoint) == (visit_id, "main", "entree")

    with school.site.session() as session:
        left = check_out(session, school.site_id, visit_id, now=school.at(10, 30))
        assert on_site_visitors(session, school.site_id) == []
    assert left.visit.status is VisitStatus.LEFT
    # After the check-out the pass opens nothing, though its window still runs.
    again = school.pass_("entree", qr, at=school.at(10, 40))
    assert (again.decision.outcome, again.decision.reasons) == (
        Outcome.DENY,
        (Reason.UNKNOWN_CREDENTIAL,),
    )
    assert AlertKind.OUTSIDE_WINDOW in _alerts(school, school.at(10, 41))


def test_a_pass_used_outside_its_window_raises_an_alert(visits: Visits) -> None:
    school = visits.school
    new = visits.invite(visits.request(school.at(14), school.at(15)))
    assert new.visitor_pass is not None
    early = school.pass_("entree", new.visitor_pass.payload_text, at=school.at(9))
    assert Reason.NOT_YET_VALID in early.decision.reasons
    assert _alerts(school, school.at(9)) == {AlertKind.OUTSIDE_WINDOW: new.visit.visit_id}


def test_lanes_check_visitors_in_and_out_when_they_skip_reception(visits: Visits) -> None:
    school = visits.school
    new = visits.invite(visits.request(school.at(9), school.at(11)))
    assert new.visitor_pass is not None
    school.pass_("entree", new.visitor_pass.payload_text, at=school.at(9, 2))
    with school.site.session() as session:
        visit = get_visit(session, school.site_id, new.visit.visit_id)
        assert [v.visit_id for v in on_site_visitors(session, school.site_id)] == [visit.visit_id]
    assert (visit.status, visit.checked_in_at) == (VisitStatus.ON_SITE, school.at(9, 2))
    school.pass_("sortie", new.visitor_pass.payload_text, at=school.at(10))
    with school.site.session() as session:
        visit = get_visit(session, school.site_id, new.visit.visit_id)
        kinds = [event.kind for event in visit_path(session, school.site_id, visit.visit_id)]
    assert (visit.status, visit.checked_out_at) == (VisitStatus.LEFT, school.at(10))
    assert kinds == [EventKind.CHECK_IN, EventKind.CHECK_OUT]


def test_a_pass_checked_in_twice_without_check_out_raises_an_alert(visits: Visits) -> None:
    school = visits.school
    new = visits.invite(visits.request(school.at(9), school.at(11)))
    assert new.visitor_pass is not None
    with school.site.session() as session:
        visit_id = visit_for_pass(
            session, school.site_id, school.site.keyring(), new.visitor_pass.payload_text
        )
        assert visit_id == new.visit.visit_id
        check_in(session, school.site_id, visit_id, now=school.at(9))
        again = check_in(session, school.site_id, visit_id, now=school.at(9, 30))
    assert again.alert is AlertKind.PASS_REUSED
    assert again.visit.checked_in_at == school.at(9)
    assert _alerts(school, school.at(9, 31)) == {AlertKind.PASS_REUSED: visit_id}
    with school.site.session() as session:
        check_out(session, school.site_id, visit_id, now=school.at(10))
        with pytest.raises(VisitStateError):
            check_out(session, school.site_id, visit_id, now=school.at(10))
        with pytest.raises(VisitStateError):
            check_in(session, school.site_id, visit_id, now=school.at(10, 5))


def test_an_alert_acknowledged_twice_keeps_the_first_acknowledgement(visits: Visits) -> None:
    school = visits.school
    new = visits.invite(visits.request(school.at(9), school.at(11)))
    visit_id = new.visit.visit_id
    with school.site.session() as session:
        check_in(session, school.site_id, visit_id, now=school.at(9))
        check_in(session, school.site_id, visit_id, now=school.at(9, 30))
        (alert,) = alerts_of_visit(session, school.site_id, visit_id)
        first = acknowledge_alert(
            session, school.site_id, alert.alert_id, by="account:agent", now=school.at(9, 35)
        )
        second = acknowledge_alert(
            session, school.site_id, alert.alert_id, by="account:other", now=school.at(9, 40)
        )
        with pytest.raises(UnknownVisitError):
            acknowledge_alert(session, school.site_id, 10_000, by="account:agent", now=school.now)
    assert (first.acknowledged_at, first.acknowledged_by) == (school.at(9, 35), "account:agent")
    assert (second.acknowledged_at, second.acknowledged_by) == (school.at(9, 35), "account:agent")
    assert _alerts(school, school.at(9, 45)) == {}


def test_the_clock_raises_overstay_then_no_check_out_at_closing(visits: Visits) -> None:
    school = visits.school
    new = visits.invite(visits.request(school.at(9), school.at(11)))
    with school.site.session() as session:
        check_in(session, school.site_id, new.visit.visit_id, now=school.at(9))
        check_time_alerts(session, school.site_id, now=school.at(10, 59))
    assert _alerts(school, school.at(10, 59)) == {}
    assert _alerts(school, school.at(11, 1)) == {AlertKind.OVERSTAY: new.visit.visit_id}
    # The default opening hours end at 19:00 on a Tuesday.
    assert set(_alerts(school, school.at(18, 59))) == {AlertKind.OVERSTAY}
    assert set(_alerts(school, school.at(19, 0))) == {
        AlertKind.OVERSTAY,
        AlertKind.NOT_CHECKED_OUT,
    }


def test_lane_agents_forwarded_passages_become_checkpoints(visits: Visits) -> None:
    school = visits.school
    new = visits.invite(visits.request(school.at(9), school.at(11)))
    assert new.visitor_pass is not None
    with school.site.session() as session:
        credential = Credentials(session).get(school.site_id, new.visitor_pass.credential_id)
        assert credential is not None
    event = PassageEvent(
        event_id="e" * 32,
        site_id=school.site_id,
        lane_id=WORKSHOPS,
        direction=None,
        time=school.at(9, 15),
        outcome=Outcome.DENY,
        reasons=(Reason.WRONG_ZONE,),
        alert=True,
        credential_id=credential.credential_id,
        person_id=new.visit.person_id,
        latency_ms=1.0,
        snapshot_version=1,
    )
    sink = StoreSink(school.site.session, school.site.passages)
    assert sink.store([event]) == 1
    assert sink.store([event]) == 0
    with school.site.session() as session:
        (step,) = visit_path(session, school.site_id, new.visit.visit_id)
    assert (step.checkpoint, step.zone_id, step.alert) == (
        WORKSHOPS,
        WORKSHOPS,
        AlertKind.WRONG_ZONE,
    )


def test_a_returning_visitor_is_found_again_by_name_and_birth_date(visits: Visits) -> None:
    school = visits.school
    born = date(1981, 2, 3)
    first = visits.invite(visits.request(school.at(9), school.at(10), born=born))
    second = visits.invite(visits.request(school.at(14), school.at(15), name="DURAND", born=born))
    unknown_birth = visits.invite(visits.request(school.at(14), school.at(15)))
    assert first.visit.person_id == second.visit.person_id
    assert unknown_birth.visit.person_id != first.visit.person_id
    assert unknown_birth.visit.birth_date is None
    with school.site.session() as session:
        ends = session.scalars(
            select(VisitRow.expected_until).where(VisitRow.person_id == first.visit.person_id)
        ).all()
    # What the retention purge needs: the last visit's end, checked out or not.
    assert max(ends) == school.at(15)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("host_not_staff", "personnel"),
        ("unknown_zone", "gymnase"),
        ("bad_email", "e-mail"),
        ("ends_before_start", "précède"),
        ("already_over", "passée"),
    ],
)
def test_a_visit_that_cannot_be_made_is_refused_with_its_reason(
    visits: Visits, case: str, expected: str
) -> None:
    school = visits.school
    start, end = school.at(9), school.at(11)
    requests = {
        "host_not_staff": replace(visits.request(start, end), host_id=school.parent()),
        "unknown_zone": visits.request(start, end, zones=("gymnase",)),
        "bad_email": visits.request(start, end, email="pas-une-adresse"),
        "ends_before_start": visits.request(end, start),
        "already_over": visits.request(school.now - timedelta(hours=3), school.now),
    }
    with pytest.raises(VisitInputError) as raised:
        visits.invite(requests[case])
    assert expected in raised.value.message


def test_an_unknown_pass_at_reception_names_no_visit(visits: Visits) -> None:
    school = visits.school
    card = school.issue(school.staff())
    with school.site.session() as session, pytest.raises(UnknownVisitError):
        visit_for_pass(session, school.site_id, school.site.keyring(), card.payload_text)


def test_an_overnight_visit_across_the_spring_clock_change(visits: Visits) -> None:
    """A night contractor, Saturday 22:00 to Sunday 04:00 (Paris) on the night the clocks
    go forward: five real hours, alerts on the real end, none for "no check-out"."""
    school = visits.school
    paris = ZoneInfo("Europe/Paris")
    start = datetime(2027, 3, 27, 22, 0, tzinfo=paris)
    end = datetime(2027, 3, 28, 4, 0, tzinfo=paris)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=5)
    with school.site.session() as session:
        new = invite(
            session,
            school.site_id,
            school.site.keyring(),
            visits.request(start, end),
            by="account:agent",
            now=datetime(2027, 3, 26, 10, 0, tzinfo=paris),
        )
        check_in(session, school.site_id, new.visit.visit_id, now=start)
    assert new.visitor_pass is not None
    claims = verify_credential(
        payload_from_text(new.visitor_pass.payload_text),
        school.site.keyring().verifiers(),
        school.site_id,
    )
    assert claims.valid_until == datetime(2027, 3, 28, 2, 30, tzinfo=UTC)  # 04:30 CEST
    # 03:30 CEST, one wall-clock hour was skipped: still inside the visit.
    assert _alerts(school, datetime(2027, 3, 28, 1, 30, tzinfo=UTC)) == {}
    # 04:01 CEST: past the expected end, and only that.
    assert _alerts(school, datetime(2027, 3, 28, 2, 1, tzinfo=UTC)) == {
        AlertKind.OVERSTAY: new.visit.visit_id
    }
    in_time = school.pass_("sortie", new.visitor_pass.payload_text, at=school_time(2, 20))
    assert Reason.EXPIRED not in in_time.decision.reasons
    too_late = school.pass_("sortie", new.visitor_pass.payload_text, at=school_time(2, 31))
    assert Reason.EXPIRED in too_late.decision.reasons


def school_time(hour: int, minute: int) -> datetime:
    """A UTC time on Sunday 28 March 2027."""
    return datetime(2027, 3, 28, hour, minute, tzinfo=UTC)
