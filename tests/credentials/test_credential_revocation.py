"""Revocation lists: which credentials are refused, since when and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from portique.credentials import Revocation, RevocationList, check_revocation

LEFT = Revocation("kq3v7x2mbn4tw5ha", datetime(2026, 2, 1, 8, 0, tzinfo=UTC), "left the school")
LOST = Revocation("aaaaaaaaaaaaaaaa", datetime(2026, 3, 1, 8, 0, tzinfo=UTC), "card reported lost")


def test_listed_credential_is_revoked():
    revocations = RevocationList.of([LEFT, LOST])
    assert revocations.is_revoked(LEFT.credential_id)
    assert LOST.credential_id in revocations
    assert len(revocations) == 2


def test_unlisted_credential_is_not_revoked():
    assert not RevocationList.of([LEFT]).is_revoked("bbbbbbbbbbbbbbbb")
    assert not RevocationList().is_revoked(LEFT.credential_id)


def test_revoked_credential_is_refused_with_its_reason(make_claims):
    revocation = check_revocation(make_claims(), RevocationList.of([LEFT]))
    assert revocation == LEFT
    assert revocation.reason == "left the school"


def test_credential_not_on_the_list_passes_the_check(make_claims):
    assert check_revocation(make_claims(), RevocationList.of([LOST])) is None


def test_earliest_revocation_of_a_credential_is_kept():
    later = Revocation(LEFT.credential_id, LEFT.revoked_at + timedelta(days=3), "duplicate")
    assert RevocationList.of([later, LEFT]).get(LEFT.credential_id) == LEFT


def test_adding_a_revocation_gives_a_new_list():
    before = RevocationList.of([LEFT])
    after = before.with_revocation(LOST)
    assert not before.is_revoked(LOST.credential_id)
    assert after.is_revoked(LOST.credential_id)
    assert after == RevocationList.of([LOST, LEFT])
    assert hash(after) == hash(RevocationList.of([LEFT, LOST]))


def test_revocation_time_is_kept_in_utc():
    paris = timezone(timedelta(hours=1))
    revocation = Revocation("x", datetime(2026, 2, 1, 9, 0, tzinfo=paris), "left")
    assert revocation.revoked_at == datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
    assert revocation.revoked_at.tzinfo is UTC


def test_naive_revocation_time_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        Revocation("x", datetime(2026, 2, 1), "left")
