"""Lanes and server over MQTT (a school's or a region's deployment), with paho-mqtt 2.

Topics, for site ``S`` and lane ``L`` (every payload sealed with the site's link key):

- ``portique/S/snapshot``: the latest policy snapshot, published retained (QoS 1) by
  the server, so a lane that connects gets it at once;
- ``portique/S/lane/L/events``: batches of passage events from the lane (QoS 1);
- ``portique/S/lane/L/receipts``: the server's receipts naming the events it stored,
  which let the lane's outbox mark them sent (QoS 1);
- ``portique/S/server``: ``online`` (retained) when the server's end connects, so lanes
  send what waits at once instead of at their next retry;
- ``portique/S/lane/L/status``: the lane's heartbeat, ``online``, retained when it
  connects and then every few seconds; ``offline`` (retained) when it closes, or from
  the broker as its last will when it vanishes. The hub records each in the store.

The broker's acknowledgement only means the broker has a message; only a receipt
means the server stored an event. Both ends reconnect by themselves; the server
publishes its snapshots again on every connection, so a broker restarted without
persistence still hands lanes the latest version.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import secrets
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.reasoncodes import ReasonCode

from portique.credentials.claims import is_valid_id
from portique.errors import PortiqueError
from portique.lane.comms.base import (
    EventSink,
    Ingestor,
    LanePresence,
    LaneStatusSink,
    LinkHandler,
    utc_now,
)
from portique.lane.comms.link import seal, unseal
from portique.lane.errors import LinkError
from portique.lane.events import PassageEvent, Receipt, events_from_bytes, events_to_bytes
from portique.lane.snapshot import LaneSnapshot

log = logging.getLogger(__name__)

ROOT = "portique"
QOS = 1
ONLINE = b"online"
OFFLINE = b"offline"


def snapshot_topic(site_id: str) -> str:
    return f"{ROOT}/{_id(site_id)}/snapshot"


def events_topic(site_id: str, lane_id: str) -> str:
    return f"{ROOT}/{_id(site_id)}/lane/{_id(lane_id)}/events"


def receipts_topic(site_id: str, lane_id: str) -> str:
    return f"{ROOT}/{_id(site_id)}/lane/{_id(lane_id)}/receipts"


def lane_status_topic(site_id: str, lane_id: str) -> str:
    return f"{ROOT}/{_id(site_id)}/lane/{_id(lane_id)}/status"


def server_topic(site_id: str) -> str:
    return f"{ROOT}/{_id(site_id)}/server"


def _id(value: str) -> str:
    # Ids are URL-safe (no '/', '+' or '#'): they cannot break out of their topic level.
    if not is_valid_id(value):
        raise LinkError(f"{value!r} is not a valid site or lane id.")
    return value


@dataclass(frozen=True)
class MqttBroker:
    """Where the broker is and how to log in; ``mqtt://`` or ``mqtts://`` URLs parse to it."""

    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: bool = False
    ca_file: Path | None = None
    keepalive_s: int = 30
    reconnect_min_s: int = 1
    reconnect_max_s: int = 30

    @classmethod
    def parse(cls, url: str) -> MqttBroker:
        """``mqtt://[user[:password]@]host[:port]`` (1883) or ``mqtts://...`` (TLS, 8883)."""
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise LinkError("Not a broker URL: use mqtt://host:1883 or mqtts://host:8883.")
        tls = parts.scheme == "mqtts"
        try:
            port = parts.port or (8883 if tls else 1883)
        except ValueError:
            raise LinkError("The broker URL has an invalid port.") from None
        return cls(
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=tls,
        )

    @property
    def shown(self) -> str:
        """The broker as it may be logged: never the password."""
        user = f"{self.username}@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"

    def client(self, client_id: str) -> mqtt.Client:
        """A paho client for this broker, not yet connected."""
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv311,
            clean_session=True,
        )
        if self.username:
            client.username_pw_set(self.username, self.password)
        if self.tls:
            client.tls_set(ca_certs=str(self.ca_file) if self.ca_file else None)
        client.reconnect_delay_set(self.reconnect_min_s, self.reconnect_max_s)
        client.max_inflight_messages_set(100)
        client.on_socket_open = _no_delay
        return client

    def start(self, client: mqtt.Client) -> None:
        """Connects in the background; paho retries until the broker answers."""
        try:
            client.connect_async(self.host, self.port, keepalive=self.keepalive_s)
        except (OSError, ValueError) as exc:
            raise LinkError(f"Cannot use the broker {self.shown}: {exc}.") from None
        client.loop_start()


