"""What the visitor flows hand out: visits, their path, alerts and refusals, as frozen records."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

RECEPTION = "accueil"
"""The checkpoint id of the reception desk, where visitors check in and out."""
UNKNOWN_BIRTH_DATE = date(1900, 1, 1)
"""Stored for a visitor whose birth date was not asked: a visitor record needs one, and
asking more than the visit needs is not minimal. Shown as unknown, never as a date."""


class VisitKind(enum.StrEnum):
    INVITED = "invited"
    WALK_IN = "walk_in"


class VisitStatus(enum.StrEnum):
    """Where a visit stands. ``refused``: a walk-in of someone on the refusal list."""

    EXPECTED = "expected"
    ON_SITE = "on_site"
    LEFT = "left"
    CANCELLED = "cancelled"
    REFUSED = "refused"


PASS_IN_FORCE = (VisitStatus.EXPECTED, VisitStatus.ON_SITE)
"""The statuses in which a visit's pass opens lanes (``portique.services.snapshot``)."""


class EventKind(enum.StrEnum):
    """A point on a visitor's path."""

    CHECK_IN = "check_in"
    CHECKPOINT = "checkpoint"
    CHECK_OUT = "check_out"
    REFUSED = "refused"


class AlertKind(enum.StrEnum):
    """Why the agent is told about a visit."""

    OUTSIDE_WINDOW = "outside_window"
    """The pass was used before or after its window (or after the visit ended)."""
    WRONG_ZONE = "wrong_zone"
    """The pass was used at a lane into a zone it does not open."""
    OVERSTAY = "overstay"
    """The visitor is still on site after the expected end of the visit."""
    NOT_CHECKED_OUT = "not_checked_out"
    """The site closed and the visitor never checked out."""
    PASS_REUSED = "pass_reused"
    """The pass was presented for check-in again without a check-out."""
    BARRED = "barred"
    """A walk-in of someone on the refusal list."""


class RefusalAuthority(enum.StrEnum):
    """Who barred the person."""

    COURT = "court"
    HEAD_TEACHER = "head_teacher"


@dataclass(frozen=True)
class Visitor:
    """Who is coming: the minimum a visit needs. No identity document is ever copied."""

    last_name: str
    first_name: str
    birth_date: date | None = None
    email: str | None = None


@dataclass(frozen=True)
class VisitRequest:
    """A visit to record: the visitor, why, who receives them, when, and where they may go
    (no zones: every zone of the site)."""

    visitor: Visitor
    purpose: str
    host_id: str
    expected_from: datetime
    expected_until: datetime
    zones: tuple[str, ...] = ()


@dataclass(frozen=True)
class VisitRecord:
    """A visit as listed. ``birth_date`` is None when it was not asked."""

    visit_id: str
    person_id: str
    last_name: str
    first_name: str
    birth_date: date | None
    host_id: str | None
    host_name: str | None
    purpose: str
    kind: VisitKind
    status: VisitStatus
    expected_from: datetime
    expected_until: datetime
    zones: tuple[str, ...]
    email: str | None
    credential_id: str | None
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    created_by: str
    created_at: datetime

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class VisitorPassIssued:
    """A visitor's pass: its credential, the text of its QR code, and its validity (the
    expected window widened by the site's margin)."""

    credential_id: str
    payload_text: str
    valid_from: datetime
    valid_until: datetime


@dataclass(frozen=True)
class NewVisit:
    """A visit just recorded; ``visitor_pass`` is None for a refused walk-in."""

    visit: VisitRecord
    visitor_pass: VisitorPassIssued | None
    alert: AlertKind | None = None


@dataclass(frozen=True)
class VisitEvent:
    """A point on the path: where (a lane id, or ``accueil``), in which zone, whether the
    visitor was let through, and the alert it raised."""

    at: datetime
    kind: EventKind
    checkpoint: str
    zone_id: str | None
    allowed: bool
    alert: AlertKind | None
    passage_id: str | None


@dataclass(frozen=True)
class ReceptionResult:
    """A check-in or check-out at reception, and the alert it raised, if any."""

    visit: VisitRecord
    alert: AlertKind | None


@dataclass(frozen=True)
class VisitAlert:
    """An alert about a visit, and its acknowledgement."""

    alert_id: int
    visit_id: str
    visitor_name: str
    kind: AlertKind
    raised_at: datetime
    checkpoint: str | None
    zone_id: str | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None


@dataclass(frozen=True)
class OnSiteVisitor:
    """A visitor checked in and not out: since when, and the zone last seen in (None:
    reception, before any lane)."""

    visit_id: str
    person_id: str
    name: str
    since: datetime
    zone_id: str | None
    checkpoint: str


@dataclass(frozen=True)
class NewRefusal:
    """Someone to bar from the site until ``until`` (inclusive)."""

    last_name: str
    first_name: str
    birth_date: date
    reason: str
    ordered_by: RefusalAuthority
    until: date


@dataclass(frozen=True)
class RefusalRecord(NewRefusal):
    """A refusal as recorded: who is barred and until when, its number, who added it, and
    when and by whom it was lifted early (None while it was not)."""

    refusal_id: int
    created_by: str
    created_at: datetime
    lifted_at: datetime | None
    lifted_by: str | None

    def in_force_on(self, day: date) -> bool:
        return self.lifted_at is None and day <= self.until
