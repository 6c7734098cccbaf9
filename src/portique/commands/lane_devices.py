"""The devices of `portique lane run`, built from its options: camera, reader (stdin,
serial, evdev or OSDP), signals (console, HTTP relay, GPIO lines), the lane display and
the door contact."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from portique.access import Outcome
from portique.commands.common import err
from portique.errors import BadInputError
from portique.i18n import text
from portique.lane import (
    BadgeReader,
    Camera,
    ConsoleSignal,
    GpioSignal,
    HttpRelaySignal,
    LaneSignal,
    OpenCvCamera,
    open_badge_reader,
)
from portique.lane.drivers.alarm import AlarmSource
from portique.lane.drivers.display import DisplayServer, LaneDisplay, display_token, parse_address

OSDP_PREFIX = "osdp:"


@dataclass(frozen=True)
class DeviceOptions:
    """What `lane run` was asked to drive."""

    camera: str | None = None
    reader: str | None = None
    relay: str | None = None
    display: str | None = None
    layout: str = "us"
    osdp_key: Path | None = None
    osdp_address: int = 0
    gpio: tuple[str, ...] = ()
    pulse_s: float = 3.0
    door_contact: Path | None = None
    held_open_s: float = 30.0
    verbose: bool = False


@dataclass
class LaneDevices:
    """The devices built for one lane."""

    camera: Camera | None = None
    reader: BadgeReader | None = None
    signals: list[LaneSignal] = field(default_factory=list)
    display: LaneDisplay | None = None
    display_url: str | None = None
    watchers: list[AlarmSource] = field(default_factory=list)


def open_devices(options: DeviceOptions, lane_directory: Path, lang: str) -> LaneDevices:
    """Opens every device ``options`` name.

    Raises:
        BadInputError: an option that cannot be used. LaneError: a device that does not open.
    """
    if options.pulse_s <= 0 or options.held_open_s <= 0:
        raise BadInputError(
            text(
                "--pulse et --held-open : un nombre de secondes positif.",
                "--pulse and --held-open: a positive number of seconds.",
            )
        )
    devices = LaneDevices(signals=[ConsoleSignal(lang=lang)])
    if options.relay is not None:
        devices.signals.append(HttpRelaySignal(options.relay, lang=lang, pulse_s=options.pulse_s))
    if options.gpio:
        devices.signals.append(GpioSignal(gpio_lines(options.gpio), pulse_s=options.pulse_s))
    devices.camera = OpenCvCamera(options.camera) if options.camera is not None else None
    if options.reader is not None:
        _reader(options, devices)
    if options.door_contact is not None:
        from portique.lane.drivers.door import DoorMonitor, GpioDoorContact

        monitor = DoorMonitor(
            GpioDoorContact(options.door_contact),
            unlock_s=options.pulse_s,
            held_open_s=options.held_open_s,
        )
        devices.signals.append(monitor)
        devices.watchers.append(monitor)
    if options.display is not None:
        host, port = parse_address(options.display)
        server = DisplayServer(host, port, display_token(lane_directory), lang=lang)
        server.start()
        devices.display, devices.display_url = server, server.url()
        err.print(text("Écran de voie : ", "Lane display: ") + server.url())
    return devices


def _reader(options: DeviceOptions, devices: LaneDevices) -> None:
    assert options.reader is not None
    if not options.reader.startswith(OSDP_PREFIX):
        devices.reader = open_badge_reader(options.reader, layout=options.layout)
        return
    from portique.lane.drivers.osdp import OsdpReader, load_osdp_key

    if options.osdp_key is None:
        raise BadInputError(
            text(
                "Un lecteur OSDP parle en canal sécurisé : donnez sa clé avec --osdp-key FICHIER.",
                "An OSDP reader talks over the secure channel: give its key with --osdp-key FILE.",
            )
        )
    rest = options.reader[len(OSDP_PREFIX) :]
    port, _, baud = rest.rpartition("@") if "@" in rest else (rest, "", "")
    if not port or (baud and not baud.isdigit()):
        raise BadInputError(f"--reader {options.reader!r}: osdp:PORT[@BAUD].")
    reader = OsdpReader(
        port,
        load_osdp_key(options.osdp_key),
        address=options.osdp_address,
        baudrate=int(baud) if baud else 9600,
        verbose=options.verbose,
    )
    devices.reader = reader
    devices.signals.append(reader)
    devices.watchers.append(reader)


def gpio_lines(specs: tuple[str, ...]) -> dict[Outcome, Path]:
    """``grant=/sys/class/gpio/gpio17/value``-style options as lines per outcome.

    Raises:
        BadInputError: not OUTCOME=PATH with a known outcome.
    """
    lines: dict[Outcome, Path] = {}
    for spec in specs:
        name, _, path = spec.partition("=")
        try:
            outcome = Outcome(name.strip().lower())
        except ValueError:
            outcome = None
        if outcome is None or not path:
            raise BadInputError(
                text(
                    f"--gpio {spec!r} : RÉSULTAT=CHEMIN, avec grant, deny ou refer.",
                    f"--gpio {spec!r}: OUTCOME=PATH, with grant, deny or refer.",
                )
            )
        lines[outcome] = Path(path)
    return lines
