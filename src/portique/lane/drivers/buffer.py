"""The camera's short memory: the last ~2 s of frames, in RAM only, for the face step.

A person walks up to the reader facing it; by the time their credential is read, the
camera has already seen their face. :class:`FrameRing` keeps the frames of the last
``seconds`` with the (monotonic) time each was read, so the face step can look back
instead of making the person stop. Nothing in the ring is analysed unless a credential
that asks for a face is read; nothing is ever written. The lane empties it after every
passage, so a face seen for one person can never serve the next one (a card stolen
from someone who just passed is compared with the thief's face, not the owner's).

:class:`BufferedCamera` wraps any :class:`~portique.lane.drivers.camera.Camera`:
every frame it reads passes into its ring on the way to the lane.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from portique.biometrics.types import RGBImage
from portique.lane.drivers.camera import Camera

RING_SECONDS = 2.0
RING_MAX_FRAMES = 120
"""At 30 frames a second, 2 s is 60 frames (55 MiB at 640x480); the cap bounds a
faster camera."""


@dataclass(frozen=True, eq=False)
class TimedFrame:
    """A frame and the monotonic time (seconds) it was read."""

    frame: RGBImage
    at: float


class FrameRing:
    """The frames of the last ``seconds``, at most ``max_frames``, oldest dropped first.

    Thread-safe: the camera thread adds while the lane's thread reads.
    """

    def __init__(
        self,
        seconds: float = RING_SECONDS,
        *,
        max_frames: int = RING_MAX_FRAMES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if seconds <= 0 or max_frames < 1:
            raise ValueError("a frame ring keeps at least one frame for more than 0 s")
        self.seconds = seconds
        self.clock = clock
        self._frames: collections.deque[TimedFrame] = collections.deque(maxlen=max_frames)
        self._lock = threading.Lock()

    def add(self, frame: RGBImage, at: float | None = None) -> None:
        """Keeps ``frame``, read at ``at`` (now by default); the same array twice in a
        row is kept once (a frame the lane also decoded a code in)."""
        moment = self.clock() if at is None else at
        with self._lock:
            if self._frames and self._frames[-1].frame is frame:
                return
            self._frames.append(TimedFrame(frame, moment))
            self._expire(moment)

    def frames(self) -> list[TimedFrame]:
        """The frames of the last ``seconds``, oldest first."""
        with self._lock:
            self._expire(self.clock())
            return list(self._frames)

    def clear(self) -> None:
        """Forgets every frame (after a passage, and when the camera closes)."""
        with self._lock:
            self._frames.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._frames)

    def _expire(self, now: float) -> None:
        horizon = now - self.seconds
        while self._frames and self._frames[0].at < horizon:
            self._frames.popleft()


class BufferedCamera:
    """A camera whose frames also go into a :class:`FrameRing` as they are read."""

    def __init__(self, camera: Camera, ring: FrameRing | None = None) -> None:
        self.camera = camera
        self.ring = ring if ring is not None else FrameRing()

    def read(self) -> RGBImage | None:
        frame = self.camera.read()
        if frame is not None:
            self.ring.add(frame)
        return frame

    def close(self) -> None:
        self.ring.clear()
        self.camera.close()
