"""The lane runtime: a credential read, a decision on the local snapshot, a signal, an event.

For each credential (a QR code in a camera frame, or a badge UID) a :class:`Lane`
builds the passage and decides it on its own snapshot through the passage pipeline (the
policy assessed once, a face captured and compared only when it asks for one: first
from the camera's ring of the approach, then from the frames that follow), empties the
ring, shows the outcome on the lane display, signals it, keeps the event in its outbox
and forwards it. Nothing in that path waits
for the server: with the link down the lane decides exactly as before, and its outbox
sends the events once the link is back.

Threads: decisions run on the caller's thread (``run``, ``step``, ``present``); the
transport calls back from its own; a forwarder thread sends what the outbox holds and
a heartbeat every ``heartbeat_s``, so the server can tell a silent lane from a quiet one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from portique import clock
from portique.access import (
    LANE_ALARMS,
    Decision,
    Direction,
    LastPassage,
    Passage,
    PolicySnapshot,
    Presented,
    QrPayload,
    Reason,
)
from portique.biometrics import FaceEngine
from portique.biometrics.types import RGBImage
from portique.credentials import Claims, CodeStamp, ReplayMemory, VaultLookup
from portique.errors import PortiqueError
from portique.files import private_directory
from portique.lane.comms.base import Transport
from portique.lane.drivers.alarm import AlarmSource
from portique.lane.drivers.badge import BadgeReader, presented
from portique.lane.drivers.buffer import BufferedCamera, FrameRing
from portique.lane.drivers.camera import Camera
from portique.lane.drivers.display import LaneDisplay
from portique.lane.drivers.qr import QrReader, ZxingQrReader
from portique.lane.drivers.signal import LaneSignal
from portique.lane.errors import NoSnapshotError
from portique.lane.events import PassageEvent, Receipt
from portique.lane.face import CaptureSettings, FaceCapture, FaceCaptureResult, credential_template
from portique.lane.outbox import OUTBOX_FILE, Outbox, RetryPolicy
from portique.lane.pipeline import PassageResult, decide_passage
from portique.lane.snapshot import SNAPSHOT_FILE, LaneSnapshot, SnapshotFile

log = logging.getLogger(__name__)

PURGE_EVERY_S = 600.0


@dataclass(frozen=True)
class LaneConfig:
    """One lane: which site and lane it is, where it keeps its files, how it behaves.

    ``directory`` holds the snapshot and the outbox (owner-only). ``repeat_s``: the same
    credential seen again within this many seconds is the same passage (a card stays in
    front of the camera for many frames). ``lang``: the language of the signals.
    ``heartbeat_s``: how often the lane tells the server it is alive.
    ``clock_tolerance_s``: how far in the future a snapshot's issue time may be on the
    lane's clock (the two clocks drift); a snapshot issued later is refused.
    """

    site_id: str
    lane_id: str
    directory: Path
    lang: str = "fr"
    capture: CaptureSettings = field(default_factory=CaptureSettings)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    repeat_s: float = 3.0
    batch_size: int = 100
    heartbeat_s: float = 15.0
    clock_tolerance_s: float = 300.0

    @property
    def snapshot_path(self) -> Path:
        return Path(self.directory) / SNAPSHOT_FILE

    @property
    def outbox_path(self) -> Path:
        return Path(self.directory) / OUTBOX_FILE


class _Device(Protocol):
    def close(self) -> None: ...


def utc_now() -> datetime:
    """The lane's default clock."""
    return clock.now()


