"""Synchronising a site with its SIECLE register: added, changed, left, unchanged; leavers
revoked at once; the dry run; the checks that keep a wrong file out."""

from __future__ import annotations

import stat
from dataclasses import replace
from datetime import date, timedelta

import pytest
from registers_support import NOW, TODAY, RegisterSite
from sqlalchemy import select

from portique.access import Role
from portique.registers import (
    LEFT_SCHOOL,
    Change,
    MassDepartureError,
    MissingUaiError,
    WrongEstablishmentError,
    recent_departures,
    sweep_leavers,
)
from portique.registers.identifiers import register_key_path
from portique.registers.synthetic import SyntheticGuardian, synthetic_school
from portique.services import NewPerson, add_person, consent_in_force, grant_consent
from portique.store import AuditEntryRow, DepartureRow, GuardianshipRow, MembershipRow

SCHOOL = synthetic_school(120, uaj="0130001A", year=2026, seed=7)


def test_a_first_import_adds_the_pupils_with_their_classes_and_guardians(
    register_site: RegisterSite,
) -> None:
    report = register_site.sync(SCHOOL)
    assert report.as_json() == {
        "added": 120, "updated": 0, "left": 0, "unchanged": 0, "revoked": 0, "errors": [],
    }  # fmt: skip
    students = register_site.people("student")
    parents = register_site.people("parent")
    assert len(students) == 120
    assert len(parents) == len(SCHOOL.guardians)
    pupil = SCHOOL.pupils[5]
    person_id = register_site.person_of(SCHOOL, pupil.eleve_id)
    with register_site.site.session() as session:
        groups = set(
            session.scalars(
                select(MembershipRow.group_id).where(MembershipRow.person_id == person_id)
            )
        )
        guardians = set(
            session.scalars(
                select(GuardianshipRow.guardian_id).where(GuardianshipRow.person_id == person_id)
            )
        )
    assert groups == {pupil.division.lower(), pupil.groups[0].lower().replace(" ", "-")}
    assert len(guardians) == len(pupil.guardians)
    assert {p.person_id for p in parents} >= guardians


def test_importing_the_same_export_again_changes_nothing(register_site: RegisterSite) -> None:
    register_site.sync(SCHOOL)
    before = register_site.row_counts()
    version = register_site.version()
    report = register_site.sync(SCHOOL)
    assert report.as_json() == {
        "added": 0, "updated": 0, "left": 0, "unchanged": 120, "revoked": 0, "errors": [],
    }  # fmt: skip
    after = register_site.row_counts()
    # Only the import itself is logged: one audit entry, nothing else moves.
    assert after.pop("audit_log") == before.pop("audit_log") + 1
    assert after == before
    assert register_site.version() == version
    assert register_site.audit_actions()[-1] == "registers.siecle"


def test_a_dry_run_changes_nothing_in_the_database(register_site: RegisterSite) -> None:
    empty = register_site.row_counts()
    preview = register_site.sync(SCHOOL, dry_run=True)
    assert preview.as_json()["added"] == 120
    assert register_site.row_counts() == empty
    assert not register_site_key(register_site).exists(), "a preview needs no key"

    register_site.sync(SCHOOL)
    person_id = register_site.person_of(SCHOOL, SCHOOL.pupils[0].eleve_id)
    register_site.issue(person_id)
    later = SCHOOL.without([SCHOOL.pupils[0].eleve_id])
    counts, version = register_site.row_counts(), register_site.version()
    preview = register_site.sync(later, dry_run=True)
    assert preview.as_json()["left"] == 1 and preview.as_json()["revoked"] == 1
    assert register_site.row_counts() == counts
    assert register_site.version() == version
    assert all(c.status == "active" for c in register_site.credentials())


def register_site_key(site: RegisterSite):  # type: ignore[no-untyped-def]
    return register_key_path(site.site.keys_dir)


def test_a_changed_name_class_and_guardian_show_as_updated(register_site: RegisterSite) -> None:
    register_site.sync(SCHOOL)
    renamed, moved, adopted = SCHOOL.pupils[1], SCHOOL.pupils[2], SCHOOL.pupils[3]
    newcomer = SyntheticGuardian("799999", "NOUVEAU", "Paul")
    other_class = next(p.division for p in SCHOOL.pupils if p.division != moved.division)
    changed = replace(
        SCHOOL,
        pupils=tuple(
            replace(p, first_name="Anaïs-Marie")
            if p is renamed
            else replace(p, division=other_class)
            if p is moved
            else replace(p, guardians=(newcomer.personne_id,))
            if p is adopted
            else p
            for p in SCHOOL.pupils
        ),
        guardians=(*SCHOOL.guardians, newcomer),
    )
    report = register_site.sync(changed)
    changes = {p.eleve_id: p.changes for p in report.updated}
    assert changes == {
        renamed.eleve_id: (Change.NAME,),
        moved.eleve_id: (Change.CLASS,),
        adopted.eleve_id: (Change.GUARDIANS,),
    }
    assert report.as_json()["unchanged"] == 117
    assert register_site.sync(changed).as_json()["updated"] == 0
    with register_site.site.session() as session:
        guardians = set(
            session.scalars(
                select(GuardianshipRow.guardian_id).where(
                    GuardianshipRow.person_id == register_site.person_of(changed, adopted.eleve_id)
                )
            )
        )
    assert len(guardians) == 1


