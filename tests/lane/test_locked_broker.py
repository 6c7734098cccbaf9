"""The broker locked down by `portique broker config`: a real Mosquitto with TLS, one
login per lane and for the hub, and ACLs that keep each lane to its own topics."""

from __future__ import annotations

import getpass
import secrets
import signal
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from lane_support import ENTRY, FOR_THE_SCHOOL_DAY, LaneSchool, PrivateBroker, payload

from portique import clock
from portique.access import QrPayload
from portique.commands.lane import hub_broker, lane_broker
from portique.lane import Lane, LaneIdentity, MemorySink, MqttBroker, MqttHub, MqttTransport
from portique.lane.comms import events_topic, lane_status_topic, snapshot_topic
from portique.server.lane_devices import provision, revoke
from portique.services.broker import write_broker_config
from portique.services.lane_devices import lane_registry, site_trust

EXIT = "sortie"


@dataclass
class LockedSite:
    school: LaneSchool
    broker: PrivateBroker
    url: str
    devices: dict[str, Path]

    def login(self, lane_id: str) -> MqttBroker:
        return lane_broker(self.devices[lane_id], self.url, insecure=False)

    def hub(self) -> MqttBroker:
        keys = self.school.site.keys_dir
        return hub_broker(keys, self.school.site_id, self.url, insecure=False)


@pytest.fixture
def locked(school: LaneSchool, tmp_path: Path) -> Iterator[LockedSite]:
    devices = {}
    for lane_id in (ENTRY, EXIT):
        devices[lane_id] = tmp_path / f"device-{lane_id}"
        provision(school.site, lane_id, devices[lane_id], now=school.now, by=None)
    broker = PrivateBroker(PrivateBroker.find())
    made = write_broker_config(
        school.site.keys_dir,
        school.site_id,
        lane_registry(school.site).lanes(),
        tmp_path / "broker",
        now=clock.now(),
        port=broker.port,
        bind="127.0.0.1",
        user=getpass.getuser(),  # the files are this user's, mode 600
    )
    broker.start(made.config)
    yield LockedSite(school, broker, f"mqtts://127.0.0.1:{broker.port}", devices)
    broker.stop()


class Client:
    """A bare MQTT client with some login, to try what a stolen device could."""

    def __init__(self, broker: MqttBroker) -> None:
        self.connected = threading.Event()
        self.answered = threading.Event()
        self.refused: object = None
        self.messages: dict[str, bytes] = {}
        self.granted: list[bool] = []
        self.got = threading.Condition()
        self.client = broker.client(f"portique-test-{secrets.token_hex(3)}")
        self.client.on_connect = self._connect
        self.client.on_message = self._message
        self.client.on_subscribe = self._subscribed
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        self.answered.wait(10)

    def _connect(
        self, _c: mqtt.Client, _u: object, _f: object, reason: mqtt.ReasonCode, _p: object
    ) -> None:
        if reason.is_failure:
            self.refused = reason
        else:
            self.connected.set()
        self.answered.set()

    def _subscribed(
        self, _c: mqtt.Client, _u: object, _m: int, reasons: list[mqtt.ReasonCode], _p: object
    ) -> None:
        with self.got:
            self.granted.extend(not reason.is_failure for reason in reasons)
            self.got.notify_all()

    def _message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        with self.got:
            self.messages[message.topic] = bytes(message.payload)
            self.got.notify_all()

    def wait_for(self, condition: object, timeout: float = 10) -> bool:
        with self.got:
            return self.got.wait_for(condition, timeout)  # type: ignore[arg-type]

    def publish(self, topic: str, data: bytes, *, retain: bool = False) -> None:
        self.client.publish(topic, data, qos=1, retain=retain).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_a_lane_connects_over_tls_with_its_own_login_and_works(locked: LockedSite) -> None:
    school = locked.school
    card = payload(school.card(school.staff()))
    sink = MemorySink()
    hub = MqttHub(
        locked.hub(), sink, [site_trust(school.site)], snapshot_validity=FOR_THE_SCHOOL_DAY
    )
    hub.publish_snapshot(school.snapshot())
    hub.start()
    identity = LaneIdentity.load(locked.devices[ENTRY], school.site_id, ENTRY)
    lane = Lane(
        school.lane_config(locked.devices[ENTRY] / "lanes" / ENTRY),
        transport=MqttTransport(locked.login(ENTRY), identity),
    )
    try:
        assert hub.wait_connected(10)
        lane.start()
        assert lane.wait_for_version(school.snapshot().version, 10)
        assert lane.present(QrPayload(card), at=school.at(10)).decision.granted
        assert lane.wait_forwarded(10)
        assert len(sink) == 1
    finally:
        lane.close()
        hub.close()


