"""Passage events: what a lane tells the server about each decision, and their JSON form.

An event names the lane, the time, the outcome and its reasons, the credential and the
person (pseudonymous ids), the latency and the snapshot version it was decided on. It
never holds an image, a template, a similarity score or the credential's payload. Its
``event_id`` (a random UUID, 32 hex digits) is made once on the lane and travels with
every retry, so the server stores each event once however often it arrives.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from portique.access import Decision, Direction, Outcome, Reason
from portique.lane.errors import EventFormatError

EVENT_FORMAT = 1


def new_event_id() -> str:
    """A fresh event id: a random UUID as 32 lowercase hex digits."""
    return uuid.uuid4().hex


def is_event_id(value: object) -> bool:
    """Whether ``value`` has the form of an event id (32 lowercase hex digits)."""
    return (
        isinstance(value, str) and len(value) == 32 and all(c in "0123456789abcdef" for c in value)
    )


@dataclass(frozen=True)
class PassageEvent:
    """One decision made at a lane, as the server stores it."""

    event_id: str
    site_id: str
    lane_id: str
    direction: Direction | None
    time: datetime
    outcome: Outcome
    reasons: tuple[Reason, ...]
    alert: bool
    credential_id: str | None
    person_id: str | None
    latency_ms: float
    snapshot_version: int

    def __post_init__(self) -> None:
        if not is_event_id(self.event_id):
            raise EventFormatError(f"{self.event_id!r} is not an event id (32 hex digits).")
        if self.time.tzinfo is None or self.time.utcoffset() is None:
            raise EventFormatError("An event time must be time-zone-aware.")
        if not self.reasons:
            raise EventFormatError("An event carries at least one reason.")
        if not math.isfinite(self.latency_ms) or self.latency_ms < 0:
            raise EventFormatError("An event latency must be a finite number of ms ≥ 0.")

    @classmethod
    def of(
        cls,
        decision: Decision,
        *,
        site_id: str,
        direction: Direction | None,
        latency_ms: float,
        event_id: str | None = None,
    ) -> PassageEvent:
        """The event recording ``decision`` (a new event id unless one is given)."""
        return cls(
            event_id=event_id or new_event_id(),
            site_id=site_id,
            lane_id=decision.lane_id,
            direction=direction,
            time=decision.time,
            outcome=decision.outcome,
            reasons=decision.reasons,
            alert=decision.alert,
            credential_id=decision.credential_id,
            person_id=decision.person_id,
            latency_ms=float(latency_ms),
            snapshot_version=decision.snapshot_version,
        )

    @classmethod
    def alarm(
        cls,
        reason: Reason,
        *,
        site_id: str,
        lane_id: str,
        time: datetime,
        direction: Direction | None = None,
        snapshot_version: int = 0,
    ) -> PassageEvent:
        """An alert about lane ``lane_id`` that no passage caused (a forced door, a silent
        reader, an offline lane): referred to the agent, no credential, no person."""
        return cls(
            event_id=new_event_id(),
            site_id=site_id,
            lane_id=lane_id,
            direction=direction,
            time=time,
            outcome=Outcome.REFER,
            reasons=(reason,),
            alert=True,
            credential_id=None,
            person_id=None,
            latency_ms=0.0,
            snapshot_version=snapshot_version,
        )

    def as_json(self) -> dict[str, Any]:
        """The event as a JSON-ready object."""
        return {
            "format": EVENT_FORMAT,
            "event_id": self.event_id,
            "site_id": self.site_id,
            "lane_id": self.lane_id,
            "direction": None if self.direction is None else self.direction.value,
            "time": self.time.isoformat(),
            "outcome": self.outcome.value,
            "reasons": [reason.value for reason in self.reasons],
            "alert": self.alert,
            "credential_id": self.credential_id,
            "person_id": self.person_id,
            "latency_ms": round(self.latency_ms, 3),
            "snapshot_version": self.snapshot_version,
        }

    @classmethod
    def from_json(cls, data: Any) -> PassageEvent:
        """The event of a JSON object made by :meth:`as_json`.

        Raises:
            EventFormatError: the object is not an event of a known format.
        """
        try:
            if data["format"] != EVENT_FORMAT:
                raise EventFormatError(
                    f"Event format {data['format']!r} is unknown here (this version reads "
                    f"{EVENT_FORMAT}): update the server."
                )
            direction = data["direction"]
            return cls(
                event_id=_text(data["event_id"]),
                site_id=_text(data["site_id"]),
                lane_id=_text(data["lane_id"]),
                direction=None if direction is None else Direction(direction),
                time=datetime.fromisoformat(_text(data["time"])),
                outcome=Outcome(data["outcome"]),
                reasons=tuple(Reason(reason) for reason in data["reasons"]),
                alert=_flag(data["alert"]),
                credential_id=_optional_text(data["credential_id"]),
                person_id=_optional_text(data["person_id"]),
                latency_ms=float(data["latency_ms"]),
                snapshot_version=int(data["snapshot_version"]),
            )
        except EventFormatError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise EventFormatError(f"Not a passage event: {exc!r}.") from None

    def to_bytes(self) -> bytes:
        """The event as compact JSON bytes."""
        return json.dumps(self.as_json(), separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> PassageEvent:
        return cls.from_json(_loads(data))


def events_to_bytes(events: Sequence[PassageEvent]) -> bytes:
    """A batch of events as JSON bytes: ``{"events": [...]}``."""
    body = {"events": [event.as_json() for event in events]}
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def events_from_bytes(data: bytes) -> list[PassageEvent]:
    """The events of a batch made by :func:`events_to_bytes`.

    Raises:
        EventFormatError: the bytes are not a batch of events.
    """
    body = _loads(data)
    if not isinstance(body, dict) or not isinstance(body.get("events"), list):
        raise EventFormatError("Not a batch of passage events.")
    return [PassageEvent.from_json(item) for item in body["events"]]


@dataclass(frozen=True)
class Receipt:
    """The server's answer to a batch: events stored (now or before), and events refused
    for good (malformed for this lane), which the lane must not send again."""

    stored: tuple[str, ...] = ()
    rejected: tuple[str, ...] = ()

    def to_bytes(self) -> bytes:
        body = {"stored": list(self.stored), "rejected": list(self.rejected)}
        return json.dumps(body, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> Receipt:
        body = _loads(data)
        try:
            stored, rejected = body["stored"], body["rejected"]
            if not all(is_event_id(i) for i in (*stored, *rejected)):
                raise ValueError("an id is not an event id")
            return cls(tuple(stored), tuple(rejected))
        except (KeyError, TypeError, ValueError) as exc:
            raise EventFormatError(f"Not a receipt: {exc!r}.") from None


def _loads(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EventFormatError(f"Not JSON: {exc}.") from None


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {type(value).__name__}")
    return value
