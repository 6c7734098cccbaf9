"""The link between lanes and server: sealed messages, the link key, broker settings."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from lane_support import ENTRY, LaneSchool, TrustedSite, clear_retained, wait_until

from portique.lane import (
    EventFormatError,
    Lane,
    LinkError,
    MemorySink,
    MqttBroker,
    MqttHub,
    MqttTransport,
    load_link_key,
    new_link_key,
    write_link_key,
)
from portique.lane.comms import seal, snapshot_topic, unseal


def test_a_sealed_message_opens_only_with_its_key_and_on_its_topic() -> None:
    key = new_link_key()
    message = seal(key, "portique/s/snapshot", b"policy")
    assert unseal(key, "portique/s/snapshot", message) == b"policy"
    with pytest.raises(EventFormatError, match="another key, for another topic"):
        unseal(key, "portique/s/lane/x/receipts", message)
    with pytest.raises(EventFormatError):
        unseal(new_link_key(), "portique/s/snapshot", message)
    with pytest.raises(EventFormatError):
        unseal(key, "portique/s/snapshot", b"policy")


def test_the_link_key_file_is_private_and_refused_when_exposed(tmp_path: Path) -> None:
    key = new_link_key()
    path = tmp_path / "link.key"
    write_link_key(path, key)
    assert load_link_key(path) == key
    path.chmod(0o640)
    with pytest.raises(LinkError, match="chmod 600"):
        load_link_key(path)
    with pytest.raises(LinkError, match="No link key"):
        load_link_key(tmp_path / "missing.key")


def test_a_broker_url_parses_and_never_shows_its_password() -> None:
    broker = MqttBroker.parse("mqtts://lane%40lycee:s3cret@broker.example:9883")
    assert (broker.host, broker.port, broker.tls) == ("broker.example", 9883, True)
    assert broker.username == "lane@lycee" and broker.password == "s3cret"
    assert "s3cret" not in broker.shown and "s3cret" not in repr(broker)
    assert MqttBroker.parse("mqtt://127.0.0.1").port == 1883
    with pytest.raises(LinkError):
        MqttBroker.parse("http://broker")


def test_a_snapshot_forged_without_the_servers_key_is_ignored_by_the_lane(
    school: LaneSchool,
    shared_broker: MqttBroker,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    site = TrustedSite(school.site_id)
    identity = site.lane()
    hub = MqttHub(shared_broker, MemorySink(), [site.trust])
    genuine = school.snapshot()
    hub.publish_snapshot(genuine)
    hub.start()
    lane = Lane(
        school.lane_config(tmp_path / "lane"), transport=MqttTransport(shared_broker, identity)
    )
    try:
        lane.start()
        assert lane.wait_for_version(genuine.version, 10)
        school.card(school.student())
        forged = school.snapshot().for_lane(ENTRY, issued_at=school.now, expires_at=None)
        topic = snapshot_topic(school.site_id, ENTRY)
        caplog.set_level(logging.WARNING)
        publisher = shared_broker.client("portique-test-forger")
        publisher.connect(shared_broker.host, shared_broker.port)
        publisher.loop_start()
        publisher.publish(
            topic, seal(new_link_key(), topic, forged.to_bytes()), qos=1
        ).wait_for_publish(5)
        publisher.publish(topic, forged.to_bytes(), qos=1).wait_for_publish(5)
        publisher.disconnect()
        publisher.loop_stop()
        assert wait_until(lambda: caplog.text.count("lane message") >= 2, 5)
        assert lane.version == genuine.version
    finally:
        lane.close()
        hub.close()
        clear_retained(shared_broker, school.site_id)
