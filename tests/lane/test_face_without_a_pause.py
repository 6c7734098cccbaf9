"""Face without a pause: the lane finds the face in the frames of the approach, kept in
a ring in memory, and looks at them only for a credential that asks for a face."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from lane_support import LaneSchool, face

from portique.access import Outcome, Reason
from portique.biometrics import FaceEngine
from portique.lane import InProcessHub, SimulatedLane, WalkUp
from portique.lane.drivers.approach import Approach, ApproachCamera, approach_frames
from portique.lane.drivers.buffer import BufferedCamera, FrameRing
from portique.lane.face import CaptureSource

LANE_FILES = {"snapshot.json", "outbox.sqlite3", "outbox.sqlite3-wal", "outbox.sqlite3-shm"}


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def frame(value: int) -> np.ndarray:
    return np.full((4, 4, 3), value, dtype=np.uint8)


def test_the_ring_keeps_only_the_last_seconds_of_frames() -> None:
    clock = Clock()
    ring = FrameRing(2.0, max_frames=100, clock=clock)
    for value in range(30):
        ring.add(frame(value))
        clock.now += 0.1
    kept = ring.frames()
    assert [int(timed.frame[0, 0, 0]) for timed in kept] == list(range(10, 30))
    clock.now += 5.0
    assert ring.frames() == []


def test_the_ring_holds_at_most_its_frames_and_forgets_on_clear() -> None:
    ring = FrameRing(60.0, max_frames=5)
    shown = frame(1)
    ring.add(shown)
    ring.add(shown)  # the frame the lane also decoded a code in: kept once
    for value in range(2, 10):
        ring.add(frame(value))
    assert [int(timed.frame[0, 0, 0]) for timed in ring.frames()] == [5, 6, 7, 8, 9]
    ring.clear()
    assert len(ring) == 0


def test_a_buffered_camera_passes_every_frame_it_reads_into_its_ring() -> None:
    camera = BufferedCamera(ApproachCamera([frame(1), frame(2)]))
    assert camera.read() is not None and camera.read() is not None
    assert camera.read() is None
    assert len(camera.ring) == 2
    camera.close()
    assert len(camera.ring) == 0


def test_a_paced_approach_camera_gives_each_frame_at_its_time() -> None:
    clock = Clock()
    waits: list[float] = []
    camera = ApproachCamera(
        [frame(1), frame(2), frame(3)], fps=10.0, paced=True, clock=clock, sleep=waits.append
    )
    for _ in range(3):
        camera.read()
    assert waits == pytest.approx([0.1, 0.2])
    assert camera.read() is None


def test_the_approach_grows_the_face_and_sharpens_it_as_the_person_slows_down(
    lfw_images: Path,
) -> None:
    approach = Approach(duration_s=1.5, dwell_s=0.5, fps=30.0)
    frames = approach_frames(face(lfw_images, "Colin_Powell", 2), approach, seed=3)
    assert len(frames) == approach.frame_count == 60
    assert approach.read_index == 45
    assert all(f.shape == (480, 640, 3) and f.dtype == np.uint8 for f in frames)
    background = approach_frames(face(lfw_images, "Colin_Powell", 2), approach, seed=3)[0]
    # The person covers more of the frame as they come closer.
    wall = np.median(background.reshape(-1, 3), axis=0)

    def covered(image: np.ndarray) -> float:
        return float((np.abs(image.astype(int) - wall).sum(axis=2) > 40).mean())

    assert covered(frames[0]) < covered(frames[30]) < covered(frames[44])


@pytest.fixture
def detector_calls(lane_engine: FaceEngine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the lane engine's face searches (one per frame examined)."""
    calls: list[int] = []
    locate: Callable[..., Any] = lane_engine.locate

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return locate(*args, **kwargs)

    monkeypatch.setattr(lane_engine, "locate", counted)
    return calls


def test_the_face_of_the_approach_is_found_in_the_ring_without_a_pause(
    school: LaneSchool, hub: InProcessHub, lane: SimulatedLane, lfw_images: Path
) -> None:
    _, card = school.enrolled_student(lfw_images, "Colin_Powell")
    hub.publish_snapshot(school.snapshot())
    lane.start()
    result = lane.play(
        WalkUp(card.payload_text, face(lfw_images, "Colin_Powell", 2), at=school.at(8, 5))
    )
    assert result is not None
    assert result.decision.outcome is Outcome.GRANT
    assert result.decision.reasons == (Reason.CREDENTIAL_VALID, Reason.FACE_MATCH)
    assert result.face_source is CaptureSource.BUFFER
    assert 1 <= result.face_frames <= 3
    assert lane.camera.reads == Approach().read_index  # no frame read after the card
    assert len(lane.lane.ring) == 0  # emptied once the passage was decided


