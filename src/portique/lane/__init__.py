"""The runtime of one lane: drivers, the local snapshot, offline decisions, the outbox.

A lane reads a credential (a QR code in a camera frame, or a badge), decides on its own
policy snapshot, compares a face 1:1 only for those who opted in, signals the outcome
and forwards the event to the server through its outbox, at least once::

    from portique import lane
    config = lane.LaneConfig("lycee-0130001A", "entree", Path("/var/lib/portique/lane"))
    identity = lane.LaneIdentity.load(provisioned, config.site_id, config.lane_id)
    transport = lane.MqttTransport(lane.MqttBroker.parse("mqtts://server"), identity)
    with lane.Lane(config, transport=transport, camera=lane.OpenCvCamera(0),
                   signals=[lane.ConsoleSignal()], face_engine=lane.lane_face_engine()) as gate:
        gate.start()
        gate.run(stop_event)

Laid out by capability: ``drivers/`` (camera and its ring, QR, badge readers and QR
scanners, OSDP readers, signals, the lane display, the door: an interface, a real driver
and a simulated one each), ``comms/`` (in-process and MQTT links, ingest), and the
runtime, face capture, snapshot, events and outbox modules. docs/lane.md describes the
devices at the door.
"""

from __future__ import annotations

from portique.lane.comms import (
    EventSink,
    Ingestor,
    InProcessHub,
    InProcessTransport,
    LinkHandler,
    MemorySink,
    MqttBroker,
    MqttHub,
    MqttTransport,
    Transport,
    load_link_key,
    new_link_key,
    write_link_key,
)
from portique.lane.comms.identity import LaneIdentity, LaneRecord, MemoryLaneDirectory, SiteTrust
from portique.lane.drivers import (
    BadgeReader,
    Camera,
    ConsoleSignal,
    GpioSignal,
    HttpRelaySignal,
    KeyboardWedgeReader,
    LaneSignal,
    OpenCvCamera,
    QrReader,
    SerialBadgeReader,
    SimulatedBadgeReader,
    SimulatedCamera,
    SimulatedQrReader,
    SimulatedSignal,
    ZxingQrReader,
    open_badge_reader,
)
from portique.lane.errors import (
    BadgeReaderError,
    CameraError,
    EventFormatError,
    LaneError,
    LinkError,
    NoSnapshotError,
    SnapshotError,
)
from portique.lane.events import PassageEvent, Receipt, new_event_id
from portique.lane.face import CaptureSettings, FaceCapture, lane_face_engine
from portique.lane.outbox import Outbox, OutboxCounts, RetryPolicy
from portique.lane.pipeline import PassageResult, decide_passage
from portique.lane.runtime import Lane, LaneConfig
from portique.lane.simulated import (
    PresentBadge,
    ShowCode,
    SimulatedLane,
    WalkUp,
    credential_frame,
)
from portique.lane.snapshot import LaneSnapshot, SnapshotFile

__all__ = [
    "BadgeReader",
    "BadgeReaderError",
    "Camera",
    "CameraError",
    "CaptureSettings",
    "ConsoleSignal",
    "EventFormatError",
    "EventSink",
    "FaceCapture",
    "GpioSignal",
    "HttpRelaySignal",
    "InProcessHub",
    "InProcessTransport",
    "Ingestor",
    "KeyboardWedgeReader",
    "Lane",
    "LaneConfig",
    "LaneError",
    "LaneIdentity",
    "LaneRecord",
    "LaneSignal",
    "LaneSnapshot",
    "LinkError",
    "LinkHandler",
    "MemoryLaneDirectory",
    "MemorySink",
    "MqttBroker",
    "MqttHub",
    "MqttTransport",
    "NoSnapshotError",
    "OpenCvCamera",
    "Outbox",
    "OutboxCounts",
    "PassageEvent",
    "PassageResult",
    "PresentBadge",
    "QrReader",
    "Receipt",
    "RetryPolicy",
    "SerialBadgeReader",
    "ShowCode",
    "SimulatedBadgeReader",
    "SimulatedCamera",
    "SimulatedLane",
    "SimulatedQrReader",
    "SimulatedSignal",
    "SiteTrust",
    "SnapshotError",
    "SnapshotFile",
    "Transport",
    "WalkUp",
    "ZxingQrReader",
    "credential_frame",
    "decide_passage",
    "lane_face_engine",
    "load_link_key",
    "new_event_id",
    "new_link_key",
    "open_badge_reader",
    "write_link_key",
]