def _no_delay(_client: mqtt.Client, _userdata: Any, sock: Any) -> None:
    """Sends small packets at once: Nagle's algorithm would hold a receipt or an event
    back until the previous one is acknowledged, tens of ms per round trip."""
    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _guarded(what: str, callback: Callable[..., None]) -> Callable[..., None]:
    """A paho callback that logs its errors: an exception would stop paho's thread."""

    def run(*args: Any) -> None:
        try:
            callback(*args)
        except PortiqueError as error:
            log.warning("%s: %s", what, error.message)
        except Exception:
            log.exception("%s failed", what)

    return run


class MqttTransport:
    """A lane's end of the MQTT link."""

    def __init__(
        self,
        broker: MqttBroker,
        site_id: str,
        lane_id: str,
        link_key: bytes,
        *,
        client_id: str | None = None,
    ) -> None:
        self.broker = broker
        self.site_id = site_id
        self.lane_id = lane_id
        self._key = link_key
        self._topics = {
            snapshot_topic(site_id): self._on_snapshot,
            receipts_topic(site_id, lane_id): self._on_receipt,
            server_topic(site_id): self._on_server,
        }
        self._events_topic = events_topic(site_id, lane_id)
        self._status_topic = lane_status_topic(site_id, lane_id)
        self._client = broker.client(
            client_id or f"{ROOT}-lane-{site_id}-{lane_id}-{secrets.token_hex(3)}"
        )
        # The broker says it for the lane if the lane vanishes without a word.
        self._client.will_set(self._status_topic, self._status(OFFLINE), qos=QOS, retain=True)
        self._client.on_connect = _guarded("lane connect", self._connected_to_broker)
        self._client.on_subscribe = _guarded("lane subscribe", self._subscribed)
        self._client.on_disconnect = _guarded("lane disconnect", self._disconnected)
        self._client.on_message = _guarded("lane message", self._message)
        self._handler: LinkHandler | None = None
        self._up = False
        self._subscription: int | None = None

    @property
    def connected(self) -> bool:
        return self._up

    def start(self, handler: LinkHandler) -> None:
        self._handler = handler
        self.broker.start(self._client)

    def send(self, events: Sequence[PassageEvent]) -> bool:
        if not self._up or not events:
            return False
        payload = seal(self._key, self._events_topic, events_to_bytes(events))
        info = self._client.publish(self._events_topic, payload, qos=QOS)
        return info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS

    def heartbeat(self) -> bool:
        if not self._up:
            return False
        info = self._client.publish(self._status_topic, self._status(ONLINE), qos=QOS)
        return info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS

    def _status(self, status: bytes) -> bytes:
        return seal(self._key, self._status_topic, status)

    def close(self) -> None:
        if self._up:
            info = self._client.publish(
                self._status_topic, self._status(OFFLINE), qos=QOS, retain=True
            )
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(timeout=2)
        self._up = False
        self._client.disconnect()
        self._client.loop_stop()
        self._handler = None

    def _connected_to_broker(
        self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _props: Any
    ) -> None:
        if reason.is_failure:
            log.warning("broker %s refused the lane: %s", self.broker.shown, reason)
            return
        _result, mid = client.subscribe([(topic, QOS) for topic in self._topics])
        self._subscription = mid

    def _subscribed(
        self, _client: mqtt.Client, _userdata: Any, mid: int, reasons: list[ReasonCode], _p: Any
    ) -> None:
        if mid != self._subscription:
            return
        if any(reason.is_failure for reason in reasons):
            log.warning("broker %s refused the lane's subscriptions", self.broker.shown)
            return
        # Only now can a receipt reach the lane: its sends may start. The retained
        # ``online`` replaces a last will left by an earlier connection.
        self._up = True
        self._client.publish(self._status_topic, self._status(ONLINE), qos=QOS, retain=True)
        log.info("lane %s linked to %s", self.lane_id, self.broker.shown)
        if self._handler is not None:
            self._handler.link_changed(True)

    def _disconnected(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _p: Any
    ) -> None:
        was_up, self._up = self._up, False
        if was_up:
            log.warning("lane %s lost the broker %s (%s)", self.lane_id, self.broker.shown, reason)
            if self._handler is not None:
                self._handler.link_changed(False)

    def _message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        handle = self._topics.get(message.topic)
        if handle is None or not message.payload:
            return  # an empty retained payload clears a topic; nothing to read
        handle(unseal(self._key, message.topic, bytes(message.payload)))

    def _on_snapshot(self, plaintext: bytes) -> None:
        if self._handler is not None:
            self._handler.snapshot_received(LaneSnapshot.from_bytes(plaintext))

    def _on_receipt(self, plaintext: bytes) -> None:
        if self._handler is not None:
            self._handler.receipt_received(Receipt.from_bytes(plaintext))

    def _on_server(self, plaintext: bytes) -> None:
        if plaintext == ONLINE and self._up and self._handler is not None:
            self._handler.link_changed(True)


