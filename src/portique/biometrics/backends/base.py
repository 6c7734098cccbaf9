"""The interface every face back end implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from portique.biometrics.types import AlignedFace, Detection, FloatArray, Landmarks, RGBImage


class FaceBackend(ABC):
    """Detect, locate landmarks, align and embed faces with one family of models."""

    name: str
    """Back end name as users type it (``dlib``, ``onnx``)."""
    model: str
    """Identity of the embedder: templates carry it and only compare within it."""

    @abstractmethod
    def detect(self, image: RGBImage) -> list[Detection]:
        """All faces found in ``image``, largest first."""

    @abstractmethod
    def landmarks(self, image: RGBImage, detection: Detection) -> Landmarks:
        """Facial points of one detected face, in image pixels."""

    @abstractmethod
    def align(self, image: RGBImage, landmarks: Landmarks) -> AlignedFace:
        """The face warped to the embedder's canonical crop."""

    @abstractmethod
    def embed_chips(self, chips: Sequence[np.ndarray]) -> FloatArray:
        """Raw descriptors of canonical crops, N x D float32 (not normalised)."""

    def embed(self, faces: Sequence[AlignedFace], *, flip: bool = True) -> FloatArray:
        """L2-normalised descriptors of aligned faces, N x D.

        With ``flip``, the descriptor of the mirrored crop is added before
        normalising (test-time augmentation: steadier, slightly more accurate).
        """
        if not faces:
            raise ValueError("embed() needs at least one face")
        chips = [face.chip for face in faces]
        if flip:
            chips += [np.ascontiguousarray(chip[:, ::-1]) for chip in chips]
        raw = self.embed_chips(chips)
        if flip:
            raw = raw[: len(faces)] + raw[len(faces) :]
        norms = np.linalg.norm(raw, axis=1, keepdims=True)
        normalised: FloatArray = (raw / np.maximum(norms, 1e-12)).astype(np.float32)
        return normalised


def sort_largest_first(detections: list[Detection]) -> list[Detection]:
    """Detections ordered by box area, largest first (ties by score)."""
    return sorted(detections, key=lambda d: (d.box.area, d.score), reverse=True)
