"""Face capture at the lane: the best frame of a short window, compared 1:1 with the
template of the credential presented.

Only for people who opted in (the assessment says when: ``Assessment.needs_face``).
Frames are examined in memory as they come, the best face by quality is kept, and only
that one is embedded and compared; nothing is written, logged or returned but the
outcome: a similarity, or why no comparison could be made. ``credential_template`` is the
one opener of a credential's template, for the lanes and the server's gate alike.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from portique.access import CaptureFailure, FaceOutcome
from portique.biometrics import (
    AlignedFace,
    BiometricInputError,
    FaceEngine,
    MultipleFacesError,
    NoFaceError,
    QualityReport,
    Template,
    compare,
    create_backend,
)
from portique.biometrics.quality import assess_quality
from portique.biometrics.types import RGBImage
from portique.credentials import (
    Claims,
    CredentialError,
    VaultLookup,
    open_credential_template,
)
from portique.lane.drivers.camera import Camera

LANE_MIN_FACE_PX = 80
LANE_COARSE_FACE_PX = 130


def lane_face_engine(backend: str = "dlib", *, operating_point: str | None = None) -> FaceEngine:
    """The face engine with the lane's detection profile: faces at a lane are large
    (80 px and up), and a coarse scan for faces of 130 px and up runs first."""
    from portique.config import get_settings

    settings = get_settings()
    return FaceEngine(
        create_backend(backend, min_face_px=LANE_MIN_FACE_PX, coarse_face_px=LANE_COARSE_FACE_PX),
        operating_point_name=operating_point or settings.operating_point,
    )


@dataclass(frozen=True)
class CaptureSettings:
    """The capture window: at most ``max_frames`` frames within ``window_s`` seconds.

    The first frame that passes every quality check ends the window early: a better one
    would not change the comparison, only make the person wait.
    """

    max_frames: int = 3
    window_s: float = 0.5

    def __post_init__(self) -> None:
        if self.max_frames < 1 or self.window_s <= 0:
            raise ValueError("a capture window holds at least one frame and lasts > 0 s")


def credential_template(
    claims: Claims,
    template_keys: Mapping[str, bytes] | None,
    model: str | None,
    vault: VaultLookup | None = None,
) -> Template | None:
    """The template of a verified credential, ready to compare; None when it carries
    none, its key is not on this lane, or the site's model is unknown. A credential of
    the central template store opens its entry fetched through ``vault`` (by credential
    id); a lane without access to the store gets None and refers to the agent."""
    if model is None or template_keys is None:
        return None
    try:
        vector = open_credential_template(claims, template_keys, vault)
    except CredentialError:
        return None
    if vector is None:
        return None
    norm = float(np.linalg.norm(vector))
    if not norm:
        return None
    return Template(model, (vector / norm).astype(np.float32))


class FaceCapture:
    """Captures a face over a short window and compares it with a template."""

    def __init__(self, engine: FaceEngine, settings: CaptureSettings | None = None) -> None:
        self.engine = engine
        self.settings = settings or CaptureSettings()

    @property
    def model(self) -> str:
        """The model of the templates this capture can compare with."""
        return self.engine.backend.model

    def compare(
        self, template: Template, first: RGBImage | None = None, camera: Camera | None = None
    ) -> FaceOutcome | None:
        """The outcome of comparing the best face of the window with ``template``.

        ``first`` is the frame the credential was read in (the person usually faces the
        camera then); more frames come from ``camera``. None when ``template`` is of
        another model than this engine's: no comparison can be made.
        """
        if template.model != self.model:
            return None
        best: tuple[AlignedFace, QualityReport] | None = None
        saw_face = False
        for frame in self._frames(first, camera):
            try:
                face, _detection, others = self.engine.locate(frame)
            except MultipleFacesError:
                saw_face = True
                continue
            except (NoFaceError, BiometricInputError):
                continue
            saw_face = True
            report = assess_quality(face, self.engine.quality, other_faces=others)
            if best is None or _rank(report, face) > _rank(best[1], best[0]):
                best = (face, report)
            if report.passed:
                break
        if best is None:
            return FaceOutcome.failed(
                CaptureFailure.LOW_QUALITY if saw_face else CaptureFailure.NO_FACE
            )
        face, report = best
        if not report.passed:
            return FaceOutcome.failed(CaptureFailure.LOW_QUALITY)
        vector = self.engine.backend.embed([face], flip=self.engine.flip)[0]
        return FaceOutcome.compared(compare(Template(self.model, vector), template))

    def _frames(self, first: RGBImage | None, camera: Camera | None) -> Iterator[RGBImage]:
        deadline = time.monotonic() + self.settings.window_s
        count = 0
        if first is not None:
            count += 1
            yield first
        while camera is not None and count < self.settings.max_frames:
            if time.monotonic() >= deadline:
                return
            frame = camera.read()
            if frame is None:
                return
            count += 1
            yield frame


def _rank(report: QualityReport, face: AlignedFace) -> tuple[int, float]:
    """Better faces rank higher: more checks passed, then more pixels between the eyes."""
    passed = sum(check.passed for check in report.checks)
    return passed, face.landmarks.inter_eye_distance
