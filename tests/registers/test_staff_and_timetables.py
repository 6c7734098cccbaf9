"""Staff and divisions from STS-Web, class timetables from EDT's export or a CSV: read
like the real files, applied to the site, and enforced at the lane."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from registers_support import NOW, RegisterSite
from sqlalchemy import select

from portique.registers import RegisterFormatError, WrongEstablishmentError
from portique.registers.sts import read_sts, sync_staff
from portique.registers.synthetic import emp_sts_xml, sts_xml, synthetic_school
from portique.registers.timetables import day_json, import_timetables, read_timetables
from portique.services import Gate, presented_from_text
from portique.store import GroupRow

SCHOOL = synthetic_school(60, uaj="0130001A", seed=8, staff=12)
TUESDAY = NOW + timedelta(days=1)  # 2026-09-22, 10:00 in Paris


def _staff(site: RegisterSite, school=SCHOOL, **options: object):  # type: ignore[no-untyped-def]
    export = read_sts(sts_xml(school))
    with site.site.database.session(actor="cli:test") as session:
        return sync_staff(session, site.site_id, site.site.keys_dir, export, now=NOW, **options)


def _timetables(site: RegisterSite, data: bytes, name: str = "emp_sts.xml", **options: object):  # type: ignore[no-untyped-def]
    export = read_timetables(data, name=name)
    with site.site.database.session(actor="cli:test") as session:
        return import_timetables(session, site.site_id, export, now=NOW, **options)


def _groups(site: RegisterSite) -> dict[str, GroupRow]:
    with site.site.session() as session:
        rows = {
            row.group_id: row
            for row in session.scalars(select(GroupRow).where(GroupRow.site_id == site.site_id))
        }
        session.expunge_all()
        return rows


def test_the_sts_export_is_read_with_its_staff_and_divisions() -> None:
    export = read_sts(sts_xml(SCHOOL))
    assert export.uaj == "0130001A" and export.school_year == 2026
    assert len(export.staff) == 12 and export.errors == ()
    assert export.staff[1].function == "ENS"
    assert [s.code for s in export.structures] == list(SCHOOL.divisions)
    assert all(s.division for s in export.structures)


def test_staff_are_synchronised_like_pupils(register_site: RegisterSite) -> None:
    assert _staff(register_site).as_json() == {
        "added": 12, "updated": 0, "left": 0, "unchanged": 0, "revoked": 0, "errors": [],
    }  # fmt: skip
    assert len(register_site.people("staff")) == 12
    assert set(_groups(register_site)) == {d.lower() for d in SCHOOL.divisions}
    assert _staff(register_site).as_json()["unchanged"] == 12
    member = register_site.people("staff")[0]
    register_site.issue(member.person_id)
    identity = (member.last_name, member.first_name, member.birth_date)
    gone = next(m for m in SCHOOL.staff if (m.last_name, m.first_name, m.birth_date) == identity)
    smaller = replace(SCHOOL, staff=tuple(m for m in SCHOOL.staff if m is not gone))
    report = _staff(register_site, smaller)
    assert (report.left, report.revoked) == (1, 1)
    assert [c.revocation_reason for c in register_site.credentials()] == ["left_school"]


def test_a_member_of_staff_without_birth_date_is_a_line_error() -> None:
    data = sts_xml(SCHOOL).replace(SCHOOL.staff[0].birth_date.isoformat().encode(), b"", 1)
    export = read_sts(data)
    assert len(export.staff) == 11
    assert export.errors[0].element == f"INDIVIDU ID={SCHOOL.staff[0].individu_id}"


def test_an_sts_export_of_another_establishment_is_refused(register_site: RegisterSite) -> None:
    with pytest.raises(WrongEstablishmentError, match="0590001B"):
        _staff(register_site, synthetic_school(5, uaj="0590001B", staff=3))
    assert register_site.people() == []


def test_the_edt_export_gives_each_class_its_week(register_site: RegisterSite) -> None:
    report = _timetables(register_site, emp_sts_xml(SCHOOL))
    assert report.as_json()["created"] == len(SCHOOL.divisions)
    week = _groups(register_site)["2nde1"].timetable["week"]
    assert week["monday"] == {"ranges": ["08:00-12:00", "13:30-16:30"], "lunch": "12:00-13:30"}
    assert week["wednesday"] == {"ranges": ["08:00-12:00"]}
    assert week["thursday"]["ranges"] == ["10:00-12:00", "13:30-16:30"]
    assert _groups(register_site)["1g1"].timetable["week"]["thursday"]["ranges"][0] == "08:00-12:00"
    again = _timetables(register_site, emp_sts_xml(SCHOOL))
    assert again.as_json()["unchanged"] == len(SCHOOL.divisions)


def test_a_pupil_is_expected_by_the_imported_timetable_at_the_lane(
    register_site: RegisterSite,
) -> None:
    register_site.sync(SCHOOL)
    _timetables(register_site, emp_sts_xml(SCHOOL))
    pupil = next(p for p in SCHOOL.pupils if p.division == "2NDE1")
    card = register_site.issue(register_site.person_of(SCHOOL, pupil.eleve_id))
    gate = Gate(register_site.site)
    thursday = TUESDAY + timedelta(days=2)
    early = thursday.replace(hour=6, minute=10)  # 08:10 in Paris: 2NDE starts at 10:00
    refused = gate.pass_through("entree", presented_from_text(card), at=early).decision
    assert [r.value for r in refused.reasons] == ["outside_timetable"]
    on_time = thursday.replace(hour=7, minute=50)  # 09:50: within the arrival margin
    assert gate.pass_through("entree", presented_from_text(card), at=on_time).decision.granted


def test_a_timetable_csv_is_read_with_french_days_and_times(register_site: RegisterSite) -> None:
    csv = (
        "Classe;Jour;Début;Fin\n"
        "2NDE1;lundi;8h00;10h00\n"
        "2NDE1;Lundi;10:15;12:00\n"
        "2NDE1;lundi;14:00;17:00\n"
        "2NDE1;mercredi;08:00;12:00\n"
        "2NDE1;dimanche matin;08:00;12:00\n"
        "2NDE1;jeudi;12:00;10:00\n"
    ).encode("cp1252")
    report = _timetables(register_site, csv, name="edt.csv")
    assert report.source == "csv"
    assert [e.element for e in report.errors] == ["ligne 6", "ligne 7"]
    week = _groups(register_site)["2nde1"].timetable["week"]
    assert week["monday"] == {"ranges": ["08:00-12:00", "14:00-17:00"], "lunch": "12:00-14:00"}
    assert set(week) == {"monday", "wednesday"}


def test_a_dry_run_of_timetables_writes_nothing(register_site: RegisterSite) -> None:
    before = register_site.row_counts()
    report = _timetables(register_site, emp_sts_xml(SCHOOL), dry_run=True)
    assert report.as_json()["created"] == len(SCHOOL.divisions)
    assert register_site.row_counts() == before


def test_an_unreadable_timetable_file_is_a_clear_error(register_site: RegisterSite) -> None:
    with pytest.raises(RegisterFormatError, match="Classe;Jour"):
        _timetables(register_site, b"Nom;Prenom\nA;B\n", name="x.csv")
    with pytest.raises(RegisterFormatError, match="EDT_STS"):
        _timetables(register_site, sts_xml(SCHOOL), name="sts_emp.xml")
    with pytest.raises(WrongEstablishmentError):
        _timetables(register_site, emp_sts_xml(synthetic_school(5, uaj="0590001B")))


def test_lessons_close_together_merge_and_the_midday_gap_is_lunch() -> None:
    from datetime import time

    from portique.registers.timetables import Lesson

    day = day_json(
        [Lesson(time(8), time(9)), Lesson(time(9, 10), time(11, 55)), Lesson(time(13), time(15))]
    )
    assert day == {"ranges": ["08:00-11:55", "13:00-15:00"], "lunch": "11:55-13:00"}
    assert day_json([Lesson(time(8), time(10)), Lesson(time(15), time(17))]) == {
        "ranges": ["08:00-10:00", "15:00-17:00"]
    }
