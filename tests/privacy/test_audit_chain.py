"""The audit log: administrative changes recorded with their actor, and a hash chain
that names the first modified, deleted or reordered entry."""

from __future__ import annotations

import threading
from datetime import date

from sqlalchemy import text

from portique.access import Role
from portique.actors import acting_as
from portique.privacy import audit
from portique.privacy.audit import Breach
from portique.services import NewPerson, add_person
from portique.store import PassageRow
from school_support import School


def _entries(school: School) -> list[audit.AuditEntry]:
    with school.site.session() as session:
        return audit.entries(session, school.site_id)


def _verify(school: School) -> audit.ChainReport:
    with school.site.session() as session:
        return audit.verify(session, school.site_id)


def test_administrative_changes_are_recorded_with_their_actor(school: School) -> None:
    with acting_as("account:direction"):
        student = school.student()
    school.consent(student, by=_guardian(school, student))
    found = _entries(school)
    creations = [entry for entry in found if entry.action == "people.create"]
    assert {entry.actor for entry in creations} == {"account:direction"}
    assert f"people:{student}" in {entry.target for entry in creations}
    consents = [entry for entry in found if entry.action == "consents.create"]
    assert consents and consents[-1].actor == "system"
    assert consents[-1].details["after"]["person_id"] == student
    assert [entry.seq for entry in found] == list(range(1, len(found) + 1))


def _guardian(school: School, person_id: str) -> str:
    with school.site.session() as session:
        row = session.execute(
            text("SELECT guardian_id FROM guardianships WHERE person_id = :p"), {"p": person_id}
        ).scalar_one()
    return str(row)


def test_names_and_secrets_never_enter_the_log(school: School) -> None:
    with school.site.session() as session:
        add_person(
            session,
            school.site_id,
            NewPerson("Zyxwabcd", "Qwertyuiop", date(1980, 1, 2), Role.STAFF, (), ()),
            now=school.now,
        )
    dumped = repr([entry.details for entry in _entries(school)])
    assert "Zyxwabcd" not in dumped and "Qwertyuiop" not in dumped
    assert "1980-01-02" not in dumped
    assert audit.PERSONAL in dumped


def test_operational_rows_are_not_audited(school: School) -> None:
    before = len(_entries(school))
    with school.site.session() as session:
        session.add(
            PassageRow(
                passage_id="p-operational",
                site_id=school.site_id,
                lane_id="entree",
                direction="in",
                time=school.now,
                outcome="grant",
                reasons=[],
                credential_id=None,
                person_id=None,
                latency_ms=1.0,
                snapshot_version=1,
            )
        )
    assert len(_entries(school)) == before


def test_explicit_record_and_an_intact_chain(school: School) -> None:
    school.staff()
    with school.site.database.session(actor="cli:dpo") as session:
        row = audit.record(
            session, site_id=school.site_id, action="dpia.generate", details={"file": "a.html"}
        )
    report = _verify(school)
    assert report.intact and report.last_seq == row.seq and report.last_hash == row.entry_hash
    assert _entries(school)[-1].actor == "cli:dpo"


def test_a_modified_entry_is_named(school: School) -> None:
    school.staff()
    school.staff()
    victim = _entries(school)[2]
    with school.site.session() as session:
        session.execute(
            text("UPDATE audit_log SET actor = 'someone-else' WHERE entry_id = :id"),
            {"id": victim.entry_id},
        )
    report = _verify(school)
    assert (report.breach, report.seq, report.entry_id) == (
        Breach.MODIFIED,
        victim.seq,
        victim.entry_id,
    )


def test_a_deleted_entry_is_named(school: School) -> None:
    school.staff()
    school.staff()
    found = _entries(school)
    with school.site.session() as session:
        session.execute(
            text("DELETE FROM audit_log WHERE entry_id = :id"), {"id": found[1].entry_id}
        )
    report = _verify(school)
    assert report.breach is Breach.DELETED
    assert (report.seq, report.entry_id) == (found[2].seq, found[2].entry_id)
    assert f"seq {found[1].seq}" in report.explanation


def test_reordered_entries_are_named(school: School) -> None:
    school.staff()
    school.staff()
    found = _entries(school)
    first, second = found[1], found[2]
    with school.site.session() as session:
        swap = "UPDATE audit_log SET seq = :seq WHERE entry_id = :id"
        session.execute(text(swap), {"seq": -1, "id": first.entry_id})
        session.execute(text(swap), {"seq": first.seq, "id": second.entry_id})
        session.execute(text(swap), {"seq": second.seq, "id": first.entry_id})
    report = _verify(school)
    assert report.breach is Breach.REORDERED
    assert (report.seq, report.entry_id) == (first.seq, second.entry_id)


def test_concurrent_writers_never_share_a_seq(school: School) -> None:
    errors: list[BaseException] = []

    def add_staff() -> None:
        try:
            for _ in range(3):
                school.staff()
        except BaseException as error:
            errors.append(error)

    if school.site.database.is_sqlite:
        add_staff()  # SQLite serialises writers: one at a time
    else:
        threads = [threading.Thread(target=add_staff) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors
    assert _verify(school).intact
