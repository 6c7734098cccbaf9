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

from portique.access import Decision, FaceOutcome, Passage, PolicySnapshot, assess
from portique.credentials import Claims
from portique.lane.events import PassageEvent

FaceCheck = Callable[[Claims], FaceOutcome | None]
"""Compares the live face with the template the verified ``Claims`` open; None when no
comparison can be made (no template to open, no camera, another model)."""


@dataclass(frozen=True)
class Decided:
    """A decision, and whether a face was asked for and compared to reach it."""

    decision: Decision
    face_requested: bool
    face_compared: bool


def decide_passage(policy: PolicySnapshot, passage: Passage, face: FaceCheck | None) -> Decided:
    """Decides ``passage`` on ``policy``, calling ``face`` only when the person opted in
    and every other check grants (never for anyone else: their face is not even read)."""
    assessment = assess(policy, passage)
    outcome = None
    if assessment.needs_face and face is not None and assessment.claims is not None:
        outcome = face(assessment.claims)
    return Decided(assessment.decide(outcome), assessment.needs_face, outcome is not None)


@dataclass(frozen=True)
class PassageResult:
    """A passage decided at a lane.

    ``latency_ms``: from the credential in hand to the decision, face capture and
    comparison included, QR decoding excluded (``decode_ms``, None for a badge or a
    credential given as text). ``face_requested``: the engine wanted a face;
    ``face_compared``: one was compared (or its capture failed) and the engine used the
    outcome.
    """

    decision: Decision
    event: PassageEvent
    latency_ms: float
    decode_ms: float | None
    face_requested: bool
    face_compared: bool

    @property
    def passage_id(self) -> str:
        """The id the server stores the passage under: its event's id."""
        return self.event.event_id
