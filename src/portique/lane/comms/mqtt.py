"""Lanes and server over MQTT (a school's or a region's deployment), with paho-mqtt 2.

Topics, for site ``S`` and lane ``L``:

- ``portique/S/lane/L/snapshot``: lane L's policy snapshot, published retained (QoS 1)
  by the server, so a lane that connects gets it at once;
- ``portique/S/lane/L/events``: batches of passage events from the lane (QoS 1);
- ``portique/S/lane/L/receipts``: the server's receipts naming the events it stored,
  which let the lane's outbox mark them sent (QoS 1);
- ``portique/S/server``: ``online`` (retained) when the server's end connects, so lanes
  send what waits at once instead of at their next retry;
- ``portique/S/lane/L/status``: the lane's heartbeat, ``online``, retained when it
  connects and then every few seconds; ``offline`` (retained) when it closes, or from
  the broker as its last will when it vanishes. The hub records each in the store.

Every message is a signed envelope (``envelope.py``): the server signs snapshots,
receipts and its status with the site's snapshot key, a lane signs its events and
heartbeats with its own key. Every message of a lane's topics is also sealed with that
lane's link key, so no other lane can read it. Each end refuses a message whose
signature, sender or counter does not hold (a forgery, a replay), and the hub refuses
everything from a revoked lane, with an alert.

The broker's acknowledgement only means the broker has a message; only a receipt
means the server stored an event. Both ends reconnect by themselves; the server
publishes its snapshots again on every connection, and renews them before they expire,
so a broker restarted without persistence still hands lanes the latest version.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import queue
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.reasoncodes import ReasonCode

from portique.access import Reason
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
from portique.lane.comms.envelope import (
    ALL_LANES,
    Envelope,
    MessageCounter,
    MessageKind,
    ReplayGuard,
    sign,
    verify,
)
from portique.lane.comms.identity import LaneIdentity, LaneRecord, SiteTrust
from portique.lane.comms.link import seal, unseal
from portique.lane.errors import EventFormatError, LinkError
from portique.lane.events import (
    PassageEvent,
    Receipt,
    events_from_bytes,
    events_to_bytes,
)
from portique.lane.snapshot import LaneSnapshot

log = logging.getLogger(__name__)

ROOT = "portique"
QOS = 1
ONLINE = b"online"
OFFLINE = b"offline"


def snapshot_topic(site_id: str, lane_id: str) -> str:
    return f"{ROOT}/{_id(site_id)}/lane/{_id(lane_id)}/snapshot"


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
    def loopback(self) -> bool:
        """Whether the broker is on this machine (127.0.0.1, ::1, localhost)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def check_secure(self, *, insecure: bool = False) -> None:
        """Refuses a broker reached without TLS across the network, unless ``insecure``;
        warns about one without TLS or without a login even on this machine.

        Raises:
            LinkError: a broker off this machine without TLS, and not ``insecure``.
        """
        if not self.tls and not self.loopback and not insecure:
            raise LinkError(
                f"The broker {self.shown} is reached without TLS across the network: anyone "
                "on the way could read and alter the lanes' messages. Use mqtts:// with the "
                "site's CA (`portique broker config`), or --insecure for a test bench."
            )
        if not self.tls or not self.username:
            log.warning(
                "the broker %s is used %s: fine for a test on one machine, not for a site "
                "(`portique broker config` makes a locked-down one)",
                self.shown,
                "without TLS" if not self.tls else "without a login",
            )

    @property
    def shown(self) -> str:
        """The broker as it may be logged: never the password."""
        user = f"{self.username}@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"

    def client(self, client_id: str, *, v5: bool = False) -> mqtt.Client:
        """A paho client for this broker, not yet connected; ``v5`` speaks MQTT 5 (what
        a shared subscription needs), else MQTT 3.1.1 with a clean session."""
        if v5:
            client = mqtt.Client(
                CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
            )
        else:
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


