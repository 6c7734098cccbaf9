"""The attacks of issue 15, each replayed against a hub, a lane and a real Mosquitto: a
stolen lane device or a hostile broker opens nothing."""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from lane_support import (
    ENTRY,
    FOR_THE_SCHOOL_DAY,
    LaneSchool,
    TrustedSite,
    clear_retained,
    payload,
    wait_until,
)

from portique.access import Outcome, QrPayload, Reason
from portique.lane import Lane, LaneIdentity, MemorySink, MqttBroker, MqttHub, MqttTransport
from portique.lane.comms import (
    events_topic,
    lane_status_topic,
    receipts_topic,
    seal,
    snapshot_topic,
)
from portique.lane.comms.envelope import Envelope, MessageKind, sign
from portique.lane.comms.identity import new_signing_key
from portique.lane.snapshot import SnapshotFile
from portique.services import declare_lockdown
from portique.services.lanes import StoreSink
from portique.store import Passages

ATTACKER_BADGE = "04A1B2C3D4E5F6"


class Recorder:
    """What an attacker with a login on the broker captures from one topic."""

    def __init__(self, broker: MqttBroker, topic: str) -> None:
        self.messages: list[bytes] = []
        self._got = threading.Event()
        self.client = broker.client(f"portique-test-attacker-{secrets.token_hex(3)}")
        self.client.on_message = self._message
        self.client.connect(broker.host, broker.port)
        self.client.subscribe(topic, qos=1)
        self.client.loop_start()

    def _message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        if message.payload:
            self.messages.append(bytes(message.payload))
            self._got.set()

    def replay(self, topic: str, message: bytes, *, retain: bool = False) -> None:
        self.client.publish(topic, message, qos=1, retain=retain).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def site(school: LaneSchool, shared_broker: MqttBroker) -> Iterator[TrustedSite]:
    yield TrustedSite(school.site_id)
    clear_retained(shared_broker, school.site_id)


def _hub(broker: MqttBroker, sink: MemorySink | StoreSink, site: TrustedSite) -> MqttHub:
    return MqttHub(
        broker, sink, [site.trust], lane_status=MemorySink(), snapshot_validity=FOR_THE_SCHOOL_DAY
    )


def _lane(school: LaneSchool, directory: Path, broker: MqttBroker, identity: LaneIdentity) -> Lane:
    return Lane(school.lane_config(directory), transport=MqttTransport(broker, identity))


def _lock_down(school: LaneSchool) -> None:
    with school.site.session() as session:
        declare_lockdown(session, school.site_id, by="direction", now=school.now)


