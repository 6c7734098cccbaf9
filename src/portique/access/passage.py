"""A passage as the lane presents it to the engine, and the decision that answers it."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, replace
from datetime import datetime

from portique.access.domain import require_aware
from portique.access.reasons import Outcome, Reason


@dataclass(frozen=True)
class QrPayload:
    """The bytes decoded from a QR code (card or phone)."""

    data: bytes


@dataclass(frozen=True)
class BadgeUid:
    """A badge UID as the reader gave it (normalized by the engine)."""

    uid: str


Presented = QrPayload | BadgeUid


class CaptureFailure(enum.StrEnum):
    """Why the lane could not compare a face."""

    NO_FACE = "no_face"
    LOW_QUALITY = "low_quality"
    PRESENTATION_ATTACK = "presentation_attack"
    """The face at the camera looked like a print or a screen (presentation-attack
    detection, where the site turned it on): never compared."""


@dataclass(frozen=True)
class FaceOutcome:
    """The result of the lane's 1:1 face comparison: a similarity, or a capture failure.

    ``similarity`` is higher for more alike faces, on the scale of the site's back end
    and operating point. The threshold is not here: it is policy, in the snapshot
    (``SiteSettings.face_threshold``), so a lane cannot lower it.
    """

    similarity: float | None = None
    failure: CaptureFailure | None = None

    def __post_init__(self) -> None:
        if (self.similarity is None) == (self.failure is None):
            raise ValueError("a face outcome is either a similarity or a capture failure")
        if self.similarity is not None and not math.isfinite(self.similarity):
            raise ValueError(f"a similarity must be a finite number, got {self.similarity}")

    @classmethod
    def compared(cls, similarity: float) -> FaceOutcome:
        return cls(similarity=similarity)

    @classmethod
    def failed(cls, failure: CaptureFailure) -> FaceOutcome:
        return cls(failure=failure)


@dataclass(frozen=True)
class Passage:
    """One person presenting a credential at a lane at ``time`` (time-zone-aware).

    ``face`` is filled in only when ``needs_face`` said so, after the lane compared
    the live face with the credential's template; the engine never sees images.
    """

    lane_id: str
    time: datetime
    credential: Presented
    face: FaceOutcome | None = None

    def __post_init__(self) -> None:
        require_aware(self.time, "a passage time")

    @classmethod
    def qr(
        cls, lane_id: str, time: datetime, payload: bytes, face: FaceOutcome | None = None
    ) -> Passage:
        return cls(lane_id, time, QrPayload(payload), face)

    @classmethod
    def badge(
        cls, lane_id: str, time: datetime, uid: str, face: FaceOutcome | None = None
    ) -> Passage:
        return cls(lane_id, time, BadgeUid(uid), face)

    def with_face(self, face: FaceOutcome) -> Passage:
        return replace(self, face=face)


@dataclass(frozen=True)
class Decision:
    """The engine's answer to a passage.

    ``reasons`` is never empty. A GRANT lists what was verified (CREDENTIAL_VALID,
    FACE_MATCH); a DENY or REFER lists every reason against, in the order checked.
    ``alert`` asks the console to raise an alert (intrusion attempt, lockdown, ...).
    ``code_time``: for a phone pass whose living code was signed by its phone within
    the window, the time the code carries; the lane remembers (``credential_id``,
    ``code_time``) so that the code opens only once.
    """

    outcome: Outcome
    reasons: tuple[Reason, ...]
    lane_id: str
    time: datetime
    snapshot_version: int
    alert: bool = False
    credential_id: str | None = None
    person_id: str | None = None
    code_time: datetime | None = None

    def __post_init__(self) -> None:
        if not self.reasons:
            raise ValueError("a decision always carries at least one reason")

    @property
    def granted(self) -> bool:
        return self.outcome is Outcome.GRANT
