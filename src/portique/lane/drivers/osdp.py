"""OSDP readers: the lane as the control panel of an access-control reader on RS-485.

OSDP (IEC 60839-11-5) is how access-control readers talk to their panel: the panel polls
each reader on a serial bus, the reader reports card reads, the panel drives its LED and
buzzer. The protocol and its secure channel (AES-128, a key per reader: the SCBK) come
from libosdp (osdp-dev/libosdp, Apache-2.0, its own Python bindings on PyPI); Portique
enforces the secure channel: a reader that does not hold the lane's key is never heard.

:class:`OsdpReader` is a reader (card reads become badge presentations) and a lane
signal (the decision lights the reader's LED and sounds its buzzer), and it watches
the reader: one that stops answering raises a "lecteur muet" alarm for the agent.
:class:`SimulatedOsdpReader` is an OSDP reader (peripheral device) of our own on a
serial line or a pseudo-terminal, for tests and demos: present a card, see what the
panel commanded, fall silent.
"""

from __future__ import annotations

import enum
import logging
import os
import queue
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import serial

from portique.access import Decision, Outcome, Reason
from portique.credentials import InvalidBadgeUidError, normalize_badge_uid
from portique.files import read_secret_text, write_private
from portique.lane.drivers.alarm import Alarm
from portique.lane.drivers.badge import open_serial
from portique.lane.errors import BadgeReaderError

log = logging.getLogger(__name__)

OSDP_KEY_BYTES = 16
SILENT_AFTER_S = 10.0
"""A reader offline this long (or never online since the lane started) is silent."""
_POLL_S = 0.25


def new_osdp_key() -> bytes:
    """A fresh secure-channel base key (SCBK) for one reader."""
    return secrets.token_bytes(OSDP_KEY_BYTES)


def write_osdp_key(path: Path, key: bytes) -> None:
    """Stores a reader's SCBK in a new owner-only file (32 hex digits)."""
    if len(key) != OSDP_KEY_BYTES:
        raise BadgeReaderError("An OSDP secure channel key is 16 bytes.")
    try:
        write_private(path, key.hex().encode("ascii") + b"\n")
    except OSError as exc:
        raise BadgeReaderError(
            f"Cannot write the OSDP key {path}: {exc.strerror or exc}."
        ) from None


def load_osdp_key(path: Path) -> bytes:
    """The reader's SCBK in ``path`` (32 hex digits), refused if other users can read it.

    Raises:
        BadgeReaderError: missing, exposed, or not a key.
    """
    text = read_secret_text(
        path,
        "OSDP key",
        error=BadgeReaderError,
        missing=f"No OSDP key at {path}: write the reader's secure channel key there "
        "(32 hex digits, mode 600).",
        exposed=f"`chmod 600 {path}`, and give the reader a new key if others could read it.",
    )
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != OSDP_KEY_BYTES:
        raise BadgeReaderError(f"{path} does not hold an OSDP key (32 hex digits).")
    return key


def _osdp() -> Any:
    """The libosdp bindings, imported when an OSDP reader is used."""
    import osdp

    return osdp


def _channel(read: Callable[[int], bytes], write: Callable[[bytes], int | None]) -> Any:
    """A libosdp channel over two callables (its base class comes from the bindings)."""
    base = _osdp().Channel

    class _Channel(base):  # type: ignore[misc, valid-type]
        def read(self, max_bytes: int) -> bytes:
            try:
                return read(max_bytes)
            except (OSError, serial.SerialException):
                return b""  # a silent line; libosdp decides when the reader is offline

        def write(self, buf: bytes) -> int:
            try:
                return write(buf) or 0
            except (OSError, serial.SerialException):
                return 0

        def flush(self) -> None:
            pass

    return _Channel()


class Feedback(enum.StrEnum):
    """What the reader shows for a decision."""

    GREEN = "green"
    RED = "red"
    AMBER = "amber"


_FEEDBACK = {
    Outcome.GRANT: Feedback.GREEN,
    Outcome.DENY: Feedback.RED,
    Outcome.REFER: Feedback.AMBER,
}
_BEEPS = {Outcome.GRANT: 1, Outcome.DENY: 3, Outcome.REFER: 2}
LED_S = 2.0


@dataclass(frozen=True)
class ReaderCommand:
    """A command the panel sent to a reader, as the reader understood it."""

    kind: str
    colour: Feedback | None = None
    beeps: int = 0


