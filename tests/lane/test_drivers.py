"""Lane drivers: cameras, QR reading, badge readers and signals, real and simulated."""

from __future__ import annotations

import io
import json
import logging
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import cv2
import numpy as np
import pytest
from lane_support import free_port, wait_until
from rich.console import Console

from portique.access import Decision, Outcome, Reason
from portique.lane import (
    CameraError,
    ConsoleSignal,
    GpioSignal,
    HttpRelaySignal,
    KeyboardWedgeReader,
    OpenCvCamera,
    SerialBadgeReader,
    SimulatedBadgeReader,
    SimulatedCamera,
    SimulatedQrReader,
    ZxingQrReader,
    credential_frame,
    open_badge_reader,
)
from portique.lane.errors import BadgeReaderError

PAYLOAD = bytes([0xFB, 0x01]) + b"portique lane driver test payload " * 4


def decision(outcome: Outcome = Outcome.GRANT, *reasons: Reason, alert: bool = False) -> Decision:
    return Decision(
        outcome=outcome,
        reasons=reasons or (Reason.CREDENTIAL_VALID,),
        lane_id="entree",
        time=datetime(2025, 3, 11, 8, 5, tzinfo=UTC),
        snapshot_version=4,
        alert=alert,
        credential_id="c-secret",
        person_id="p-secret",
    )


# Cameras ----------------------------------------------------------------------------


def test_a_simulated_camera_plays_its_frames_then_runs_dry() -> None:
    frames = [np.full((4, 4, 3), value, dtype=np.uint8) for value in (1, 2)]
    camera = SimulatedCamera(frames)
    camera.show(np.zeros((4, 4, 3), dtype=np.uint8))
    assert [int(camera.read()[0, 0, 0]) for _ in range(3)] == [1, 2, 0]  # type: ignore[index]
    assert camera.read() is None
    looping = SimulatedCamera(frames, loop=True)
    assert [int(looping.read()[0, 0, 0]) for _ in range(3)] == [1, 2, 1]  # type: ignore[index]
    with pytest.raises(CameraError):
        camera.show(np.zeros((4, 4), dtype=np.float32))  # type: ignore[arg-type]


def test_an_opencv_camera_reads_a_video_file_as_rgb_frames(tmp_path: Path) -> None:
    path = tmp_path / "lane.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for _ in range(3):
        bgr = np.zeros((48, 64, 3), dtype=np.uint8)
        bgr[:, :, 2] = 200  # red in OpenCV's BGR order
        writer.write(bgr)
    writer.release()
    camera = OpenCvCamera(path)
    frames = [camera.read() for _ in range(4)]
    camera.close()
    assert all(frame is not None for frame in frames[:3]) and frames[3] is None
    first = frames[0]
    assert first is not None and first.shape == (48, 64, 3)
    assert first[..., 0].mean() > 150 and first[..., 2].mean() < 60  # RGB: red first


def test_a_camera_that_cannot_be_opened_says_what_to_check(tmp_path: Path) -> None:
    with pytest.raises(CameraError, match="No video file"):
        OpenCvCamera(tmp_path / "missing.mp4")
    not_a_video = tmp_path / "notes.mp4"
    not_a_video.write_text("not a video")
    with pytest.raises(CameraError, match="Cannot open"):
        OpenCvCamera(not_a_video)
    with pytest.raises(CameraError, match=r"\*\*\*@") as raised:
        OpenCvCamera(f"rtsp://agent:hunter2@127.0.0.1:{free_port()}/lane")
    assert "hunter2" not in str(raised.value)


# QR codes ---------------------------------------------------------------------------


def test_the_qr_reader_finds_a_code_in_a_frame_and_nothing_in_a_wall() -> None:
    reader = ZxingQrReader()
    assert reader.read(credential_frame(PAYLOAD)) == PAYLOAD
    assert reader.full_hits == 1
    assert reader.read(np.full((480, 640, 3), 90, dtype=np.uint8)) is None


def test_the_qr_reader_decodes_a_large_frame_downscaled_first() -> None:
    reader = ZxingQrReader()
    frame = credential_frame(PAYLOAD, size=(1280, 720), qr_scale=6)
    assert reader.read(frame) == PAYLOAD
    assert (reader.fast_hits, reader.full_hits) == (1, 0)


def test_a_simulated_qr_reader_answers_the_payload_of_its_frame_once() -> None:
    reader = SimulatedQrReader()
    frame = reader.attach(np.zeros((8, 8, 3), dtype=np.uint8), PAYLOAD)
    assert reader.read(np.zeros((8, 8, 3), dtype=np.uint8)) is None
    assert reader.read(frame) == PAYLOAD
    assert reader.read(frame) is None


# Badge readers ----------------------------------------------------------------------