class Lane:
    """One lane at work: drivers, the local snapshot, the outbox and the link.

    Every driver is optional: a lane without a camera reads badges only, a lane without
    a transport keeps its events until one is given. ``face_engine`` is needed only
    where people opted in to face comparison; without it their passages are referred.
    ``face_engine_for`` builds the engine of a model by its name: given it, the lane
    follows the model its snapshot names (a site that moves from dlib to EdgeFace moves
    its lanes with it) instead of keeping ``face_engine``'s.
    """

    def __init__(
        self,
        config: LaneConfig,
        *,
        transport: Transport | None = None,
        signals: Sequence[LaneSignal] = (),
        camera: Camera | None = None,
        badge_reader: BadgeReader | None = None,
        qr_reader: QrReader | None = None,
        face_engine: FaceEngine | None = None,
        face_engine_for: Callable[[str], FaceEngine] | None = None,
        clock: Callable[[], datetime] = utc_now,
        outbox_clock: Callable[[], float] = time.time,
        vault: VaultLookup | None = None,
        display: LaneDisplay | None = None,
        watchers: Sequence[AlarmSource] = (),
    ) -> None:
        self.config = config
        # The screen at the lane (drivers/display.py), and the devices that watch the
        # door and the reader (their alarms go out as events with an alert).
        self.display = display
        self.watchers = tuple(watchers)
        # The central template store, for a lane that can reach the site's database.
        self.vault = vault
        self.transport = transport
        self.signals = tuple(signals)
        # Every frame the lane reads passes through the ring: the face step looks back
        # at the approach instead of making the person stop (drivers/buffer.py).
        self.ring = FrameRing(config.capture.ring_s)
        self.camera = None if camera is None else BufferedCamera(camera, self.ring)
        self.badge_reader = badge_reader
        self.qr_reader = qr_reader or ZxingQrReader()
        self.capture = None if face_engine is None else FaceCapture(face_engine, config.capture)
        self._face_engine_for = face_engine_for
        # During a change of the site's model: the capture for the previous model's cards.
        self._other_captures: dict[str, FaceCapture] = {}
        self._clock = clock
        private_directory(config.directory)
        self.snapshot_file = SnapshotFile(config.snapshot_path)
        self.outbox = Outbox(config.outbox_path, retry=config.retry, clock=outbox_clock)
        self._state = threading.Condition()
        self._snapshot: LaneSnapshot | None = None
        self._policy: PolicySnapshot | None = None
        self._last: dict[str, LastPassage] = {}
        self._seen = ReplayMemory()
        self._recent: dict[object, float] = {}
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._forwarder: threading.Thread | None = None
        self._warned_no_snapshot = False
        self._warned_stale: int | None = None
        self._heartbeat_due = 0.0

    # Life cycle ---------------------------------------------------------------------

    def start(self, *, forward: bool = True) -> None:
        """Loads the snapshot on disk, links to the server and starts forwarding events.

        Raises:
            SnapshotError: the snapshot on disk is unreadable or exposed.
        """
        stored = self.snapshot_file.load()
        refusal = None if stored is None else self._refusal(stored)
        if stored is not None and refusal is not None:
            log.warning("lane %s ignores the snapshot on its disk: %s", self.lane_id, refusal)
        elif stored is not None:
            self._install(stored)
            self._follow_model(stored)
            log.info("lane %s starts on snapshot version %d", self.lane_id, stored.version)
        if self.transport is not None:
            self.transport.start(self)
        for watcher in self.watchers:
            watcher.watch(self.raise_alarm)
        if forward:
            self._forwarder = threading.Thread(
                target=self._forward_loop, name=f"portique-forward-{self.lane_id}", daemon=True
            )
            self._forwarder.start()

    def close(self) -> None:
        """Stops the lane; events not acknowledged stay in the outbox for next time."""
        self._stopping.set()
        self._wake.set()
        if self._forwarder is not None:
            self._forwarder.join(timeout=10)
        if self.transport is not None:
            self.transport.close()
        devices: list[_Device] = []
        for device in (*self.watchers, *self.signals, self.display, self.camera, self.badge_reader):
            if device is not None and not any(device is seen for seen in devices):
                devices.append(device)  # a device in two roles (OSDP reader) closes once
        for each in devices:
            try:
                each.close()
            except Exception:
                log.exception("closing a lane device failed")
        self.outbox.close()

    def __enter__(self) -> Lane:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def lane_id(self) -> str:
        return self.config.lane_id

    # The snapshot -------------------------------------------------------------------

    @property
    def snapshot(self) -> LaneSnapshot | None:
        """The snapshot the lane decides from (None before the first one)."""
        with self._state:
            return self._snapshot

    @property
    def version(self) -> int | None:
        snapshot = self.snapshot
        return None if snapshot is None else snapshot.version

    def apply_snapshot(self, snapshot: LaneSnapshot) -> bool:
        """Takes ``snapshot`` if it is newer than the lane's, and keeps it on disk;
        whether it was taken. A snapshot of another site or for another lane, or issued
        in the future (beyond ``clock_tolerance_s``), is refused; so is an older one."""
        refusal = self._refusal(snapshot)
        if refusal is not None:
            log.warning("lane %s refused snapshot %d: %s", self.lane_id, snapshot.version, refusal)
            return False
        with self._state:
            if not snapshot.is_newer_than(self._snapshot):
                return False
            self._install(snapshot)
        self._follow_model(snapshot)
        # Written outside the lock: a passage never waits for the disk. The file keeps
        # only newer versions, whatever order two writes end in.
        try:
            self.snapshot_file.save(snapshot)
        except Exception:
            # The lane still decides on it; the file catches up with the next version.
            log.exception("lane %s could not keep snapshot %d", self.lane_id, snapshot.version)
        if self.lane_id not in snapshot.policy.lanes:
            log.warning("snapshot %d does not know lane %s", snapshot.version, self.lane_id)
        log.info("lane %s now decides on snapshot version %d", self.lane_id, snapshot.version)
        return True

    def _refusal(self, snapshot: LaneSnapshot) -> str | None:
        """Why ``snapshot`` cannot be used by this lane, or None."""
        if snapshot.site_id != self.config.site_id:
            return f"it is for site {snapshot.site_id} (this lane serves {self.config.site_id})"
        if not snapshot.is_for(self.lane_id):
            return f"it is for lanes {', '.join(snapshot.lane_ids)}"
        tolerance = timedelta(seconds=self.config.clock_tolerance_s)
        if snapshot.issued_at is not None and snapshot.issued_at > self._clock() + tolerance:
            return f"it was issued in the future ({snapshot.issued_at.isoformat()})"
        return None

    def wait_for_version(self, version: int, timeout: float) -> bool:
        """Waits until the lane decides on ``version`` or newer; whether it does."""
        with self._state:
            return self._state.wait_for(
                lambda: self._snapshot is not None and self._snapshot.version >= version,
                timeout,
            )

    def _follow_model(self, snapshot: LaneSnapshot) -> None:
        """Compares faces with the model of the site's templates from now on, where the
        lane can build its engine. A model it cannot load leaves the engine as it was: the
        templates of the other model are then referred to the agent, never guessed at."""
        model = snapshot.face_model
        if self.capture is None or self._face_engine_for is None or model is None:
            return
        if model == self.capture.engine.backend.model:
            return
        capture = self._other_captures.get(model) or self._build_capture(model)
        if capture is None:
            return
        # The model left behind keeps its capture: its cards may still come during the change.
        self._other_captures = {self.capture.engine.backend.model: self.capture}
        self.capture = capture
        log.info("lane %s now compares faces with %s", self.lane_id, model)

    def _build_capture(self, model: str) -> FaceCapture | None:
        """A face capture with the engine of ``model``; None (logged) where this lane
        cannot build it (the model's files are not installed here)."""
        if self._face_engine_for is None:
            return None
        try:
            engine = self._face_engine_for(model)
        except PortiqueError as error:
            log.warning("lane %s cannot compare faces with %s: %s", self.lane_id, model, error)
            return None
        return FaceCapture(engine, self.config.capture)

    def _capture_for(self, model: str | None) -> FaceCapture | None:
        """The face capture that compares templates of ``model``: the lane's own, or,
        during a change of the site's model, one for the previous model's cards (built
        once, kept while the change lasts). None when the lane cannot compare them: the
        passage is then referred to the agent."""
        capture = self.capture
        if capture is None or model is None or model == capture.engine.backend.model:
            return capture
        if self._face_engine_for is None:
            return capture  # a lane of one engine: the template is refused as foreign
        if model not in self._other_captures:
            other = self._build_capture(model)
            if other is None:
                return None
            self._other_captures = {model: other}
        return self._other_captures[model]

    def _install(self, snapshot: LaneSnapshot) -> None:
        with self._state:
            self._snapshot = snapshot
            self._policy = self._with_local_passages(snapshot.policy)
            self._warned_no_snapshot = False
            self._state.notify_all()

    def _with_local_passages(self, policy: PolicySnapshot) -> PolicySnapshot:
        """``policy`` with the lane's own granted passages the snapshot does not know yet
        (anti-passback must hold between two snapshots), and the phone pass codes the
        lane already took (a snapshot never carries them)."""
        window = policy.settings.anti_passback_window
        now = self._clock()
        self._last = {
            person_id: last
            for person_id, last in self._last.items()
            if window is not None and now - last.time < window
        }
        newer = {
            person_id: last
            for person_id, last in self._last.items()
            if (known := policy.last_passages.get(person_id)) is None or known.time < last.time
        }
        seen = self._seen.stamps()
        if not newer and not seen:
            return policy
        return replace(policy, last_passages={**policy.last_passages, **newer}, seen_codes=seen)

    # Passages -----------------------------------------------------------------------

    def read_frame(self, frame: RGBImage, *, at: datetime | None = None) -> PassageResult | None:
        """Decides the passage of the credential whose QR code is in ``frame``; None
        when the frame holds no code, or the same code was just decided."""
        started = time.perf_counter()
        payload = self.qr_reader.read(frame)
        decode_ms = (time.perf_counter() - started) * 1000.0
        if payload is None or self._repeated(payload):
            return None
        self.ring.add(frame)
        return self.present(QrPayload(payload), at=at, decode_ms=decode_ms)

    def present_badge(self, uid: str, *, at: datetime | None = None) -> PassageResult | None:
        """Decides the passage of what a reader sent: a badge UID, or the text of a QR
        code a scanner read (``PQ:...``); None when the same credential was just decided
        (or the line is empty)."""
        credential = presented(uid)
        if credential is None:
            return None
        key = credential.data if isinstance(credential, QrPayload) else ("badge", credential.uid)
        if self._repeated(key):
            return None
        return self.present(credential, at=at)

    def present(
        self,
        credential: Presented,
        *,
        frame: RGBImage | None = None,
        at: datetime | None = None,
        decode_ms: float | None = None,
    ) -> PassageResult:
        """Decides a passage on the local snapshot, signals it and keeps its event.

        When a face is needed, it is looked for in the camera's ring (the approach),
        then in the frames that follow. ``frame``, the camera frame the credential was
        read in, joins the ring first. The ring is emptied once the passage is decided.

        Raises:
            NoSnapshotError: the lane never received a snapshot.
        """
        started = time.perf_counter()
        with self._state:
            snapshot, policy = self._snapshot, self._policy
        if snapshot is None or policy is None:
            raise NoSnapshotError(
                f"Lane {self.lane_id} has no policy snapshot yet: link it to the server once "
                "(it then decides alone, even offline)."
            )
        if frame is not None:
            self.ring.add(frame)
        passage = Passage(self.lane_id, at or self._clock(), credential)
        self._warn_if_stale(snapshot, passage.time)
        decided = decide_passage(
            policy, passage, lambda claims: self._compare_face(snapshot, claims)
        )
        decision = decided.decision
        latency_ms = (time.perf_counter() - started) * 1000.0
        # The approach of this person never serves the next one.
        self.ring.clear()
        if self.display is not None:
            first_name = snapshot.first_name(decision.person_id) if decision.granted else None
            self.display.show(decision.outcome, first_name)

        lane = policy.lanes.get(self.lane_id)
        direction = None if lane is None else lane.direction
        event = PassageEvent.of(
            decision, site_id=self.config.site_id, direction=direction, latency_ms=latency_ms
        )
        self._signal(decision)
        self._remember(decision, direction)
        try:
            self.outbox.add(event)
        except Exception:
            log.exception("lane %s could not keep the event of a passage", self.lane_id)
        self._wake.set()
        log.info(
            "lane %s: %s (%s) in %.1f ms",
            self.lane_id,
            decision.outcome.value,
            ", ".join(reason.value for reason in decision.reasons),
            latency_ms,
        )
        return PassageResult.of(decided, event, latency_ms, decode_ms)

    def _warn_if_stale(self, snapshot: LaneSnapshot, at: datetime) -> None:
        expires_at = snapshot.expires_at
        if expires_at is None or at <= expires_at or self._warned_stale == snapshot.version:
            return
        self._warned_stale = snapshot.version
        log.error(
            "lane %s: snapshot %d expired at %s without a fresh one from the server; every "
            "passage it would grant is referred to the agent",
            self.lane_id,
            snapshot.version,
            expires_at.isoformat(),
        )

    def raise_alarm(self, reason: Reason, *, at: datetime | None = None) -> PassageEvent:
        """Tells the agents about the lane's own hardware (a door forced or held open, a
        reader gone silent): an event with an alert and no credential or person, sent
        through the outbox like a passage, shown by the console with the alerts. It is
        not a decision: no signal, no display. Thread-safe (door and reader threads).

        Raises:
            ValueError: ``reason`` is not one of the lane alarms (``LANE_ALARMS``).
        """
        if reason not in LANE_ALARMS:
            raise ValueError(f"{reason.value} is not a lane alarm")
        with self._state:
            policy = self._policy
        lane = None if policy is None else policy.lanes.get(self.lane_id)
        event = PassageEvent.alarm(
            reason,
            site_id=self.config.site_id,
            lane_id=self.lane_id,
            time=at or self._clock(),
            direction=None if lane is None else lane.direction,
            snapshot_version=0 if policy is None else policy.version,
        )
        try:
            self.outbox.add(event)
        except Exception:
            log.exception("lane %s could not keep an alarm", self.lane_id)
        self._wake.set()
        log.warning("lane %s alarm: %s", self.lane_id, reason.value)
        return event

    def step(self, timeout: float = 0.05) -> PassageResult | None:
        """One turn of the lane: a badge if one was presented, else one camera frame."""
        try:
            if self.badge_reader is not None:
                wait = 0.0 if self.camera is not None else timeout
                uid = self.badge_reader.read(wait)
                if uid is not None:
                    return self.present_badge(uid)
            if self.camera is not None:
                frame = self.camera.read()
                if frame is not None:
                    return self.read_frame(frame)
                self._stopping.wait(timeout)
        except NoSnapshotError as error:
            if not self._warned_no_snapshot:
                self._warned_no_snapshot = True
                log.error("%s", error.message)
        return None

    def run(self, stop: threading.Event) -> None:
        """Runs the lane until ``stop`` is set."""
        while not stop.is_set() and not self._stopping.is_set():
            self.step()

    def _compare_face(self, snapshot: LaneSnapshot, claims: Claims) -> FaceCaptureResult | None:
        model = snapshot.template_model(claims.credential_id)
        capture = self._capture_for(model)
        if capture is None:
            return None
        # A lane that reaches the site's database reads the central store there; any
        # other lane reads the copy its snapshot carries (empty for templates on cards).
        vault = self.vault or snapshot.sealed_template
        template = credential_template(claims, snapshot.template_keys, model, vault)
        if template is None:
            log.warning("lane %s cannot open the template of a credential", self.lane_id)
            return None
        recent = [timed.frame for timed in self.ring.frames()]
        waiting = None if self.display is None else self.display.look
        pad_threshold = snapshot.policy.settings.pad_threshold
        if pad_threshold is not None and capture.presentation_attack_detector() is None:
            log.warning("lane %s has no PAD models: the site's attack check refers", self.lane_id)
        return capture.compare(
            template, recent, self.camera, waiting=waiting, pad_threshold=pad_threshold
        )

    def forget_reads(self) -> None:
        """Forgets the credentials just read: the next read of any is a new passage."""
        self._recent.clear()

    def _repeated(self, key: object) -> bool:
        now = time.monotonic()
        horizon = now - self.config.repeat_s
        if len(self._recent) > 256:
            self._recent = {k: seen for k, seen in self._recent.items() if seen > horizon}
        seen = self._recent.get(key)
        self._recent[key] = now
        return seen is not None and seen > horizon

    def _signal(self, decision: Decision) -> None:
        for signal in self.signals:
            try:
                signal.show(decision)
            except Exception:
                log.exception("a lane signal failed")

    def _remember(self, decision: Decision, direction: Direction | None) -> None:
        """Keeps a granted passage for anti-passback until a snapshot knows it, and a
        phone pass's living code so that it opens only once (the replay memory)."""
        person_id, credential_id = decision.person_id, decision.credential_id
        granted = decision.granted and person_id is not None and direction is not None
        stamp = (
            None
            if decision.code_time is None or credential_id is None
            else CodeStamp(credential_id, decision.code_time)
        )
        if not granted and stamp is None:
            return
        with self._state:
            if stamp is not None:
                self._seen.remember(stamp, decision.time)
            last_passages = {} if self._policy is None else dict(self._policy.last_passages)
            if granted and person_id is not None and direction is not None:
                last_passages[person_id] = self._last[person_id] = LastPassage(
                    direction, decision.time
                )
            if self._policy is not None:
                self._policy = replace(
                    self._policy, last_passages=last_passages, seen_codes=self._seen.stamps()
                )

    # Forwarding ---------------------------------------------------------------------

    def flush(self) -> int:
        """Sends the events that are due; how many were handed to the link."""
        transport = self.transport
        if transport is None or not transport.connected:
            return 0
        sent = 0
        with self._flush_lock:
            while True:
                batch = self.outbox.due(self.config.batch_size)
                if not batch:
                    break
                self.outbox.attempted(event.event_id for event in batch)
                if not transport.send(batch):
                    break
                sent += len(batch)
        return sent

    def wait_forwarded(self, timeout: float) -> bool:
        """Waits until the server acknowledged every event; whether it did."""
        deadline = time.monotonic() + timeout
        while True:
            if self.outbox.counts().waiting == 0:
                return True
            if time.monotonic() >= deadline:
                return False
            self._wake.set()
            time.sleep(0.02)

    def heartbeat(self) -> bool:
        """Tells the server the lane is alive now; whether the link took it."""
        transport = self.transport
        if transport is None or not transport.connected or not transport.heartbeat():
            return False
        self._heartbeat_due = time.monotonic() + self.config.heartbeat_s
        return True

    def _forward_loop(self) -> None:
        purged_at = 0.0
        while not self._stopping.is_set():
            try:
                if time.monotonic() >= self._heartbeat_due:
                    self.heartbeat()
                self.flush()
                if time.monotonic() - purged_at > PURGE_EVERY_S:
                    purged_at = time.monotonic()
                    self.outbox.purge_sent()
                due_in = self.outbox.next_due_in()
            except Exception:
                log.exception("lane %s could not forward its events", self.lane_id)
                due_in = None
            wait = 5.0 if due_in is None else min(max(due_in, 0.01), 5.0)
            self._wake.wait(min(wait, max(self._heartbeat_due - time.monotonic(), 0.01)))
            self._wake.clear()

    # LinkHandler: called by the transport, from its thread ------------------------------

    def snapshot_received(self, snapshot: LaneSnapshot) -> None:
        self.apply_snapshot(snapshot)

    def receipt_received(self, receipt: Receipt) -> None:
        self.outbox.mark_sent(receipt.stored)
        if receipt.rejected:
            count = self.outbox.mark_rejected(receipt.rejected)
            log.error("the server refused %d events of lane %s for good", count, self.lane_id)

    def link_changed(self, up: bool) -> None:
        if up:
            self.outbox.retry_now()
            self._heartbeat_due = 0.0  # the server hears from the lane at once
            self._wake.set()
        log.info("lane %s link %s", self.lane_id, "up" if up else "down")
