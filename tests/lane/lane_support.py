"""Helpers for the lane tests: a school made through the services, and a private broker.

``LaneSchool`` is a site with face comparison on (SQLite), a few people with credentials
(real LFW faces for those who opted in), and shortcuts to build lane snapshots and
lanes. ``PrivateBroker`` runs a mosquitto of its own on a free port, so a test can kill
and restart it without touching the machine's broker.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from portique.biometrics import FaceEngine, load_image
from portique.bootstrap import init_site, open_site
from portique.credentials import payload_from_text
from portique.lane import (
    EventSink,
    LaneConfig,
    LaneIdentity,
    LaneSnapshot,
    MemoryLaneDirectory,
    MqttBroker,
    PassageEvent,
    RetryPolicy,
    SiteTrust,
)
from portique.lane.comms import lane_status_topic, server_topic, snapshot_topic
from portique.lane.comms.identity import new_lane_identity, new_signing_key
from portique.services import IssuedCredential, bind_badge, revoke_credential
from portique.services.lanes import site_snapshot
from school_support import School
from support import lfw_face

IN_CI = os.environ.get("CI", "").lower() == "true"
ENTRY = "entree"
PROVISIONED_AT = datetime(2026, 9, 1, tzinfo=UTC)
FOR_THE_SCHOOL_DAY = timedelta(days=30)
"""A snapshot validity that covers ``School.at``'s day (up to a week after today)."""
FAST_RETRY = RetryPolicy(first_delay_s=0.2, factor=2.0, max_delay_s=1.0)


def missing(what: str) -> None:
    """Fails in CI, skips elsewhere."""
    if IN_CI:
        pytest.fail(what)
    pytest.skip(what)


class LaneSchool(School):
    """A school with face comparison on, for lanes."""

    @classmethod
    def create(cls, directory: Path, face_engine: FaceEngine, site_id: str) -> LaneSchool:
        init_site(directory, site_id=site_id, name="Lycée Victor Hugo", face=True)
        return cls(open_site(directory), face_engine)

    def card(self, person_id: str, faces: tuple[Path, ...] = ()) -> IssuedCredential:
        return self.issue(person_id, faces)

    def enrolled_student(self, images: Path, name: str) -> tuple[str, IssuedCredential]:
        """A minor who opted in (their parent consented), with a card carrying the face of
        LFW person ``name`` (their first two photos)."""
        parent = self.parent()
        student = self.student(guardian=parent)
        self.consent(student, by=parent)
        card = self.card(student, (lfw_face(images, name, 1), lfw_face(images, name, 3)))
        assert card.has_template
        return student, card

    def staff_badge(self, uid: str) -> str:
        """Binds ``uid`` to a new staff member; the badge's credential id."""
        staff = self.staff()
        with self.site.session() as session:
            return bind_badge(session, self.site_id, staff, uid, now=self.now).credential_id

    def revoke(self, credential_id: str) -> None:
        with self.site.session() as session:
            revoke_credential(session, self.site_id, credential_id, reason="lost", now=self.now)

    def snapshot(self) -> LaneSnapshot:
        return site_snapshot(self.site, self.now)

    def lane_config(self, directory: Path, lane_id: str = ENTRY) -> LaneConfig:
        return LaneConfig(self.site_id, lane_id, directory, lang="fr", retry=FAST_RETRY)


class TrustedSite:
    """A site's snapshot key and lane devices in memory, as a hub and its lanes hold them."""

    def __init__(self, site_id: str) -> None:
        self.lanes = MemoryLaneDirectory()
        self.trust = SiteTrust(site_id, new_signing_key(), self.lanes)

    def lane(self, lane_id: str = ENTRY) -> LaneIdentity:
        """A new identity for ``lane_id``, known to the hub."""
        identity, record = new_lane_identity(
            self.trust.site_id, lane_id, self.trust.public_key, PROVISIONED_AT
        )
        self.lanes.put(record)
        return identity


def payload(card: IssuedCredential) -> bytes:
    return payload_from_text(card.payload_text)


def face(images: Path, name: str, number: int) -> np.ndarray:
    return load_image(lfw_face(images, name, number))


def wait_until(condition: object, timeout: float, interval: float = 0.02) -> bool:
    """Polls ``condition()`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(interval)
    return bool(condition())  # type: ignore[operator]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def broker_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class PrivateBroker:
    """A mosquitto of this test's own, on a free port of 127.0.0.1 (local-only mode)."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, config: Path | None = None) -> None:
        """Starts the broker: local-only on its port, or with ``config`` (whose listener
        must be on this broker's port)."""
        arguments = ["-p", str(self.port)] if config is None else ["-c", str(config)]
        self.process = subprocess.Popen(
            [self.binary, *arguments],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_until(lambda: broker_answers("127.0.0.1", self.port, 0.2), 10):
            self.stop()
            pytest.fail(f"the private mosquitto did not listen on port {self.port}")

    def stop(self) -> None:
        """Kills the broker (SIGKILL: no goodbye to its clients, like a crash)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    @staticmethod
    def find() -> str:
        binary = shutil.which("mosquitto") or (
            "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
        )
        if binary is None:
            missing("the mosquitto binary is not installed (apt-get install mosquitto)")
        assert binary is not None
        return binary


class CountingSink:
    """A sink that counts how many times each event reached it, then stores it."""

    def __init__(self, inner: EventSink) -> None:
        self.inner = inner
        self.deliveries: Counter[str] = Counter()
        self._lock = threading.Lock()

    def store(self, events: Sequence[PassageEvent]) -> int:
        with self._lock:
            self.deliveries.update(event.event_id for event in events)
        return self.inner.store(events)


def clear_retained(broker: MqttBroker, site_id: str) -> None:
    """Removes what a test left retained on a shared broker for its site."""
    client = broker.client(f"portique-test-cleaner-{secrets.token_hex(3)}")
    client.connect(broker.host, broker.port)
    client.loop_start()
    for topic in (
        snapshot_topic(site_id, ENTRY),
        server_topic(site_id),
        lane_status_topic(site_id, ENTRY),
    ):
        client.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()
