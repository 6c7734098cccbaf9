"""When a credential is valid: the check against a given time and the school-year default."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from portique.credentials.claims import Claims

SCHOOL_TIMEZONE = ZoneInfo("Europe/Paris")
"""The time zone school years are counted in (metropolitan France)."""

END_OF_SCHOOL_YEAR = (8, 31)
"""Month and day a school year ends on for credentials: 31 August."""


class Validity(enum.Enum):
    """Where a time falls relative to a credential's validity window."""

    VALID = "valid"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"


def check_validity(claims: Claims, now: datetime) -> Validity:
    """Whether ``claims`` are valid at ``now`` (timezone-aware); both window ends included.

    A pure function: the caller passes the time, so a lane and a test decide the same way.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (e.g. portique.clock.now()).")
    if now < claims.valid_from:
        return Validity.NOT_YET_VALID
    if now > claims.valid_until:
        return Validity.EXPIRED
    return Validity.VALID


def default_validity(issued_at: date) -> tuple[datetime, datetime]:
    """The default validity window, in UTC, of a credential issued on ``issued_at``.

    It opens at the start of that day and closes at the end of the school year that day
    belongs to: 31 August, 23:59:59, Paris time (a school year runs 1 September to
    31 August, so a credential issued on 31 August ends that same evening).

    Why 31 August and not the last day of classes (early July): the exam sessions,
    results and the second-round orals of the baccalauréat, re-enrolment and summer
    staff all need the site in July; the date of the last class changes every year with
    the national calendar while 31 August does not; and a card must stop working
    before the next rentrée, so an old card cannot open the gate in September. This is
    what stops a former student walking in with last year's card.
    """
    if isinstance(issued_at, datetime):
        issued_at = issued_at.date()
    start = datetime.combine(issued_at, time.min, tzinfo=SCHOOL_TIMEZONE)
    month, day = END_OF_SCHOOL_YEAR
    end_year = (
        issued_at.year if (issued_at.month, issued_at.day) <= (month, day) else issued_at.year + 1
    )
    end = datetime.combine(date(end_year, month, day), time(23, 59, 59), tzinfo=SCHOOL_TIMEZONE)
    return start.astimezone(UTC), end.astimezone(UTC)
