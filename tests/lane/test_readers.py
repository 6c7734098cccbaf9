"""The readers schools buy: QR scanners typing ``PQ:…`` (keyboard wedge, serial, evdev)
and OSDP readers on RS-485 with the secure channel, against a simulated OSDP reader on
a pseudo-terminal pair."""

from __future__ import annotations

import io
import os
import tty
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from lane_support import ENTRY, LaneSchool, wait_until

from portique.access import BadgeUid, Decision, Outcome, QrPayload, Reason
from portique.credentials import payload_from_text
from portique.lane import (
    BadgeReaderError,
    InProcessHub,
    KeyboardWedgeReader,
    Lane,
    SerialBadgeReader,
    open_badge_reader,
)
from portique.lane.drivers.badge import presented
from portique.lane.drivers.keyboard import EvdevReader, KeyDecoder, KeyLayout
from portique.lane.drivers.osdp import (
    Feedback,
    OsdpReader,
    ReaderCommand,
    SimulatedOsdpReader,
    load_osdp_key,
    new_osdp_key,
    write_osdp_key,
)
from portique.services.lanes import StoreSink
from portique.store import Passages

# Key codes of linux/input-event-codes.h, written out here as a scanner's recording would
# carry them (independently of the decoder's own tables).
SHIFT = 42
ENTER = 28
US_BASE45 = {
    **{str(d): (code, False) for d, code in zip("1234567890", range(2, 12), strict=True)},
    **{
        letter: (code, True)
        for letter, code in {
            "A": 30, "B": 48, "C": 46, "D": 32, "E": 18, "F": 33, "G": 34, "H": 35, "I": 23,
            "J": 36, "K": 37, "L": 38, "M": 50, "N": 49, "O": 24, "P": 25, "Q": 16, "R": 19,
            "S": 31, "T": 20, "U": 22, "V": 47, "W": 17, "X": 45, "Y": 21, "Z": 44,
        }.items()
    },
    " ": (57, False), "$": (5, True), "%": (6, True), "*": (9, True), "+": (13, True),
    "-": (12, False), ".": (52, False), "/": (53, False), ":": (39, True),
}  # fmt: skip
# On AZERTY, digits need Shift and punctuation moves.
FR_BASE45 = {
    **{str(d): (code, True) for d, code in zip("1234567890", range(2, 12), strict=True)},
    **{letter: code for letter, code in US_BASE45.items() if letter.isalpha()},
    "A": (16, True), "Q": (30, True), "Z": (17, True), "W": (44, True), "M": (39, True),
    " ": (57, False), "$": (27, False), "%": (40, True), "*": (43, False), "+": (13, True),
    "-": (7, False), ".": (51, True), "/": (52, True), ":": (52, False),
}  # fmt: skip


def recording(text: str, keys: dict[str, tuple[int, bool]]) -> list[tuple[int, int, int]]:
    """The key events a scanner sends when it types ``text`` and Enter: key down and up,
    Shift around shifted characters, and the SYN reports between them."""
    events = []
    for char in text:
        code, shifted = keys[char]
        if shifted:
            events.append((1, SHIFT, 1))
        events += [(1, code, 1), (0, 0, 0), (1, code, 0)]
        if shifted:
            events.append((1, SHIFT, 0))
        events.append((4, 4, 458756))  # EV_MSC scan code, ignored
    return [*events, (1, ENTER, 1), (1, ENTER, 0)]


CARD_TEXT = "PQ:Q7A5LE%ED%$EK44CECDZCGVC04E"


def test_a_line_starting_with_pq_is_a_qr_code_and_anything_else_a_badge() -> None:
    code = presented(CARD_TEXT.lower() + "\r\n")  # typed with Caps Lock on
    assert isinstance(code, QrPayload)
    assert code.data == payload_from_text(CARD_TEXT)
    badge = presented("\x0204a2b3c4\x03")
    assert badge == BadgeUid("04:A2:B3:C4")
    damaged = presented("PQ:not base45!")
    assert isinstance(damaged, QrPayload)  # refused as unreadable by the engine
    assert presented("  \n") is None


def test_a_keyboard_wedge_scanner_gives_its_qr_line_whole() -> None:
    long_text = CARD_TEXT + "6BFOXN*TS0BI" * 35  # 450 characters, as a card with a face
    reader = KeyboardWedgeReader(io.StringIO(f"{long_text}\n04a2b3c4\n"))
    assert reader.read(2) == long_text
    assert reader.read(2) == "04:A2:B3:C4"


