"""Two hubs share a site's lanes through an MQTT 5 shared subscription: both store
events, and when one is killed mid-rush the other stores the rest; every event is
stored exactly once."""

from __future__ import annotations

import socket
from pathlib import Path

from lane_support import (
    ENTRY,
    FOR_THE_SCHOOL_DAY,
    CountingSink,
    LaneSchool,
    PrivateBroker,
    TrustedSite,
    payload,
    wait_until,
)

from portique.access import QrPayload
from portique.lane import Lane, MqttBroker, MqttHub, MqttTransport
from portique.services.lanes import StoreSink
from portique.store import Passages

EXIT = "sortie"
PER_LANE = 12


def _kill(hub: MqttHub) -> None:
    """The hub's process dies: its connection drops without a goodbye (no DISCONNECT,
    no offline status), whatever it received and did not acknowledge is lost with it."""
    # A crash has no public API: the hub's own client is cut from under it.
    connection = hub._client.socket()
    hub._client.loop_stop()
    if isinstance(connection, socket.socket):
        connection.shutdown(socket.SHUT_RDWR)
        connection.close()


def test_two_hubs_share_the_lanes_and_one_killed_mid_rush_loses_nothing(
    school: LaneSchool, private_broker: PrivateBroker, tmp_path: Path
) -> None:
    trusted = TrustedSite(school.site_id)
    broker = MqttBroker("127.0.0.1", private_broker.port, reconnect_min_s=1, reconnect_max_s=1)
    store = StoreSink(school.site.session, school.site.passages)
    sinks = [CountingSink(store), CountingSink(store)]
    hubs = [
        MqttHub(broker, sink, [trusted.trust], snapshot_validity=FOR_THE_SCHOOL_DAY, share="hubs")
        for sink in sinks
    ]
    snapshot = school.snapshot()
    for hub in hubs:
        hub.publish_snapshot(snapshot)
        hub.start()
    assert all(hub.wait_connected(10) for hub in hubs)
    lanes = [
        Lane(
            school.lane_config(tmp_path / lane_id, lane_id),
            transport=MqttTransport(broker, trusted.lane(lane_id)),
        )
        for lane_id in (ENTRY, EXIT)
    ]
    cards = [[payload(school.card(school.staff())) for _ in range(PER_LANE)] for _ in lanes]
    events = []
    try:
        for lane in lanes:
            lane.start()
            assert lane.wait_for_version(snapshot.version, 10)
        for number in range(PER_LANE):
            if number == PER_LANE // 2:
                assert wait_until(lambda: all(sink.deliveries for sink in sinks), 10)
                # Shared, not copied: no event went to both hubs.
                assert not set(sinks[0].deliveries) & set(sinks[1].deliveries)
                _kill(hubs[0])
            for lane, lane_cards in zip(lanes, cards, strict=True):
                result = lane.present(QrPayload(lane_cards[number]), at=school.at(8, number))
                events.append(result.event.event_id)
        assert all(lane.wait_forwarded(30) for lane in lanes)
    finally:
        for lane in lanes:
            lane.close()
        hubs[1].close()
    with school.site.session() as session:
        stored = [row.passage_id for row in Passages(session).recent(school.site_id, limit=1000)]
    assert sorted(stored) == sorted(events)
    assert len(set(events)) == len(lanes) * PER_LANE
