"""Opening the credential reader a setting names: a terminal, a serial port or an evdev
device (OSDP readers are opened by ``drivers/osdp.py``)."""

from __future__ import annotations

from portique.lane.drivers.badge import BadgeReader, KeyboardWedgeReader, SerialBadgeReader
from portique.lane.drivers.keyboard import EvdevReader, KeyLayout
from portique.lane.errors import BadgeReaderError


def open_badge_reader(spec: str, *, layout: str = "us") -> BadgeReader:
    """The reader a setting names: ``stdin`` (keyboard wedge or QR scanner on a
    terminal), ``serial:PORT`` or ``serial:PORT@BAUD`` (``serial:/dev/ttyUSB0@9600``),
    or ``evdev:PATH`` (a keyboard-like reader grabbed through evdev, typing with the
    keyboard ``layout`` us or fr). OSDP readers are opened by ``drivers/osdp.py``.

    Raises:
        BadgeReaderError: an unknown kind, or a device that cannot be opened.
    """
    if spec == "stdin":
        return KeyboardWedgeReader()
    kind, _, rest = spec.partition(":")
    if kind == "serial" and rest:
        port, _, baud = rest.rpartition("@") if "@" in rest else (rest, "", "")
        try:
            return SerialBadgeReader(port, baudrate=int(baud) if baud else 9600)
        except ValueError:
            raise BadgeReaderError(f"{baud!r} is not a baud rate.") from None
    if kind == "evdev" and rest:
        try:
            chosen = KeyLayout(layout)
        except ValueError:
            raise BadgeReaderError(f"{layout!r} is not a keyboard layout: us or fr.") from None
        return EvdevReader(rest, layout=chosen)
    raise BadgeReaderError(
        f"Unknown reader {spec!r}: use stdin, serial:PORT[@BAUD] (serial:/dev/ttyUSB0@9600), "
        "evdev:/dev/input/by-id/… or osdp:PORT[@BAUD]."
    )
