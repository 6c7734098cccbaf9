"""Repositories and column types on SQLite and PostgreSQL: times, scoping, latest rows."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import LargeBinary, inspect
from sqlalchemy.exc import StatementError

from portique.errors import PortiqueError
from portique.store import (
    Base,
    ConsentRow,
    CredentialRow,
    Credentials,
    Database,
    LockdownRow,
    PassageRow,
    Passages,
    People,
    PersonRow,
    SiteRow,
    Sites,
    StoreConflictError,
    row_at_site,
)

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def _site(database: Database) -> str:
    site_id = f"site-{secrets.token_hex(4)}"
    with database.session() as session:
        Sites(session).add(
            SiteRow(
                site_id=site_id,
                name="Lycée",
                timezone="Europe/Paris",
                opening_hours={},
                calendar=[],
                default_timetable={},
                settings={},
                snapshot_version=1,
                created_at=NOW,
            )
        )
    return site_id


def _person(database: Database, site_id: str, last_name: str = "Martin") -> str:
    person_id = f"p-{secrets.token_hex(5)}"
    with database.session() as session:
        People(session).add(
            PersonRow(
                person_id=person_id,
                site_id=site_id,
                last_name=last_name,
                first_name="Léa",
                birth_date=date(2010, 4, 2),
                role="student",
                zones=None,
                active=True,
                created_at=NOW,
            )
        )
    return person_id


def _passage(
    site_id: str, person_id: str, when: datetime, outcome: str, direction: str
) -> PassageRow:
    return PassageRow(
        passage_id=secrets.token_hex(16),
        site_id=site_id,
        lane_id="entree",
        direction=direction,
        time=when,
        outcome=outcome,
        reasons=["credential_valid"],
        alert=False,
        credential_id="c1",
        person_id=person_id,
        latency_ms=1.5,
        snapshot_version=1,
    )


def test_times_come_back_aware_in_utc_whatever_offset_they_were_given_in(
    database: Database,
) -> None:
    site_id = _site(database)
    paris_winter = timezone(timedelta(hours=1))
    with database.session() as session:
        Sites(session).add_lockdown(
            LockdownRow(site_id=site_id, since=datetime(2026, 3, 10, 10, 30, tzinfo=paris_winter))
        )
    with database.session() as session:
        lockdown = Sites(session).lockdown(site_id)
    assert lockdown is not None
    assert lockdown.since == NOW
    assert lockdown.since.utcoffset() == timedelta(0)


def test_a_naive_time_is_never_stored(database: Database) -> None:
    site_id = _site(database)
    with pytest.raises(StatementError, match="time-zone-aware"), database.session() as session:
        Sites(session).add_lockdown(LockdownRow(site_id=site_id, since=datetime(2026, 3, 10)))


def test_snapshot_version_grows_by_one_per_bump(database: Database) -> None:
    site_id = _site(database)
    with database.session() as session:
        Sites(session).bump_version(site_id)
        Sites(session).bump_version(site_id)
    with database.session() as session:
        assert Sites(session).version(site_id) == 3


def test_last_granted_keeps_each_persons_latest_grant_within_the_window(database: Database) -> None:
    site_id = _site(database)
    alice, bob = _person(database, site_id, "Alice"), _person(database, site_id, "Bob")
    with database.session() as session:
        passages = Passages(session)
        passages.add(_passage(site_id, alice, NOW - timedelta(hours=1), "grant", "in"))
        passages.add(_passage(site_id, alice, NOW - timedelta(minutes=10), "grant", "out"))
        passages.add(_passage(site_id, alice, NOW - timedelta(minutes=5), "deny", "in"))
        passages.add(_passage(site_id, alice, NOW + timedelta(minutes=5), "grant", "in"))
        passages.add(_passage(site_id, bob, NOW - timedelta(hours=5), "grant", "in"))
    with database.session() as session:
        last = Passages(session).last_granted(
            site_id, None, since=NOW - timedelta(hours=4), until=NOW
        )
        only_bob = Passages(session).last_granted(
            site_id, [bob], since=NOW - timedelta(hours=6), until=NOW
        )
    assert last == {alice: ("out", NOW - timedelta(minutes=10))}
    assert only_bob == {bob: ("in", NOW - timedelta(hours=5))}


def test_consents_gives_the_latest_consent_of_each_person(database: Database) -> None:
    site_id = _site(database)
    alice, bob = _person(database, site_id, "Alice"), _person(database, site_id, "Bob")
    with database.session() as session:
        people = People(session)
        people.add_consent(
            ConsentRow(
                person_id=alice, giver="self", given_by=alice, given_at=NOW, withdrawn_at=NOW
            )
        )
        people.add_consent(ConsentRow(person_id=alice, giver="self", given_by=alice, given_at=NOW))
    with database.session() as session:
        consents = People(session).consents(site_id, None)
        scoped = People(session).consents(site_id, [bob])
    assert [(c.person_id, c.withdrawn_at) for c in consents] == [(alice, None)]
    assert scoped == []


def test_scoped_queries_return_only_the_people_asked_for(database: Database) -> None:
    site_id = _site(database)
    alice, bob = _person(database, site_id, "Alice"), _person(database, site_id, "Bob")
    with database.session() as session:
        credentials = Credentials(session)
        for person_id in (alice, bob):
            credentials.add(
                CredentialRow(
                    credential_id=f"c-{person_id}",
                    site_id=site_id,
                    person_id=person_id,
                    kind="card",
                    valid_from=NOW,
                    valid_until=NOW + timedelta(days=90),
                    key_id="k1",
                    status="revoked",
                    issued_at=NOW,
                    revoked_at=NOW,
                    revocation_reason="lost",
                    has_template=False,
                )
            )
    with database.session() as session:
        people = People(session)
        assert [p.person_id for p in people.of_site(site_id)] == [alice, bob]
        assert [p.person_id for p in people.of_site(site_id, [bob])] == [bob]
        assert [p.person_id for p in people.of_site(site_id, [])] == []
        revoked = Credentials(session).revoked(site_id, [alice])
        assert [c.credential_id for c in revoked] == [f"c-{alice}"]


def test_a_person_of_another_site_is_not_found_here(database: Database) -> None:
    here, elsewhere = _site(database), _site(database)
    person_id = _person(database, elsewhere)
    with database.session() as session:
        assert People(session).get(here, person_id) is None
        assert People(session).get(elsewhere, person_id) is not None


def test_a_row_of_another_site_raises_the_callers_missing_error(database: Database) -> None:
    here, elsewhere = _site(database), _site(database)
    person_id = _person(database, elsewhere)
    missing = PortiqueError("no such person here")
    with database.session() as session:
        found = row_at_site(session, PersonRow, person_id, elsewhere, missing)
        assert found.person_id == person_id
        for key, site_id in ((person_id, here), ("p-nobody", elsewhere)):
            with pytest.raises(PortiqueError) as raised:
                row_at_site(session, PersonRow, key, site_id, missing)
            assert raised.value is missing


def test_a_broken_reference_is_a_store_conflict_and_nothing_is_written(database: Database) -> None:
    site_id = _site(database)
    with pytest.raises(StoreConflictError), database.session() as session:
        people = People(session)
        people.add(
            PersonRow(
                person_id="p-orphan",
                site_id=site_id,
                last_name="Orphan",
                first_name="Ann",
                birth_date=date(2000, 1, 1),
                role="staff",
                zones=None,
                active=True,
                created_at=NOW,
            )
        )
        people.add_links("p-orphan", site_id, guardian_ids=["p-nobody"])
    with database.session() as session:
        assert People(session).get(site_id, "p-orphan") is None


def test_no_table_can_hold_an_image_a_template_or_an_embedding(database: Database) -> None:
    """Only the central template store holds bytes: a template sealed with a key that only
    the person's credential carries (issue 7); nothing else can hold an image or a vector."""
    forbidden = ("image", "photo", "template", "embedding", "descriptor", "vector", "payload")
    sealed_only = {("template_vault", "sealed")}
    inspector = inspect(database.engine)
    for table in Base.metadata.tables:
        for column in inspector.get_columns(table):
            name = column["name"]
            if (table, name) in sealed_only:
                continue
            assert not isinstance(column["type"], LargeBinary), f"{table}.{name} is binary"
            if name != "has_template" and table != "template_vault":
                assert not any(word in name for word in forbidden), f"{table}.{name}"
