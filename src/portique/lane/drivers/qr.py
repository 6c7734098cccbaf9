"""Reading credentials' QR codes in camera frames: zxing-cpp, downscaled frame first.

Most frames at a lane hold no code at all, and a card held up to the camera is large:
a half-size grey frame is decoded first (four times fewer pixels), and the full frame
only when that finds nothing.
"""

from __future__ import annotations

from typing import Protocol

import cv2
import numpy as np
import numpy.typing as npt

from portique.biometrics.types import RGBImage
from portique.credentials import QrImageError, decode_qr


class QrReader(Protocol):
    """Finds a credential's QR code in a frame."""

    def read(self, frame: RGBImage) -> bytes | None:
        """The payload of the first QR code in ``frame``, or None when there is none."""


class ZxingQrReader:
    """zxing-cpp (through ``credentials.decode_qr``) with a fast path.

    Frames at least ``fast_min_width`` pixels wide are first decoded at ``fast_scale``
    of their size; narrower frames, or when the fast path finds nothing, at full size.
    """

    def __init__(self, *, fast_scale: float = 0.5, fast_min_width: int = 960) -> None:
        if not 0 < fast_scale <= 1:
            raise ValueError("fast_scale is a fraction of the frame's size, in (0, 1].")
        self.fast_scale = fast_scale
        self.fast_min_width = fast_min_width
        self.fast_hits = 0
        self.full_hits = 0

    def read(self, frame: RGBImage) -> bytes | None:
        grey = np.asarray(
            cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) if frame.ndim == 3 else frame, dtype=np.uint8
        )
        if self.fast_scale < 1 and grey.shape[1] >= self.fast_min_width:
            small = np.asarray(
                cv2.resize(
                    grey, None, fx=self.fast_scale, fy=self.fast_scale, interpolation=cv2.INTER_AREA
                ),
                dtype=np.uint8,
            )
            payload = _decode(small)
            if payload is not None:
                self.fast_hits += 1
                return payload
        payload = _decode(grey)
        if payload is not None:
            self.full_hits += 1
        return payload


def _decode(grey: npt.NDArray[np.uint8]) -> bytes | None:
    try:
        return decode_qr(grey)
    except QrImageError:
        return None


class SimulatedQrReader:
    """Answers the payload attached to a frame (by identity), without decoding anything:
    for lanes whose scripted frames stand for a code the test does not draw."""

    def __init__(self) -> None:
        self._payloads: dict[int, tuple[RGBImage, bytes]] = {}

    def attach(self, frame: RGBImage, payload: bytes) -> RGBImage:
        """Makes ``frame`` read as ``payload``; returns the frame."""
        # The frame is kept with its payload so its id cannot be reused by another array.
        self._payloads[id(frame)] = (frame, payload)
        return frame

    def read(self, frame: RGBImage) -> bytes | None:
        """The payload attached to ``frame``, once (the attachment is then dropped)."""
        entry = self._payloads.get(id(frame))
        if entry is None or entry[0] is not frame:
            return None
        del self._payloads[id(frame)]
        return entry[1]
