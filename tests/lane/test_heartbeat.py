"""Lanes tell the server they are alive: heartbeats in process and over MQTT."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from lane_support import ENTRY, LaneSchool, TrustedSite, clear_retained, wait_until

from portique.lane import Lane, LaneConfig, MemorySink, MqttBroker, MqttHub, MqttTransport
from portique.lane.comms import InProcessHub
from portique.services.lanes import StoreSink
from portique.store import LaneStatusRow

NOON = datetime(2026, 11, 23, 12, tzinfo=UTC)


class Beats:
    """A lane status sink that keeps every heartbeat, not only the last."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, datetime, bool]] = []

    def lane_seen(self, site_id: str, lane_id: str, at: datetime, *, online: bool) -> None:
        self.seen.append((site_id, lane_id, at, online))


def test_a_heartbeat_is_stamped_with_the_hubs_clock_and_a_closed_lane_is_gone(
    tmp_path: Path,
) -> None:
    status = MemorySink()
    hub = InProcessHub(MemorySink(), lane_status=status, clock=lambda: NOON)
    lane = Lane(LaneConfig("lycee", ENTRY, tmp_path), transport=hub.connect("lycee", ENTRY))
    lane.start(forward=False)
    assert lane.heartbeat()
    assert status.lanes == {("lycee", ENTRY): (NOON, True)}
    lane.close()
    assert status.lanes == {("lycee", ENTRY): (NOON, False)}


def test_a_lane_cut_off_from_the_server_sends_no_heartbeat(tmp_path: Path) -> None:
    beats = Beats()
    hub = InProcessHub(MemorySink(), lane_status=beats)
    with Lane(LaneConfig("lycee", ENTRY, tmp_path), transport=hub.connect("lycee", ENTRY)) as lane:
        lane.start(forward=False)
        hub.set_online(False)
        assert not lane.heartbeat()
        assert beats.seen == []


def test_the_forwarder_sends_a_heartbeat_every_heartbeat_s(tmp_path: Path) -> None:
    beats = Beats()
    hub = InProcessHub(MemorySink(), lane_status=beats)
    config = LaneConfig("lycee", ENTRY, tmp_path, heartbeat_s=0.05)
    with Lane(config, transport=hub.connect("lycee", ENTRY)) as lane:
        lane.start()
        assert wait_until(lambda: len(beats.seen) >= 4, 1.0)


def test_a_heartbeat_over_mqtt_reaches_the_hubs_store(
    school: LaneSchool, shared_broker: MqttBroker, tmp_path: Path
) -> None:
    site = TrustedSite(school.site_id)
    now = [NOON]
    sink = StoreSink(school.site.session, school.site.passages)
    hub = MqttHub(shared_broker, sink, [site.trust], lane_status=sink, clock=lambda: now[0])
    hub.start()
    transport = MqttTransport(shared_broker, site.lane(), clock=lambda: now[0])
    lane = Lane(school.lane_config(tmp_path / "lane"), transport=transport)

    def status() -> tuple[datetime, bool] | None:
        with school.site.session() as session:
            row = session.get(LaneStatusRow, (school.site_id, ENTRY))
            return None if row is None else (row.last_seen_at, row.online)

    try:
        assert hub.wait_connected(10)
        lane.start(forward=False)
        assert wait_until(lambda: transport.connected, 10)
        now[0] = NOON + timedelta(seconds=30)
        assert lane.heartbeat()
        assert wait_until(lambda: status() == (now[0], True), 5)
        lane.close()
        assert wait_until(lambda: status() == (now[0], False), 5)
    finally:
        lane.close()
        hub.close()
        clear_retained(shared_broker, school.site_id)
