"""The lane's loop: frames and badges in, one passage per presentation, nothing blocking."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from lane_support import LaneSchool, payload, wait_until

from portique.access import Decision, Outcome
from portique.lane import (
    Lane,
    SimulatedBadgeReader,
    SimulatedCamera,
    SimulatedSignal,
    credential_frame,
)


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
