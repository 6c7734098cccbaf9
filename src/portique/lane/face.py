"""Face capture at the lane: the best face of the approach, compared 1:1 with the
template of the credential presented.

Only for people who opted in (the assessment says when: ``Assessment.needs_face``). The
face is looked for first in the frames the camera saw as the person walked up (its ring,
see ``drivers/buffer.py``), then in the frames that follow the read, up to a short
window: the person does not stop for the camera. Frames are examined in memory, the best
face by quality is kept, and only that one is embedded and compared; nothing is written,
logged or returned but the outcome (a similarity, or why no comparison could be made),
where the face came from and how many frames were examined. Where the site turned
presentation-attack detection on, the frame chosen for comparison is checked first: a
suspected print or screen is never compared. ``credential_template`` is
the one opener of a credential's template, for the lanes and the server's gate alike.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from portique.access import CaptureFailure, FaceOutcome
from portique.biometrics import (
    AlignedFace,
    BiometricInputError,
    Detection,
    FaceEngine,
    ModelError,
    MultipleFacesError,
    NoFaceError,
    PadDetector,
    QualityReport,
    Template,
    TemplateMismatchError,
    assess_liveness,
    compare,
    create_backend,
    create_pad,
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


def lane_face_engine(
    backend: str | None = None, *, operating_point: str | None = None
) -> FaceEngine:
    """The face engine with the lane's detection profile: faces at a lane are large
    (80 px and up), and a coarse scan for faces of 130 px and up runs first (dlib). The
    back end is the configured one (``PORTIQUE_BACKEND``) unless named."""
    from portique.config import get_settings

    settings = get_settings()
    return FaceEngine(
        create_backend(
            backend or settings.backend,
            min_face_px=LANE_MIN_FACE_PX,
            coarse_face_px=LANE_COARSE_FACE_PX,
        ),
        operating_point_name=operating_point or settings.operating_point,
    )


def lane_face_engine_for(model: str) -> FaceEngine:
    """The lane's face engine for templates of ``model`` (the back end that makes them).

    Raises:
        ConfigurationError: an unknown model, or its files are not installed here.
    """
    from portique.biometrics.pipeline import backend_for_model

    return lane_face_engine(backend_for_model(model))


class CaptureSource(enum.StrEnum):
    """Where the face compared came from."""

    BUFFER = "buffer"
    """A frame the camera saw before the credential was read: no pause at all."""
    CAMERA = "camera"
    """A frame that came after the read, within the capture window."""
    NONE = "none"
    """No usable face in either."""


@dataclass(frozen=True)
class CaptureSettings:
    """Where the face step looks, and for how long.

    First the camera's ring (the last ``ring_s`` seconds, never analysed until a
    credential asks for a face): newest frames first, in groups of ``buffer_group``
    frames of which the sharpest is tried, ``buffer_tries`` groups at most. Then the
    frames that follow the read: at most ``max_frames`` within ``window_s`` seconds.
    The first face that passes every quality check ends the search: a better one would
    not change the comparison, only make the person wait.
    """

    max_frames: int = 3
    window_s: float = 0.5
    buffer_tries: int = 3
    buffer_group: int = 6
    ring_s: float = 2.0

    def __post_init__(self) -> None:
        if self.max_frames < 1 or self.window_s <= 0:
            raise ValueError("a capture window holds at least one frame and lasts > 0 s")
        if self.buffer_tries < 0 or self.buffer_group < 1 or self.ring_s <= 0:
            raise ValueError("the ring is searched in groups of one frame or more")


@dataclass(frozen=True)
class FaceCaptureResult:
    """What the face step gives: the outcome for the engine, where the face came from,
    and on how many frames the detector ran (never the image)."""

    outcome: FaceOutcome
    source: CaptureSource
    examined: int


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
    """Finds the best face of a passage and compares it with a template."""

    def __init__(
        self,
        engine: FaceEngine,
        settings: CaptureSettings | None = None,
        pad: Callable[[], PadDetector] = create_pad,
    ) -> None:
        self.engine = engine
        self.settings = settings or CaptureSettings()
        self._load_pad = pad
        self._pad: PadDetector | None = None

    def presentation_attack_detector(self) -> PadDetector | None:
        """The PAD models, loaded on first need; None when they are not installed here."""
        if self._pad is None:
            try:
                self._pad = self._load_pad()
            except ModelError:
                return None
        return self._pad

    @property
    def model(self) -> str:
        """The model of the templates this capture can compare with."""
        return self.engine.backend.model

    def compare(
        self,
        template: Template,
        recent: Sequence[RGBImage] = (),
        camera: Camera | None = None,
        *,
        waiting: Callable[[], None] | None = None,
        pad_threshold: float | None = None,
    ) -> FaceCaptureResult | None:
        """The outcome of comparing the best face of the passage with ``template``.

        With ``pad_threshold`` (the site checks for presentation attacks), the frame of
        the face chosen is assessed first; below the threshold, the outcome is a
        ``PRESENTATION_ATTACK`` failure and nothing is compared. A lane without the PAD
        models then makes no comparison (None): the agent checks.

        ``recent``: the frames the camera saw up to the read, oldest first (the ring,
        with the frame the credential was read in last). When none of them holds a
        usable face, more frames come from ``camera``; ``waiting`` is called once then
        (the lane display asks the person to look at the camera). None when
        ``template`` is of another model than this engine's: no comparison can be made.
        """
        if template.model != self.model:
            return None
        pad = None
        if pad_threshold is not None:
            pad = self.presentation_attack_detector()
            if pad is None:
                return None
        search = _Search(self.engine)
        for frame in self._candidates(recent):
            if search.offer(frame, CaptureSource.BUFFER):
                break
        else:
            if camera is not None:
                if waiting is not None:
                    waiting()
                for frame in self._following(camera):
                    if search.offer(frame, CaptureSource.CAMERA):
                        break
        try:
            return search.result(template, pad, pad_threshold)
        except TemplateMismatchError:
            # A template of the same model name but another size: nothing to compare.
            return None

    def _candidates(self, recent: Sequence[RGBImage]) -> Iterator[RGBImage]:
        """The sharpest frame of each group of the ring's newest frames, newest group
        first: the person is nearest the reader, and most often facing it, just before
        the read; blur tells a frame taken mid-stride from one taken as they slow down."""
        newest_first = list(reversed(recent))
        group = self.settings.buffer_group
        for start in range(0, min(len(newest_first), group * self.settings.buffer_tries), group):
            frames = newest_first[start : start + group]
            yield max(frames, key=_sharpness) if len(frames) > 1 else frames[0]

    def _following(self, camera: Camera) -> Iterator[RGBImage]:
        deadline = time.monotonic() + self.settings.window_s
        for _ in range(self.settings.max_frames):
            if time.monotonic() >= deadline:
                return
            frame = camera.read()
            if frame is None:
                return
            yield frame


@dataclass(frozen=True)
class _Candidate:
    """A face the search kept, with the frame and detection it came from (in memory)."""

    face: AlignedFace
    report: QualityReport
    source: CaptureSource
    frame: RGBImage
    detection: Detection


class _Search:
    """The best face offered so far, and whether the search may stop."""

    def __init__(self, engine: FaceEngine) -> None:
        self.engine = engine
        self.best: _Candidate | None = None
        self.saw_face = False
        self.examined = 0

    def offer(self, frame: RGBImage, source: CaptureSource) -> bool:
        """Examines ``frame``; True when its face passes every check (the search ends)."""
        self.examined += 1
        try:
            face, detection, others = self.engine.locate(frame)
        except MultipleFacesError:
            self.saw_face = True
            return False
        except (NoFaceError, BiometricInputError):
            return False
        self.saw_face = True
        report = assess_quality(face, self.engine.quality, other_faces=others)
        if self.best is None or _rank(report, face) > _rank(self.best.report, self.best.face):
            self.best = _Candidate(face, report, source, frame, detection)
        return report.passed

    def result(
        self, template: Template, pad: PadDetector | None, pad_threshold: float | None
    ) -> FaceCaptureResult:
        if self.best is None:
            failure = CaptureFailure.LOW_QUALITY if self.saw_face else CaptureFailure.NO_FACE
            return FaceCaptureResult(FaceOutcome.failed(failure), CaptureSource.NONE, self.examined)
        face, report, source = self.best.face, self.best.report, self.best.source
        if not report.passed:
            outcome = FaceOutcome.failed(CaptureFailure.LOW_QUALITY)
            return FaceCaptureResult(outcome, source, self.examined)
        if pad is not None:
            liveness = assess_liveness(
                self.best.frame, self.best.detection, using=pad, threshold=pad_threshold
            )
            if liveness.attack:
                outcome = FaceOutcome.failed(CaptureFailure.PRESENTATION_ATTACK)
                return FaceCaptureResult(outcome, source, self.examined)
        vector = self.engine.backend.embed([face], flip=self.engine.flip)[0]
        similarity = compare(Template(template.model, vector), template)
        return FaceCaptureResult(FaceOutcome.compared(similarity), source, self.examined)


def _sharpness(frame: RGBImage) -> float:
    """The variance of the Laplacian of the frame's green channel, one pixel in two each
    way: a cheap measure of blur (about 0.2 ms at 640x480), to choose among neighbouring
    frames of the same scene."""
    green = np.ascontiguousarray(frame[::2, ::2, 1])
    return float(cv2.Laplacian(green, cv2.CV_16S).var())


def _rank(report: QualityReport, face: AlignedFace) -> tuple[int, float]:
    """Better faces rank higher: more checks passed, then more pixels between the eyes."""
    passed = sum(check.passed for check in report.checks)
    return passed, face.landmarks.inter_eye_distance
