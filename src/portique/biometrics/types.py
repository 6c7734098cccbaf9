"""Typed values that flow through the face pipeline: images, boxes, landmarks, faces, templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

RGBImage: TypeAlias = npt.NDArray[np.uint8]
"""An H x W x 3 RGB image, uint8, kept in memory only."""

FloatArray: TypeAlias = npt.NDArray[np.float32]


@dataclass(frozen=True)
class BoundingBox:
    """A face box in image pixels; right and bottom are exclusive."""

    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def area(self) -> float:
        return max(self.width, 0.0) * max(self.height, 0.0)

    @property
    def center(self) -> tuple[float, float]:
        return ((self.left + self.right) / 2.0, (self.top + self.bottom) / 2.0)

    def scaled(self, factor: float) -> BoundingBox:
        """The same box in an image resized by ``factor``."""
        return BoundingBox(
            self.left * factor, self.top * factor, self.right * factor, self.bottom * factor
        )


@dataclass(frozen=True)
class Landmarks:
    """Facial points in image pixels.

    ``points`` is the back end's own layout (dlib: 4 eye corners and the nose base;
    YuNet: eye centres, nose tip, mouth corners). The named properties are common to
    both, with "left" and "right" as seen in the image.
    """

    points: FloatArray
    left_eye: tuple[float, float]
    right_eye: tuple[float, float]
    nose: tuple[float, float]

    @property
    def inter_eye_distance(self) -> float:
        """Distance between the eye centres, in pixels."""
        return float(
            np.hypot(self.right_eye[0] - self.left_eye[0], self.right_eye[1] - self.left_eye[1])
        )


@dataclass(frozen=True)
class Detection:
    """One face found by a detector; YuNet gives landmarks with it, dlib does not."""

    box: BoundingBox
    score: float
    landmarks: Landmarks | None = None


@dataclass(frozen=True)
class AlignedFace:
    """A face crop warped to the embedder's canonical geometry (e.g. 150x150 or 112x112)."""

    chip: RGBImage
    landmarks: Landmarks


@dataclass(frozen=True)
class Template:
    """A face descriptor, L2-normalised; never an image.

    ``model`` names the embedder that produced it: templates of different models
    cannot be compared.
    """

    model: str
    vector: FloatArray = field(repr=False)

    @property
    def size(self) -> int:
        return int(self.vector.shape[0])
