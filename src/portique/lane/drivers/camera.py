"""Cameras: the lane's eye. Frames are RGB numpy arrays, kept in memory, never written.

``OpenCvCamera`` reads a USB camera (by index), a network stream (RTSP or HTTP URL) or
a video file through OpenCV; ``SimulatedCamera`` plays frames it is given.
"""

from __future__ import annotations

import collections
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from portique.biometrics.types import RGBImage
from portique.lane.errors import CameraError

_CREDENTIALS_IN_URL = re.compile(r"(?<=://)[^/@]*@")
MAX_FAILED_READS = 30
"""A live camera that gives this many empty reads in a row is considered lost."""


class Camera(Protocol):
    """A source of RGB frames (H x W x 3, uint8)."""

    def read(self) -> RGBImage | None:
        """The next frame, or None when there is none (end of a file or script)."""

    def close(self) -> None:
        """Releases the device."""


def _shown(source: str) -> str:
    """A stream URL as it may be shown: without a user or password."""
    return _CREDENTIALS_IN_URL.sub("***@", source)


class OpenCvCamera:
    """A USB camera (``0``, ``"0"``), an ``rtsp://`` or ``http://`` stream, or a video file.

    ``width`` and ``height`` ask a USB camera for a resolution (it may choose another).

    Raises:
        CameraError: the camera or file cannot be opened.
    """

    def __init__(
        self, source: int | str | Path, *, width: int | None = None, height: int | None = None
    ) -> None:
        self.live = True
        if isinstance(source, int) or (isinstance(source, str) and source.isdigit()):
            index = int(source)
            self.name = f"camera {index}"
            capture = cv2.VideoCapture(index)
            hint = "check that it is plugged in and that this user may use it (group video)"
        elif isinstance(source, str) and "://" in source:
            self.name = _shown(source)
            capture = cv2.VideoCapture(source, cv2.CAP_FFMPEG)
            hint = "check the URL, the network and the camera's credentials"
        else:
            path = Path(source)
            self.name = str(path)
            if not path.is_file():
                raise CameraError(f"No video file at {path}.")
            self.live = False
            capture = cv2.VideoCapture(str(path))
            hint = "check that it is a video OpenCV can read (MP4, AVI, MJPEG...)"
        if not capture.isOpened():
            capture.release()
            raise CameraError(f"Cannot open {self.name}: {hint}.")
        if width:
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        if height:
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._capture = capture
        self._failures = 0
        self._lock = threading.Lock()

    def read(self) -> RGBImage | None:
        """The next frame in RGB; None at the end of a file.

        Raises:
            CameraError: a live camera stopped delivering frames.
        """
        with self._lock:
            ok, frame = self._capture.read()
        if not ok or frame is None:
            if not self.live:
                return None
            self._failures += 1
            if self._failures >= MAX_FAILED_READS:
                raise CameraError(f"{self.name} stopped delivering frames.")
            return None
        self._failures = 0
        rgb: RGBImage = np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), dtype=np.uint8)
        return rgb

    def close(self) -> None:
        with self._lock:
            self._capture.release()


class SimulatedCamera:
    """Plays frames it is given, in order; ``show`` adds more at any time (thread-safe).

    With ``loop``, the frames given at construction play again and again.
    """

    def __init__(self, frames: Iterable[RGBImage] = (), *, loop: bool = False) -> None:
        self._initial = [_checked(frame) for frame in frames]
        self._frames: collections.deque[RGBImage] = collections.deque(self._initial)
        self._loop = loop
        self._lock = threading.Lock()
        self.reads = 0

    def show(self, *frames: RGBImage) -> None:
        """Queues frames to be read next, after those already queued."""
        with self._lock:
            self._frames.extend(_checked(frame) for frame in frames)

    def read(self) -> RGBImage | None:
        with self._lock:
            if not self._frames and self._loop and self._initial:
                self._frames.extend(self._initial)
            if not self._frames:
                return None
            self.reads += 1
            return self._frames.popleft()

    def clear(self) -> None:
        """Drops every queued frame."""
        with self._lock:
            self._frames.clear()

    def close(self) -> None:
        self.clear()


def _checked(frame: RGBImage) -> RGBImage:
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3:
        raise CameraError("A camera frame is an H x W x 3 uint8 RGB array.")
    return frame
