"""The site, its zones and lanes, and the people who pass: roles, groups, consent, badges."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

from portique.access.timetable import DaySchedule, ExceptionKind, Timetable, TimetableException
from portique.credentials import Validity, normalize_badge_uid
from portique.errors import PortiqueError

ADULT_AGE = 18
PARIS = "Europe/Paris"


class PolicyError(PortiqueError):
    """A policy snapshot is inconsistent (a lane in an unknown zone, a missing threshold)."""

    code = "invalid_policy"


def require_aware(moment: datetime, what: str) -> None:
    """Refuses a naive datetime: the engine never guesses a time zone."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be a time-zone-aware datetime, got {moment!r}")


class Direction(enum.StrEnum):
    """Which way a lane lets people through."""

    IN = "in"
    OUT = "out"


class Role(enum.StrEnum):
    """What a person is to the site; it selects the rules that apply to them."""

    STUDENT = "student"
    STAFF = "staff"
    PARENT = "parent"
    CONTRACTOR = "contractor"
    VISITOR = "visitor"

    @property
    def bound_by_timetable(self) -> bool:
        """Students enter by their groups' timetables; others by the site's opening hours."""
        return self is Role.STUDENT

    @property
    def bound_by_exit_permission(self) -> bool:
        """Exit permissions are what parents grant a pupil; they bind minor students only."""
        return self is Role.STUDENT


@dataclass(frozen=True)
class Zone:
    """A part of the site that lanes lead into (main building, workshops, reception)."""

    zone_id: str
    name: str = ""


@dataclass(frozen=True)
class Lane:
    """One entrance or exit point; an IN lane leads into ``zone_id``, an OUT lane out of it."""

    lane_id: str
    zone_id: str
    direction: Direction
    face_enabled: bool = False
    name: str = ""


@dataclass(frozen=True)
class Site:
    """A school: its opening hours and the calendar shared by every group's timetable.

    ``timezone`` is the IANA zone of the site's wall clock: timetables, lunch windows
    and birthdays are read in it.
    """

    site_id: str
    opening_hours: Timetable
    calendar: tuple[TimetableException, ...] = ()
    timezone: str = PARIS
    name: str = ""

    @cached_property
    def _closures(self) -> tuple[TimetableException, ...]:
        return tuple(e for e in self.calendar if e.kind is ExceptionKind.CLOSURE)

    def opening_hours_on(self, day: date) -> DaySchedule:
        """When the site is open on ``day``: only a CLOSURE of the calendar shuts it;
        holidays leave it open for staff."""
        return self.opening_hours.day(day, self._closures)

    def lessons_on(self, group: Group, day: date) -> DaySchedule:
        """``group``'s schedule on ``day``, with the site's calendar applied."""
        return group.timetable.day(day, self.calendar)


@dataclass(frozen=True)
class Group:
    """A class or teaching group and its weekly timetable."""

    group_id: str
    timetable: Timetable
    name: str = ""


def age_on(birth_date: date, on: date) -> int:
    """Age in whole years on ``on`` (someone born on 29 February ages on 1 March)."""
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - int(before_birthday)


@dataclass(frozen=True)
class Person:
    """Someone who may pass. Minority is never stored: it follows from ``birth_date``.

    ``zones`` restricts the zones the person may enter (None: every zone);
    ``guardian_ids`` are the people who hold parental authority over a minor.
    ``active`` is False once the person has left or is suspended.
    """

    person_id: str
    role: Role
    birth_date: date
    group_ids: frozenset[str] = frozenset()
    guardian_ids: frozenset[str] = frozenset()
    zones: frozenset[str] | None = None
    active: bool = True

    def is_minor_on(self, local_date: date) -> bool:
        """Whether the person is under 18 on ``local_date`` (a date on the site's clock)."""
        return age_on(self.birth_date, local_date) < ADULT_AGE


class ConsentGiver(enum.StrEnum):
    """Who gave a biometric consent: the person, or a holder of parental authority."""

    SELF = "self"
    PARENT = "parent"
    LEGAL_GUARDIAN = "legal_guardian"


@dataclass(frozen=True)
class Consent:
    """A person's opt-in to face comparison, and its withdrawal.

    ``given_by`` is the person id of who consented: the person themselves when adult,
    one of their guardians when minor. Once ``withdrawn_at`` is set the consent is
    dead for good; a new opt-in is a new consent.
    """

    person_id: str
    giver: ConsentGiver
    given_by: str
    given_at: datetime
    withdrawn_at: datetime | None = None

    def __post_init__(self) -> None:
        require_aware(self.given_at, "given_at")
        if self.withdrawn_at is not None:
            require_aware(self.withdrawn_at, "withdrawn_at")

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    def is_effective(self, person: Person, at: datetime, local_date: date) -> bool:
        """Whether this consent allows face comparison of ``person`` at ``at``.

        A guardian's consent covers a minor only; on their 18th birthday it lapses
        and the person must consent themselves. A minor cannot consent alone.
        """
        if self.withdrawn or self.person_id != person.person_id or at < self.given_at:
            return False
        if person.is_minor_on(local_date):
            return self.giver is not ConsentGiver.SELF and self.given_by in person.guardian_ids
        return self.giver is ConsentGiver.SELF and self.given_by == person.person_id


@dataclass(frozen=True)
class BadgeBinding:
    """A badge UID bound to a person's credential; ``badge_uid`` is stored normalized.

    A badge obeys the same validity window and revocation list as a QR credential.
    """

    badge_uid: str
    credential_id: str
    person_id: str
    valid_from: datetime
    valid_until: datetime

    def __post_init__(self) -> None:
        require_aware(self.valid_from, "valid_from")
        require_aware(self.valid_until, "valid_until")
        if self.valid_until < self.valid_from:
            raise ValueError(f"badge {self.badge_uid!r} is valid until before it is valid from")
        object.__setattr__(self, "badge_uid", normalize_badge_uid(self.badge_uid))

    def validity_at(self, now: datetime) -> Validity:
        """Where ``now`` falls in the binding's window; both ends included, as
        ``portique.credentials.check_validity`` does for a QR credential."""
        if now < self.valid_from:
            return Validity.NOT_YET_VALID
        if now > self.valid_until:
            return Validity.EXPIRED
        return Validity.VALID


@dataclass(frozen=True)
class VisitorPass:
    """The zones a visitor's pass opens; its time window is the credential's own."""

    credential_id: str
    zones: frozenset[str]
    host_id: str | None = None


@dataclass(frozen=True)
class Lockdown:
    """The site is locked down (PPMS) since ``since``: every entry is refused."""

    since: datetime
    declared_by: str | None = None

    def __post_init__(self) -> None:
        require_aware(self.since, "since")


@dataclass(frozen=True)
class LastPassage:
    """The last granted passage of a person at this site, for anti-passback."""

    direction: Direction
    time: datetime

    def __post_init__(self) -> None:
        require_aware(self.time, "time")
