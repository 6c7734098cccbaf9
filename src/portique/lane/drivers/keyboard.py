"""Readers that Linux sees as keyboards (USB QR scanners, badge readers), read through
evdev and grabbed exclusively, so a lane runs as a service without a terminal.

A keyboard-wedge reader types what it read and Enter. On standard input the terminal
turns keys into text; as a service, the lane reads the device's key events itself
(``/dev/input/by-id/usb-…-event-kbd``), grabs it so that nothing it types reaches the
console or another program, and turns the key codes into characters by the scanner's
keyboard layout (``us``, the factory setting of most scanners, or ``fr`` for AZERTY).
:class:`KeyDecoder` does that translation (tested on recorded events);
:class:`EvdevReader` reads a device and gives one line per credential, like the other
readers (``drivers/badge.py``).
"""

from __future__ import annotations

import contextlib
import enum
import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from portique.lane.drivers.badge import MAX_QR_LINE, PumpedReader
from portique.lane.errors import BadgeReaderError

log = logging.getLogger(__name__)

EV_KEY = 1
KEY_UP, KEY_DOWN, KEY_REPEAT = 0, 1, 2
_SHIFTS = {42, 54}  # KEY_LEFTSHIFT, KEY_RIGHTSHIFT
_CAPSLOCK = 58
_ENTERS = {28, 96}  # KEY_ENTER, KEY_KPENTER


class KeyLayout(enum.StrEnum):
    """The keyboard layout a scanner types with."""

    US = "us"
    FR = "fr"


# Key codes of linux/input-event-codes.h, with what each types (plain, with Shift).
_LETTERS = {
    16: "q", 17: "w", 18: "e", 19: "r", 20: "t", 21: "y", 22: "u", 23: "i", 24: "o", 25: "p",
    30: "a", 31: "s", 32: "d", 33: "f", 34: "g", 35: "h", 36: "j", 37: "k", 38: "l",
    44: "z", 45: "x", 46: "c", 47: "v", 48: "b", 49: "n", 50: "m",
}  # fmt: skip
_KEYPAD = {
    71: "7", 72: "8", 73: "9", 75: "4", 76: "5", 77: "6", 79: "1", 80: "2", 81: "3", 82: "0",
    83: ".", 55: "*", 74: "-", 78: "+", 98: "/",
}  # fmt: skip
_US: Mapping[int, tuple[str, str]] = {
    **{code: (letter, letter.upper()) for code, letter in _LETTERS.items()},
    **dict(zip(range(2, 12), zip("1234567890", "!@#$%^&*()", strict=True), strict=True)),
    12: ("-", "_"), 13: ("=", "+"), 26: ("[", "{"), 27: ("]", "}"), 39: (";", ":"),
    40: ("'", '"'), 41: ("`", "~"), 43: ("\\", "|"), 51: (",", "<"), 52: (".", ">"),
    53: ("/", "?"), 57: (" ", " "),
    **{code: (char, char) for code, char in _KEYPAD.items()},
}  # fmt: skip
_AZERTY_LETTERS = {16: "a", 17: "z", 30: "q", 44: "w", 39: "m"}
_FR: Mapping[int, tuple[str, str]] = {
    **{
        code: (letter, letter.upper())
        for code, letter in {**_LETTERS, **_AZERTY_LETTERS}.items()
        if code != 50
    },
    **dict(zip(range(2, 12), zip("&é\"'(-è_çà", "1234567890", strict=True), strict=True)),
    12: (")", "°"), 13: ("=", "+"), 27: ("$", "£"), 40: ("ù", "%"), 43: ("*", "µ"),
    50: (",", "?"), 51: (";", "."), 52: (":", "/"), 53: ("!", "§"), 86: ("<", ">"),
    57: (" ", " "),
    **{code: (char, char) for code, char in _KEYPAD.items()},
}  # fmt: skip
_LAYOUTS: Mapping[KeyLayout, Mapping[int, tuple[str, str]]] = {
    KeyLayout.US: _US,
    KeyLayout.FR: _FR,
}


