"""A simulated camera that plays a person walking up to the reader (demo and benchmark).

A face photo (an LFW crop, 250x250) is composed into the frames of a still entrance: small
and far at first, growing as the person comes closer over 1 to 2 s, blurred by their
motion while they walk (less as they slow down at the reader), the head turned aside
until their gaze reaches the reader; then they stand at the reader a moment, the frames
that follow the read. The frames are what a lane camera mounted above the reader would
see; nothing here decides where the face is: the lane's detector finds it or not.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from portique.biometrics.types import RGBImage

FRAME_SIZE = (640, 480)


@dataclass(frozen=True)
class Approach:
    """How one person walks up to the reader.

    ``duration_s``: from entering the camera's view to the credential read;
    ``dwell_s``: at the reader after the read; ``far_scale`` and ``near_scale``: the
    photo's scale on entering the view and at the reader (an LFW face is about 110 px
    wide at scale 1); ``speed_at_read``: the walking speed left at the read, as a share
    of the full pace (people slow down, they seldom stop); ``blur_px``: the length of
    the motion blur at full pace and full size; ``turned_deg``: how far the head is
    turned aside on entering the view, and ``gaze_at``: the share of the approach after
    which the person looks at the reader.
    """

    duration_s: float = 1.5
    dwell_s: float = 0.5
    fps: float = 30.0
    far_scale: float = 0.45
    near_scale: float = 1.45
    speed_at_read: float = 0.3
    blur_px: float = 14.0
    turned_deg: float = 50.0
    gaze_at: float = 0.7
    noise: float = 2.0
    size: tuple[int, int] = FRAME_SIZE

    def __post_init__(self) -> None:
        if self.duration_s <= 0 or self.dwell_s < 0 or self.fps <= 0:
            raise ValueError("an approach lasts more than 0 s at more than 0 frames a second")
        if not 0 < self.far_scale <= self.near_scale or not 0 < self.gaze_at <= 1:
            raise ValueError("the person comes closer, and looks at the reader in the end")

    @classmethod
    def drawn(cls, rng: np.random.Generator, **fixed: float) -> Approach:
        """An approach of 1 to 2 s with the person's own pace, gaze and blur."""
        values: dict[str, float] = {
            "duration_s": float(rng.uniform(1.0, 2.0)),
            "speed_at_read": float(rng.uniform(0.15, 0.45)),
            "blur_px": float(rng.uniform(8.0, 18.0)),
            "turned_deg": float(rng.uniform(25.0, 60.0)) * float(rng.choice([-1.0, 1.0])),
            "gaze_at": float(rng.uniform(0.55, 0.9)),
            "near_scale": float(rng.uniform(1.3, 1.6)),
        }
        values.update(fixed)
        return cls(**values)  # type: ignore[arg-type]

    @property
    def read_index(self) -> int:
        """The index of the first frame after the read."""
        return max(1, round(self.duration_s * self.fps))

    @property
    def frame_count(self) -> int:
        return self.read_index + round(self.dwell_s * self.fps)


@dataclass(frozen=True)
class _Pose:
    """The person in one frame: their scale, speed (share of full pace), head yaw."""

    scale: float
    speed: float
    yaw_deg: float
    progress: float


def _pose(approach: Approach, index: int) -> _Pose:
    """Walking at full pace, then slowing down over the last third of the approach to
    ``speed_at_read`` at the read, and creeping on at the reader afterwards."""
    t = min(index / approach.read_index, 1.0)
    slow_from = 2.0 / 3.0
    if t <= slow_from:
        speed = 1.0
    else:
        speed = 1.0 - (1.0 - approach.speed_at_read) * (t - slow_from) / (1.0 - slow_from)
    if index >= approach.read_index:
        speed = approach.speed_at_read / 3.0
    # The apparent size grows as the inverse of the distance (4 m down to 0.7 m).
    far, near = 4.0, 0.7
    distance = far - (far - near) * t
    scale = approach.near_scale * near / distance
    scale = max(scale, approach.far_scale)
    gaze = min(t / approach.gaze_at, 1.0)
    return _Pose(scale, speed, approach.turned_deg * (1.0 - gaze), t)


def approach_frames(face: RGBImage, approach: Approach, *, seed: int = 0) -> list[RGBImage]:
    """The frames of ``approach`` with ``face`` (an RGB photo of a face, 250x250 like
    LFW's): ``approach.read_index`` frames before the read, the rest after it."""
    rng = np.random.default_rng(seed)
    width, height = approach.size
    background = _entrance(width, height)
    drift = float(rng.uniform(-0.12, 0.12)) * width
    angle = float(rng.uniform(60.0, 120.0))
    mask = _feather(face.shape[1], face.shape[0])
    noise = _noise(width, height, approach.noise)
    frames = []
    for index in range(approach.frame_count):
        pose = _pose(approach, index)
        person = _turned(face, pose.yaw_deg)
        blur = approach.blur_px * pose.speed * pose.scale / approach.near_scale
        frame = background.copy()
        centre = (width / 2 + drift * (1.0 - pose.progress), height * 0.42)
        _paste(frame, _moved(person, blur, angle), mask, pose.scale, centre)
        if noise is not None:
            # Sensor noise: one of a few stored patterns, shifted by a random offset.
            pattern = noise[int(rng.integers(len(noise)))]
            shift = int(rng.integers(width))
            noisy = frame.astype(np.int16) + np.roll(pattern, shift, axis=1)
            frame = np.clip(noisy, 0, 255).astype(np.uint8)
        frames.append(frame)
    return frames