def test_a_snapshot_forged_with_a_stolen_lanes_keys_is_refused_and_the_lockdown_holds(
    school: LaneSchool,
    site: TrustedSite,
    shared_broker: MqttBroker,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    card = school.card(school.staff())
    lost = school.staff_badge("0A0B0C0D")
    school.revoke(lost)
    _lock_down(school)
    stolen = site.lane()  # everything the lane device holds
    hub = _hub(shared_broker, MemorySink(), site)
    genuine = school.snapshot()
    hub.publish_snapshot(genuine)
    hub.start()
    lane = _lane(school, tmp_path / "lane", shared_broker, stolen)
    attacker = Recorder(shared_broker, "portique/none")
    try:
        lane.start()
        assert lane.wait_for_version(genuine.version, 10)
        # The forger's policy: a far version, the lockdown cleared, no revocation, and
        # the forger's own credential key, signed and sealed with the stolen lane keys.
        policy = replace(
            genuine.policy,
            version=2_000_000_000,
            lockdown=None,
            verifiers={**genuine.policy.verifiers, "forger": new_signing_key().public_key()},
        )
        forged = replace(genuine, policy=policy).for_lane(
            ENTRY, issued_at=school.now, expires_at=None
        )
        topic = snapshot_topic(school.site_id, ENTRY)
        envelope = Envelope(MessageKind.SNAPSHOT, school.site_id, ENTRY, 1, forged.to_bytes())
        caplog.set_level(logging.WARNING)
        attacker.replay(
            topic,
            seal(stolen.link_key, topic, sign(envelope, topic, stolen.signing_key)),
            retain=True,
        )
        assert wait_until(lambda: "not signed by the expected key" in caplog.text, 5)
        assert lane.version == genuine.version
        entry = lane.present(QrPayload(payload(card)), at=school.at(10))
        assert entry.decision.outcome is Outcome.DENY
        assert Reason.LOCKDOWN in entry.decision.reasons
        badge = lane.present_badge("0A0B0C0D", at=school.at(10, 5))
        assert badge is not None and Reason.REVOKED in badge.decision.reasons
    finally:
        attacker.close()
        lane.close()
        hub.close()


def test_a_replayed_snapshot_rolls_back_neither_a_running_lane_nor_a_new_one(
    school: LaneSchool, site: TrustedSite, shared_broker: MqttBroker, tmp_path: Path
) -> None:
    identity = site.lane()
    topic = snapshot_topic(school.site_id, ENTRY)
    attacker = Recorder(shared_broker, topic)
    hub = _hub(shared_broker, MemorySink(), site)
    before = school.snapshot()
    hub.publish_snapshot(before)
    hub.start()
    lane = _lane(school, tmp_path / "lane", shared_broker, identity)
    try:
        lane.start()
        assert lane.wait_for_version(before.version, 10)
        assert wait_until(lambda: attacker.messages, 5)
        captured = attacker.messages[0]  # the snapshot before the lockdown
        _lock_down(school)
        after = school.snapshot()
        hub.publish_snapshot(after)
        assert lane.wait_for_version(after.version, 10)

        lane.close()  # the lane restarts (a power cut) on a new, empty folder
        attacker.replay(topic, captured, retain=True)
        started = _lane(school, tmp_path / "new-lane", shared_broker, identity)
        with started:
            started.start()
            # The new lane may read the replayed retained snapshot first; the hub hands
            # it the current one as soon as it says it is online.
            assert started.wait_for_version(after.version, 10)
            assert started.snapshot is not None and started.snapshot.policy.lockdown is not None
    finally:
        attacker.close()
        lane.close()
        hub.close()


def test_a_replayed_heartbeat_does_not_hide_a_lane_gone_offline(
    school: LaneSchool,
    site: TrustedSite,
    shared_broker: MqttBroker,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    status = MemorySink()
    hub = MqttHub(shared_broker, MemorySink(), [site.trust], lane_status=status)
    hub.start()
    assert hub.wait_connected(10)
    topic = lane_status_topic(school.site_id, ENTRY)
    attacker = Recorder(shared_broker, topic)
    transport = MqttTransport(shared_broker, site.lane())
    lane = Lane(school.lane_config(tmp_path / "lane"), transport=transport)
    try:
        lane.start(forward=False)
        assert wait_until(lambda: transport.connected, 10)
        assert lane.heartbeat()
        assert wait_until(lambda: len(attacker.messages) >= 2, 5)
        online = attacker.messages[-1]
        lane.close()  # killed, or gone: the hub hears offline
        key = (school.site_id, ENTRY)
        assert wait_until(lambda: status.lanes.get(key, (None, True))[1] is False, 5)
        caplog.set_level(logging.WARNING)
        attacker.replay(topic, online)
        assert wait_until(lambda: "replayed" in caplog.text, 5)
        assert status.lanes[key][1] is False
    finally:
        attacker.close()
        lane.close()
        hub.close()


def test_forged_replayed_and_revoked_events_are_not_stored_as_passages(
    school: LaneSchool,
    site: TrustedSite,
    shared_broker: MqttBroker,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    card = payload(school.card(school.staff()))
    sink = MemorySink()
    identity = site.lane()
    hub = _hub(shared_broker, sink, site)
    hub.publish_snapshot(school.snapshot())
    hub.start()
    topic = events_topic(school.site_id, ENTRY)
    attacker = Recorder(shared_broker, topic)
    lane = _lane(school, tmp_path / "lane", shared_broker, identity)
    try:
        lane.start()
        assert lane.wait_for_version(school.snapshot().version, 10)
        genuine = lane.present(QrPayload(card), at=school.at(10))
        assert lane.wait_forwarded(10) and len(sink) == 1
        assert wait_until(lambda: attacker.messages, 5)
        caplog.set_level(logging.WARNING)

        # Replayed as captured: the hub's counter for the lane refuses it.
        delivered = sink.deliveries[genuine.event.event_id]
        attacker.replay(topic, attacker.messages[0])
        assert wait_until(lambda: "replayed events" in caplog.text, 5)
        assert sink.deliveries[genuine.event.event_id] == delivered

        # Forged with the lane's link key but another signing key: refused, alerted.
        forged_event = replace(genuine.event, event_id=secrets.token_hex(16))
        envelope = Envelope(
            MessageKind.EVENTS,
            school.site_id,
            ENTRY,
            2**60,
            b'{"events":[' + forged_event.to_bytes() + b"]}",
        )
        attacker.replay(
            topic, seal(identity.link_key, topic, sign(envelope, topic, new_signing_key()))
        )
        assert sink.wait_for(2, 5)
        alert = next(e for e in sink.events.values() if e.event_id != genuine.event.event_id)
        assert alert.reasons == (Reason.LANE_UNTRUSTED,) and alert.alert
        assert forged_event.event_id not in sink.events

        # Revoked: whatever the device still sends is refused, with an alert.
        record = site.lanes.lane(ENTRY)
        assert record is not None
        site.lanes.put(replace(record, revoked_at=school.now))
        lane.present(QrPayload(card), at=school.at(10, 30))
        assert sink.wait_for(3, 10)
        reasons = [e.reasons for e in sink.events.values()]
        assert (Reason.LANE_REVOKED,) in reasons
        assert sum(1 for e in sink.events.values() if e.outcome is Outcome.GRANT) == 1
    finally:
        attacker.close()
        lane.close()
        hub.close()


def test_a_replayed_receipt_marks_nothing_sent(
    school: LaneSchool,
    site: TrustedSite,
    shared_broker: MqttBroker,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    card = payload(school.card(school.staff()))
    identity = site.lane()
    hub = _hub(shared_broker, MemorySink(), site)
    hub.publish_snapshot(school.snapshot())
    hub.start()
    topic = receipts_topic(school.site_id, ENTRY)
    attacker = Recorder(shared_broker, topic)
    lane = _lane(school, tmp_path / "lane", shared_broker, identity)
    try:
        lane.start()
        assert lane.wait_for_version(school.snapshot().version, 10)
        lane.present(QrPayload(card), at=school.at(10))
        assert lane.wait_forwarded(10)
        assert wait_until(lambda: attacker.messages, 5)
        caplog.set_level(logging.WARNING)
        attacker.replay(topic, attacker.messages[0])
        assert wait_until(lambda: "replayed receipt" in caplog.text, 5)
    finally:
        attacker.close()
        lane.close()
        hub.close()


def test_a_grant_the_servers_records_refuse_is_stored_flagged(
    school: LaneSchool, tmp_path: Path
) -> None:
    lost = school.card(school.staff())
    kept = school.card(school.staff())
    school.revoke(lost.credential_id)
    site = TrustedSite(school.site_id)
    # A lane device in someone else's hands grants what it likes: its events still reach
    # the store (it is not revoked yet), flagged.
    with Lane(school.lane_config(tmp_path / "lane")) as lane:
        lane.apply_snapshot(school.snapshot())
        granted = lane.present(QrPayload(payload(kept)), at=school.at(10))
    assert granted.decision.granted
    revoked = replace(
        granted.event,
        event_id=secrets.token_hex(16),
        credential_id=lost.credential_id,
        time=school.now + timedelta(minutes=1),
    )
    forged = replace(granted.event, event_id=secrets.token_hex(16), credential_id="forged-card")
    StoreSink(school.site.session, school.site.passages).store([granted.event, revoked, forged])
    _lock_down(school)
    during = replace(
        granted.event, event_id=secrets.token_hex(16), time=school.now + timedelta(hours=1)
    )
    StoreSink(school.site.session, school.site.passages).store([during])
    with school.site.session() as session:
        rows = {row.passage_id: row for row in Passages(session).recent(school.site_id, limit=10)}
    assert site.trust.site_id == school.site_id
    assert not rows[granted.event.event_id].alert
    for event in (revoked, forged, during):
        row = rows[event.event_id]
        assert row.outcome == "grant" and row.alert
        assert Reason.INCONSISTENT_GRANT.value in row.reasons


def test_a_lane_refers_what_it_would_grant_once_its_snapshot_expired(
    school: LaneSchool, tmp_path: Path
) -> None:
    card, other = (payload(school.card(school.staff())) for _ in range(2))
    snapshot = school.snapshot()
    with Lane(school.lane_config(tmp_path / "lane")) as lane:
        assert not lane.apply_snapshot(
            snapshot.for_lane("sortie", issued_at=school.now, expires_at=None)
        )
        assert not lane.apply_snapshot(
            snapshot.for_lane(ENTRY, issued_at=school.now + timedelta(hours=1), expires_at=None)
        )
        assert lane.apply_snapshot(
            snapshot.for_lane(ENTRY, issued_at=school.now, expires_at=school.at(9))
        )
        fresh = lane.present(QrPayload(card), at=school.at(8, 30))
        stale = lane.present(QrPayload(other), at=school.at(9, 30))
    assert fresh.decision.granted
    assert stale.decision.outcome is Outcome.REFER
    assert Reason.STALE_SNAPSHOT in stale.decision.reasons and stale.decision.alert


def test_a_lane_ignores_a_snapshot_on_its_disk_made_for_another_lane(
    school: LaneSchool, tmp_path: Path
) -> None:
    config = school.lane_config(tmp_path / "lane")
    for_exit = school.snapshot().for_lane("sortie", issued_at=school.now, expires_at=None)
    SnapshotFile(config.snapshot_path).save(for_exit)
    with Lane(config) as lane:
        lane.start(forward=False)
        assert lane.snapshot is None
