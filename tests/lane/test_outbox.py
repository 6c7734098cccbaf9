"""The lane's outbox: restart-safe, idempotent, at least once, never an event lost or
counted twice by the server."""

from __future__ import annotations

import stat
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portique.access import Direction, Outcome, Reason
from portique.lane import (
    EventFormatError,
    Ingestor,
    MemorySink,
    Outbox,
    PassageEvent,
    Receipt,
    RetryPolicy,
    new_event_id,
)

START = datetime(2025, 3, 11, 8, 0, tzinfo=UTC)
RETRY = RetryPolicy(first_delay_s=2.0, factor=2.0, max_delay_s=30.0)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def make_event(number: int = 0, *, lane_id: str = "entree") -> PassageEvent:
    return PassageEvent(
        event_id=new_event_id(),
        site_id="lycee-test",
        lane_id=lane_id,
        direction=Direction.IN,
        time=START + timedelta(seconds=number),
        outcome=Outcome.GRANT,
        reasons=(Reason.CREDENTIAL_VALID,),
        alert=False,
        credential_id=f"c{number}",
        person_id=f"p{number}",
        latency_ms=1.5,
        snapshot_version=3,
    )


def open_outbox(folder: Path, clock: Clock) -> Outbox:
    return Outbox(folder / "outbox.sqlite3", retry=RETRY, clock=clock, durable=False)


def test_events_survive_a_restart_in_order(tmp_path: Path) -> None:
    clock = Clock()
    events = [make_event(n) for n in range(5)]
    with open_outbox(tmp_path, clock) as outbox:
        for event in events:
            assert outbox.add(event)
        outbox.mark_sent([events[1].event_id])
    with open_outbox(tmp_path, clock) as reopened:
        waiting = reopened.waiting()
        assert [e.event_id for e in waiting] == [e.event_id for i, e in enumerate(events) if i != 1]
        assert waiting[0] == events[0]
        assert reopened.counts().sent == 1


def test_adding_an_event_twice_keeps_it_once(tmp_path: Path) -> None:
    event = make_event()
    with open_outbox(tmp_path, Clock()) as outbox:
        assert outbox.add(event)
        assert not outbox.add(event)
        assert outbox.counts().waiting == 1


def test_an_unacknowledged_send_is_due_again_after_a_doubling_bounded_delay(
    tmp_path: Path,
) -> None:
    clock = Clock()
    event = make_event()
    with open_outbox(tmp_path, clock) as outbox:
        outbox.add(event)
        delays = []
        for _ in range(7):
            assert outbox.due() == [event]
            outbox.attempted([event.event_id])
            assert outbox.due() == []
            delay = outbox.next_due_in()
            assert delay is not None
            delays.append(delay)
            clock.now += delay
        assert delays == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


def test_a_link_coming_back_makes_every_waiting_event_due_at_once(tmp_path: Path) -> None:
    clock = Clock()
    with open_outbox(tmp_path, clock) as outbox:
        for n in range(3):
            outbox.add(make_event(n))
        outbox.attempted(e.event_id for e in outbox.due())
        assert outbox.due() == []
        assert outbox.retry_now() == 3
        assert len(outbox.due()) == 3


def test_acknowledged_and_refused_events_are_not_sent_again(tmp_path: Path) -> None:
    clock = Clock()
    sent, refused, waiting = make_event(1), make_event(2), make_event(3)
    with open_outbox(tmp_path, clock) as outbox:
        for event in (sent, refused, waiting):
            outbox.add(event)
        assert outbox.mark_sent([sent.event_id, new_event_id()]) == 1
        assert outbox.mark_rejected([refused.event_id]) == 1
        assert outbox.mark_sent([sent.event_id]) == 0
        outbox.retry_now()
        assert outbox.due() == [waiting]
        counts = outbox.counts()
        assert (counts.waiting, counts.sent, counts.rejected) == (1, 1, 1)


def test_acknowledged_events_are_purged_after_the_keeping_time(tmp_path: Path) -> None:
    clock = Clock()
    with open_outbox(tmp_path, clock) as outbox:
        event = make_event()
        outbox.add(event)
        outbox.mark_sent([event.event_id])
        assert outbox.purge_sent() == 0
        clock.now += outbox.keep_sent_s + 1
        assert outbox.purge_sent() == 1
        assert outbox.counts().sent == 0


def test_the_outbox_file_is_private_to_its_owner(tmp_path: Path) -> None:
    with open_outbox(tmp_path, Clock()) as outbox:
        outbox.add(make_event())
    assert stat.S_IMODE((tmp_path / "outbox.sqlite3").stat().st_mode) == 0o600


def test_an_event_round_trips_through_json_and_refuses_garbage() -> None:
    event = make_event(7)
    assert PassageEvent.from_bytes(event.to_bytes()) == event
    for garbage in (b"", b"[]", b'{"format": 2}', event.to_bytes().replace(b"grant", b"maybe")):
        with pytest.raises(EventFormatError):
            PassageEvent.from_bytes(garbage)
    receipt = Receipt(stored=(event.event_id,), rejected=())
    assert Receipt.from_bytes(receipt.to_bytes()) == receipt


def test_the_server_refuses_for_good_an_event_of_another_lane() -> None:
    sink = MemorySink()
    mine, stray = make_event(1), make_event(2, lane_id="sortie")
    receipt = Ingestor(sink).ingest("lycee-test", "entree", [mine, stray])
    assert receipt == Receipt(stored=(mine.event_id,), rejected=(stray.event_id,))
    assert list(sink.events) == [mine.event_id]


Operation = tuple[str, int]
operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(1, 4)),
        st.tuples(st.just("add_again"), st.integers(0, 50)),
        st.tuples(st.just("send"), st.integers(0, 3)),  # 0 lost, 1 receipt lost, 2-3 fine
        st.tuples(st.just("restart"), st.just(0)),
        st.tuples(st.just("wait"), st.integers(0, 40)),
    ),
    max_size=30,
)


@settings(max_examples=40, deadline=None)
@given(operations)
def test_no_event_is_lost_or_counted_twice_whatever_the_link_does(
    script: list[Operation],
) -> None:
    clock = Clock()
    sink = MemorySink()
    server = Ingestor(sink)
    made: list[PassageEvent] = []
    with tempfile.TemporaryDirectory() as folder:
        outbox = open_outbox(Path(folder), clock)

        def send(fate: int) -> None:
            batch = outbox.due(limit=5)
            outbox.attempted(e.event_id for e in batch)
            if batch and fate >= 1:
                receipt = server.ingest("lycee-test", "entree", batch)
                if fate >= 2:
                    outbox.mark_sent(receipt.stored)

        try:
            for action, value in script:
                if action == "add":
                    for _ in range(value):
                        made.append(make_event(len(made)))
                        outbox.add(made[-1])
                elif action == "add_again" and made:
                    assert not outbox.add(made[value % len(made)])
                elif action == "send":
                    send(value)
                elif action == "restart":
                    outbox.close()
                    outbox = open_outbox(Path(folder), clock)
                elif action == "wait":
                    clock.now += value
            # The link comes back for good: everything drains.
            outbox.retry_now()
            for _ in range(len(made) + 1):
                send(3)
            assert outbox.counts().waiting == 0
            assert outbox.counts().sent == len(made)
        finally:
            outbox.close()
    assert set(sink.events) == {e.event_id for e in made}
    assert len(sink.events) == len(made)
    assert all(sink.events[e.event_id] == e for e in made)


def test_the_outbox_is_owner_only_even_when_left_readable(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    path.touch()
    path.chmod(0o644)
    Outbox(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