def test_a_keyboard_wedge_reader_gives_canonical_uids_line_by_line() -> None:
    reader = KeyboardWedgeReader(io.StringIO("04a2b3c4\n\nà'QéB\"C'\n0077771716\nhello\n"))
    uids = [reader.read(timeout=2) for _ in range(4)]
    assert uids == ["04:A2:B3:C4", "04:A2:B3:C4", "04:A2:B3:C4", "hello"]
    assert reader.read(timeout=0.1) is None and reader.closed


def test_a_serial_reader_reads_framed_uids_from_the_port() -> None:
    reader = SerialBadgeReader("loop://")
    reader._serial.write(b"\x0204A2B3C4D5\x03\r\n04-a2-b3")  # test writes into the loop
    assert reader.read(timeout=2) == "04:A2:B3:C4:D5"
    assert reader.read(timeout=0.3) is None  # a partial UID without its line end waits
    reader._serial.write(b"-c4\n")
    assert reader.read(timeout=2) == "04:A2:B3:C4"
    reader.close()


def test_a_serial_port_that_does_not_exist_is_a_clear_error() -> None:
    with pytest.raises(BadgeReaderError, match="dialout"):
        SerialBadgeReader("/dev/portique-no-such-port")


def test_a_simulated_badge_reader_gives_what_was_presented() -> None:
    reader = SimulatedBadgeReader()
    reader.present("04 a2 b3 c4", "")
    assert reader.read(0) == "04:A2:B3:C4"
    assert reader.read(0) is None


# Signals ----------------------------------------------------------------------------


def test_the_console_line_speaks_french_and_english() -> None:
    french = Console(file=io.StringIO(), width=200, color_system=None)
    ConsoleSignal(french, lang="fr").show(decision(Outcome.DENY, Reason.REVOKED, alert=True))
    line = french.file.getvalue()  # type: ignore[attr-defined]
    assert "Refusé" in line and "Titre d'accès révoqué" in line and "ALERTE" in line
    english = ConsoleSignal(lang="en").line(decision(Outcome.REFER, Reason.FACE_MISMATCH))
    assert "Referred to the agent" in english.plain and "Face does not match" in english.plain
    assert "p-secret" not in line and "c-secret" not in line


class _Relay(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def relay() -> Iterator[str]:
    _Relay.received = []
    server = HTTPServer(("127.0.0.1", 0), _Relay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/door"
    server.shutdown()
    server.server_close()


def test_the_http_relay_receives_the_outcome_without_who_passed(relay: str) -> None:
    signal = HttpRelaySignal(relay, timeout_s=2, lang="en")
    signal.show(decision(Outcome.GRANT))
    assert wait_until(lambda: len(_Relay.received) == 1, 5)
    signal.close()
    body = _Relay.received[0]
    assert body["outcome"] == "grant" and body["label"] == "Granted"
    assert body["reasons"] == ["credential_valid"] and body["lane_id"] == "entree"
    assert "person_id" not in body and "credential_id" not in body
    assert "pulse_s" not in body


def test_the_http_relay_is_told_how_long_to_release_the_door(relay: str) -> None:
    signal = HttpRelaySignal(relay, timeout_s=2, pulse_s=3.0)
    signal.show(decision(Outcome.GRANT))
    assert wait_until(lambda: len(_Relay.received) == 1, 5)
    signal.close()
    assert _Relay.received[0]["pulse_s"] == 3.0


def test_a_relay_that_does_not_answer_is_logged_and_never_blocks_the_lane(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    # A door controller that takes the connection and never answers.
    silent = socket.create_server(("127.0.0.1", 0), backlog=64)
    port = silent.getsockname()[1]
    signal = HttpRelaySignal(f"http://127.0.0.1:{port}/door", timeout_s=3.0)
    try:
        for _ in range(20):
            signal.show(decision())
        # Had show() waited for the relay, the first request would have timed out by now.
        assert signal.failed == 0
        assert wait_until(lambda: signal.failed >= 1, 15)
    finally:
        signal.close()
        silent.close()
    assert "did not take the decision" in caplog.text


def test_gpio_lines_pulse_the_outcome_and_skip_missing_lines(tmp_path: Path) -> None:
    lines = {outcome: tmp_path / f"{outcome.value}-value" for outcome in Outcome}
    for path in list(lines.values())[:2]:
        path.write_text("0")
    signal = GpioSignal(lines, pulse_s=0.2)
    signal.show(decision(Outcome.GRANT))
    assert lines[Outcome.GRANT].read_text() == "1" and lines[Outcome.DENY].read_text() == "0"
    assert not lines[Outcome.REFER].exists()
    assert wait_until(lambda: lines[Outcome.GRANT].read_text() == "0", 3)
    signal.close()


def test_a_badge_reader_setting_names_its_kind_and_port() -> None:
    for spec, kind in (("serial:loop://@19200", SerialBadgeReader), ("stdin", KeyboardWedgeReader)):
        reader = open_badge_reader(spec)
        assert isinstance(reader, kind)
        reader.close()
    for wrong in ("usb", "serial:", "serial:loop://@fast"):
        with pytest.raises(BadgeReaderError):
            open_badge_reader(wrong)