def test_a_lanes_login_cannot_write_nor_read_another_lanes_topics(locked: LockedSite) -> None:
    site_id = locked.school.site_id
    watcher = Client(locked.hub())  # the hub's login sees everything of the site
    entree = Client(locked.login(ENTRY))
    try:
        assert watcher.connected.is_set() and entree.connected.is_set()
        watcher.client.subscribe(f"portique/{site_id}/#", qos=1)
        assert watcher.wait_for(lambda: watcher.granted == [True])
        watcher.publish(snapshot_topic(site_id, EXIT), b"sortie's snapshot", retain=True)
        watcher.publish(snapshot_topic(site_id, ENTRY), b"entree's snapshot", retain=True)

        entree.publish(events_topic(site_id, EXIT), b"forged events")
        entree.publish(lane_status_topic(site_id, EXIT), b"forged status")
        entree.publish(snapshot_topic(site_id, ENTRY), b"forged snapshot")
        entree.publish(lane_status_topic(site_id, ENTRY), b"its own status")
        assert watcher.wait_for(lambda: lane_status_topic(site_id, ENTRY) in watcher.messages)
        assert watcher.messages[snapshot_topic(site_id, ENTRY)] == b"entree's snapshot"
        assert events_topic(site_id, EXIT) not in watcher.messages
        assert lane_status_topic(site_id, EXIT) not in watcher.messages

        entree.client.subscribe(
            [(snapshot_topic(site_id, EXIT), 1), (snapshot_topic(site_id, ENTRY), 1)]
        )
        assert entree.wait_for(lambda: snapshot_topic(site_id, ENTRY) in entree.messages)
        assert entree.messages[snapshot_topic(site_id, ENTRY)] == b"entree's snapshot"
        assert snapshot_topic(site_id, EXIT) not in entree.messages
    finally:
        for topic in (snapshot_topic(site_id, EXIT), snapshot_topic(site_id, ENTRY)):
            watcher.publish(topic, b"", retain=True)
        watcher.close()
        entree.close()


def test_a_wrong_password_or_a_revoked_lane_is_refused_by_the_broker(locked: LockedSite) -> None:
    good = locked.login(ENTRY)
    wrong = Client(replace(good, password="not-the-password"))
    anonymous = Client(replace(good, username=None, password=None))
    try:
        assert wrong.refused is not None and not wrong.connected.is_set()
        assert anonymous.refused is not None
    finally:
        wrong.close()
        anonymous.close()

    revoke(locked.school.site, ENTRY, now=locked.school.now, by=None)
    assert locked.broker.process is not None
    locked.broker.process.send_signal(signal.SIGHUP)  # Mosquitto reads its logins again
    assert _refused_soon(good)
    other = Client(locked.login(EXIT))
    try:
        assert other.connected.is_set()
    finally:
        other.close()


def _refused_soon(broker: MqttBroker) -> bool:
    for _ in range(20):
        client = Client(broker)
        client.close()
        if client.refused is not None:
            return True
    return False


def test_a_broker_across_the_network_without_tls_is_refused_unless_insecure() -> None:
    from portique.lane import LinkError

    with pytest.raises(LinkError, match="without TLS"):
        MqttBroker.parse("mqtt://192.0.2.10:1883").check_secure()
    MqttBroker.parse("mqtt://192.0.2.10:1883").check_secure(insecure=True)
    MqttBroker.parse("mqtt://127.0.0.1:1883").check_secure()


def test_the_broker_config_command_writes_owner_only_files_with_each_lanes_login(
    school: LaneSchool, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from portique.cli import app

    directory = str(school.site.directory)
    runner = CliRunner()
    provisioned = runner.invoke(
        app, ["lane", "provision", ENTRY, "--out", str(tmp_path / "device"), "--dir", directory]
    )
    assert provisioned.exit_code == 0, provisioned.output
    out = tmp_path / "broker"
    made = runner.invoke(
        app, ["broker", "config", "--out", str(out), "--port", "18883", "--dir", directory]
    )
    assert made.exit_code == 0, made.output
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in out.iterdir())
    logins = dict(line.split(":", 1) for line in (out / "passwd").read_text().splitlines())
    assert set(logins) == {f"hub-{school.site_id}", f"lane-{school.site_id}-{ENTRY}"}
    assert all(hashed.startswith("$7$") for hashed in logins.values())
    assert (
        f"topic read portique/{school.site_id}/lane/{ENTRY}/snapshot" in (out / "acl").read_text()
    )
    assert "listener 18883" in (out / "mosquitto.conf").read_text()
