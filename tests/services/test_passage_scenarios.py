"""Passages through the gate and the store, on real LFW faces for the face path."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from portique.access import Outcome, Reason, Role
from portique.biometrics import load_image
from portique.bootstrap import init_site, open_site
from portique.credentials import payload_from_text, payload_to_text
from portique.services import (
    NewPerson,
    add_person,
    bind_badge,
    declare_lockdown,
    issue_credential,
    lift_lockdown,
    revoke_credential,
    set_exit_permission,
    withdraw_consent,
)
from portique.store import PassageRow
from school_support import School
from support import compose_frame, lfw_face


def frame_of(images: Path, name: str, number: int) -> np.ndarray:
    """A lane camera frame (640x480) with one LFW face in it."""
    return compose_frame([(load_image(lfw_face(images, name, number)), 1.2, (170, 90))])


@pytest.fixture
def enrolled(school: School, lfw_images: Path) -> tuple[str, str]:
    """A minor who opted in (their parent consented) and whose card carries their face."""
    parent = school.parent()
    student = school.student(guardian=parent)
    school.consent(student, by=parent)
    card = school.issue(
        student,
        faces=(
            lfw_face(lfw_images, "Colin_Powell", 1),
            lfw_face(lfw_images, "Colin_Powell", 3),
        ),
    )
    assert card.has_template
    return student, card.payload_text


def test_the_enrolled_person_passes_with_a_face_match(
    school: School, enrolled: tuple[str, str], lfw_images: Path
) -> None:
    student, card = enrolled
    report = school.pass_("entree", card, face=frame_of(lfw_images, "Colin_Powell", 2))
    assert report.decision.outcome is Outcome.GRANT
    assert report.decision.reasons == (Reason.CREDENTIAL_VALID, Reason.FACE_MATCH)
    assert report.decision.person_id == student
    assert report.face_requested and report.face_compared


def test_someone_else_holding_the_card_is_referred_to_the_agent(
    school: School, enrolled: tuple[str, str], lfw_images: Path
) -> None:
    _, card = enrolled
    report = school.pass_("entree", card, face=frame_of(lfw_images, "Tony_Blair", 1))
    assert report.decision.outcome is Outcome.REFER
    assert Reason.FACE_MISMATCH in report.decision.reasons
    assert report.decision.alert


def test_a_capture_without_a_face_is_referred(school: School, enrolled: tuple[str, str]) -> None:
    _, card = enrolled
    empty_wall = np.full((480, 640, 3), 90, dtype=np.uint8)
    report = school.pass_("entree", card, face=empty_wall)
    assert report.decision.outcome is Outcome.REFER
    assert report.decision.reasons == (Reason.NO_FACE_CAPTURED,)


def test_an_enrolled_person_without_a_capture_is_referred_not_refused(
    school: School, enrolled: tuple[str, str]
) -> None:
    _, card = enrolled
    report = school.pass_("entree", card)
    assert report.decision.outcome is Outcome.REFER
    assert report.decision.reasons == (Reason.FACE_NOT_CHECKED,)
    assert report.face_requested and not report.face_compared


def test_a_person_who_did_not_consent_is_never_asked_for_a_face(school: School) -> None:
    student = school.student()
    card = school.issue(student)
    asked = []

    def camera() -> np.ndarray:
        asked.append(True)
        raise AssertionError("the camera must not be used")

    report = school.pass_("entree", card, face=camera)
    assert report.decision.outcome is Outcome.GRANT
    assert report.decision.reasons == (Reason.CREDENTIAL_VALID,)
    assert not asked and not report.face_requested and not report.face_compared


def test_the_face_image_of_someone_who_did_not_opt_in_is_not_even_read(school: School) -> None:
    card = school.issue(school.staff())
    report = school.pass_("entree", card, face=Path("/nonexistent/capture.jpg"))
    assert report.decision.outcome is Outcome.GRANT


def test_a_revoked_card_is_refused_with_the_agent_alerted(school: School) -> None:
    card = school.issue(school.student())
    with school.site.session() as session:
        revoke_credential(
            session, school.site_id, card.credential_id, reason="lost", now=school.now
        )
    report = school.pass_("entree", card)
    assert report.decision.outcome is Outcome.DENY
    assert report.decision.reasons == (Reason.REVOKED,)
    assert report.decision.alert


def test_an_expired_card_is_refused(school: School) -> None:
    card = school.issue(
        school.student(),
        valid_from=school.today - timedelta(days=400),
        valid_until=school.today - timedelta(days=40),
    )
    report = school.pass_("entree", card)
    assert report.decision.outcome is Outcome.DENY
    assert report.decision.reasons == (Reason.EXPIRED,)


def test_withdrawing_consent_kills_the_card_carrying_the_template(
    school: School, enrolled: tuple[str, str], lfw_images: Path
) -> None:
    student, card = enrolled
    with school.site.session() as session:
        withdrawal = withdraw_consent(session, school.site_id, student, by=None, now=school.now)
    assert len(withdrawal.revoked) == 1
    report = school.pass_("entree", card, face=frame_of(lfw_images, "Colin_Powell", 2))
    assert report.decision.outcome is Outcome.DENY
    assert Reason.REVOKED in report.decision.reasons
    assert not report.face_requested


def test_a_minor_without_exit_permission_is_refused_at_an_exit_lane(school: School) -> None:
    card = school.issue(school.student())
    report = school.pass_("sortie", card, at=school.at(10, 30))
    assert report.decision.outcome is Outcome.DENY
    assert report.decision.reasons == (Reason.EXIT_NOT_PERMITTED,)


def test_a_minor_allowed_out_at_lunch_by_a_parent_may_leave_at_lunch(school: School) -> None:
    parent = school.parent()
    student = school.student(guardian=parent)
    with school.site.session() as session:
        set_exit_permission(
            session, school.site_id, student, "at_lunch", granted_by=parent, on=school.today
        )
    card = school.issue(student)
    assert school.pass_("sortie", card, at=school.at(10, 30)).decision.outcome is Outcome.DENY
    assert school.pass_("sortie", card, at=school.at(12, 30)).decision.granted


def test_an_adult_student_leaves_freely(school: School) -> None:
    card = school.issue(school.student(minor=False))
    assert school.pass_("sortie", card, at=school.at(10, 30)).decision.granted


def test_lockdown_refuses_everyone_until_it_is_lifted(school: School) -> None:
    student_card = school.issue(school.student())
    staff = school.staff()
    staff_card = school.issue(staff)
    with school.site.session() as session:
        badge = bind_badge(session, school.site_id, staff, "04:A2:B3:C4", now=school.now)
        declare_lockdown(session, school.site_id, by="principal", now=school.now)
    for presented in (student_card, staff_card, school.badge(badge.badge_uid)):
        report = school.pass_("entree", presented)
        assert report.decision.outcome is Outcome.DENY
        assert Reason.LOCKDOWN in report.decision.reasons
        assert report.decision.alert
    with school.site.session() as session:
        lift_lockdown(session, school.site_id, by="principal", now=school.now)
    assert school.pass_("entree", student_card, at=school.at(10, 5)).decision.granted


def test_a_badge_passes_like_a_card_and_is_refused_once_revoked(school: School) -> None:
    staff = school.staff()
    with school.site.session() as session:
        badge = bind_badge(session, school.site_id, staff, "0x04a2b3c4d5", now=school.now)
    report = school.pass_("entree", school.badge("04-a2-b3-c4-d5"))
    assert report.decision.granted and report.decision.credential_id == badge.credential_id
    with school.site.session() as session:
        revoke_credential(
            session, school.site_id, badge.credential_id, reason="lost", now=school.now
        )
    refused = school.pass_("entree", school.badge("04:A2:B3:C4:D5"), at=school.at(15))
    assert refused.decision.reasons == (Reason.REVOKED,)


def test_an_unknown_badge_is_refused_with_the_agent_alerted(school: School) -> None:
    report = school.pass_("entree", school.badge("DE:AD:BE:EF"))
    assert report.decision.reasons == (Reason.UNKNOWN_CREDENTIAL,)
    assert report.decision.alert


def test_a_second_entry_within_the_window_is_refused_as_passback(school: School) -> None:
    card = school.issue(school.staff())
    assert school.pass_("entree", card, at=school.at(9)).decision.granted
    again = school.pass_("entree", card, at=school.at(9, 20))
    assert again.decision.reasons == (Reason.ANTI_PASSBACK,)


def test_entering_outside_the_timetable_is_referred(school: School) -> None:
    card = school.issue(school.student())
    report = school.pass_("entree", card, at=school.at(18))
    assert report.decision.outcome is Outcome.REFER
    assert report.decision.reasons == (Reason.OUTSIDE_TIMETABLE,)


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda payload: payload[:-1] + bytes([payload[-1] ^ 1]), Reason.BAD_SIGNATURE),
        (lambda payload: payload[:40], Reason.MALFORMED_CREDENTIAL),
        (lambda payload: b"\x00" * 30, Reason.MALFORMED_CREDENTIAL),
    ],
    ids=["forged", "truncated", "garbage"],
)
def test_tampered_payloads_are_refused_with_a_reason(
    school: School, tamper: Callable[[bytes], bytes], reason: Reason
) -> None:
    card = school.issue(school.staff())
    payload = tamper(payload_from_text(card.payload_text))
    report = school.pass_("entree", payload_to_text(payload))
    assert report.decision.outcome is Outcome.DENY
    assert report.decision.reasons == (reason,)


@pytest.mark.parametrize("text", ["", "hello", "PQ:!!!", "PQ:" + "A" * 5000])
def test_garbage_text_is_refused_as_unreadable(school: School, text: str) -> None:
    report = school.pass_("entree", text)
    assert report.decision.reasons == (Reason.MALFORMED_CREDENTIAL,)


def test_a_card_from_another_school_is_refused_with_the_agent_alerted(
    school: School, tmp_path: Path
) -> None:
    init_site(tmp_path / "other", site_id="other-school")
    with open_site(tmp_path / "other") as other, other.session() as session:
        person = add_person(
            session,
            other.site_id,
            NewPerson("Dupont", "Jean", date(1990, 1, 1), Role.STAFF),
            now=school.now,
        )
        card = issue_credential(session, other.site_id, other.keyring(), person, now=school.now)
    report = school.pass_("entree", card.payload_text)
    assert report.decision.outcome is Outcome.DENY
    assert report.decision.reasons == (Reason.UNKNOWN_KEY,)
    assert report.decision.alert


def test_every_passage_is_recorded_without_any_image_template_or_score(
    school: School, enrolled: tuple[str, str], lfw_images: Path
) -> None:
    student, card = enrolled
    report = school.pass_("entree", card, face=frame_of(lfw_images, "Colin_Powell", 2))
    with school.site.session() as session:
        row = session.get(PassageRow, report.passage_id)
        assert row is not None
        recorded = {
            column.name: getattr(row, column.name) for column in PassageRow.__table__.columns
        }
    assert set(recorded) == {
        "passage_id",
        "site_id",
        "lane_id",
        "direction",
        "time",
        "outcome",
        "reasons",
        "alert",
        "credential_id",
        "person_id",
        "latency_ms",
        "snapshot_version",
    }
    assert recorded["person_id"] == student
    assert recorded["reasons"] == ["credential_valid", "face_match"]
    assert recorded["direction"] == "in" and recorded["outcome"] == "grant"
    assert recorded["latency_ms"] == pytest.approx(report.latency_ms)
    assert not any(isinstance(value, bytes | bytearray | np.ndarray) for value in recorded.values())