@functools.lru_cache(maxsize=4)
def _noise(width: int, height: int, sigma: float) -> npt.NDArray[np.int16] | None:
    """A few patterns of Gaussian sensor noise (drawing a fresh one per frame costs
    more than composing the frame)."""
    if sigma <= 0:
        return None
    rng = np.random.default_rng(7)
    bank = np.rint(rng.normal(0.0, sigma, (4, height, width, 3))).astype(np.int16)
    bank.flags.writeable = False
    return bank


@functools.lru_cache(maxsize=4)
def _entrance(width: int, height: int) -> npt.NDArray[np.uint8]:
    """A still entrance: a lit wall, a darker floor and a door frame."""
    rows = np.linspace(175, 120, height, dtype=np.float32)[:, None]
    scene = np.repeat(np.repeat(rows, width, axis=1)[:, :, None], 3, axis=2)
    scene[int(height * 0.78) :] *= 0.6
    cv2.rectangle(scene, (int(width * 0.12), 0), (int(width * 0.88), height), (95, 90, 85), 9)
    image = scene.astype(np.uint8)
    image.flags.writeable = False
    return image


@functools.lru_cache(maxsize=8)
def _feather(width: int, height: int) -> npt.NDArray[np.float32]:
    """An elliptic mask with a soft edge: the head and shoulders, not the photo's frame."""
    mask = np.zeros((height, width), dtype=np.float32)
    cv2.ellipse(
        mask, (width // 2, height // 2), (int(width * 0.4), int(height * 0.48)), 0, 0, 360, 1.0, -1
    )
    blurred = np.asarray(cv2.GaussianBlur(mask, (0, 0), width * 0.04), dtype=np.float32)
    blurred.flags.writeable = False
    return blurred


def _turned(face: RGBImage, yaw_deg: float) -> RGBImage:
    """The head turned by ``yaw_deg`` about its vertical axis, the face wrapped on a
    cylinder: the nose moves more than the cheeks, as in a real turn."""
    if abs(yaw_deg) < 1.0:
        return face
    height, width = face.shape[:2]
    radius = width / 2.0
    columns = (np.arange(width, dtype=np.float32) - radius + 0.5) / radius
    seen = np.arcsin(np.clip(columns, -1.0, 1.0)) - math.radians(yaw_deg)
    # The side turned away is hidden: its columns repeat the last one still in view.
    source = np.clip(np.sin(np.clip(seen, -math.pi / 2, math.pi / 2)), -1.0, 1.0)
    source = source * radius + radius - 0.5
    map_x = np.repeat(source[None, :].astype(np.float32), height, axis=0)
    map_y = np.repeat(np.arange(height, dtype=np.float32)[:, None], width, axis=1)
    turned = cv2.remap(face, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return np.asarray(turned, dtype=np.uint8)


def _moved(image: RGBImage, length: float, angle_deg: float) -> RGBImage:
    """Linear motion blur of ``length`` pixels along ``angle_deg``."""
    size = round(length)
    if size < 2:
        return image
    kernel = np.zeros((size, size), dtype=np.float32)
    dx = math.cos(math.radians(angle_deg)) * (size - 1) / 2
    dy = math.sin(math.radians(angle_deg)) * (size - 1) / 2
    centre = (size - 1) / 2
    cv2.line(
        kernel,
        (round(centre - dx), round(centre - dy)),
        (round(centre + dx), round(centre + dy)),
        1.0,
        1,
    )
    kernel /= max(float(kernel.sum()), 1.0)
    return np.asarray(cv2.filter2D(image, -1, kernel), dtype=np.uint8)


def _paste(
    frame: npt.NDArray[np.uint8],
    person: RGBImage,
    mask: npt.NDArray[np.float32],
    scale: float,
    centre: tuple[float, float],
) -> None:
    """Blends ``person`` scaled by ``scale`` into ``frame`` around ``centre`` (clipped)."""
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    scaled = cv2.resize(person, None, fx=scale, fy=scale, interpolation=interpolation)
    alpha = cv2.resize(mask, (scaled.shape[1], scaled.shape[0]), interpolation=cv2.INTER_LINEAR)
    h, w = scaled.shape[:2]
    top, left = round(centre[1] - h / 2), round(centre[0] - w / 2)
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + h, frame.shape[0]), min(left + w, frame.shape[1])
    if y1 <= y0 or x1 <= x0:
        return
    part = scaled[y0 - top : y1 - top, x0 - left : x1 - left].astype(np.float32)
    weight = alpha[y0 - top : y1 - top, x0 - left : x1 - left, None]
    region = frame[y0:y1, x0:x1].astype(np.float32)
    frame[y0:y1, x0:x1] = (region * (1.0 - weight) + part * weight).astype(np.uint8)


class ApproachCamera:
    """A camera that plays frames at ``fps``; with ``paced``, each read waits for its
    frame's time, as a real camera does (the first read starts the clock).

    :meth:`play` queues the frames of a new approach.
    """

    def __init__(
        self,
        frames: Sequence[RGBImage] = (),
        *,
        fps: float = 30.0,
        paced: bool = False,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.fps = fps
        self.paced = paced
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._frames: list[RGBImage] = []
        self._next = 0
        self._started: float | None = None
        self.reads = 0
        self.play(frames)

    def play(self, frames: Sequence[RGBImage]) -> None:
        """Replaces what is queued with ``frames``; their clock starts at the next read."""
        with self._lock:
            self._frames = list(frames)
            self._next = 0
            self._started = None

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._frames) - self._next

    def read(self) -> RGBImage | None:
        with self._lock:
            if self._next >= len(self._frames):
                return None
            if self._started is None:
                self._started = self._clock()
            due = self._started + self._next / self.fps
            frame = self._frames[self._next]
            self._next += 1
            self.reads += 1
        if self.paced:
            wait = due - self._clock()
            if wait > 0:
                self._sleep(wait)
        return frame

    def close(self) -> None:
        self.play(())