class OsdpReader:
    """The control panel of one OSDP reader at ``address`` on ``port`` (a serial
    device such as ``/dev/ttyUSB0`` behind an RS-485 adapter, or any pyserial URL).

    The secure channel is required: ``key`` is the reader's SCBK. ``alarm`` (set by
    :meth:`watch`) hears "reader silent" when the reader stops answering for
    ``silent_after_s``.

    Raises:
        BadgeReaderError: the port cannot be opened, or the key is not 16 bytes.
    """

    def __init__(
        self,
        port: str,
        key: bytes,
        *,
        address: int = 0,
        baudrate: int = 9600,
        silent_after_s: float = SILENT_AFTER_S,
        verbose: bool = False,
    ) -> None:
        if len(key) != OSDP_KEY_BYTES:
            raise BadgeReaderError("An OSDP secure channel key is 16 bytes.")
        if not 0 <= address <= 126:
            raise BadgeReaderError(f"OSDP addresses go from 0 to 126, not {address}.")
        osdp = _osdp()
        self.port = port
        self.address = address
        self.silent_after_s = silent_after_s
        self._serial = open_serial(port, f"the OSDP line {port}", baudrate=baudrate, timeout=0)
        channel = _channel(self._serial.read, self._serial.write)
        info = osdp.PDInfo(
            address, channel, scbk=key, name=f"lane-{address}", flags=[osdp.LibFlag.EnforceSecure]
        )
        level = osdp.LogLevel.Warning if verbose else osdp.LogLevel.Emergency
        self._cp = osdp.ControlPanel([info], log_level=level)
        self._lines: queue.Queue[str] = queue.Queue()
        self._stop = threading.Event()
        self._alarm: Alarm | None = None
        self._started = time.monotonic()
        self._last_online: float | None = None
        self._silent = False
        self._cp.start()
        self._pump = threading.Thread(target=self._events, name="portique-osdp", daemon=True)
        self._pump.start()

    @property
    def online(self) -> bool:
        """Whether the reader answers, over the secure channel."""
        return bool(self._cp.is_online(self.address) and self._cp.is_sc_active(self.address))

    def wait_online(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.online:
                return True
            time.sleep(0.05)
        return self.online

    def watch(self, alarm: Alarm) -> None:
        """Raises ``alarm(Reason.READER_SILENT)`` when the reader falls silent."""
        self._alarm = alarm

    # Reader ------------------------------------------------------------------------

    def read(self, timeout: float | None = None) -> str | None:
        """The UID of the next card read (canonical), waiting up to ``timeout``."""
        try:
            return self._lines.get(timeout=timeout) if timeout != 0 else self._lines.get_nowait()
        except queue.Empty:
            return None

    # Signal ------------------------------------------------------------------------

    def show(self, decision: Decision) -> None:
        """Lights the reader's LED (green, red, amber) for 2 s and beeps once, thrice
        or twice; a reader offline just misses it (the lane's other signals remain)."""
        osdp = _osdp()
        colour = {
            Feedback.GREEN: osdp.CommandLEDColor.Green,
            Feedback.RED: osdp.CommandLEDColor.Red,
            Feedback.AMBER: osdp.CommandLEDColor.Amber,
        }[_FEEDBACK[decision.outcome]]
        ticks = round(LED_S * 10)  # OSDP counts LED and buzzer time in 100 ms
        led = {
            "command": osdp.Command.LED, "reader": 0, "led_number": 0, "control_code": 2,
            "on_count": ticks, "off_count": 0, "on_color": colour,
            "off_color": osdp.CommandLEDColor.Black, "timer_count": ticks, "temporary": True,
        }  # fmt: skip
        beeps = _BEEPS[decision.outcome]
        buzzer = {
            "command": osdp.Command.Buzzer, "reader": 0, "control_code": 2,
            "on_count": 1 if beeps == 1 else 2, "off_count": 1, "rep_count": beeps,
        }  # fmt: skip
        try:
            for command in (led, buzzer):
                self._cp.submit_command(self.address, command)
        except Exception as exc:  # the bindings raise plain exceptions
            log.warning("the OSDP reader %s did not take a command: %s", self.port, exc)

    def close(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        self._pump.join(timeout=2)
        try:
            self._cp.teardown()
        finally:
            self._serial.close()

    # Inside ------------------------------------------------------------------------

    def _events(self) -> None:
        while not self._stop.is_set():
            event = self._cp.get_event(self.address, timeout=_POLL_S)
            if event is not None:
                self._card(event)
            self._check_silence()

    def _card(self, event: dict[str, Any]) -> None:
        if event.get("event") != _osdp().Event.CardRead:
            return
        data = bytes(event.get("data") or b"")
        bits = int(event.get("length") or len(data) * 8)
        raw = data[: (bits + 7) // 8]
        try:
            self._lines.put(normalize_badge_uid(raw.hex()))
        except InvalidBadgeUidError:
            log.warning("the OSDP reader %s sent a card of %d bits: not a UID", self.port, bits)

    def _check_silence(self) -> None:
        now = time.monotonic()
        if self.online:
            if self._silent:
                log.warning("the OSDP reader %s answers again", self.port)
            self._last_online, self._silent = now, False
            return
        since = self._started if self._last_online is None else self._last_online
        if self._silent or now - since < self.silent_after_s:
            return
        self._silent = True
        log.error("the OSDP reader %s is silent", self.port)
        if self._alarm is not None:
            try:
                self._alarm(Reason.READER_SILENT)
            except Exception:
                log.exception("the reader alarm could not be raised")


class SimulatedOsdpReader:
    """An OSDP reader (peripheral device) at ``address``, with secure channel key
    ``key``, on an open file descriptor (one end of a pseudo-terminal) or a serial port.

    :meth:`present` reports a card; :attr:`commands` holds what the panel commanded;
    :meth:`fall_silent` stops answering, as an unplugged reader.
    """

    def __init__(self, line: int | str, key: bytes, *, address: int = 0) -> None:
        osdp = _osdp()
        self._serial: Any = None
        if isinstance(line, int):
            os.set_blocking(line, False)
            channel = _channel(lambda n: _read_fd(line, n), lambda data: os.write(line, data))
        else:
            self._serial = serial.serial_for_url(line, baudrate=9600, timeout=0)
            channel = _channel(self._serial.read, self._serial.write)
        info = osdp.PDInfo(address, channel, scbk=key, name="simulated-reader")
        capabilities = osdp.PDCapabilities(
            [
                (osdp.Capability.LEDControl, 1, 1),
                (osdp.Capability.AudibleControl, 1, 1),
                (osdp.Capability.CommunicationSecurity, 1, 1),
            ]
        )
        self._pd = osdp.PeripheralDevice(
            info, capabilities, log_level=osdp.LogLevel.Emergency, command_handler=self._command
        )
        self.commands: list[ReaderCommand] = []
        self._changed = threading.Condition()
        self._running = False

    def start(self) -> None:
        self._pd.start()
        self._running = True

    @property
    def secure(self) -> bool:
        """Whether the panel opened the secure channel with this reader."""
        return bool(self._pd.is_sc_active())

    def wait_secure(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.secure:
            time.sleep(0.05)
        return self.secure

    def present(self, uid: bytes) -> None:
        """A card with this UID is held to the reader."""
        osdp = _osdp()
        card = {
            "event": osdp.Event.CardRead, "reader_no": 0, "direction": 0,
            "format": osdp.CardFormat.Unspecified, "data": uid, "length": len(uid) * 8,
        }  # fmt: skip
        self._pd.submit_event(card)

    def wait_for_commands(self, count: int, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: len(self.commands) >= count, timeout)

    def fall_silent(self) -> None:
        """Stops answering the panel (an unplugged or broken reader)."""
        if self._running:
            self._running = False
            self._pd.stop()

    def close(self) -> None:
        self.fall_silent()
        if self._serial is not None:
            self._serial.close()

    def _command(self, command: dict[str, Any]) -> tuple[int, None]:
        osdp = _osdp()
        colours = {
            osdp.CommandLEDColor.Green: Feedback.GREEN,
            osdp.CommandLEDColor.Red: Feedback.RED,
            osdp.CommandLEDColor.Amber: Feedback.AMBER,
        }
        if command.get("command") == osdp.Command.LED:
            received = ReaderCommand("led", colour=colours.get(command.get("on_color")))
        elif command.get("command") == osdp.Command.Buzzer:
            received = ReaderCommand("buzzer", beeps=int(command.get("rep_count", 0)))
        else:
            received = ReaderCommand(str(command.get("command")))
        with self._changed:
            self.commands.append(received)
            self._changed.notify_all()
        return 0, None


def _read_fd(descriptor: int, size: int) -> bytes:
    try:
        return os.read(descriptor, size)
    except BlockingIOError:
        return b""
