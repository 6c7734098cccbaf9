"""Validity windows: the check against a given time and the school-year default."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from credential_samples import VALID_FROM, VALID_UNTIL

from portique.credentials import Validity, check_validity, default_validity


@pytest.mark.parametrize(
    ("issued_at", "start", "end"),
    [
        # Start of the school year: Paris is UTC+2 in summer.
        (date(2025, 9, 2), datetime(2025, 9, 1, 22, 0), datetime(2026, 8, 31, 21, 59, 59)),
        # Winter issue: Paris is UTC+1, the end is still the next 31 August.
        (date(2026, 1, 15), datetime(2026, 1, 14, 23, 0), datetime(2026, 8, 31, 21, 59, 59)),
        # Issued in June: ends this summer, not a year later.
        (date(2026, 6, 10), datetime(2026, 6, 9, 22, 0), datetime(2026, 8, 31, 21, 59, 59)),
        # 31 August is the last day of a school year.
        (date(2026, 8, 31), datetime(2026, 8, 30, 22, 0), datetime(2026, 8, 31, 21, 59, 59)),
        # 1 September opens the next one.
        (date(2026, 9, 1), datetime(2026, 8, 31, 22, 0), datetime(2027, 8, 31, 21, 59, 59)),
    ],
)
def test_default_validity_ends_on_31_august_paris_time(issued_at, start, end):
    assert default_validity(issued_at) == (start.replace(tzinfo=UTC), end.replace(tzinfo=UTC))


def test_default_validity_is_in_utc():
    start, end = default_validity(date(2025, 9, 2))
    assert start.tzinfo is UTC
    assert end.tzinfo is UTC


def test_credential_is_valid_inside_its_window(make_claims):
    claims = make_claims()
    assert check_validity(claims, VALID_FROM) is Validity.VALID
    assert check_validity(claims, VALID_FROM + timedelta(days=100)) is Validity.VALID
    assert check_validity(claims, VALID_UNTIL) is Validity.VALID


def test_credential_is_not_yet_valid_before_its_window(make_claims):
    now = VALID_FROM - timedelta(seconds=1)
    assert check_validity(make_claims(), now) is Validity.NOT_YET_VALID


def test_last_years_credential_is_expired(make_claims):
    now = VALID_UNTIL + timedelta(seconds=1)
    assert check_validity(make_claims(), now) is Validity.EXPIRED
    rentree = datetime(2026, 9, 1, 6, 0, tzinfo=UTC)
    assert check_validity(make_claims(), rentree) is Validity.EXPIRED


def test_naive_time_is_refused(make_claims):
    with pytest.raises(ValueError, match="timezone-aware"):
        check_validity(make_claims(), datetime(2026, 1, 1))
