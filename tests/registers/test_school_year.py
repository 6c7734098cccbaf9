"""The school year: closing it (cards end with it, purge, classes archived) and opening the
next (new register, consent carried over only where it still holds, cards in batch)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from registers_support import RegisterSite
from sqlalchemy import select

from portique.access import Role
from portique.registers import read_register
from portique.registers.synthetic import (
    SyntheticGuardian,
    SyntheticSchool,
    guardians_xml,
    pupils_xml,
    synthetic_school,
)
from portique.registers.year import (
    YEAR_CLOSED,
    SchoolYear,
    SchoolYearError,
    YearOpening,
    close_year,
    open_year,
)
from portique.services import bind_badge, consent_in_force, grant_consent
from portique.store import (
    ArchivedGroupRow,
    GroupRow,
    GuardianshipRow,
    PassageRow,
    SchoolYearRow,
    Sites,
)

YEAR = SchoolYear.parse("2026-2027")
NEXT = SchoolYear.parse("2027-2028")
OPENED = datetime(2026, 8, 27, 8, tzinfo=UTC)
CLOSED = datetime(2027, 7, 9, 15, tzinfo=UTC)
REOPENED = datetime(2027, 8, 26, 8, tzinfo=UTC)
BASE = synthetic_school(30, uaj="0130001A", year=2026, seed=12)
"""Ten pupils a level: 2NDE1, 1G1, TG1."""


def _school() -> SyntheticSchool:
    """The base school, with a 1G pupil born early enough to come of age in 2027."""
    pupils = list(BASE.pupils)
    index = next(i for i, p in enumerate(pupils) if p.division == "1G1")
    pupils[index] = replace(pupils[index], birth_date=date(2009, 3, 1))
    return replace(BASE, pupils=tuple(pupils))


SCHOOL = _school()


def _open(
    site: RegisterSite, year: SchoolYear, school: SyntheticSchool, now: datetime
) -> YearOpening:
    files = read_register(pupils_xml(school), guardians_xml(school))
    with site.site.database.session(actor="cli:test") as session:
        return open_year(
            session, site.site_id, site.site.keys_dir, site.site.keyring(), year, files, now=now
        )


def _close(site: RegisterSite, year: SchoolYear, now: datetime = CLOSED):  # type: ignore[no-untyped-def]
    with site.site.database.session(actor="cli:test") as session:
        return close_year(session, site.site_id, year, now=now)


def _guardian_of(site: RegisterSite, person_id: str) -> str:
    with site.site.session() as session:
        guardian = session.scalars(
            select(GuardianshipRow.guardian_id).where(GuardianshipRow.person_id == person_id)
        ).first()
    assert guardian is not None
    return guardian


def test_opening_a_year_imports_its_register_and_prints_every_class(
    register_site: RegisterSite,
) -> None:
    opening = _open(register_site, YEAR, SCHOOL, OPENED)
    assert opening.register.as_json()["added"] == 30
    assert [batch.name for batch in opening.batches] == ["1G1", "2NDE1", "TG1"]
    assert opening.cards == 30
    card = opening.batches[0].cards[0].credential
    assert card.valid_until.astimezone(UTC).date() == date(2027, 8, 31)
    assert card.valid_from.astimezone(UTC).date() == date(2026, 8, 31)  # Paris midnight
    with pytest.raises(SchoolYearError, match="2026-2027"):
        _open(register_site, YEAR, SCHOOL, OPENED)
    with pytest.raises(SchoolYearError, match="close"):
        _open(register_site, NEXT, SCHOOL, REOPENED)


def test_closing_the_year_ends_cards_archives_classes_and_purges(
    register_site: RegisterSite,
) -> None:
    _open(register_site, YEAR, SCHOOL, OPENED)
    pupil = register_site.person_of(SCHOOL, SCHOOL.pupils[0].eleve_id)
    with register_site.site.session() as session:
        from portique.services import issue_credential

        outliving = issue_credential(
            session, register_site.site_id, register_site.site.keyring(), pupil, now=OPENED,
            valid_until=date(2028, 6, 30),
        )  # fmt: skip
        badge = bind_badge(
            session, register_site.site_id, pupil, "04:A2:B3:C4", now=OPENED,
            valid_until=date(2028, 6, 30),
        )  # fmt: skip
        session.add(
            PassageRow(
                passage_id=uuid.uuid4().hex, site_id=register_site.site_id, lane_id="entree",
                direction="in", time=CLOSED - timedelta(days=120), outcome="grant", reasons=[],
                alert=False, credential_id=None, person_id=pupil, latency_ms=1.0,
                snapshot_version=1,
            )
        )  # fmt: skip

    closing = _close(register_site, YEAR)

    assert closing.revoked == 1 and closing.badges_shortened == 1
    by_id = {c.credential_id: c for c in register_site.credentials()}
    assert by_id[outliving.credential_id].revocation_reason == YEAR_CLOSED
    assert by_id[badge.credential_id].status == "active"
    assert by_id[badge.credential_id].valid_until <= YEAR.end_at("Europe/Paris")
    assert {"2nde1", "1g1", "tg1"} <= set(closing.archived)
    assert closing.purge.counts["passages"] == 1
    with register_site.site.session() as session:
        archived = {
            row.group_id: row.members
            for row in session.scalars(
                select(ArchivedGroupRow).where(ArchivedGroupRow.site_id == register_site.site_id)
            )
        }
        groups = list(
            session.scalars(select(GroupRow).where(GroupRow.site_id == register_site.site_id))
        )
        year = session.get(SchoolYearRow, (register_site.site_id, YEAR.year_id))
        assert year is not None and year.status == "closed"
    assert archived["2nde1"] == 10 and archived["tg1"] == 10
    assert groups == []
    with pytest.raises(SchoolYearError, match="close"):
        _close(register_site, YEAR)


def test_consent_is_carried_over_only_where_it_still_holds(register_site: RegisterSite) -> None:
    _open(register_site, YEAR, SCHOOL, OPENED)
    minor = next(p for p in SCHOOL.pupils if p.division == "2NDE1")
    of_age = next(p for p in SCHOOL.pupils if p.birth_date == date(2009, 3, 1))
    regained = next(p for p in SCHOOL.pupils if p.division == "2NDE1" and p is not minor)
    leaver = next(p for p in SCHOOL.pupils if p.division == "TG1")
    ids = {
        p.eleve_id: register_site.person_of(SCHOOL, p.eleve_id)
        for p in (minor, of_age, regained, leaver)
    }
    guardians = {person_id: _guardian_of(register_site, person_id) for person_id in ids.values()}
    with register_site.site.session() as session:
        for person_id, guardian in guardians.items():  # minors in August 2026
            grant_consent(session, register_site.site_id, person_id, by=guardian, now=OPENED)
    _close(register_site, YEAR)

    stranger = SyntheticGuardian("788888", "TUTEUR", "Jean")
    next_year = replace(
        SCHOOL.without(p.eleve_id for p in SCHOOL.pupils if p.division == "TG1"),
        year=2027,
    )
    next_year = replace(
        next_year,
        pupils=tuple(
            replace(p, guardians=(stranger.personne_id,)) if p.eleve_id == regained.eleve_id else p
            for p in next_year.pupils
        ),
        guardians=(*next_year.guardians, stranger),
    )
    opening = _open(register_site, NEXT, next_year, REOPENED)
    start = datetime(2027, 9, 1, 8, tzinfo=UTC)

    assert opening.register.as_json()["left"] == 10
    assert set(opening.consents_carried) == {ids[minor.eleve_id]}
    # The leaver's consent lapsed as they left; the two others are to be asked again.
    assert set(opening.consents_lapsed) == {ids[of_age.eleve_id], ids[regained.eleve_id]}
    with register_site.site.session() as session:
        assert consent_in_force(session, register_site.site_id, ids[minor.eleve_id], start)
        for gone in (regained, leaver):
            assert not consent_in_force(session, register_site.site_id, ids[gone.eleve_id], start)
    assert opening.cards == 20
    for batch in opening.batches:
        for card in batch.cards:
            assert card.credential.valid_until.astimezone(UTC).date() == date(2028, 8, 31)


def test_a_change_in_what_people_consented_to_makes_every_consent_lapse(
    register_site: RegisterSite,
) -> None:
    _open(register_site, YEAR, SCHOOL, OPENED)
    minor = register_site.person_of(SCHOOL, SCHOOL.pupils[0].eleve_id)
    guardian = _guardian_of(register_site, minor)
    with register_site.site.session() as session:
        grant_consent(session, register_site.site_id, minor, by=guardian, now=OPENED)
    _close(register_site, YEAR)
    with register_site.site.session() as session:
        site = Sites(session).get(register_site.site_id)
        assert site is not None
        site.settings = {**site.settings, "face_enabled": True}
    opening = _open(register_site, NEXT, replace(SCHOOL, year=2027), REOPENED)
    assert opening.consents_lapsed == (minor,)
    assert opening.consents_carried == ()


def test_a_school_year_is_written_as_its_two_years() -> None:
    assert SchoolYear.parse("2026").year_id == "2026-2027"
    assert SchoolYear.parse("2026 - 2027").ends_on == date(2027, 8, 31)
    for wrong in ("2026-2028", "26-27", "année"):
        with pytest.raises(SchoolYearError):
            SchoolYear.parse(wrong)


def test_only_students_cards_end_with_the_year(register_site: RegisterSite) -> None:
    from portique.services import NewPerson, add_person, issue_credential

    _open(register_site, YEAR, SCHOOL, OPENED)
    with register_site.site.session() as session:
        staff = add_person(
            session, register_site.site_id,
            NewPerson("Bernard", "Paul", date(1975, 3, 3), Role.STAFF), now=OPENED,
        )  # fmt: skip
        card = issue_credential(
            session, register_site.site_id, register_site.site.keyring(), staff, now=OPENED,
            valid_until=date(2028, 6, 30),
        )  # fmt: skip
    _close(register_site, YEAR)
    status = {c.credential_id: c.status for c in register_site.credentials()}
    assert status[card.credential_id] == "active"
