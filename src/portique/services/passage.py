"""The passage flow with the store: credential in, decision out, event recorded.

``Gate`` is what a lane does for one passage, in process: build the policy snapshot of
the person the credential names, ask ``needs_face``, compare the live face 1:1 with the
template sealed in the credential only when it says so, ``decide``, and record the
decision. Someone who did not opt in is never asked for a face: the image given for
them is not even read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from portique.access import (
    BadgeUid,
    CaptureFailure,
    Decision,
    FaceOutcome,
    Passage,
    Presented,
    QrPayload,
    Reason,
    decide,
    needs_face,
)
from portique.config import get_settings
from portique.credentials import (
    Claims,
    CredentialError,
    InvalidBadgeUidError,
    Keyring,
    normalize_badge_uid,
    open_credential_template,
    payload_from_text,
    verify_credential,
)
from portique.credentials.qr import decode_qr_file
from portique.privacy.vault import vault_lookup
from portique.services.credentials import FaceEngineFactory, default_face_engine
from portique.services.policy_json import face_choice
from portique.services.site import SiteHandle
from portique.services.snapshot import SnapshotCache, build_snapshot, record_passage, site_row
from portique.store import Credentials, Passages

if TYPE_CHECKING:
    from portique.biometrics import FaceEngine

FaceCapture = Path | npt.NDArray[np.uint8] | Callable[[], npt.NDArray[np.uint8]]
"""The live face: an image file, an RGB frame, or a camera to call only if needed."""


def presented_from_text(payload_text: str) -> QrPayload:
    """The credential a scanner typed (``PQ:...``). Text that is not a credential is
    presented as it is, so the engine refuses it with a reason instead of an error."""
    try:
        return QrPayload(payload_from_text(payload_text))
    except CredentialError:
        return QrPayload(payload_text.encode("utf-8", errors="replace"))


def presented_from_qr_image(path: Path) -> QrPayload:
    """The credential in the QR code of an image file.

    Raises:
        BadInputError: the file cannot be read; QrImageError: no readable QR code.
    """
    return QrPayload(decode_qr_file(path, max_bytes=get_settings().max_image_bytes))


@dataclass(frozen=True)
class PassageReport:
    """A passage decided and recorded.

    ``face_requested``: the engine wanted a face (the person opted in and enrolled).
    ``face_compared``: a capture was compared, or failed, and the engine used it.
    ``latency_ms``: from the credential in hand to the decision, face comparison
    included, the one-time loading of the face models excluded.
    """

    decision: Decision
    latency_ms: float
    face_requested: bool
    face_compared: bool
    passage_id: str


class Gate:
    """The passage flow of one site; build it once and pass people through it."""

    def __init__(
        self,
        site: SiteHandle,
        *,
        keyring: Keyring | None = None,
        face_engine: FaceEngineFactory = default_face_engine,
    ) -> None:
        self.site = site
        keyring = keyring or site.keyring()
        self._verifiers = keyring.verifiers()
        self._template_keys = keyring.template_keys()
        self._face_engine_factory = face_engine
        self._face_engine: FaceEngine | None = None
        self._warmup_s = 0.0
        self._cache = SnapshotCache()

    def warm_up(self, at: datetime) -> None:
        """Reads the site's policy and prepares the queries of a passage, as a lane does
        when it starts, so that the first passage is timed like the next ones."""
        with self.site.session() as session:
            snapshot = build_snapshot(
                session,
                self.site.site_id,
                at,
                verifiers=self._verifiers,
                person_ids=(),
                cache=self._cache,
            )
            window = snapshot.settings.anti_passback_window
            if window is not None:
                Passages(session).last_granted(self.site.site_id, (), since=at - window, until=at)

    def pass_through(
        self,
        lane_id: str,
        presented: Presented,
        *,
        at: datetime,
        face: FaceCapture | None = None,
    ) -> PassageReport:
        """Decides a passage at ``at`` and records it.

        Raises:
            BiometricInputError: the face image file cannot be read (nothing recorded).
            StoreError: the database failed (nothing recorded).
        """
        started = time.perf_counter()
        warmup_before = self._warmup_s
        site_id = self.site.site_id
        with self.site.session() as session:
            claims, scope = self._holder(session, presented)
            snapshot = build_snapshot(
                session,
                site_id,
                at,
                verifiers=self._verifiers,
                person_ids=scope,
                cache=self._cache,
            )
            passage = Passage(lane_id, at, presented)
            outcome = None
            if face is not None and needs_face(snapshot, passage) and claims is not None:
                model = face_choice(site_row(session, site_id).settings).model
                outcome = self._compare(session, claims, model, face)
            decision = decide(snapshot, passage if outcome is None else passage.with_face(outcome))
            # Without a capture, the engine asks for one by this reason alone, so the
            # whole assessment (``needs_face``) need not run twice on the fast path.
            face_requested = outcome is not None or Reason.FACE_NOT_CHECKED in decision.reasons
            # Loading the face models happens once per process, not once per passage.
            warmup = self._warmup_s - warmup_before
            latency_ms = (time.perf_counter() - started - warmup) * 1000.0
            lane = snapshot.lanes.get(lane_id)
            passage_id = record_passage(
                session,
                site_id,
                decision,
                latency_ms=latency_ms,
                direction=None if lane is None else lane.direction,
            )
        return PassageReport(
            decision=decision,
            latency_ms=latency_ms,
            face_requested=face_requested,
            face_compared=outcome is not None,
            passage_id=passage_id,
        )

    def _holder(self, session: Session, presented: Presented) -> tuple[Claims | None, set[str]]:
        """Who the credential names, so only their rows are loaded; nobody if unreadable."""
        if isinstance(presented, QrPayload):
            try:
                claims = verify_credential(presented.data, self._verifiers, self.site.site_id)
            except CredentialError:
                return None, set()
            return claims, {claims.person_id}
        assert isinstance(presented, BadgeUid)
        try:
            uid = normalize_badge_uid(presented.uid)
        except InvalidBadgeUidError:
            return None, set()
        binding = Credentials(session).binding(self.site.site_id, uid)
        return None, set() if binding is None else {binding.person_id}

    def _engine(self) -> FaceEngine:
        if self._face_engine is None:
            started = time.perf_counter()
            self._face_engine = self._face_engine_factory()
            self._warmup_s += time.perf_counter() - started
        return self._face_engine

    def _compare(
        self, session: Session, claims: Claims, model: str | None, face: FaceCapture
    ) -> FaceOutcome | None:
        """The 1:1 comparison of the live face with the credential's template; None when
        the template cannot be used (the engine then refers the passage to the agent)."""
        from portique.biometrics import (
            LowQualityError,
            MultipleFacesError,
            NoFaceError,
            Template,
            TemplateMismatchError,
            load_image,
        )

        try:
            vector = open_credential_template(
                claims, self._template_keys, vault_lookup(session, self.site.site_id)
            )
        except CredentialError:
            return None
        if vector is None or model is None or not float(np.linalg.norm(vector)):
            return None
        template = Template(model, (vector / np.linalg.norm(vector)).astype(np.float32))
        if isinstance(face, Path):
            settings = get_settings()
            image = load_image(
                face, max_pixels=settings.max_image_pixels, max_bytes=settings.max_image_bytes
            )
        elif callable(face):
            image = face()
        else:
            image = face
        try:
            verification, _capture = self._engine().verify(image, template)
        except NoFaceError:
            return FaceOutcome.failed(CaptureFailure.NO_FACE)
        except (LowQualityError, MultipleFacesError):
            return FaceOutcome.failed(CaptureFailure.LOW_QUALITY)
        except TemplateMismatchError:
            return None
        return FaceOutcome.compared(verification.score)
