"""The link between lanes and the server: in process (embedded) or over MQTT.

The lane's end is a ``Transport``; the server's end a hub (``InProcessHub``,
``MqttHub``) that ingests events into an ``EventSink`` and publishes snapshots.
``portique.services.lanes`` backs the server's end with a Portique site (a service: it
needs the store, which a lane never imports).
"""

from __future__ import annotations

from portique.lane.comms.base import (
    EventSink,
    Hub,
    Ingestor,
    LanePresence,
    LaneStatusSink,
    LinkHandler,
    MemorySink,
    Transport,
)
from portique.lane.comms.inprocess import InProcessHub, InProcessTransport
from portique.lane.comms.link import load_link_key, new_link_key, seal, unseal, write_link_key
from portique.lane.comms.mqtt import (
    MqttBroker,
    MqttHub,
    MqttTransport,
    alert_event,
    events_topic,
    lane_status_topic,
    receipts_topic,
    server_topic,
    snapshot_topic,
)

__all__ = [
    "EventSink",
    "Hub",
    "InProcessHub",
    "InProcessTransport",
    "Ingestor",
    "LanePresence",
    "LaneStatusSink",
    "LinkHandler",
    "MemorySink",
    "MqttBroker",
    "MqttHub",
    "MqttTransport",
    "Transport",
    "alert_event",
    "events_topic",
    "lane_status_topic",
    "load_link_key",
    "new_link_key",
    "receipts_topic",
    "seal",
    "server_topic",
    "snapshot_topic",
    "unseal",
    "write_link_key",
]
