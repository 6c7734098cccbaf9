"""Face verification, 1:1 only: decode, detect, landmarks, align, quality, embed, compare.

Each step is a plain function that can be called alone, from a notebook or a test::

    from portique import biometrics as bio
    image = bio.load_image("alice.jpg")
    faces = bio.detect(image)
    face = bio.align(image, bio.landmarks(image, faces[0]))
    report = bio.assess_quality(face)
    template = bio.embed(face)
    score = bio.compare(template, other_template)
    liveness = bio.assess_liveness(image, faces[0])   # a print or a screen? (PAD)

``FaceEngine`` bundles the same steps with quality limits and an operating point;
``verify`` answers "do these two images show the same person?".
"""

from __future__ import annotations

from functools import lru_cache

from portique.biometrics.backends.base import FaceBackend
from portique.biometrics.errors import (
    BiometricInputError,
    ImageTooLargeError,
    LowQualityError,
    ModelError,
    MultipleFacesError,
    NoFaceError,
    TemplateMismatchError,
    UnreadableImageError,
)
from portique.biometrics.image import load_image
from portique.biometrics.operating_points import DEFAULT_OPERATING_POINT, OperatingPoint
from portique.biometrics.pad import LivenessReport, PadDetector, create_pad
from portique.biometrics.pipeline import (
    Capture,
    FaceEngine,
    Verification,
    backend_for_model,
    choose_face,
    compare,
    create_backend,
    preferred_model,
)
from portique.biometrics.quality import QualityReport, QualityThresholds
from portique.biometrics.quality import assess_quality as _assess_quality
from portique.biometrics.types import (
    AlignedFace,
    BoundingBox,
    Detection,
    Landmarks,
    RGBImage,
    Template,
)

__all__ = [
    "DEFAULT_OPERATING_POINT",
    "AlignedFace",
    "BiometricInputError",
    "BoundingBox",
    "Capture",
    "Detection",
    "FaceBackend",
    "FaceEngine",
    "ImageTooLargeError",
    "Landmarks",
    "LivenessReport",
    "LowQualityError",
    "ModelError",
    "MultipleFacesError",
    "NoFaceError",
    "OperatingPoint",
    "PadDetector",
    "QualityReport",
    "QualityThresholds",
    "Template",
    "TemplateMismatchError",
    "UnreadableImageError",
    "Verification",
    "align",
    "assess_liveness",
    "assess_quality",
    "backend",
    "backend_for_model",
    "choose_face",
    "compare",
    "create_backend",
    "create_pad",
    "detect",
    "embed",
    "landmarks",
    "load_image",
    "pad",
    "preferred_model",
    "verify",
]


@lru_cache(maxsize=4)
def backend(name: str | None = None) -> FaceBackend:
    """The process-wide back end called ``name`` (the configured one if None)."""
    from portique.config import get_settings

    return create_backend(name or get_settings().backend)


@lru_cache(maxsize=1)
def pad() -> PadDetector:
    """The process-wide presentation-attack detector (the installed MiniFASNet pair)."""
    return create_pad()


def detect(image: RGBImage, *, using: FaceBackend | None = None) -> list[Detection]:
    """Every face in an RGB image, largest first (empty list if none)."""
    return (using or backend()).detect(image)


def landmarks(
    image: RGBImage, detection: Detection, *, using: FaceBackend | None = None
) -> Landmarks:
    """The facial points of one detected face."""
    return (using or backend()).landmarks(image, detection)


def align(image: RGBImage, points: Landmarks, *, using: FaceBackend | None = None) -> AlignedFace:
    """The face cropped and warped to the embedder's canonical geometry."""
    return (using or backend()).align(image, points)


def assess_quality(face: AlignedFace, thresholds: QualityThresholds | None = None) -> QualityReport:
    """Size, sharpness, exposure and pose of an aligned face, each with its verdict."""
    return _assess_quality(face, thresholds)


def embed(face: AlignedFace, *, using: FaceBackend | None = None, flip: bool = True) -> Template:
    """The template (L2-normalised descriptor) of an aligned face."""
    chosen = using or backend()
    return Template(chosen.model, chosen.embed([face], flip=flip)[0])


def assess_liveness(
    image: RGBImage,
    detection: Detection,
    *,
    using: PadDetector | None = None,
    threshold: float | None = None,
) -> LivenessReport:
    """Is the detected face live, or a print or a screen? Its liveness score (0 to 1,
    from the whole frame around the face) and whether it falls below ``threshold``
    (the detector's default if None): a suspected presentation attack."""
    return (using or pad()).assess(image, detection.box, threshold)


def verify(
    image_a: RGBImage,
    image_b: RGBImage,
    *,
    using: FaceBackend | None = None,
    operating_point: str = DEFAULT_OPERATING_POINT,
) -> tuple[Verification, Capture, Capture]:
    """Do two images show the same person? The verdict and what each image gave.

    Raises:
        BiometricInputError: no usable face in one of the images (the subclass says why).
    """
    engine = FaceEngine(using or backend(), operating_point_name=operating_point)
    first = engine.acquire(image_a)
    second = engine.acquire(image_b)
    return engine.decide(first.template, second.template), first, second
