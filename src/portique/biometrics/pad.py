"""Presentation-attack detection (PAD): is the face at the camera a live one, or a print
or a screen? MiniFASNet V2 and V1SE (Silent-Face-Anti-Spoofing, Apache-2.0), with the
upstream preprocessing.

Each model looks at the face box enlarged around its centre (2.7 and 4.0 times, shifted
to stay in the image), resized to 80x80, BGR values 0-255 unscaled, and gives three
logits; class 1 is bona fide. The score is the geometric mean of the two models' bona
fide probabilities (both must find the face live): below the threshold, the face is a
suspected attack. Nothing here has
been measured on real attacks: a site calibrates the threshold on its own camera
(``portique eval pad``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from portique.biometrics.errors import ModelError
from portique.biometrics.models import check_model_file, find_model
from portique.biometrics.types import BoundingBox, RGBImage

PAD_MODELS: tuple[tuple[str, float], ...] = (
    ("minifasnet_v2_2.7_80x80.onnx", 2.7),
    ("minifasnet_v1se_4.0_80x80.onnx", 4.0),
)
"""The model files and the factor each enlarges the face box by."""
PAD_INPUT = 80
BONA_FIDE_CLASS = 1
DEFAULT_PAD_THRESHOLD = 0.1
"""Liveness score below which a face is a suspected attack. Set on 145 bona fide lane-like
frames made from LFW (BPCER 4.8 %) and the upstream samples (all three as labelled); on
the synthetic attack set, APCER 4.4 % (print) and 0.8 % (screen): see BENCHMARKS.md. A
site calibrates its own on its camera with real prints and screens (``eval pad``)."""


@dataclass(frozen=True)
class LivenessReport:
    """What presentation-attack detection found for one face (never an image).

    ``score`` is the geometric mean of the models' bona fide probabilities (0 to 1,
    higher means more likely live); ``attack`` when it is below ``threshold``.
    """

    score: float
    threshold: float
    per_model: tuple[float, ...]

    @property
    def attack(self) -> bool:
        return self.score < self.threshold

    def as_json(self) -> dict[str, object]:
        return {
            "score": round(self.score, 6),
            "threshold": self.threshold,
            "attack": self.attack,
            "per_model": [round(value, 6) for value in self.per_model],
        }


def pad_crop(image: RGBImage, box: BoundingBox, factor: float, size: int = PAD_INPUT) -> Any:
    """The upstream crop: ``box`` enlarged ``factor`` times around its centre (less when
    the image is too small), shifted to stay inside the image, resized to ``size``; BGR."""
    height, width = image.shape[:2]
    box_w, box_h = max(box.width, 1.0), max(box.height, 1.0)
    factor = min((height - 1) / box_h, (width - 1) / box_w, factor)
    new_w, new_h = box_w * factor, box_h * factor
    cx, cy = box.center
    left, top = cx - new_w / 2, cy - new_h / 2
    right, bottom = cx + new_w / 2, cy + new_h / 2
    if left < 0:
        right, left = right - left, 0.0
    if top < 0:
        bottom, top = bottom - top, 0.0
    if right > width - 1:
        left, right = left - (right - width + 1), float(width - 1)
    if bottom > height - 1:
        top, bottom = top - (bottom - height + 1), float(height - 1)
    patch = image[int(top) : int(bottom) + 1, int(left) : int(right) + 1]
    resized = cv2.resize(patch, (size, size))
    return np.ascontiguousarray(resized[:, :, ::-1])


class PadDetector:
    """The MiniFASNet pair, loaded once (onnxruntime), checked by sha256 before use."""

    def __init__(
        self,
        files: Sequence[tuple[Path, float]],
        *,
        threshold: float = DEFAULT_PAD_THRESHOLD,
        threads: int | None = None,
    ) -> None:
        import onnxruntime as ort

        self.threshold = threshold
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self._models: list[tuple[Any, str, float]] = []
        for path, factor in files:
            check_model_file(path, "pad")
            try:
                session = ort.InferenceSession(
                    str(path), options, providers=["CPUExecutionProvider"]
                )
            except Exception as exc:  # onnxruntime raises its own untyped errors
                raise ModelError(f"onnxruntime cannot load {path}: {exc}") from None
            self._models.append((session, session.get_inputs()[0].name, factor))

    def probabilities(self, image: RGBImage, box: BoundingBox) -> tuple[float, ...]:
        """Each model's bona fide probability for the face in ``box``."""
        found = []
        for session, input_name, factor in self._models:
            crop = pad_crop(image, box, factor).astype(np.float32).transpose(2, 0, 1)[None]
            logits = np.asarray(session.run(None, {input_name: crop})[0][0], dtype=np.float64)
            exp = np.exp(logits - logits.max())
            found.append(float(exp[BONA_FIDE_CLASS] / exp.sum()))
        return tuple(found)

    def assess(
        self, image: RGBImage, box: BoundingBox, threshold: float | None = None
    ) -> LivenessReport:
        """The liveness of the face in ``box`` at ``threshold`` (the detector's own if None)."""
        per_model = self.probabilities(image, box)
        return LivenessReport(
            score=float(np.exp(np.mean(np.log(np.maximum(per_model, 1e-12))))),
            threshold=self.threshold if threshold is None else threshold,
            per_model=per_model,
        )


def create_pad(
    *, threshold: float = DEFAULT_PAD_THRESHOLD, threads: int | None = None
) -> PadDetector:
    """The PAD models as installed (``portique models install``) or configured.

    Raises:
        ModelError: a MiniFASNet file is not installed.
    """
    files = []
    for filename, factor in PAD_MODELS:
        path = find_model(filename)
        if path is None:
            raise ModelError(
                f"presentation-attack detection needs {filename}: install it with "
                "`portique models install FILE|URL` (or --from DIR); see the README."
            )
        files.append((path, factor))
    return PadDetector(files, threshold=threshold, threads=threads)
