"""People: adding them one by one and importing the CSV exports of French school software."""

from __future__ import annotations

import codecs
from datetime import date

import pytest

from portique.access import Role
from portique.services import (
    NewPerson,
    PersonInputError,
    RosterFormatError,
    add_person,
    import_people,
    list_people,
)
from portique.services.people import random_person_id
from portique.store import StoreConflictError
from school_support import CLASS, School

EXPORT = """Nom;Prénom;Né(e) le;Classe;Sexe
DUPONT;Élodie;03/09/2009;2NDE A;F
MARTIN;Jérôme;17/12/2008;1ERE B;M
N'DIAYE;Aïssatou;01/02/2010;2NDE A;F
"""


def _import(school: School, data: bytes) -> tuple[list[str], list[tuple[int, str]]]:
    with school.site.session() as session:
        report = import_people(session, school.site_id, data, now=school.now)
    return list(report.imported), [(r.line, r.reason) for r in report.rejected]


def _people(school: School) -> dict[str, tuple[str, date, tuple[str, ...], Role]]:
    with school.site.session() as session:
        records = list_people(session, school.site_id, now=school.now)
    return {
        f"{r.first_name} {r.last_name}": (r.person_id, r.birth_date, r.group_ids, r.role)
        for r in records
    }


def test_a_utf8_export_with_a_byte_order_mark_is_imported(school: School) -> None:
    imported, rejected = _import(school, codecs.BOM_UTF8 + EXPORT.encode("utf-8"))
    assert len(imported) == 3 and rejected == []
    people = _people(school)
    assert people["Élodie DUPONT"][1:] == (date(2009, 9, 3), ("2nde-a",), Role.STUDENT)
    assert people["Aïssatou N'DIAYE"][2] == ("2nde-a",)
    assert people["Jérôme MARTIN"][2] == ("1ere-b",)


def test_a_latin1_export_separated_by_commas_is_imported(school: School) -> None:
    export = "NOM,PRENOM,DATE DE NAISSANCE,DIVISION\nLEFÈVRE,Chloé,05/06/2009,TLE 3\n"
    imported, rejected = _import(school, export.encode("latin-1"))
    assert len(imported) == 1 and rejected == []
    assert _people(school)["Chloé LEFÈVRE"][1] == date(2009, 6, 5)


def test_a_title_line_and_excels_separator_line_before_the_header_are_skipped(
    school: School,
) -> None:
    export = "sep=,\nListe des élèves - 2nde A\nNom,Prénom,Né(e) le\nDUPONT,Élodie,03/09/2009\n"
    imported, rejected = _import(school, export.encode("utf-8"))
    assert len(imported) == 1 and rejected == []


def test_a_windows_1252_export_is_imported(school: School) -> None:
    export = "Nom;Prénom;Né(e) le\nŒUVRARD;Zoë;05/06/2009\n"
    imported, _ = _import(school, export.encode("cp1252"))
    assert len(imported) == 1
    assert "Zoë ŒUVRARD" in _people(school)


def test_bad_rows_are_rejected_with_their_line_and_reason_and_the_good_ones_kept(
    school: School,
) -> None:
    export = (
        "Nom;Prénom;Né(e) le;Classe\n"
        "DUPONT;Élodie;03/09/2009;2NDE A\n"
        "MARTIN;Jérôme;31/02/2009;2NDE A\n"
        ";Sans nom;01/01/2009;2NDE A\n"
        "\n"
        "BERNARD;Lucas;hier;2NDE A\n"
        "PETIT;Emma;01/01/2099;2NDE A\n"
        "ROUX;Hugo\n"
        "DUPONT;élodie;03/09/2009;2NDE B\n"
    )
    imported, rejected = _import(school, export.encode("utf-8"))
    assert len(imported) == 1
    lines = dict(rejected)
    assert sorted(lines) == [3, 4, 6, 7, 8, 9]
    assert "31/02/2009" in lines[3]
    assert "hier" in lines[6]
    assert "01/01/2099" in lines[7]
    assert "2" in lines[9]  # a duplicate of line 2


def test_an_export_without_a_birth_date_column_is_refused_whole(school: School) -> None:
    with pytest.raises(RosterFormatError) as raised:
        _import(school, b"Nom;Prenom;Classe\nDUPONT;Elodie;2NDE A\n")
    assert "Né(e) le" in raised.value.message
    assert _people(school) == {}


@pytest.mark.parametrize("data", [b"", b"\n\n", b"\x89PNG\r\n\x1a\n\x00\x00binary"])
def test_a_file_that_is_not_an_export_is_refused_whole(school: School, data: bytes) -> None:
    with pytest.raises(RosterFormatError):
        _import(school, data)
    assert _people(school) == {}


def test_importing_the_same_export_twice_adds_nobody_twice(school: School) -> None:
    first, _ = _import(school, EXPORT.encode("utf-8"))
    second, rejected = _import(school, EXPORT.encode("utf-8"))
    assert len(first) == 3 and second == []
    assert [line for line, _ in rejected] == [2, 3, 4]
    assert len(_people(school)) == 3


def test_a_failure_in_the_middle_of_an_import_leaves_nothing_imported(
    school: School, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def failing() -> str:
        calls.append(1)
        if len(calls) == 3:
            raise StoreConflictError("the database refused a write")
        return random_person_id()

    monkeypatch.setattr("portique.services.people.random_person_id", failing)
    with pytest.raises(StoreConflictError):
        _import(school, EXPORT.encode("utf-8"))
    assert _people(school) == {}


def test_classes_named_in_an_export_are_created_once(school: School) -> None:
    with school.site.session() as session:
        report = import_people(session, school.site_id, EXPORT.encode("utf-8"), now=school.now)
    assert sorted(report.groups_created) == ["1ere-b", "2nde-a"]


def test_a_person_added_with_a_guardian_lists_them(school: School) -> None:
    parent = school.parent()
    student = school.student(guardian=parent)
    with school.site.session() as session:
        records = {r.person_id: r for r in list_people(session, school.site_id, now=school.now)}
    assert records[student].guardian_ids == (parent,)
    assert records[student].group_ids == ("2nde-a",)
    assert records[student].minor and not records[parent].minor
    assert student.startswith("p-") and len(student) == 12


@pytest.mark.parametrize(
    "new",
    [
        NewPerson("", "Léa", date(2010, 1, 1)),
        NewPerson("Martin", "Léa", date(2999, 1, 1)),
        NewPerson("Martin", "Léa", date(2010, 1, 1), guardian_ids=("p-nobody",)),
    ],
    ids=["no-name", "born-in-the-future", "unknown-guardian"],
)
def test_an_impossible_person_is_refused(school: School, new: NewPerson) -> None:
    with pytest.raises(PersonInputError), school.site.session() as session:
        add_person(session, school.site_id, new, now=school.now)
    assert _people(school) == {}


def test_adding_people_creates_their_class_with_the_default_timetable(school: School) -> None:
    school.student()
    with school.site.session() as session:
        person = add_person(
            session,
            school.site_id,
            NewPerson("Petit", "Emma", date(2010, 5, 5), groups=(CLASS.upper(),)),
            now=school.now,
        )
    assert _people(school)["Emma Petit"][0] == person
    assert _people(school)["Emma Petit"][2] == ("2nde-a",)