def test_leavers_lose_every_credential_at_once(register_site: RegisterSite) -> None:
    register_site.sync(SCHOOL)
    gone = [p.eleve_id for p in SCHOOL.pupils[:4]]
    leaving = {p.eleve_id: TODAY - timedelta(days=3) for p in SCHOOL.pupils[4:6]}
    staying = SCHOOL.pupils[6].eleve_id
    cards = {
        eleve_id: register_site.person_of(SCHOOL, eleve_id)
        for eleve_id in [*gone, *leaving, staying]
    }
    for person_id in cards.values():
        register_site.issue(person_id)
    register_site.issue(cards[gone[0]])  # a second card: both must go
    version = register_site.version()

    report = register_site.sync(SCHOOL.without(gone).leaving(leaving))

    assert report.as_json()["left"] == 6
    assert report.as_json()["revoked"] == 7
    by_person = {c.person_id: c for c in register_site.credentials()}
    for eleve_id, person_id in cards.items():
        credential = by_person[person_id]
        if eleve_id == staying:
            assert credential.status == "active"
        else:
            assert credential.status == "revoked"
            assert credential.revocation_reason == LEFT_SCHOOL
    assert register_site.version() > version
    people = {p.person_id: p for p in register_site.people()}
    assert not people[cards[gone[0]]].active
    assert people[cards[gone[0]]].left_on == date(2026, 9, 15)  # the export's date
    assert people[cards[next(iter(leaving))]].left_on == TODAY - timedelta(days=3)
    with register_site.site.session() as session:
        departures = recent_departures(session, register_site.site_id, now=NOW)
    assert {d.person_id for d in departures} == {cards[e] for e in [*gone, *leaving]}
    assert all(d.acknowledged_at is None for d in departures)
    again = register_site.sync(SCHOOL.without(gone).leaving(leaving))
    assert again.as_json()["left"] == 0 and again.as_json()["revoked"] == 0


def test_a_leavers_consent_lapses_so_a_return_asks_again(register_site: RegisterSite) -> None:
    register_site.sync(SCHOOL)
    pupil = SCHOOL.pupils[0]
    person_id = register_site.person_of(SCHOOL, pupil.eleve_id)
    with register_site.site.session() as session:
        guardian = session.scalars(
            select(GuardianshipRow.guardian_id).where(GuardianshipRow.person_id == person_id)
        ).first()
        grant_consent(session, register_site.site_id, person_id, by=guardian, now=NOW)
        assert consent_in_force(session, register_site.site_id, person_id, NOW)
    register_site.sync(SCHOOL.without([pupil.eleve_id]))
    register_site.sync(SCHOOL)  # back at the school
    with register_site.site.session() as session:
        assert not consent_in_force(
            session, register_site.site_id, person_id, NOW + timedelta(days=1)
        )


def test_a_future_leaving_date_revokes_the_day_after_it(register_site: RegisterSite) -> None:
    register_site.sync(SCHOOL)
    pupil = SCHOOL.pupils[10]
    person_id = register_site.person_of(SCHOOL, pupil.eleve_id)
    register_site.issue(person_id)
    report = register_site.sync(SCHOOL.leaving({pupil.eleve_id: TODAY + timedelta(days=2)}))
    assert [p.changes for p in report.updated] == [(Change.LEAVING_DATE,)]
    with register_site.site.database.session(actor="system:test") as session:
        assert sweep_leavers(session, register_site.site_id, now=NOW + timedelta(days=2)) == ()
    with register_site.site.database.session(actor="system:test") as session:
        gone = sweep_leavers(session, register_site.site_id, now=NOW + timedelta(days=3))
    assert gone == (person_id,)
    assert [c.revocation_reason for c in register_site.credentials()] == [LEFT_SCHOOL]


def test_a_pupil_who_comes_back_is_active_again(register_site: RegisterSite) -> None:
    register_site.sync(SCHOOL)
    pupil = SCHOOL.pupils[0]
    register_site.sync(SCHOOL.without([pupil.eleve_id]))
    report = register_site.sync(SCHOOL)
    assert [(p.eleve_id, p.changes) for p in report.updated] == [
        (pupil.eleve_id, (Change.RETURNED, Change.LEAVING_DATE))
    ]
    person = next(
        p
        for p in register_site.people()
        if p.person_id == register_site.person_of(SCHOOL, pupil.eleve_id)
    )
    assert person.active and person.left_on is None


