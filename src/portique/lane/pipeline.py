"""One passage, decided once: the lane's steps from a credential in hand to a decision.

The policy is assessed once (``access.assess``: the credential's signature is checked
there, and only there); a face is captured and compared only when the assessment asks
for one, against the template that the verified claims open; the assessment is then
finished with that outcome. The lane runtime and the server's in-process gate both
decide through :func:`decide_passage`, and both answer a :class:`PassageResult`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from portique.access import Decision, Passage, PolicySnapshot, assess
from portique.credentials import Claims
from portique.lane.events import PassageEvent
from portique.lane.face import CaptureSource, FaceCaptureResult

FaceCheck = Callable[[Claims], FaceCaptureResult | None]
"""Captures the live face and compares it with the template the verified ``Claims``
open; None when no comparison can be made (no template to open, no camera, another
model)."""


@dataclass(frozen=True)
class Decided:
    """A decision, whether a face was asked for to reach it, and what its capture gave
    (None when no face was compared)."""

    decision: Decision
    face_requested: bool
    capture: FaceCaptureResult | None = None

    @property
    def face_compared(self) -> bool:
        return self.capture is not None


def decide_passage(policy: PolicySnapshot, passage: Passage, face: FaceCheck | None) -> Decided:
    """Decides ``passage`` on ``policy``, calling ``face`` only when the person opted in
    and every other check grants (never for anyone else: their face is not even read)."""
    assessment = assess(policy, passage)
    capture = None
    if assessment.needs_face and face is not None and assessment.claims is not None:
        capture = face(assessment.claims)
    outcome = None if capture is None else capture.outcome
    return Decided(assessment.decide(outcome), assessment.needs_face, capture)


@dataclass(frozen=True)
class PassageResult:
    """A passage decided at a lane.

    ``latency_ms``: from the credential in hand to the decision, face capture and
    comparison included, QR decoding excluded (``decode_ms``, None for a badge or a
    credential given as text). ``face_requested``: the engine wanted a face;
    ``face_compared``: one was compared (or its capture failed) and the engine used the
    outcome; ``face_source``: where the face came from (the camera's ring before the
    read, or frames after it); ``face_frames``: how many frames the detector ran on (0
    for everyone who did not opt in).
    """

    decision: Decision
    event: PassageEvent
    latency_ms: float
    decode_ms: float | None
    face_requested: bool
    face_compared: bool
    face_source: CaptureSource | None = None
    face_frames: int = 0

    @classmethod
    def of(
        cls, decided: Decided, event: PassageEvent, latency_ms: float, decode_ms: float | None
    ) -> PassageResult:
        """The result of a passage ``decided`` through :func:`decide_passage`."""
        capture = decided.capture
        return cls(
            decision=decided.decision,
            event=event,
            latency_ms=latency_ms,
            decode_ms=decode_ms,
            face_requested=decided.face_requested,
            face_compared=capture is not None,
            face_source=None if capture is None else capture.source,
            face_frames=0 if capture is None else capture.examined,
        )

    @property
    def passage_id(self) -> str:
        """The id the server stores the passage under: its event's id."""
        return self.event.event_id
