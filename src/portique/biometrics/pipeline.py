"""The face engine: from an image to a template, and 1:1 verification at an operating point."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from portique.biometrics.backends.base import FaceBackend
from portique.biometrics.errors import (
    LowQualityError,
    MultipleFacesError,
    NoFaceError,
    TemplateMismatchError,
)
from portique.biometrics.image import as_rgb
from portique.biometrics.operating_points import (
    DEFAULT_OPERATING_POINT,
    OperatingPoint,
    operating_point,
)
from portique.biometrics.quality import (
    DEFAULT_CENTRE_MARGIN,
    QualityReport,
    QualityThresholds,
    assess_quality,
)
from portique.biometrics.types import AlignedFace, Detection, RGBImage, Template


@dataclass(frozen=True)
class Capture:
    """What one image gave: the template of its face and how good the face was."""

    template: Template
    quality: QualityReport
    detection: Detection


@dataclass(frozen=True)
class Verification:
    """The outcome of a 1:1 comparison at an operating point."""

    match: bool
    score: float
    threshold: float
    operating_point: str
    backend: str
    model: str

    def as_json(self) -> dict[str, object]:
        return {
            "match": self.match,
            "score": round(self.score, 6),
            "threshold": self.threshold,
            "operating_point": self.operating_point,
            "backend": self.backend,
            "model": self.model,
        }


def choose_face(
    detections: list[Detection],
    dominance_ratio: float,
    *,
    frame: tuple[int, int] | None = None,
    centre_margin: float = DEFAULT_CENTRE_MARGIN,
) -> tuple[Detection, int]:
    """The face to use and how many others were seen.

    A lane camera often sees someone behind or beside the person at the lane. The
    largest face is used when it is clearly the largest (its area at least
    ``dominance_ratio`` times the next one's). Otherwise, among the faces of similar
    size, the one in front of the camera is used when it is clearly the nearest the
    centre of the ``frame`` (width, height): every other one stands at least
    ``centre_margin`` of its face width further from the centre. Two faces as large
    and as central as each other are refused.

    Raises:
        NoFaceError: no detection.
        MultipleFacesError: several faces and none dominates by size or by place.
    """
    if not detections:
        raise NoFaceError("no face was found in the image.")
    ordered = sorted(detections, key=lambda d: d.box.area, reverse=True)
    first = ordered[0]
    if len(ordered) == 1 or first.box.area >= dominance_ratio * ordered[1].box.area:
        return first, len(ordered) - 1
    rivals = [d for d in ordered if dominance_ratio * d.box.area > first.box.area]
    central = _clearly_central(rivals, frame, centre_margin) if frame else None
    if central is None:
        raise MultipleFacesError(
            f"{len(ordered)} faces of similar size were found; only one person may be in front "
            "of the camera."
        )
    return central, len(ordered) - 1


def _clearly_central(
    faces: list[Detection], frame: tuple[int, int], margin: float
) -> Detection | None:
    """The face clearly nearest the frame's centre, if one is."""
    width, height = frame

    def off_centre(face: Detection) -> float:
        x, y = face.box.center
        return math.hypot(x - width / 2.0, y - height / 2.0)

    nearest = min(faces, key=off_centre)
    clearance = off_centre(nearest) + margin * math.sqrt(nearest.box.area)
    if all(off_centre(face) >= clearance for face in faces if face is not nearest):
        return nearest
    return None


def compare(a: Template, b: Template) -> float:
    """Cosine similarity of two templates, from -1 to 1: higher means more alike.

    Raises:
        TemplateMismatchError: the templates come from different models.
    """
    if a.model != b.model or a.size != b.size:
        raise TemplateMismatchError(
            f"cannot compare a {a.model} template with a {b.model} template."
        )
    return float(np.dot(a.vector, b.vector))


class FaceEngine:
    """One back end, quality limits and an operating point: everything 1:1 verification needs."""

    def __init__(
        self,
        backend: FaceBackend,
        *,
        quality: QualityThresholds | None = None,
        operating_point_name: str = DEFAULT_OPERATING_POINT,
        flip: bool = True,
        require_calibration: bool = True,
    ) -> None:
        self.backend = backend
        self.quality = quality or QualityThresholds()
        self.flip = flip
        self.operating_point_name = operating_point_name
        self._operating_point: OperatingPoint | None = None
        if require_calibration:
            self._operating_point = operating_point(backend.model, operating_point_name)

    @property
    def operating_point(self) -> OperatingPoint:
        """The calibrated threshold decisions are made at.

        Raises:
            ConfigurationError: the model has not been calibrated for it.
        """
        if self._operating_point is None:
            self._operating_point = operating_point(self.backend.model, self.operating_point_name)
        return self._operating_point

    def choose(self, image: RGBImage, detections: list[Detection]) -> tuple[Detection, int]:
        """The face of ``image`` to use among ``detections`` (see :func:`choose_face`)."""
        return choose_face(
            detections,
            self.quality.dominance_ratio,
            frame=(image.shape[1], image.shape[0]),
            centre_margin=self.quality.centre_margin,
        )

    def locate(self, image: RGBImage) -> tuple[AlignedFace, Detection, int]:
        """Detect, choose the dominant face, find its landmarks and align it."""
        image = as_rgb(image)
        detection, others = self.choose(image, self.backend.detect(image))
        landmarks = self.backend.landmarks(image, detection)
        return self.backend.align(image, landmarks), detection, others

    def acquire(self, image: RGBImage, *, enforce_quality: bool = True) -> Capture:
        """The template of the face in ``image``.

        Raises:
            NoFaceError, MultipleFacesError: see :func:`choose_face`.
            LowQualityError: a quality check failed (only when ``enforce_quality``).
        """
        face, detection, others = self.locate(image)
        report = assess_quality(face, self.quality, other_faces=others)
        if enforce_quality and not report.passed:
            failed = ", ".join(f"{c.name} {c.value:.3g} (needs {c.limit})" for c in report.failures)
            raise LowQualityError(f"the face is not good enough to compare: {failed}.")
        vector = self.backend.embed([face], flip=self.flip)[0]
        return Capture(Template(self.backend.model, vector), report, detection)

    def decide(self, a: Template, b: Template) -> Verification:
        """Compare two templates at this engine's operating point."""
        score = compare(a, b)
        point = self.operating_point
        return Verification(
            match=score >= point.threshold,
            score=score,
            threshold=point.threshold,
            operating_point=point.name,
            backend=self.backend.name,
            model=self.backend.model,
        )

    def verify(self, image: RGBImage, template: Template) -> tuple[Verification, Capture]:
        """Compare the face in a live image with a stored template (the lane's 1:1 check)."""
        capture = self.acquire(image)
        return self.decide(capture.template, template), capture


def create_backend(
    name: str,
    *,
    engine: str | None = None,
    detector: Path | None = None,
    embedder: Path | None = None,
    min_face_px: float | None = None,
    coarse_face_px: float | None = None,
    threads: int | None = None,
) -> FaceBackend:
    """Build a back end by name with the configured model files.

    Raises:
        ConfigurationError: unknown name, or the ONNX model files are not configured.
    """
    from portique.config import get_settings
    from portique.errors import ConfigurationError

    settings = get_settings()
    if name == "dlib":
        from portique.biometrics.backends.dlib_backend import ENGINES, DlibBackend

        chosen = engine or settings.dlib_engine
        if chosen not in ENGINES:
            raise ConfigurationError(
                f"unknown dlib engine {chosen!r}; choose one of {', '.join(ENGINES)}."
            )
        return DlibBackend(
            engine=chosen,  # type: ignore[arg-type]
            min_face_px=min_face_px or settings.min_face_px,
            coarse_face_px=coarse_face_px or settings.coarse_face_px,
            threads=threads,
        )
    if name in ("onnx", "edgeface"):
        return _onnx_family(name, detector, embedder, threads, min_face_px)
    raise ConfigurationError(f"unknown back end {name!r}; choose one of {', '.join(BACKENDS)}.")


BACKENDS: tuple[str, ...] = ("dlib", "onnx", "edgeface")
"""The back ends users can name (``--backend``, ``PORTIQUE_BACKEND``)."""
MODEL_BACKENDS: dict[str, str] = {
    "dlib-resnet-v1": "dlib",
    "mobilefacenet_foamliu": "onnx",
    "edgeface_xs_q": "edgeface",
}
"""The back end that produces each model's templates."""


def backend_for_model(model: str) -> str:
    """The back end whose templates are of ``model``.

    Raises:
        ConfigurationError: a model Portique does not know.
    """
    from portique.errors import ConfigurationError

    try:
        return MODEL_BACKENDS[model]
    except KeyError:
        raise ConfigurationError(
            f"unknown face model {model!r}; known: {', '.join(MODEL_BACKENDS)}."
        ) from None


def preferred_model() -> str:
    """The model a new face site uses: EdgeFace-XS when it and YuNet are installed (or in
    the configured models folder), else dlib's, which PyPI ships."""
    from portique.biometrics.backends.edgeface_backend import EDGEFACE_FILE, EDGEFACE_MODEL
    from portique.biometrics.models import find_model
    from portique.config import DEFAULT_DETECTOR_FILE

    if find_model(EDGEFACE_FILE) and find_model(DEFAULT_DETECTOR_FILE):
        return EDGEFACE_MODEL
    return "dlib-resnet-v1"


def _onnx_family(
    name: str,
    detector: Path | None,
    embedder: Path | None,
    threads: int | None,
    min_face_px: float | None = None,
) -> FaceBackend:
    """The ``onnx`` or ``edgeface`` back end with its files: given, configured, or
    installed (``portique models install``); never downloaded. With a lane's large
    smallest face (``min_face_px`` of 80 and up), frames are scanned at half size."""
    from portique.biometrics.backends.edgeface_backend import EDGEFACE_FILE, EdgeFaceBackend
    from portique.biometrics.backends.onnx_backend import (
        DETECTOR_MAX_SIDE,
        LANE_DETECTOR_MAX_SIDE,
        OnnxBackend,
    )
    from portique.biometrics.models import find_model
    from portique.config import DEFAULT_DETECTOR_FILE, DEFAULT_EMBEDDER_FILE, get_settings
    from portique.errors import ConfigurationError

    settings = get_settings()
    detector_path = detector or settings.onnx_detector or find_model(DEFAULT_DETECTOR_FILE)
    if name == "edgeface":
        embedder_path = embedder or settings.edgeface_embedder or find_model(EDGEFACE_FILE)
        wanted = f"YuNet ({DEFAULT_DETECTOR_FILE}) and EdgeFace ({EDGEFACE_FILE})"
    else:
        embedder_path = embedder or settings.onnx_embedder or find_model(DEFAULT_EMBEDDER_FILE)
        wanted = f"YuNet ({DEFAULT_DETECTOR_FILE}) and MobileFaceNet ({DEFAULT_EMBEDDER_FILE})"
    if detector_path is None or embedder_path is None:
        raise ConfigurationError(
            f"the {name} back end needs the model files {wanted}: install them with "
            "`portique models install FILE|URL` (or --from DIR), or set PORTIQUE_MODELS_DIR; "
            "see the README."
        )
    chosen = EdgeFaceBackend if name == "edgeface" else OnnxBackend
    return chosen(
        detector_path,
        embedder_path,
        detector_sha256=settings.onnx_detector_sha256,
        embedder_sha256=settings.onnx_embedder_sha256,
        threads=threads,
        max_side=LANE_DETECTOR_MAX_SIDE if (min_face_px or 0) >= 80 else DETECTOR_MAX_SIDE,
    )