def test_an_export_of_another_establishment_is_refused_and_nothing_imported(
    register_site: RegisterSite,
) -> None:
    before = register_site.row_counts()
    with pytest.raises(WrongEstablishmentError, match="0590001B"):
        register_site.sync(synthetic_school(10, uaj="0590001B"))
    assert register_site.row_counts() == before


def test_a_site_without_uai_is_told_how_to_record_it(database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    site = RegisterSite.create(tmp_path, database_url, uai=None)
    try:
        with pytest.raises(MissingUaiError, match="portique uai"):
            site.sync(SCHOOL)
    finally:
        site.close()


def test_an_export_that_would_empty_the_school_is_refused_unless_confirmed(
    register_site: RegisterSite,
) -> None:
    register_site.sync(SCHOOL)
    few = SCHOOL.without(p.eleve_id for p in SCHOOL.pupils[:70])
    with pytest.raises(MassDepartureError):
        register_site.sync(few)
    assert all(p.active for p in register_site.people("student"))
    assert register_site.sync(few, allow_mass_departure=True).as_json()["left"] == 70


def test_a_partial_export_makes_nobody_leave(register_site: RegisterSite) -> None:
    register_site.sync(SCHOOL)
    report = register_site.sync(SCHOOL.without([SCHOOL.pupils[0].eleve_id]), complete=False)
    assert report.as_json()["left"] == 0


def test_a_pupil_entered_by_hand_is_recognised_once_and_linked(
    register_site: RegisterSite,
) -> None:
    pupil = SCHOOL.pupils[0]
    with register_site.site.session() as session:
        person_id = add_person(
            session,
            register_site.site_id,
            NewPerson(pupil.last_name.lower(), pupil.first_name, pupil.birth_date, Role.STUDENT),
            now=NOW,
        )
    report = register_site.sync(SCHOOL)
    assert report.as_json()["added"] == 119
    linked = next(p for p in report.updated if p.person_id == person_id)
    assert Change.REGISTER in linked.changes and Change.NAME in linked.changes
    assert len(register_site.people("student")) == 120


def test_no_ine_nor_register_number_is_stored_in_clear(register_site: RegisterSite) -> None:
    register_site.sync(SCHOOL)
    hashes = register_site.register_hashes()
    assert len(hashes) == 2 * 120 + len(SCHOOL.guardians)
    dump = repr(register_site.people()) + repr(hashes)
    with register_site.site.session() as session:
        dump += repr([e.details for e in session.scalars(select(AuditEntryRow))])
    for pupil in SCHOOL.pupils[:30]:
        assert pupil.ine not in dump
        assert f'"{pupil.eleve_id}"' not in dump and f"'{pupil.eleve_id}'" not in dump


def test_the_register_key_is_private_to_the_site_folder(register_site: RegisterSite) -> None:
    register_site.sync(SCHOOL)
    path = register_site_key(register_site)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.read_bytes()) == 32


def test_applying_audits_every_change(register_site: RegisterSite) -> None:
    register_site.sync(SCHOOL)
    actions = register_site.audit_actions()
    assert actions.count("people.create") == 120 + len(SCHOOL.guardians)
    assert actions.count("register_ids.create") == 2 * 120 + len(SCHOOL.guardians)
    assert actions[-1] == "registers.siecle"
    pupil = SCHOOL.pupils[0]
    register_site.issue(register_site.person_of(SCHOOL, pupil.eleve_id))
    register_site.sync(SCHOOL.without([pupil.eleve_id]))
    actions = register_site.audit_actions()
    assert "departures.create" in actions
    assert "credentials.update" in actions
    with register_site.site.session() as session:
        entry = session.scalars(
            select(AuditEntryRow)
            .where(AuditEntryRow.site_id == register_site.site_id)
            .order_by(AuditEntryRow.seq.desc())
        ).first()
        assert entry is not None
        assert entry.details["counts"]["left"] == 1
        assert entry.actor == "cli:test"
        assert session.scalars(select(DepartureRow)).first() is not None


def test_two_lines_claiming_one_pupil_are_reported_not_merged(
    register_site: RegisterSite,
) -> None:
    register_site.sync(SCHOOL)
    first, second = SCHOOL.pupils[0], SCHOOL.pupils[1]
    swapped = replace(
        SCHOOL,
        pupils=(replace(second, ine=first.ine), *SCHOOL.pupils[2:], first),
    )
    report = register_site.sync(swapped, complete=False)
    # The reader refuses the second line with that INE; the first one names two people.
    assert {e.element for e in report.errors} == {
        f"ELEVE ELEVE_ID={first.eleve_id}",
        f"ELEVE ELEVE_ID={second.eleve_id}",
    }
    assert all("INE" in e.message for e in report.errors)
    assert report.as_json()["updated"] == 0
