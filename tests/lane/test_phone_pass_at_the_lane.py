"""A lane offline and a phone pass: the living code read from a camera frame, decided on
the lane's own snapshot, and remembered by the lane so that it opens once."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from lane_support import LaneSchool

from portique.access import Outcome, QrPayload, Reason
from portique.credentials import PhoneKey
from portique.lane import Lane, SimulatedCamera, credential_frame
from portique.services import EnrolledPhone, create_enrolment_link, enrol_phone


def _enrol(school: LaneSchool, phone: PhoneKey) -> EnrolledPhone:
    person = school.staff()
    with school.site.session() as session:
        link = create_enrolment_link(session, school.site_id, person, now=school.now)
        return enrol_phone(
            session,
            school.site_id,
            school.site.keyring(),
            link.token,
            phone.holder_key,
            now=school.now,
        )


def _code(school: LaneSchool, enrolled: EnrolledPhone, phone: PhoneKey, at: datetime) -> bytes:
    return phone.living_code(
        enrolled.payload, site_id=school.site_id, credential_id=enrolled.credential_id, at=at
    )


def test_a_living_code_in_a_frame_opens_the_lane_once(school: LaneSchool, tmp_path: Path) -> None:
    phone = PhoneKey()
    enrolled = _enrol(school, phone)
    shown = school.at(10)
    frame = credential_frame(_code(school, enrolled, phone, shown))
    with Lane(
        school.lane_config(tmp_path / "lane"),
        camera=SimulatedCamera([frame, frame]),
        clock=lambda: shown + timedelta(seconds=3),
    ) as lane:
        lane.apply_snapshot(school.snapshot())
        first = lane.step()
        assert first is not None
        assert first.decision.outcome is Outcome.GRANT
        assert first.decision.credential_id == enrolled.credential_id
        lane.forget_reads()  # the same screen shown again, as a new presentation
        second = lane.step()
    assert second is not None
    assert second.decision.outcome is Outcome.DENY
    assert second.decision.reasons == (Reason.REPLAYED_CODE,)
    assert second.decision.alert


def test_the_lane_keeps_its_memory_across_a_new_snapshot(
    school: LaneSchool, tmp_path: Path
) -> None:
    phone = PhoneKey()
    enrolled = _enrol(school, phone)
    shown = school.at(10)
    code = QrPayload(_code(school, enrolled, phone, shown))
    with Lane(school.lane_config(tmp_path / "lane"), clock=lambda: shown) as lane:
        lane.apply_snapshot(school.snapshot())
        assert lane.present(code, at=shown).decision.granted
        school.card(school.staff())  # the site changes: a newer snapshot
        assert lane.apply_snapshot(school.snapshot())
        again = lane.present(code, at=shown + timedelta(seconds=1))
    assert again.decision.reasons == (Reason.REPLAYED_CODE,)


def test_a_refused_code_is_used_up_too(school: LaneSchool, tmp_path: Path) -> None:
    """A code the lane refused for another reason (anti-passback) cannot be tried again."""
    phone = PhoneKey()
    enrolled = _enrol(school, phone)
    shown = school.at(10)
    with Lane(school.lane_config(tmp_path / "lane"), clock=lambda: shown) as lane:
        lane.apply_snapshot(school.snapshot())
        assert lane.present(
            QrPayload(_code(school, enrolled, phone, shown)), at=shown
        ).decision.granted
        later = shown + timedelta(seconds=5)
        code = QrPayload(_code(school, enrolled, phone, later))
        refused = lane.present(code, at=later)
        assert refused.decision.reasons == (Reason.ANTI_PASSBACK,)
        again = lane.present(code, at=later + timedelta(seconds=1))
    assert again.decision.reasons == (Reason.REPLAYED_CODE,)


def test_a_code_from_another_phone_is_refused_at_the_lane(
    school: LaneSchool, tmp_path: Path
) -> None:
    phone = PhoneKey()
    enrolled = _enrol(school, phone)
    shown = school.at(10)
    with Lane(school.lane_config(tmp_path / "lane"), clock=lambda: shown) as lane:
        lane.apply_snapshot(school.snapshot())
        copied = QrPayload(_code(school, enrolled, PhoneKey(), shown))
        result = lane.present(copied, at=shown)
    assert result.decision.reasons == (Reason.BAD_SIGNATURE,)
    assert result.decision.alert