def test_a_person_who_did_not_opt_in_walks_up_and_no_frame_is_analysed(
    school: LaneSchool,
    hub: InProcessHub,
    lane: SimulatedLane,
    lfw_images: Path,
    detector_calls: list[int],
) -> None:
    card = school.card(school.student())
    badge = school.staff_badge("04:A2:B3:C4")
    hub.publish_snapshot(school.snapshot())
    lane.start()
    walker = face(lfw_images, "Colin_Powell", 2)
    results = [
        lane.play(WalkUp(card.payload_text, walker, at=school.at(8, 5))),
        lane.play(WalkUp("04a2b3c4", walker, at=school.at(8, 6), seed=1)),
    ]
    for result in results:
        assert result is not None and result.decision.granted
        assert not result.face_requested and result.face_frames == 0
    assert detector_calls == []
    assert len(lane.lane.ring) == 0
    assert results[1].decision.credential_id is not None
    assert badge == results[1].decision.credential_id


def test_a_card_taken_from_someone_who_just_passed_is_compared_with_the_new_face(
    school: LaneSchool, hub: InProcessHub, lane: SimulatedLane, lfw_images: Path
) -> None:
    """The owner's approach is forgotten with their passage: a thief who hides their
    face behind them cannot borrow it from the ring."""
    _, card = school.enrolled_student(lfw_images, "Colin_Powell")
    hub.publish_snapshot(school.snapshot())
    lane.start()
    owner = lane.play(
        WalkUp(card.payload_text, face(lfw_images, "Colin_Powell", 2), at=school.at(8, 5))
    )
    assert owner is not None and owner.decision.granted
    next_week = school.at(8, 5, day=school.day + timedelta(days=7))
    hidden = lane.play(WalkUp(card.payload_text, None, at=next_week))
    assert hidden is not None
    assert hidden.decision.outcome is Outcome.REFER
    assert hidden.decision.reasons == (Reason.NO_FACE_CAPTURED,)
    thief = lane.play(
        WalkUp(card.payload_text, face(lfw_images, "Tony_Blair", 1), at=next_week, seed=2)
    )
    assert thief is not None
    assert thief.decision.outcome is Outcome.REFER
    assert thief.decision.reasons == (Reason.FACE_MISMATCH,)
    assert thief.decision.alert


def test_without_a_usable_face_in_the_ring_the_lane_reads_the_frames_that_follow(
    school: LaneSchool, hub: InProcessHub, lane: SimulatedLane, lfw_images: Path
) -> None:
    _, card = school.enrolled_student(lfw_images, "Colin_Powell")
    hub.publish_snapshot(school.snapshot())
    lane.start()
    # Turned away for the whole approach, the person faces the camera only after the read.
    approach = Approach(turned_deg=80.0, gaze_at=1.0, dwell_s=0.3)
    frames = approach_frames(face(lfw_images, "Colin_Powell", 2), approach, seed=4)
    camera = lane.lane.camera
    assert camera is not None
    lane.camera.show(*[np.full_like(frames[0], 90)] * 10)
    while camera.read() is not None:
        pass
    lane.camera.show(*frames[approach.read_index :])
    result = lane.lane.present_badge(card.payload_text, at=school.at(8, 5))
    assert result is not None and result.decision.granted
    assert result.face_source is CaptureSource.CAMERA
    assert lane.camera.reads >= 11


def test_the_approach_leaves_no_frame_on_disk_nor_in_events_or_logs(
    school: LaneSchool,
    hub: InProcessHub,
    lane: SimulatedLane,
    lfw_images: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    _, card = school.enrolled_student(lfw_images, "Colin_Powell")
    hub.publish_snapshot(school.snapshot())
    lane.start()
    result = lane.play(
        WalkUp(card.payload_text, face(lfw_images, "Colin_Powell", 2), at=school.at(8, 5))
    )
    assert result is not None and result.face_compared
    assert lane.lane.wait_forwarded(5)
    lane.close()
    files = [path for path in (tmp_path / "lane").rglob("*") if path.is_file()]
    assert {path.name for path in files} <= LANE_FILES
    body = result.event.to_bytes()
    for word in (b"frame", b"image", b"buffer", b"similarity", b"template"):
        assert word not in body
    for record in caplog.records:
        arguments = record.args if isinstance(record.args, tuple) else ()
        assert not any(isinstance(argument, np.ndarray) for argument in arguments)
    assert "[[" not in caplog.text and "array(" not in caplog.text