def _when_accepted(
    broker: MqttBroker, who: str, connected: Callable[[mqtt.Client], None]
) -> Callable[..., None]:
    """A paho ``on_connect`` callback: ``connected(client)`` once the broker accepted the
    connection of the ``who`` (lane, hub); a refusal is logged."""

    def on_connect(
        client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _props: Any
    ) -> None:
        if reason.is_failure:
            log.warning("broker %s refused the %s: %s", broker.shown, who, reason)
            return
        connected(client)

    return on_connect


class MqttTransport:
    """A lane's end of the MQTT link, speaking as ``identity``.

    ``clock`` stamps the lane's message counters (the hub refuses a heartbeat whose
    counter is far from its own clock).
    """

    def __init__(
        self,
        broker: MqttBroker,
        identity: LaneIdentity,
        *,
        client_id: str | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.broker = broker
        self.identity = identity
        site_id, lane_id = identity.site_id, identity.lane_id
        self.site_id = site_id
        self.lane_id = lane_id
        self._counter = MessageCounter(clock)
        self._seen = ReplayGuard(clock)
        self._topics: dict[str, Callable[[Envelope], None]] = {
            snapshot_topic(site_id, lane_id): self._on_snapshot,
            receipts_topic(site_id, lane_id): self._on_receipt,
            server_topic(site_id): self._on_server,
        }
        self._kinds = {
            snapshot_topic(site_id, lane_id): MessageKind.SNAPSHOT,
            receipts_topic(site_id, lane_id): MessageKind.RECEIPT,
            server_topic(site_id): MessageKind.SERVER,
        }
        self._events_topic = events_topic(site_id, lane_id)
        self._status_topic = lane_status_topic(site_id, lane_id)
        self._client = broker.client(
            client_id or f"{ROOT}-lane-{site_id}-{lane_id}-{secrets.token_hex(3)}"
        )
        self._client.on_connect = _guarded(
            "lane connect", _when_accepted(broker, "lane", self._connected_to_broker)
        )
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
        self._set_will()
        self.broker.start(self._client)

    def _set_will(self) -> None:
        # The broker says it for the lane if the lane vanishes without a word; a fresh
        # counter for each connection, so the hub tells this will from an old one.
        self._client.will_set(self._status_topic, self._status(OFFLINE), qos=QOS, retain=True)

    def send(self, events: Sequence[PassageEvent]) -> bool:
        if not self._up or not events:
            return False
        payload = self._wrap(MessageKind.EVENTS, self._events_topic, events_to_bytes(events))
        info = self._client.publish(self._events_topic, payload, qos=QOS)
        return info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS

    def heartbeat(self) -> bool:
        if not self._up:
            return False
        info = self._client.publish(self._status_topic, self._status(ONLINE), qos=QOS)
        return info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS

    def _status(self, status: bytes) -> bytes:
        return self._wrap(MessageKind.STATUS, self._status_topic, status)

    def _wrap(self, kind: MessageKind, topic: str, body: bytes) -> bytes:
        envelope = Envelope(kind, self.site_id, self.lane_id, self._counter.next(), body)
        return seal(self.identity.link_key, topic, sign(envelope, topic, self.identity.signing_key))

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

    def _connected_to_broker(self, client: mqtt.Client) -> None:
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
        self._set_will()  # for the next connection
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
        topic = message.topic
        handle = self._topics.get(topic)
        if handle is None or not message.payload:
            return  # an empty retained payload clears a topic; nothing to read
        payload = bytes(message.payload)
        if topic != server_topic(self.site_id):
            payload = unseal(self.identity.link_key, topic, payload)
        envelope = verify(payload, topic, self.identity.server_key)
        expected = ALL_LANES if topic == server_topic(self.site_id) else self.lane_id
        if (
            envelope.kind is not self._kinds[topic]
            or envelope.site_id != self.site_id
            or envelope.lane_id != expected
        ):
            raise EventFormatError(f"A signed message on {topic} names another kind or lane.")
        handle(envelope)

    def _on_snapshot(self, envelope: Envelope) -> None:
        snapshot = LaneSnapshot.from_bytes(envelope.body)
        if not snapshot.lane_ids:
            raise EventFormatError("A snapshot on the link names no lane: refused.")
        if self._handler is not None:
            # The lane checks the rest: site, lane, version, issue time.
            self._handler.snapshot_received(snapshot)

    def _on_receipt(self, envelope: Envelope) -> None:
        if not self._seen.fresh(MessageKind.RECEIPT, envelope.counter):
            log.warning("lane %s ignored a replayed receipt", self.lane_id)
            return
        if self._handler is not None:
            self._handler.receipt_received(Receipt.from_bytes(envelope.body))

    def _on_server(self, envelope: Envelope) -> None:
        if not self._seen.fresh(MessageKind.SERVER, envelope.counter):
            return
        if envelope.body == ONLINE and self._up and self._handler is not None:
            self._handler.link_changed(True)


@dataclass
class _Batch:
    site_id: str
    lane_id: str
    events: list[PassageEvent]
    answer: bool = True  # False for the hub's own alerts: no lane waits for a receipt


@dataclass
class _Site:
    trust: SiteTrust
    snapshot: LaneSnapshot | None = None
    online: set[str] = field(default_factory=set)
    alerted: dict[tuple[str, Reason], datetime] = field(default_factory=dict)


DAY = timedelta(hours=24)


class MqttHub:
    """The server's end of the MQTT link: ingests the events of its sites' lanes into a
    sink, answers receipts, and publishes snapshots.

    ``sites`` says, for each site this hub serves, its snapshot signing key and its lane
    devices. Each lane gets its own snapshot, signed, valid ``snapshot_validity`` and
    renewed every ``renew_s`` (a quarter of it by default). Events are stored by a worker
    thread in batches (what arrives within ``linger_s`` of the first, up to
    ``batch_limit`` events), so a burst costs one transaction and one receipt per lane
    per batch, not per event. Lanes' heartbeats and last wills go to ``lane_status``,
    stamped with ``clock``; a heartbeat whose counter is more than ``status_window`` away
    from that clock is a replay. What a revoked lane or a forger sends is refused, and
    stored as an alert (at most one per lane and reason every ``alert_every``).

    With ``share``, several hubs share the lanes (MQTT 5 shared subscription
    ``$share/<share>/...``): the broker gives each message of a lane to one of them, and
    if one stops, to the others; the lanes resend what no hub acknowledged, and the store
    keeps each event once (its id is unique), whichever hub stores it.
    """

    def __init__(
        self,
        broker: MqttBroker,
        sink: EventSink,
        sites: Iterable[SiteTrust],
        *,
        client_id: str | None = None,
        batch_limit: int = 500,
        linger_s: float = 0.005,
        lane_status: LaneStatusSink | None = None,
        clock: Callable[[], datetime] = utc_now,
        snapshot_validity: timedelta = DAY,
        renew_s: float | None = None,
        status_window: timedelta = timedelta(minutes=5),
        alert_every: timedelta = timedelta(minutes=10),
        share: str | None = None,
    ) -> None:
        self._sites = {_id(trust.site_id): _Site(trust) for trust in sites}
        self.share = _id(share) if share is not None else None
        if not self._sites:
            raise LinkError("An MQTT hub serves at least one site: give its keys.")
        self.broker = broker
        self.ingestor = Ingestor(sink)
        self.presence = LanePresence(lane_status, clock)
        self.batch_limit = batch_limit
        self.linger_s = linger_s
        self.snapshot_validity = snapshot_validity
        self.renew_s = renew_s if renew_s is not None else snapshot_validity.total_seconds() / 4
        self.alert_every = alert_every
        self._clock = clock
        self._counter = MessageCounter(clock)
        self._seen = ReplayGuard(clock, window=status_window)
        self._lock = threading.Lock()
        self._inbox: queue.Queue[_Batch | None] = queue.Queue()
        self._up = threading.Event()
        self._stop = threading.Event()
        self._worker = threading.Thread(target=self._work, name="portique-hub-ingest", daemon=True)
        self._renewer = threading.Thread(
            target=self._renew_loop, name="portique-hub-renew", daemon=True
        )
        self._client = broker.client(
            client_id or f"{ROOT}-hub-{secrets.token_hex(4)}", v5=self.share is not None
        )
        self._client.on_connect = _guarded(
            "hub connect", _when_accepted(broker, "hub", self._connected_to_broker)
        )
        self._client.on_disconnect = _guarded("hub disconnect", self._disconnected)
        self._client.on_message = _guarded("hub message", self._message)

    @property
    def connected(self) -> bool:
        return self._up.is_set()

    def start(self) -> None:
        self._worker.start()
        self._renewer.start()
        self.broker.start(self._client)

    def wait_connected(self, timeout: float) -> bool:
        return self._up.wait(timeout)

    def close(self) -> None:
        self._stop.set()
        if self._up.is_set():
            for site_id in self._sites:
                info = self._client.publish(
                    server_topic(site_id),
                    self._server_status(site_id, OFFLINE),
                    qos=QOS,
                    retain=True,
                )
                with contextlib.suppress(RuntimeError, ValueError):
                    info.wait_for_publish(timeout=2)
        self._up.clear()  # leaving on purpose: not a lost broker
        self._client.disconnect()
        self._client.loop_stop()
        self._inbox.put(None)
        for thread in (self._worker, self._renewer):
            if thread.is_alive():
                thread.join(timeout=5)

    def publish_snapshot(self, snapshot: LaneSnapshot) -> None:
        """Makes ``snapshot`` its site's latest: each lane of the site gets its own copy
        (retained), signed, again on every connection and before it expires. An older
        version than the latest is ignored."""
        site = self._sites.get(snapshot.site_id)
        if site is None:
            raise LinkError(f"This hub does not serve site {snapshot.site_id!r}.")
        with self._lock:
            current = site.snapshot
            if current is not None and current.version > snapshot.version:
                return
            site.snapshot = snapshot
        if self._up.is_set():
            self._publish_snapshots(site)

    def _publish_snapshots(self, site: _Site, only: str | None = None) -> None:
        """Publishes the site's snapshot to each of its lanes (or to lane ``only``)."""
        with self._lock:
            snapshot = site.snapshot
        if snapshot is None:
            return
        now = self._clock()
        trust = site.trust
        for record in trust.lanes.lanes():
            if only is not None and record.lane_id != only:
                continue
            topic = snapshot_topic(trust.site_id, record.lane_id)
            if record.revoked:
                self._client.publish(topic, b"", qos=QOS, retain=True)  # nothing left for it
                continue
            mine = snapshot.for_lane(
                record.lane_id, issued_at=now, expires_at=now + self.snapshot_validity
            )
            envelope = Envelope(
                MessageKind.SNAPSHOT,
                trust.site_id,
                record.lane_id,
                self._counter.next(),
                mine.to_bytes(),
            )
            payload = seal(record.link_key, topic, sign(envelope, topic, trust.signing_key))
            self._client.publish(topic, payload, qos=QOS, retain=True)

    def _server_status(self, site_id: str, status: bytes) -> bytes:
        topic = server_topic(site_id)
        envelope = Envelope(MessageKind.SERVER, site_id, ALL_LANES, self._counter.next(), status)
        return sign(envelope, topic, self._sites[site_id].trust.signing_key)

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.renew_s):
            if not self._up.is_set():
                continue
            for site in self._sites.values():
                try:
                    self._publish_snapshots(site)
                except Exception:
                    log.exception("could not renew the snapshots of %s", site.trust.site_id)

    def _connected_to_broker(self, client: mqtt.Client) -> None:
        shared = f"$share/{self.share}/" if self.share is not None else ""
        client.subscribe(
            [
                (f"{shared}{ROOT}/{site_id}/lane/+/{kind}", QOS)
                for site_id in self._sites
                for kind in ("events", "status")
            ]
        )
        for site_id, site in self._sites.items():
            self._publish_snapshots(site)
            client.publish(
                server_topic(site_id), self._server_status(site_id, ONLINE), qos=QOS, retain=True
            )
        self._up.set()
        log.info("hub linked to %s for %d sites", self.broker.shown, len(self._sites))

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
        site = self._sites.get(site_id)
        if site is None or not message.payload or kind not in ("events", "status"):
            return
        record = site.trust.lanes.lane(lane_id)
        if record is None:
            log.warning("hub ignored a message from %s/%s: no such lane device", site_id, lane_id)
            return
        if record.revoked:
            self._alert(site, lane_id, Reason.LANE_REVOKED, "a revoked lane device still talks")
            return
        try:
            envelope = self._open(record, site_id, message.topic, bytes(message.payload))
        except EventFormatError as error:
            self._alert(site, lane_id, Reason.LANE_UNTRUSTED, error.message)
            return
        if envelope.kind is MessageKind.STATUS:
            self._on_status(site_id, lane_id, envelope)
        elif envelope.kind is MessageKind.EVENTS:
            if not self._seen.fresh((site_id, lane_id, "events"), envelope.counter, windowed=False):
                log.warning("hub ignored replayed events from lane %s/%s", site_id, lane_id)
                return
            self._inbox.put(_Batch(site_id, lane_id, events_from_bytes(envelope.body)))

    def _open(self, record: LaneRecord, site_id: str, topic: str, payload: bytes) -> Envelope:
        """The envelope of a lane's message, sealed with its link key and signed with its
        own key, for its own topic.

        Raises:
            EventFormatError: anything else.
        """
        envelope = verify(unseal(record.link_key, topic, payload), topic, record.public_key)
        kind = topic.rsplit("/", 1)[-1]
        if (
            envelope.site_id != site_id
            or envelope.lane_id != record.lane_id
            or envelope.kind.value != kind
        ):
            raise EventFormatError(f"A signed message on {topic} names another lane or kind.")
        return envelope

    def _on_status(self, site_id: str, lane_id: str, envelope: Envelope) -> None:
        status = envelope.body
        if status not in (ONLINE, OFFLINE):
            return
        # A last will is signed when its connection opens, long before the broker sends
        # it: offline statuses keep their own order, without the clock window.
        online = status == ONLINE
        if not self._seen.fresh((site_id, lane_id, status), envelope.counter, windowed=online):
            log.warning("hub ignored a replayed %s from lane %s/%s", status, site_id, lane_id)
            return
        self.presence.heard(site_id, lane_id, online=online)
        site = self._sites[site_id]
        with self._lock:
            arrived = online and lane_id not in site.online
            if online:
                site.online.add(lane_id)
            else:
                site.online.discard(lane_id)
        if arrived:
            # A lane that comes (back) gets its snapshot afresh: newer than anything
            # retained meanwhile, and this lane may be new to the hub.
            self._publish_snapshots(site, only=lane_id)

    def _alert(self, site: _Site, lane_id: str, reason: Reason, detail: str) -> None:
        """Logs what a lane device did wrong and stores it as an alert for the agents
        (one per lane and reason every ``alert_every``: a stolen device must not flood)."""
        now = self._clock()
        site_id = site.trust.site_id
        log.warning("hub refused a message of lane %s/%s: %s", site_id, lane_id, detail)
        with self._lock:
            last = site.alerted.get((lane_id, reason))
            if last is not None and now - last < self.alert_every:
                return
            site.alerted[(lane_id, reason)] = now
        self._inbox.put(
            _Batch(site_id, lane_id, [alert_event(site_id, lane_id, reason, now)], False)
        )

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
            if batch.answer:
                self._answer(batch.site_id, batch.lane_id, receipt)

    def _answer(self, site_id: str, lane_id: str, receipt: Receipt) -> None:
        trust = self._sites[site_id].trust
        record = trust.lanes.lane(lane_id)
        if record is None or record.revoked:
            return
        topic = receipts_topic(site_id, lane_id)
        envelope = Envelope(
            MessageKind.RECEIPT, site_id, lane_id, self._counter.next(), receipt.to_bytes()
        )
        payload = seal(record.link_key, topic, sign(envelope, topic, trust.signing_key))
        self._client.publish(topic, payload, qos=QOS)


def alert_event(site_id: str, lane_id: str, reason: Reason, at: datetime) -> PassageEvent:
    """An alert about lane ``lane_id`` raised by the server (no credential, no person)."""
    return PassageEvent.alarm(reason, site_id=site_id, lane_id=lane_id, time=at)
