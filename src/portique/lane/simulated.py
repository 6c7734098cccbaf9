"""A simulated lane for demos and tests: scripted people show codes and badges to it.

Frames are composed the way a lane camera would see a person holding a card: the QR
code of the credential on one side, optionally their face (an RGB image, e.g. an LFW
photo) on the other. Or a person walks up to the reader (``drivers/approach.py``) and
presents a badge or a QR code to a scanner as they reach it, their face in the
camera's ring by then. Everything goes through the real QR decoder, face engine and
decision engine; only the camera, the reader and the signal are simulated.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import cv2
import numpy as np
from PIL import Image

from portique.biometrics import FaceEngine
from portique.biometrics.types import RGBImage
from portique.credentials import VaultLookup, render_qr_png
from portique.lane.comms.base import Transport
from portique.lane.drivers.approach import Approach, approach_frames
from portique.lane.drivers.badge import SimulatedBadgeReader
from portique.lane.drivers.camera import SimulatedCamera
from portique.lane.drivers.display import LaneDisplay
from portique.lane.drivers.signal import LaneSignal, SimulatedSignal
from portique.lane.pipeline import PassageResult
from portique.lane.runtime import Lane, LaneConfig, utc_now

FRAME_SIZE = (640, 480)
WALL = 90


def credential_frame(
    payload: bytes,
    face: RGBImage | None = None,
    *,
    size: tuple[int, int] = FRAME_SIZE,
    qr_scale: int = 3,
    face_scale: float = 1.2,
) -> RGBImage:
    """A camera frame of someone holding up the QR code of ``payload``: the code in the
    lower right, ``face`` (scaled by ``face_scale``) on the left, on a plain wall."""
    width, height = size
    frame = np.full((height, width, 3), WALL, dtype=np.uint8)
    if face is not None:
        scaled = cv2.resize(
            face,
            None,
            fx=face_scale,
            fy=face_scale,
            interpolation=cv2.INTER_AREA if face_scale < 1 else cv2.INTER_LINEAR,
        )
        top = max((height - scaled.shape[0]) // 2, 0)
        h, w = min(scaled.shape[0], height - top), min(scaled.shape[1], width // 2)
        frame[top : top + h, 10 : 10 + w] = scaled[:h, :w]
    code = _code_image(bytes(payload), qr_scale)
    h, w = min(code.shape[0], height), min(code.shape[1], width)
    frame[height - h :, width - w :] = code[:h, :w]
    return frame


@functools.lru_cache(maxsize=64)
def _code_image(payload: bytes, scale: int) -> RGBImage:
    """The QR code of ``payload`` as an RGB image (encoding a QR code takes tens of ms:
    a replayed script shows the same cards again and again)."""
    with Image.open(io.BytesIO(render_qr_png(payload, scale=scale))) as image:
        code = np.asarray(image.convert("RGB"), dtype=np.uint8)
    code.flags.writeable = False
    return code


@dataclass(frozen=True)
class ShowCode:
    """Someone holds the QR code ``payload`` up to the camera, their ``face`` in view,
    for ``frames`` frames (the face capture may use them all)."""

    payload: bytes
    face: RGBImage | None = None
    at: datetime | None = None
    frames: int = 3


@dataclass(frozen=True)
class PresentBadge:
    """Someone presents a badge; ``uid`` is what the reader sends."""

    uid: str
    at: datetime | None = None


@dataclass(frozen=True)
class WalkUp:
    """Someone walks up to the reader, their ``face`` in view for the whole ``approach``
    (None: nobody in view), and presents ``line`` as they reach it: a badge UID, or
    the text of their QR code typed by a scanner (``PQ:...``). ``seed`` draws the
    noise and the path of the approach."""

    line: str
    face: RGBImage | None = None
    at: datetime | None = None
    approach: Approach = field(default_factory=Approach)
    seed: int = 0


Step = ShowCode | PresentBadge | WalkUp


class SimulatedLane:
    """A :class:`Lane` with a simulated camera, badge reader and signal, played by a
    script of :class:`ShowCode` and :class:`PresentBadge` steps."""

    def __init__(
        self,
        config: LaneConfig,
        *,
        transport: Transport | None = None,
        face_engine: FaceEngine | None = None,
        face_engine_for: Callable[[str], FaceEngine] | None = None,
        signals: Sequence[LaneSignal] = (),
        clock: Callable[[], datetime] = utc_now,
        vault: VaultLookup | None = None,
        display: LaneDisplay | None = None,
    ) -> None:
        self.camera = SimulatedCamera()
        self.reader = SimulatedBadgeReader()
        self.signal = SimulatedSignal()
        self.lane = Lane(
            config,
            transport=transport,
            signals=(self.signal, *signals),
            camera=self.camera,
            badge_reader=self.reader,
            face_engine=face_engine,
            face_engine_for=face_engine_for,
            clock=clock,
            vault=vault,
            display=display,
        )

    def start(self, *, forward: bool = True) -> None:
        self.lane.start(forward=forward)

    def close(self) -> None:
        self.lane.close()

    def __enter__(self) -> SimulatedLane:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def play(self, step: Step) -> PassageResult | None:
        """Plays one step; its passage (None if the lane saw no credential)."""
        self.lane.forget_reads()  # each step is a new person at the lane
        if isinstance(step, WalkUp):
            return self.walk_up(step)
        if isinstance(step, PresentBadge):
            self.reader.present(step.uid)
            uid = self.reader.read(0)
            return None if uid is None else self.lane.present_badge(uid, at=step.at)
        frame = credential_frame(step.payload, step.face)
        # The person stays in view: the frames after the first feed the face capture.
        self.camera.show(*([frame] * max(step.frames - 1, 0)))
        try:
            return self.lane.read_frame(frame, at=step.at)
        finally:
            self.camera.clear()  # they walked through; frames are dropped

    def walk_up(self, step: WalkUp) -> PassageResult | None:
        """Plays an approach: the camera's frames up to the read go through the lane's
        camera (into its ring, as the lane's own loop would read them), the rest wait
        to be read after the credential."""
        frames = (
            approach_frames(step.face, step.approach, seed=step.seed)
            if step.face is not None
            else [np.full((FRAME_SIZE[1], FRAME_SIZE[0], 3), WALL, dtype=np.uint8)]
            * step.approach.frame_count
        )
        before, after = frames[: step.approach.read_index], frames[step.approach.read_index :]
        camera = self.lane.camera
        assert camera is not None
        self.camera.show(*before)
        while camera.read() is not None:
            pass
        self.camera.show(*after)
        self.reader.present(step.line)
        line = self.reader.read(0)
        try:
            return None if line is None else self.lane.present_badge(line, at=step.at)
        finally:
            self.camera.clear()  # they walked through; frames are dropped

    def replay(self, steps: Iterable[Step]) -> list[PassageResult | None]:
        """Plays every step in order."""
        return [self.play(step) for step in steps]