class KeyDecoder:
    """Turns a keyboard's key events into the lines it typed.

    Shift (either) and Caps Lock (letters only) are followed; keys with no character
    are ignored; Enter ends a line. A line longer than a credential can be is cut.
    """

    def __init__(self, layout: KeyLayout = KeyLayout.US) -> None:
        self.keys = _LAYOUTS[layout]
        self._shift: set[int] = set()
        self._caps = False
        self._chars: list[str] = []

    def feed(self, kind: int, code: int, value: int) -> str | None:
        """One input event; the line typed when it is Enter, else None."""
        if kind != EV_KEY:
            return None
        if code in _SHIFTS:
            if value == KEY_UP:
                self._shift.discard(code)
            else:
                self._shift.add(code)
            return None
        if value == KEY_UP:
            return None
        if code == _CAPSLOCK:
            if value == KEY_DOWN:
                self._caps = not self._caps
            return None
        if code in _ENTERS:
            line, self._chars = "".join(self._chars), []
            return line
        typed = self.keys.get(code)
        if typed is not None and len(self._chars) < MAX_QR_LINE:
            plain, shifted = typed
            shift = bool(self._shift)
            if self._caps and plain.isalpha():
                shift = not shift
            self._chars.append(shifted if shift else plain)
        return None

    def lines(self, events: Iterable[tuple[int, int, int]]) -> list[str]:
        """Every line typed by ``events`` (type, code, value)."""
        found = []
        for event in events:
            line = self.feed(*event)
            if line is not None:
                found.append(line)
        return found


class InputDevice(Protocol):
    """What the reader needs of an evdev device (``evdev.InputDevice``)."""

    path: str | bytes

    def grab(self) -> None: ...

    def ungrab(self) -> None: ...

    def read_loop(self) -> Iterable[Any]:
        """Input events, each with ``type``, ``code`` and ``value``."""

    def close(self) -> None: ...


def open_input_device(path: str) -> InputDevice:
    """The evdev device at ``path``.

    Raises:
        BadgeReaderError: it cannot be opened.
    """
    import evdev

    try:
        device: InputDevice = evdev.InputDevice(path)
    except OSError as exc:
        raise BadgeReaderError(
            f"Cannot open the reader {path}: {exc.strerror or exc}. Use its path under "
            "/dev/input/by-id/ and check that this user may read it (group input)."
        ) from None
    return device


class EvdevReader(PumpedReader):
    """A keyboard-like reader read through evdev and grabbed for the lane alone.

    Raises:
        BadgeReaderError: the device cannot be opened, or another program holds it.
    """

    def __init__(self, device: InputDevice | str, *, layout: KeyLayout = KeyLayout.US) -> None:
        super().__init__()
        self.device = open_input_device(device) if isinstance(device, str) else device
        try:
            self.device.grab()
        except OSError as exc:
            self.device.close()
            raise BadgeReaderError(
                f"The reader {self.device.path!s} is held by another program "
                f"({exc.strerror or exc}): stop it, or the lane would share what it types."
            ) from None
        self.decoder = KeyDecoder(layout)
        self._thread = threading.Thread(target=self._pump, name="portique-evdev", daemon=True)
        self._thread.start()

    def close(self) -> None:
        super().close()
        with contextlib.suppress(OSError):  # unplugged: nothing to release
            self.device.ungrab()
        self.device.close()

    def _pump(self) -> None:
        try:
            for event in self.device.read_loop():
                if self._closed.is_set():
                    break
                line = self.decoder.feed(event.type, event.code, event.value)
                if line is not None:
                    self._deliver(line)
        except OSError as exc:
            if not self._closed.is_set():
                log.error("the reader %r stopped: %s", self.device.path, exc)
        finally:
            self._ended()
