"""Signed messages on the link: who sent a message, for which topic, in what order.

Every message over MQTT is an envelope signed with its sender's Ed25519 key: the
server's snapshot key for snapshots, receipts and the server's status; the lane's own
key for its events and heartbeats. The signature covers the topic and a header naming
the kind of message, the site, the lane and the sender's counter, then the body; so a
message cannot be moved to another topic, lane or site, and a replayed one is told by
its counter (:class:`ReplayGuard`). A sender's counter is the microseconds of its clock,
at least one more than its last, so it keeps increasing across restarts.

Envelope bytes: ``PQ2`` | header length (2 bytes, big-endian) | header (JSON) | body |
signature (64 bytes).
"""

from __future__ import annotations

import enum
import json
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from portique.lane.errors import EventFormatError

MAGIC = b"PQ2"
SIGNATURE_BYTES = 64
_LABEL = b"portique-lane-envelope\x00"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class MessageKind(enum.StrEnum):
    """What an envelope carries."""

    SNAPSHOT = "snapshot"
    EVENTS = "events"
    STATUS = "status"
    RECEIPT = "receipt"
    SERVER = "server"


ALL_LANES = "*"
"""The lane named by a message for every lane of a site (the server's status)."""


@dataclass(frozen=True)
class Envelope:
    """A message's header and body: ``lane_id`` is the lane it is from or for."""

    kind: MessageKind
    site_id: str
    lane_id: str
    counter: int
    body: bytes


class UntrustedMessageError(EventFormatError):
    """A message that does not carry a valid signature of the expected sender."""

    code = "untrusted_message"


def sign(envelope: Envelope, topic: str, key: Ed25519PrivateKey) -> bytes:
    """The envelope as bytes, signed with ``key`` for ``topic``."""
    header = json.dumps(
        {
            "kind": envelope.kind.value,
            "site": envelope.site_id,
            "lane": envelope.lane_id,
            "counter": envelope.counter,
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode("utf-8")
    frame = MAGIC + len(header).to_bytes(2, "big") + header + envelope.body
    return frame + key.sign(_signed(topic, frame))


def verify(message: bytes, topic: str, key: Ed25519PublicKey) -> Envelope:
    """The envelope of ``message``, once its signature by ``key`` for ``topic`` holds;
    nothing of it is read before.

    Raises:
        UntrustedMessageError: not an envelope, or not signed by ``key`` for ``topic``.
    """
    if len(message) < len(MAGIC) + 2 + SIGNATURE_BYTES or not message.startswith(MAGIC):
        raise UntrustedMessageError(f"A message on {topic} is not a signed envelope.")
    frame, signature = message[:-SIGNATURE_BYTES], message[-SIGNATURE_BYTES:]
    try:
        key.verify(signature, _signed(topic, frame))
    except InvalidSignature:
        raise UntrustedMessageError(
            f"A message on {topic} is not signed by the expected key: forged, altered, or "
            "moved from another topic."
        ) from None
    size = int.from_bytes(frame[len(MAGIC) : len(MAGIC) + 2], "big")
    start = len(MAGIC) + 2
    try:
        header = json.loads(frame[start : start + size])
        return Envelope(
            kind=MessageKind(header["kind"]),
            site_id=str(header["site"]),
            lane_id=str(header["lane"]),
            counter=int(header["counter"]),
            body=frame[start + size :],
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise UntrustedMessageError(f"A signed message on {topic} is malformed: {exc!r}.") from None


def _signed(topic: str, frame: bytes) -> bytes:
    return _LABEL + topic.encode("utf-8") + b"\x00" + frame


def counter_time(counter: int) -> datetime:
    """The moment a counter stands for (microseconds since 1970, UTC)."""
    return _EPOCH + timedelta(microseconds=counter)


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


class MessageCounter:
    """A sender's counter: its clock in microseconds, and always more than its last."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            self._last = max(self._last + 1, _micros(self._clock()))
            return self._last


class ReplayGuard:
    """The receiving end's memory of each sender's last counter.

    A message is fresh when its counter is greater than the last one taken from the
    same stream (a sender, and a kind of message), and, with a ``window``, when the
    moment of its counter is within ``window`` of ``clock()``: after a restart, with no
    memory, an old captured message is still refused.
    """

    def __init__(self, clock: Callable[[], datetime], *, window: timedelta | None = None) -> None:
        self._clock = clock
        self.window = window
        self._last: dict[Hashable, int] = {}
        self._lock = threading.Lock()

    def fresh(self, stream: Hashable, counter: int, *, windowed: bool = True) -> bool:
        """Whether ``counter`` is fresh on ``stream``; remembers it when it is."""
        with self._lock:
            last = self._last.get(stream)
            if last is not None and counter <= last:
                return False
            if windowed and self.window is not None:
                try:
                    if abs(counter_time(counter) - self._clock()) > self.window:
                        return False
                except OverflowError:
                    return False
            self._last[stream] = counter
            return True
