"""The door: a strike pulsed on each grant, a contact watched for a forced door and a door
held open, and those alarms on their way to the agent's console."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from lane_support import ENTRY, LaneSchool, wait_until

from portique.access import Decision, Outcome, Reason
from portique.evaluation.field import load_field
from portique.lane import GpioSignal, InProcessHub, Lane
from portique.lane.drivers.door import DoorMonitor, GpioDoorContact, SimulatedDoorContact
from portique.server import queries
from portique.services.lanes import StoreSink


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def grant() -> Decision:
    return Decision(
        Outcome.GRANT, (Reason.CREDENTIAL_VALID,), ENTRY, datetime(2026, 9, 8, 8, tzinfo=UTC), 1
    )


@pytest.fixture
def door() -> tuple[SimulatedDoorContact, DoorMonitor, list[Reason], Clock]:
    contact, alarms, clock = SimulatedDoorContact(), [], Clock()
    monitor = DoorMonitor(contact, alarms.append, unlock_s=5.0, held_open_s=30.0, clock=clock)
    return contact, monitor, alarms, clock


def test_a_door_opened_after_a_grant_raises_nothing(door) -> None:  # type: ignore[no-untyped-def]
    contact, monitor, alarms, clock = door
    monitor.show(grant())
    clock.now += 2.0
    contact.open()
    monitor.check()
    clock.now += 10.0
    contact.shut()
    monitor.check()
    assert alarms == []


def test_a_door_opened_without_a_grant_is_forced_once(door) -> None:  # type: ignore[no-untyped-def]
    contact, monitor, alarms, clock = door
    contact.open()
    for _ in range(5):
        monitor.check()
        clock.now += 0.1
    assert alarms == [Reason.DOOR_FORCED]


def test_a_grant_lets_one_opening_through_within_its_release(door) -> None:  # type: ignore[no-untyped-def]
    contact, monitor, alarms, clock = door
    monitor.show(grant())
    clock.now += 6.0  # the strike locked again
    contact.open()
    monitor.check()
    assert alarms == [Reason.DOOR_FORCED]
    contact.shut()
    monitor.check()
    monitor.show(grant())
    contact.open()
    monitor.check()
    contact.shut()
    monitor.check()
    contact.open()  # tailgating through the same grant
    monitor.check()
    assert alarms == [Reason.DOOR_FORCED, Reason.DOOR_FORCED]


def test_a_door_held_open_past_its_time_raises_an_alarm_once(door) -> None:  # type: ignore[no-untyped-def]
    contact, monitor, alarms, clock = door
    monitor.show(grant())
    contact.open()
    monitor.check()
    clock.now += 29.0
    monitor.check()
    assert alarms == []
    clock.now += 2.0
    monitor.check()
    clock.now += 60.0
    monitor.check()
    assert alarms == [Reason.DOOR_HELD_OPEN]


def test_a_gpio_contact_reads_its_value_file(tmp_path: Path) -> None:
    value = tmp_path / "value"
    value.write_text("0\n")
    contact = GpioDoorContact(value)
    assert contact.is_open() is False
    value.write_text("1\n")
    assert contact.is_open() is True
    assert GpioDoorContact(value, active_low=True).is_open() is False
    assert GpioDoorContact(tmp_path / "missing").is_open() is None


def test_the_strike_line_pulses_for_its_configured_time(tmp_path: Path) -> None:
    strike = tmp_path / "strike"
    strike.write_text("0")
    signal = GpioSignal({Outcome.GRANT: strike}, pulse_s=0.3)
    signal.show(grant())
    assert strike.read_text() == "1"
    assert wait_until(lambda: strike.read_text() == "0", 3)
    signal.close()


def test_door_alarms_reach_the_console_as_alerts_and_never_count_as_passages(
    school: LaneSchool, tmp_path: Path
) -> None:
    hub = InProcessHub(StoreSink(school.site.session, school.site.passages))
    contact = SimulatedDoorContact()
    monitor = DoorMonitor(contact, poll_s=0.02)
    lane = Lane(
        school.lane_config(tmp_path / "lane"),
        transport=hub.connect(school.site_id, ENTRY),
        signals=[monitor],
        watchers=[monitor],
        clock=lambda: school.at(8, 5),
    )
    hub.publish_snapshot(school.snapshot())
    lane.start()
    try:
        contact.open()
        assert wait_until(lambda: lane.outbox.counts().waiting + lane.outbox.counts().sent, 3)
        assert lane.wait_forwarded(5)
    finally:
        lane.close()
    with school.site.session() as session:
        alerts = queries.open_alerts(session, school.site_id)
        field = load_field(session, school.site_id)
    assert [(a.lane_id, a.reasons, a.alert) for a in alerts] == [
        (ENTRY, (Reason.DOOR_FORCED,), True)
    ]
    assert alerts[0].person_id is None and alerts[0].credential_id is None
    assert field.passages == ()


def test_only_lane_alarms_may_be_raised(school: LaneSchool, tmp_path: Path) -> None:
    lane = Lane(school.lane_config(tmp_path / "lane"))
    with pytest.raises(ValueError, match="not a lane alarm"):
        lane.raise_alarm(Reason.REVOKED)
    lane.close()
