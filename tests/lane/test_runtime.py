"""The lane's loop: frames and badges in, one passage per presentation, nothing blocking."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lane_support import LaneSchool, payload, wait_until

from portique.access import BadgeUid, Decision, Outcome, Reason
from portique.lane import (
    Lane,
    SimulatedBadgeReader,
    SimulatedCamera,
    SimulatedSignal,
    credential_frame,
)
from portique.services import bind_badge
from portique.services.lanes import site_snapshot
from portique.services.timetables import set_opening_hours


class BrokenSignal:
    def show(self, decision: Decision) -> None:
        raise RuntimeError("the relay board is on fire")

    def close(self) -> None:
        pass


def test_a_card_held_up_for_many_frames_and_a_badge_are_two_passages(
    school: LaneSchool, tmp_path: Path
) -> None:
    card = payload(school.card(school.student()))
    school.staff_badge("04:A2:B3:C4")
    frame = credential_frame(card)
    camera = SimulatedCamera([frame] * 8)
    reader = SimulatedBadgeReader()
    reader.present("04A2B3C4")
    signal = SimulatedSignal()
    stop = threading.Event()
    with Lane(
        school.lane_config(tmp_path / "lane"),
        camera=camera,
        badge_reader=reader,
        signals=[BrokenSignal(), signal],
        clock=lambda: school.at(9),
    ) as lane:
        lane.apply_snapshot(school.snapshot())
        runner = threading.Thread(target=lane.run, args=(stop,))
        runner.start()
        assert wait_until(lambda: camera.reads == 8 and len(signal.decisions) == 2, 10)
        stop.set()
        runner.join(timeout=5)
    assert signal.outcomes == [Outcome.GRANT, Outcome.GRANT]
    assert {d.credential_id is not None for d in signal.decisions} == {True}


def test_a_lane_without_a_snapshot_keeps_running_and_says_why_once(
    school: LaneSchool, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    frames = [credential_frame(payload(school.card(school.student())))] * 2
    with Lane(school.lane_config(tmp_path / "lane"), camera=SimulatedCamera(frames)) as lane:
        assert lane.step() is None
        lane.forget_reads()
        assert lane.step() is None
    assert caplog.text.count("has no policy snapshot yet") == 1


def test_a_lane_on_its_own_clock_at_half_past_two_on_the_spring_forward_night(
    school: LaneSchool, tmp_path: Path
) -> None:
    """At 01:30 UTC on 28 March 2027 a Paris lane's wall clock reads 03:30 (the hour
    from 02:00 to 03:00 does not exist that night): a site open from 03:00 lets staff in,
    a minute before the change it is still 01:59 and closed."""
    set_up_at = datetime(2027, 3, 1, 9, tzinfo=UTC)
    staff = school.staff()
    with school.site.session() as session:
        set_opening_hours(
            session, school.site_id, {"week": {"sunday": {"ranges": ["03:00-05:00"]}}},
            now=set_up_at,
        )  # fmt: skip
        bind_badge(session, school.site_id, staff, "04:A2:B3:C4", now=set_up_at)
    now = [datetime(2027, 3, 28, 0, 59, tzinfo=UTC)]  # 01:59 CET
    with Lane(school.lane_config(tmp_path / "lane"), clock=lambda: now[0]) as lane:
        lane.apply_snapshot(site_snapshot(school.site, set_up_at))
        before = lane.present(BadgeUid("04:A2:B3:C4"))
        now[0] = datetime(2027, 3, 28, 1, 30, tzinfo=UTC)  # 03:30 CEST
        after = lane.present(BadgeUid("04:A2:B3:C4"))
    assert before.decision.reasons == (Reason.SITE_CLOSED,)
    assert after.decision.outcome is Outcome.GRANT
    assert after.event.time == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
