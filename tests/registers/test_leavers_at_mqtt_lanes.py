"""A leaver's card is refused at a lane linked by MQTT as soon as the import's snapshot
reaches it: the import bumps the snapshot version, the site publishes it, the lane applies
it. Real Mosquitto (127.0.0.1:1883), the real lane runtime."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from registers_support import NOW, RegisterSite

from portique.access import Outcome, QrPayload, Reason
from portique.credentials import payload_from_text
from portique.lane import (
    Lane,
    LaneConfig,
    MemoryLaneDirectory,
    MqttBroker,
    MqttHub,
    MqttTransport,
    SiteTrust,
)
from portique.lane.comms import lane_status_topic, server_topic, snapshot_topic
from portique.lane.comms.identity import new_lane_identity, new_signing_key
from portique.lane.outbox import RetryPolicy
from portique.registers.synthetic import synthetic_school
from portique.services.lanes import SitePublisher, StoreSink
from store_support import sqlite_file_url

BROKER = MqttBroker("127.0.0.1", 1883, reconnect_min_s=1, reconnect_max_s=1)
SCHOOL = synthetic_school(30, uaj="0130001A", seed=21)


def _broker_answers() -> bool:
    try:
        with socket.create_connection((BROKER.host, BROKER.port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def site(tmp_path: Path) -> Iterator[RegisterSite]:
    if not _broker_answers():
        message = "no MQTT broker on 127.0.0.1:1883: start Mosquitto"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    made = RegisterSite.create(tmp_path, sqlite_file_url(tmp_path))
    yield made
    made.close()


def test_a_leaver_is_refused_at_an_mqtt_lane_from_the_next_snapshot(
    site: RegisterSite, tmp_path: Path
) -> None:
    site.sync(SCHOOL)
    leaver, stayer = SCHOOL.pupils[0], SCHOOL.pupils[1]
    cards = {
        pupil.eleve_id: payload_from_text(site.issue(site.person_of(SCHOOL, pupil.eleve_id)))
        for pupil in (leaver, stayer)
    }
    signing = new_signing_key()
    identity, record = new_lane_identity(site.site_id, "entree", signing.public_key(), NOW)
    trust = SiteTrust(site.site_id, signing, MemoryLaneDirectory([record]))
    hub = MqttHub(
        BROKER,
        StoreSink(site.site.session, site.site.passages),
        [trust],
        # The lane decides at NOW, whatever the product's clock reads.
        snapshot_validity=timedelta(days=3650),
    )
    publisher = SitePublisher(site.site, hub.publish_snapshot)
    config = LaneConfig(site.site_id, "entree", tmp_path / "lane", retry=RetryPolicy(0.2, 2.0, 1.0))
    lane = Lane(config, transport=MqttTransport(BROKER, identity))
    at = NOW.replace(hour=8, minute=5)  # Monday 10:05 in Paris, during lessons
    try:
        hub.start()
        assert publisher.refresh(NOW)
        lane.start()
        first = site.version()
        assert lane.wait_for_version(first, 15)
        assert lane.present(QrPayload(cards[leaver.eleve_id]), at=at).decision.granted

        report = site.sync(SCHOOL.without([leaver.eleve_id]))
        assert report.as_json()["revoked"] == 1
        assert site.version() > first
        assert publisher.refresh(NOW)
        assert lane.wait_for_version(site.version(), 15)

        refused = lane.present(QrPayload(cards[leaver.eleve_id]), at=at.replace(minute=20))
        assert refused.decision.outcome is Outcome.DENY
        assert refused.decision.reasons == (Reason.REVOKED,)
        assert refused.decision.alert
        assert lane.present(QrPayload(cards[stayer.eleve_id]), at=at).decision.granted
    finally:
        lane.close()
        hub.close()
        _clear_retained(site.site_id)


def _clear_retained(site_id: str) -> None:
    """Nothing of this test's site stays retained on the shared broker."""
    client = BROKER.client(f"portique-test-cleaner-{secrets.token_hex(3)}")
    client.connect(BROKER.host, BROKER.port)
    client.loop_start()
    for topic in (
        snapshot_topic(site_id, "entree"),
        server_topic(site_id),
        lane_status_topic(site_id, "entree"),
    ):  # fmt: skip
        client.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()