def test_a_serial_scanner_gives_its_qr_line_whole() -> None:
    reader = SerialBadgeReader("loop://")
    reader._serial.write(f"{CARD_TEXT}\r\n".encode())
    assert reader.read(2) == CARD_TEXT
    reader.close()


@pytest.mark.parametrize(("layout", "keys"), [(KeyLayout.US, US_BASE45), (KeyLayout.FR, FR_BASE45)])
def test_key_events_of_a_scanner_decode_to_the_text_it_read(
    layout: KeyLayout, keys: dict[str, tuple[int, bool]]
) -> None:
    text = "PQ:0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ$%*+-./:"
    events = recording(text, keys) + recording("04A2B3C4", keys)
    assert KeyDecoder(layout).lines(events) == [text, "04A2B3C4"]


def test_caps_lock_and_key_repeat_are_followed() -> None:
    events = [(1, 58, 1), (1, 58, 0), (1, 25, 1), (1, 25, 2), (1, 25, 0), (1, ENTER, 1)]
    assert KeyDecoder().lines(events) == ["PP"]


class RecordedKeyboard:
    """A keyboard-like reader replaying recorded events (the hardware of this test)."""

    def __init__(self, events: list[tuple[int, int, int]]) -> None:
        self.path = "/dev/input/by-id/usb-scanner-event-kbd"
        self.events = events
        self.grabbed = False
        self.closed = False

    def grab(self) -> None:
        self.grabbed = True

    def ungrab(self) -> None:
        self.grabbed = False

    def read_loop(self) -> Iterator[SimpleNamespace]:
        for kind, code, value in self.events:
            yield SimpleNamespace(type=kind, code=code, value=value)

    def close(self) -> None:
        self.closed = True


def test_an_evdev_reader_grabs_the_device_and_gives_one_line_per_read() -> None:
    device = RecordedKeyboard(recording(CARD_TEXT, US_BASE45) + recording("04A2B3C4", US_BASE45))
    reader = EvdevReader(device)
    assert device.grabbed  # nothing it types reaches another program
    assert reader.read(2) == CARD_TEXT
    assert reader.read(2) == "04:A2:B3:C4"
    assert reader.read(2) is None  # the device ran dry, as if unplugged
    assert reader.closed
    reader.close()
    assert device.closed and not device.grabbed


def test_an_evdev_reader_held_by_another_program_is_a_clear_error() -> None:
    device = RecordedKeyboard([])

    def taken() -> None:
        raise OSError(16, "Device or resource busy")

    device.grab = taken  # type: ignore[method-assign]
    with pytest.raises(BadgeReaderError, match="held by another program"):
        EvdevReader(device)
    assert device.closed


def test_reader_settings_name_evdev_and_refuse_what_they_cannot_open(tmp_path: Path) -> None:
    with pytest.raises(BadgeReaderError, match=r"/dev/input/by-id/"):
        open_badge_reader(f"evdev:{tmp_path / 'no-such-event-kbd'}")
    with pytest.raises(BadgeReaderError, match="keyboard layout"):
        open_badge_reader(f"evdev:{tmp_path}", layout="dvorak")
    with pytest.raises(BadgeReaderError, match="osdp:PORT"):
        open_badge_reader("wiegand:0")


@pytest.mark.skipif(not os.access("/dev/uinput", os.W_OK), reason="no /dev/uinput on this machine")
def test_a_virtual_scanner_typing_through_uinput_is_read_and_grabbed() -> None:
    import time

    from evdev import UInput, ecodes

    keys = [code for code, _ in US_BASE45.values()] + [SHIFT, ENTER]
    with UInput({ecodes.EV_KEY: keys}, name="portique-test-scanner") as scanner:
        time.sleep(0.3)
        reader = open_badge_reader(f"evdev:{scanner.device.path}")
        for kind, code, value in recording("04A2B3C4", US_BASE45):
            if kind == 1:
                scanner.write(kind, code, value)
                scanner.syn()
        assert reader.read(5) == "04:A2:B3:C4"
        reader.close()


# OSDP --------------------------------------------------------------------------------


@pytest.fixture
def rs485() -> Iterator[tuple[int, str]]:
    """A pseudo-terminal pair standing for the RS-485 bus: the reader's end (a file
    descriptor) and the lane's (a serial device path)."""
    reader_end, lane_end = os.openpty()
    tty.setraw(reader_end)
    tty.setraw(lane_end)
    yield reader_end, os.ttyname(lane_end)
    os.close(reader_end)
    os.close(lane_end)


def decision(outcome: Outcome) -> Decision:
    reason = Reason.CREDENTIAL_VALID if outcome is Outcome.GRANT else Reason.REVOKED
    return Decision(outcome, (reason,), ENTRY, datetime(2026, 9, 8, 8, 5, tzinfo=UTC), 1)