@dataclass
class _Batch:
    site_id: str
    lane_id: str
    events: list[PassageEvent]


class MqttHub:
    """The server's end of the MQTT link: ingests the events of its sites' lanes into a
    sink, answers receipts, and publishes snapshots.

    ``link_keys`` maps each site this hub serves to its link key. Events are stored
    by a worker thread in batches (what arrives within ``linger_s`` of the first, up to
    ``batch_limit`` events), so a burst costs one transaction and one receipt per lane
    per batch, not per event. Lanes' heartbeats and last wills go to ``lane_status``,
    stamped with ``clock``.
    """

    def __init__(
        self,
        broker: MqttBroker,
        sink: EventSink,
        link_keys: Mapping[str, bytes],
        *,
        client_id: str | None = None,
        batch_limit: int = 500,
        linger_s: float = 0.005,
        lane_status: LaneStatusSink | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if not link_keys:
            raise LinkError("An MQTT hub serves at least one site: give its link key.")
        self.broker = broker
        self.ingestor = Ingestor(sink)
        self.presence = LanePresence(lane_status, clock)
        self.batch_limit = batch_limit
        self.linger_s = linger_s
        self._keys = {_id(site_id): key for site_id, key in link_keys.items()}
        self._snapshots: dict[str, LaneSnapshot] = {}
        self._lock = threading.Lock()
        self._inbox: queue.Queue[_Batch | None] = queue.Queue()
        self._up = threading.Event()
        self._worker = threading.Thread(target=self._work, name="portique-hub-ingest", daemon=True)
        self._client = broker.client(client_id or f"{ROOT}-hub-{secrets.token_hex(4)}")
        self._client.on_connect = _guarded("hub connect", self._connected_to_broker)
        self._client.on_disconnect = _guarded("hub disconnect", self._disconnected)
        self._client.on_message = _guarded("hub message", self._message)

    @property
    def connected(self) -> bool:
        return self._up.is_set()

    def start(self) -> None:
        self._worker.start()
        self.broker.start(self._client)

    def wait_connected(self, timeout: float) -> bool:
        return self._up.wait(timeout)

    def close(self) -> None:
        if self._up.is_set():
            for site_id, key in self._keys.items():
                topic = server_topic(site_id)
                info = self._client.publish(topic, seal(key, topic, OFFLINE), qos=QOS, retain=True)
                with contextlib.suppress(RuntimeError, ValueError):
                    info.wait_for_publish(timeout=2)
        self._up.clear()  # leaving on purpose: not a lost broker
        self._client.disconnect()
        self._client.loop_stop()
        self._inbox.put(None)
        if self._worker.is_alive():
            self._worker.join(timeout=5)

    def publish_snapshot(self, snapshot: LaneSnapshot) -> None:
        """Makes ``snapshot`` its site's latest (retained); published again on every
        connection to the broker. An older version than the latest is ignored."""
        site_id = snapshot.site_id
        if site_id not in self._keys:
            raise LinkError(f"This hub has no link key for site {site_id!r}.")
        with self._lock:
            current = self._snapshots.get(site_id)
            if current is not None and current.version > snapshot.version:
                return
            self._snapshots[site_id] = snapshot
        if self._up.is_set():
            self._publish_snapshot(snapshot)

    def _publish_snapshot(self, snapshot: LaneSnapshot) -> None:
        topic = snapshot_topic(snapshot.site_id)
        payload = seal(self._keys[snapshot.site_id], topic, snapshot.to_bytes())
        self._client.publish(topic, payload, qos=QOS, retain=True)

    def _connected_to_broker(
        self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _props: Any
    ) -> None:
        if reason.is_failure:
            log.warning("broker %s refused the hub: %s", self.broker.shown, reason)
            return
        client.subscribe(
            [
                (f"{ROOT}/{site_id}/lane/+/{kind}", QOS)
                for site_id in self._keys
                for kind in ("events", "status")
            ]
        )
        with self._lock:
            snapshots = list(self._snapshots.values())
        for snapshot in snapshots:
            self._publish_snapshot(snapshot)
        for site_id, key in self._keys.items():
            topic = server_topic(site_id)
            client.publish(topic, seal(key, topic, ONLINE), qos=QOS, retain=True)
        self._up.set()
        log.info("hub linked to %s for %d sites", self.broker.shown, len(self._keys))

    def _disconnected(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _p: Any
    ) -> None:
        if self._up.is_set():
            log.warning("hub lost the broker %s (%s)", self.broker.shown, reason)
        self._up.clear()

    def _message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        levels = message.topic.split("/")
        if len(levels) != 5 or levels[0] != ROOT or levels[2] != "lane":
            return
        site_id, lane_id, kind = levels[1], levels[3], levels[4]
        key = self._keys.get(site_id)
        if key is None or not message.payload:
            return
        if kind == "status":
            status = unseal(key, message.topic, bytes(message.payload))
            if status in (ONLINE, OFFLINE):
                self.presence.heard(site_id, lane_id, online=status == ONLINE)
            return
        if kind != "events":
            return
        events = events_from_bytes(unseal(key, message.topic, bytes(message.payload)))
        self._inbox.put(_Batch(site_id, lane_id, events))

    def _work(self) -> None:
        while True:
            first = self._inbox.get()
            if first is None:
                return
            # Lingering a few ms gathers the events of many lanes (or one lane's burst)
            # into one store and one receipt per lane, instead of one per message.
            batches, size = [first], len(first.events)
            deadline = time.monotonic() + self.linger_s
            while size < self.batch_limit:
                try:
                    item = self._inbox.get(timeout=max(deadline - time.monotonic(), 0.0))
                except queue.Empty:
                    break
                if item is None:
                    self._ingest(batches)
                    return
                batches.append(item)
                size += len(item.events)
            self._ingest(batches)

    def _ingest(self, batches: list[_Batch]) -> None:
        try:
            receipts = self.ingestor.ingest_many(
                [(batch.site_id, batch.lane_id, batch.events) for batch in batches]
            )
        except PortiqueError as error:
            # No receipt: the lanes send these events again after their retry delay.
            log.error("could not store %d event batches: %s", len(batches), error.message)
            return
        except Exception:
            log.exception("could not store %d event batches", len(batches))
            return
        for batch, receipt in zip(batches, receipts, strict=True):
            topic = receipts_topic(batch.site_id, batch.lane_id)
            payload = seal(self._keys[batch.site_id], topic, receipt.to_bytes())
            self._client.publish(topic, payload, qos=QOS)
