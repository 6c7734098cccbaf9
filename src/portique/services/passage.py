"""The passage flow with the store: a lane in process, whose snapshot is the store's.

``Gate`` is what a lane does for one passage (``portique.lane.decide_passage``), with
the store in place of a local snapshot and an outbox: it builds the policy snapshot of
the person the credential names, decides through the lane's pipeline (the policy
assessed once, the signature checked once, a face compared 1:1 with the template sealed
in the credential only when the assessment asks for one), and records the passage
event. Someone who did not opt in is never asked for a face: the image given for them
is not even read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from portique.access import (
    BadgeUid,
    Decision,
    Passage,
    PolicySnapshot,
    Presented,
    QrPayload,
    decide,
)
from portique.config import get_settings
from portique.credentials import (
    Claims,
    CodeStamp,
    CredentialError,
    InvalidBadgeUidError,
    Keyring,
    claimed_person_id,
    credential_payload,
    is_living_code,
    normalize_badge_uid,
    payload_from_text,
)
from portique.credentials.qr import decode_qr_file
from portique.lane.events import PassageEvent
from portique.lane.face import FaceCapture, FaceCaptureResult, credential_template
from portique.lane.pipeline import FaceCheck, PassageResult, decide_passage
from portique.services.credentials import (
    FaceEngineFactory,
    default_face_engine,
    site_face_engine,
)
from portique.services.phone import remember_code, used_codes
from portique.services.rows import site_row
from portique.services.settings import site_settings
from portique.services.site import SiteHandle
from portique.services.snapshot import SnapshotCache, build_snapshot
from portique.services.vault import vault_lookup
from portique.store import Credentials, Passages

if TYPE_CHECKING:
    from portique.biometrics.types import RGBImage

LiveFace = Path | npt.NDArray[np.uint8] | Callable[[], npt.NDArray[np.uint8]]
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
        self._capture: FaceCapture | None = None
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
        face: LiveFace | None = None,
    ) -> PassageResult:
        """Decides a passage at ``at`` and records it. The result's ``latency_ms`` runs
        from the credential in hand to the decision, face comparison included, the
        one-time loading of the face models excluded.

        Raises:
            BiometricInputError: the face image file cannot be read (nothing recorded).
            StoreError: the database failed (nothing recorded).
        """
        started = time.perf_counter()
        warmup_before = self._warmup_s
        site_id = self.site.site_id
        with self.site.session() as session:
            seen = used_codes(session, site_id, now=at) if _living(presented) else frozenset()
            snapshot = build_snapshot(
                session,
                site_id,
                at,
                verifiers=self._verifiers,
                person_ids=self._holder(session, presented),
                cache=self._cache,
                seen_codes=seen,
            )
            check = None if face is None else self._face_check(session, face)
            passage = Passage(lane_id, at, presented)
            decided = decide_passage(snapshot, passage, check)
            # Loading the face models happens once per process, not once per passage.
            warmup = self._warmup_s - warmup_before
            latency_ms = (time.perf_counter() - started - warmup) * 1000.0
            decision = self._use_code(session, snapshot, passage, decided.decision)
            lane = snapshot.lanes.get(lane_id)
            event = PassageEvent.of(
                decision,
                site_id=site_id,
                direction=None if lane is None else lane.direction,
                latency_ms=latency_ms,
            )
            self.site.passages.record(session, [event])
        return PassageResult.of(
            replace(decided, decision=decision), event, latency_ms, decode_ms=None
        )

    def _use_code(
        self, session: Session, snapshot: PolicySnapshot, passage: Passage, decision: Decision
    ) -> Decision:
        """Keeps a phone pass's living code as used, so that it opens only once; a code
        another passage used at the same moment makes this one a replay."""
        if decision.code_time is None or decision.credential_id is None:
            return decision
        stamp = CodeStamp(decision.credential_id, decision.code_time)
        if remember_code(session, self.site.site_id, stamp, now=passage.time):
            return decision
        return decide(replace(snapshot, seen_codes=snapshot.seen_codes | {stamp}), passage)

    def _holder(self, session: Session, presented: Presented) -> set[str]:
        """Whom the credential names, so only their rows are loaded; nobody if unreadable.
        The signature is not checked here: the decision checks it, once."""
        if isinstance(presented, QrPayload):
            person_id = claimed_person_id(credential_payload(presented.data))
            return set() if person_id is None else {person_id}
        assert isinstance(presented, BadgeUid)
        try:
            uid = normalize_badge_uid(presented.uid)
        except InvalidBadgeUidError:
            return set()
        binding = Credentials(session).binding(self.site.site_id, uid)
        return set() if binding is None else {binding.person_id}

    def _face_check(self, session: Session, face: LiveFace) -> FaceCheck:
        """The 1:1 comparison of ``face`` with the template the claims open; None when
        the template cannot be used (the engine then refers the passage to the agent)."""

        def check(claims: Claims) -> FaceCaptureResult | None:
            site_id = self.site.site_id
            stored = site_settings(site_row(session, site_id))
            vault = vault_lookup(session, site_id)
            template = credential_template(claims, self._template_keys, stored.face_model, vault)
            if template is None:
                return None
            # The image given stands for the frame the credential was read in.
            pad_threshold = stored.policy(None).pad_threshold
            return self._face_capture(stored.face_model).compare(
                template, [_image(face)], pad_threshold=pad_threshold
            )

        return check

    def _face_capture(self, model: str | None) -> FaceCapture:
        if self._capture is None or (model is not None and self._capture.model != model):
            started = time.perf_counter()
            self._capture = FaceCapture(site_face_engine(model, self._face_engine_factory))
            self._warmup_s += time.perf_counter() - started
        return self._capture


def _image(face: LiveFace) -> RGBImage:
    """The frame of the live face: read from its file, or taken from the camera now."""
    if isinstance(face, Path):
        from portique.biometrics import load_image

        settings = get_settings()
        return load_image(
            face, max_pixels=settings.max_image_pixels, max_bytes=settings.max_image_bytes
        )
    if callable(face):
        return face()
    return face


def _living(presented: Presented) -> bool:
    return isinstance(presented, QrPayload) and is_living_code(presented.data)
