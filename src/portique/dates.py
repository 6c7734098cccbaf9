"""Dates and times that come from outside, held to a range the product can compute with.

Python's dates run from year 1 to 9999, but turning 0001-01-01 00:00 +01:00 into UTC, or
9999-12-31 23:00 UTC into Paris time, overflows: an API call answered 500 and a command
printed a traceback. Every date or time a person, a file or a request gives (the
services, the command line, CSV files, the API, console forms) is checked here first:
from 1900-01-01 (the earliest birth date Portique accepts) to 2100-12-31, a range that
survives any time-zone shift and fits a credential's validity (to 2106).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from portique.errors import BadInputError
from portique.i18n import text

EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 12, 31)


class DateRangeError(BadInputError):
    """A date or time outside the range Portique accepts (the API answers 422)."""

    code = "date_out_of_range"


def _refused(what: str, shown: str) -> DateRangeError:
    return DateRangeError(
        text(
            f"{what} : {shown} est hors de la plage acceptée "
            f"({EARLIEST:%d/%m/%Y} – {LATEST:%d/%m/%Y}).",
            f"{what}: {shown} is outside the accepted range "
            f"({EARLIEST.isoformat()} to {LATEST.isoformat()}).",
        )
    )


def check_date(value: date, what: str) -> date:
    """``value`` if it lies between :data:`EARLIEST` and :data:`LATEST`.

    Raises:
        DateRangeError: naming ``what`` (the field, in the interface language).
    """
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise _refused(what, day.isoformat())
    return value


def check_moment(value: datetime, what: str) -> datetime:
    """``value`` if its date, in its own zone and in UTC, lies in the accepted range (so
    it can be moved to any time zone); a naive time is checked as it is.

    Raises:
        DateRangeError: naming ``what``.
    """
    check_date(value.date(), what)
    if value.tzinfo is not None and value.utcoffset() is not None:
        try:
            check_date(value.astimezone(UTC).date(), what)
        except OverflowError:
            raise _refused(what, value.isoformat()) from None
    return value