def test_an_osdp_card_read_comes_over_the_secure_channel_and_the_decision_lights_the_reader(
    rs485: tuple[int, str],
) -> None:
    reader_end, port = rs485
    key = new_osdp_key()
    simulated = SimulatedOsdpReader(reader_end, key)
    simulated.start()
    panel = OsdpReader(port, key)
    try:
        assert panel.wait_online(10) and simulated.wait_secure(5)
        simulated.present(bytes.fromhex("04a2b3c4"))
        assert panel.read(5) == "04:A2:B3:C4"
        panel.show(decision(Outcome.GRANT))
        panel.show(decision(Outcome.DENY))
        assert simulated.wait_for_commands(4, 5)
        assert simulated.commands == [
            ReaderCommand("led", colour=Feedback.GREEN),
            ReaderCommand("buzzer", beeps=1),
            ReaderCommand("led", colour=Feedback.RED),
            ReaderCommand("buzzer", beeps=3),
        ]
    finally:
        panel.close()
        simulated.close()


def test_a_reader_without_the_lanes_key_is_never_heard(rs485: tuple[int, str]) -> None:
    """The attack: a reader swapped for one of the attacker's (or a sniffer replaying
    frames) does not hold the secure channel key; its card reads never reach the lane."""
    reader_end, port = rs485
    impostor = SimulatedOsdpReader(reader_end, new_osdp_key())
    impostor.start()
    panel = OsdpReader(port, new_osdp_key())
    try:
        assert not panel.wait_online(3)
        assert not impostor.secure
        impostor.present(bytes.fromhex("04a2b3c4"))
        assert panel.read(1.5) is None
    finally:
        panel.close()
        impostor.close()


def test_a_reader_that_falls_silent_raises_an_alarm_once(rs485: tuple[int, str]) -> None:
    reader_end, port = rs485
    key = new_osdp_key()
    simulated = SimulatedOsdpReader(reader_end, key)
    simulated.start()
    panel = OsdpReader(port, key, silent_after_s=1.0)
    alarms: list[Reason] = []
    panel.watch(alarms.append)
    try:
        assert panel.wait_online(10)
        simulated.fall_silent()
        assert wait_until(lambda: alarms, 20)
        assert alarms == [Reason.READER_SILENT]
    finally:
        panel.close()
        simulated.close()


def test_the_osdp_key_is_kept_owner_only_and_refused_when_exposed(tmp_path: Path) -> None:
    path = tmp_path / "osdp.key"
    key = new_osdp_key()
    write_osdp_key(path, key)
    assert load_osdp_key(path) == key
    path.chmod(0o644)
    with pytest.raises(BadgeReaderError, match="chmod 600"):
        load_osdp_key(path)
    path.chmod(0o600)
    path.write_text("not a key\n")
    with pytest.raises(BadgeReaderError, match="32 hex digits"):
        load_osdp_key(path)


def test_an_osdp_card_read_decides_at_the_lane_and_lights_the_reader(
    school: LaneSchool, rs485: tuple[int, str], tmp_path: Path
) -> None:
    """End to end: an OSDP reader as the lane's reader and one of its signals."""
    uid = "04:A2:B3:C4"
    school.staff_badge(uid)
    hub = InProcessHub(StoreSink(school.site.session, school.site.passages))
    reader_end, port = rs485
    key = new_osdp_key()
    simulated = SimulatedOsdpReader(reader_end, key)
    simulated.start()
    panel = OsdpReader(port, key)
    lane = Lane(
        school.lane_config(tmp_path / "lane"),
        transport=hub.connect(school.site_id, ENTRY),
        badge_reader=panel,
        signals=[panel],
        watchers=[panel],
        clock=lambda: school.at(8, 5),
    )
    hub.publish_snapshot(school.snapshot())
    lane.start()
    try:
        assert panel.wait_online(10)
        simulated.present(bytes.fromhex("04a2b3c4"))
        result = None
        for _ in range(100):
            result = lane.step(0.05)
            if result is not None:
                break
        assert result is not None and result.decision.granted
        assert simulated.wait_for_commands(2, 5)
        assert simulated.commands[0] == ReaderCommand("led", colour=Feedback.GREEN)
        assert lane.wait_forwarded(5)
        with school.site.session() as session:
            rows = Passages(session).recent(school.site_id)
        assert [(row.outcome, row.reasons) for row in rows] == [("grant", ["credential_valid"])]
    finally:
        lane.close()
        simulated.close()
