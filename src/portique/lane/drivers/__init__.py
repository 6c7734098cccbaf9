"""Lane drivers, one module per kind: an interface, a real driver and a simulated one.

Imported here: cameras, QR decoding, readers, signals. Imported from their own module
when used (they load their device libraries): ``buffer`` (the camera's ring),
``approach`` (a simulated person walking up), ``keyboard`` (evdev readers), ``osdp``
(OSDP readers, libosdp), ``display`` (the lane display), ``door`` (the door contact),
``alarm`` (the interface of the devices that raise alarms).
"""

from __future__ import annotations

from portique.lane.drivers.badge import (
    BadgeReader,
    KeyboardWedgeReader,
    SerialBadgeReader,
    SimulatedBadgeReader,
    badge_uid,
)
from portique.lane.drivers.camera import Camera, OpenCvCamera, SimulatedCamera
from portique.lane.drivers.qr import QrReader, SimulatedQrReader, ZxingQrReader
from portique.lane.drivers.readers import open_badge_reader
from portique.lane.drivers.signal import (
    ConsoleSignal,
    GpioSignal,
    HttpRelaySignal,
    LaneSignal,
    SimulatedSignal,
    signal_json,
)

__all__ = [
    "BadgeReader",
    "Camera",
    "ConsoleSignal",
    "GpioSignal",
    "HttpRelaySignal",
    "KeyboardWedgeReader",
    "LaneSignal",
    "OpenCvCamera",
    "QrReader",
    "SerialBadgeReader",
    "SimulatedBadgeReader",
    "SimulatedCamera",
    "SimulatedQrReader",
    "SimulatedSignal",
    "ZxingQrReader",
    "badge_uid",
    "open_badge_reader",
    "signal_json",
]
