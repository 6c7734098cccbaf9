"""Fault tests with real components: the broker (a private mosquitto) killed and
restarted, the server's end gone and back, while the lane keeps deciding alone."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from lane_support import (
    ENTRY,
    FOR_THE_SCHOOL_DAY,
    CountingSink,
    LaneSchool,
    PrivateBroker,
    TrustedSite,
    clear_retained,
    payload,
    wait_until,
)

from portique.access import Outcome, QrPayload, Reason
from portique.lane import (
    InProcessHub,
    Lane,
    MemorySink,
    MqttBroker,
    MqttHub,
    MqttTransport,
    PassageResult,
    SimulatedSignal,
)
from portique.services.lanes import StoreSink
from portique.store import Passages


def _stored_ids(school: LaneSchool) -> list[str]:
    with school.site.session() as session:
        return [row.passage_id for row in Passages(session).recent(school.site_id, limit=1000)]


def _show(lane: Lane, card_payload: bytes, at: object) -> PassageResult:
    return lane.present(QrPayload(card_payload), at=at)  # type: ignore[arg-type]


@pytest.fixture
def trusted(school: LaneSchool) -> TrustedSite:
    return TrustedSite(school.site_id)


def test_events_made_while_the_broker_is_down_reach_the_store_exactly_once(
    school: LaneSchool, private_broker: PrivateBroker, trusted: TrustedSite, tmp_path: Path
) -> None:
    cards = [payload(school.card(school.student())) for _ in range(6)]
    lost_card = school.card(school.student())
    broker = MqttBroker("127.0.0.1", private_broker.port, reconnect_min_s=1, reconnect_max_s=1)
    sink = CountingSink(StoreSink(school.site.session, school.site.passages))
    hub = MqttHub(broker, sink, [trusted.trust], snapshot_validity=FOR_THE_SCHOOL_DAY)
    first = school.snapshot()
    hub.publish_snapshot(first)
    hub.start()
    signal = SimulatedSignal()
    lane = Lane(
        school.lane_config(tmp_path / "lane"),
        transport=MqttTransport(broker, trusted.lane()),
        signals=[signal],
    )
    try:
        lane.start()
        assert lane.wait_for_version(first.version, 10)
        online = [_show(lane, card, school.at(8, minute)) for minute, card in enumerate(cards[:2])]
        assert lane.wait_forwarded(10)

        private_broker.stop()
        assert wait_until(lambda: not lane.transport.connected, 10)  # type: ignore[union-attr]
        offline = [
            _show(lane, card, school.at(8, 10 + minute)) for minute, card in enumerate(cards[2:])
        ]
        # The lost card is still valid on the lane's snapshot: it passes.
        before_revocation = _show(lane, payload(lost_card), school.at(8, 20))
        assert all(r.decision.granted for r in (*online, *offline, before_revocation))
        assert lane.outbox.counts().waiting == len(offline) + 1

        # Revoked at the office while the lane is cut off.
        school.revoke(lost_card.credential_id)
        revoked_snapshot = school.snapshot()
        hub.publish_snapshot(revoked_snapshot)
        assert lane.version == first.version

        private_broker.start()
        assert lane.wait_for_version(revoked_snapshot.version, 15)
        after = _show(lane, payload(lost_card), school.at(8, 30))
        assert after.decision.outcome is Outcome.DENY
        assert after.decision.reasons == (Reason.REVOKED,)
        assert lane.wait_forwarded(15)

        # A lost receipt means the lane sends again: the store still counts each once.
        everything = [r.event for r in (*online, *offline, before_revocation, after)]
        assert lane.transport is not None and lane.transport.send(everything)
        assert wait_until(lambda: hub.ingestor.duplicates >= len(everything), 10)
    finally:
        lane.close()
        hub.close()

    produced = {event.event_id for event in everything}
    stored = _stored_ids(school)
    assert sorted(stored) == sorted(produced)
    assert all(sink.deliveries[event_id] >= 2 for event_id in produced)
    assert [d.outcome for d in signal.decisions] == [Outcome.GRANT] * 7 + [Outcome.DENY]


def test_a_lane_cut_off_from_an_in_process_server_decides_alone_and_catches_up(
    school: LaneSchool, tmp_path: Path
) -> None:
    cards = [payload(school.card(school.student())) for _ in range(3)]
    lost_card = school.card(school.student())
    sink = MemorySink()
    hub = InProcessHub(sink)
    hub.publish_snapshot(school.snapshot())
    lane = Lane(school.lane_config(tmp_path / "lane"), transport=hub.connect(school.site_id, ENTRY))
    with lane:
        lane.start()
        hub.set_online(False)
        results = [_show(lane, card, school.at(9, minute)) for minute, card in enumerate(cards)]
        assert all(result.decision.granted for result in results)
        assert len(sink) == 0 and lane.outbox.counts().waiting == 3

        school.revoke(lost_card.credential_id)
        hub.publish_snapshot(school.snapshot())
        assert _show(lane, payload(lost_card), school.at(9, 10)).decision.granted

        hub.set_online(True)
        assert lane.wait_forwarded(5)
        refused = _show(lane, payload(lost_card), school.at(9, 20))
        assert refused.decision.reasons == (Reason.REVOKED,)
        assert lane.wait_forwarded(5)
    assert len(sink) == 5
    assert set(sink.deliveries.values()) == {1}


@pytest.fixture
def shared_site(school: LaneSchool, shared_broker: MqttBroker) -> Iterator[LaneSchool]:
    yield school
    clear_retained(shared_broker, school.site_id)


def test_events_sent_while_the_server_is_away_arrive_once_it_is_back(
    shared_site: LaneSchool, shared_broker: MqttBroker, trusted: TrustedSite, tmp_path: Path
) -> None:
    school = shared_site
    cards = [payload(school.card(school.student())) for _ in range(4)]
    sink = MemorySink()
    server_id = f"portique-test-hub-{secrets.token_hex(3)}"
    hub = MqttHub(
        shared_broker,
        sink,
        [trusted.trust],
        snapshot_validity=FOR_THE_SCHOOL_DAY,
        client_id=server_id,
    )
    snapshot = school.snapshot()
    hub.publish_snapshot(snapshot)
    hub.start()
    assert hub.wait_connected(10)
    lane = Lane(
        school.lane_config(tmp_path / "lane"),
        transport=MqttTransport(shared_broker, trusted.lane()),
    )
    with lane:
        lane.start()
        assert lane.wait_for_version(snapshot.version, 10)
        _show(lane, cards[0], school.at(10))
        assert lane.wait_forwarded(10)

        hub.close()  # the server stops; the broker and the lane stay up
        for minute, card in enumerate(cards[1:], start=1):
            _show(lane, card, school.at(10, minute))
        assert not lane.wait_forwarded(0.5)  # nobody stores them, nothing is acknowledged

        back = MqttHub(
            shared_broker,
            sink,
            [trusted.trust],
            snapshot_validity=FOR_THE_SCHOOL_DAY,
            client_id=server_id,
        )
        back.start()
        try:
            assert lane.wait_forwarded(10)
        finally:
            back.close()
    assert sink.wait_for(4, 5) and len(sink) == 4
