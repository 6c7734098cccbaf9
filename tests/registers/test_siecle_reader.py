"""Reading SIECLE exports: both encodings, alone or zipped, their structures, and every
way a file can be wrong (each a clear error naming the file, never a crash)."""

from __future__ import annotations

import zipfile
from dataclasses import replace
from datetime import date

import pytest

from portique.registers import RegisterEncodingError, RegisterFormatError, xmlfile
from portique.registers.siecle import read_guardians, read_pupils
from portique.registers.synthetic import (
    export_zip,
    guardians_xml,
    pupils_xml,
    synthetic_school,
)

SCHOOL = synthetic_school(70, uaj="0130001A", year=2026, seed=3)


def _accented(school=SCHOOL):  # type: ignore[no-untyped-def]
    first = replace(school.pupils[0], last_name="LEFÈVRE", first_name="Zoé Œdipe")
    return replace(school, pupils=(first, *school.pupils[1:]))


@pytest.mark.parametrize("encoding", ["ISO-8859-15", "UTF-8"])
def test_pupils_are_read_in_either_encoding_with_their_accents(encoding: str) -> None:
    export = read_pupils(pupils_xml(_accented(), encoding=encoding))
    assert export.encoding == encoding
    assert export.uaj == "0130001A" and export.school_year == 2026
    assert export.exported_on == date(2026, 9, 15)
    first = export.pupils[0]
    assert (first.last_name, first.first_name) == ("LEFÈVRE", "Zoé Œdipe")
    assert len(export.pupils) == 70 and export.errors == ()


def test_a_pupil_carries_the_division_and_groups_of_structures_eleve() -> None:
    export = read_pupils(pupils_xml(SCHOOL))
    source = {p.eleve_id: p for p in SCHOOL.pupils}
    for pupil in export.pupils:
        made = source[pupil.eleve_id]
        assert pupil.division == made.division
        assert pupil.groups == made.groups
        assert pupil.ine == made.ine
        assert pupil.birth_date == made.birth_date


def test_the_export_is_read_from_inside_the_zip_siecle_hands_out() -> None:
    archive = export_zip(
        {
            "ResponsablesAvecAdresses.xml": guardians_xml(SCHOOL),
            "ElevesSansAdresses.xml": pupils_xml(SCHOOL),
        }
    )
    assert len(read_pupils(archive).pupils) == 70
    assert len(read_guardians(archive).guardians) == len(SCHOOL.guardians)


def test_only_legal_guardians_are_kept_and_linked_to_their_pupils() -> None:
    export = read_guardians(guardians_xml(SCHOOL))
    by_id = {g.personne_id: g for g in export.guardians}
    for pupil in SCHOOL.pupils:
        for personne_id in pupil.guardians:
            assert pupil.eleve_id in by_id[personne_id].pupils
    # Each family also has a contact (RESP_LEGAL 0) pointing at its first guardian: it
    # must not add a link of its own.
    first = SCHOOL.pupils[0]
    assert by_id[first.guardians[0]].pupils.count(first.eleve_id) == 1


def test_a_leaving_date_is_read() -> None:
    school = SCHOOL.leaving({SCHOOL.pupils[3].eleve_id: date(2026, 10, 2)})
    export = read_pupils(pupils_xml(school))
    assert export.pupils[3].leaving_date == date(2026, 10, 2)
    assert export.pupils[4].leaving_date is None


def _xml(body: str, encoding: str = "UTF-8") -> bytes:
    return f'<?xml version="1.0" encoding="{encoding}"?>\n{body}'.encode(encoding)


PARAMETERS = "<PARAMETRES><UAJ>0130001A</UAJ><ANNEE_SCOLAIRE>2026</ANNEE_SCOLAIRE></PARAMETRES>"


def test_bad_lines_are_reported_by_element_and_the_rest_imported() -> None:
    body = (
        f"<BEE_ELEVES>{PARAMETERS}<DONNEES><ELEVES>"
        '<ELEVE ELEVE_ID="1"><NOM_DE_FAMILLE>A</NOM_DE_FAMILLE><PRENOM>B</PRENOM>'
        "<DATE_NAISS>01/02/2010</DATE_NAISS></ELEVE>"
        '<ELEVE ELEVE_ID="2"><PRENOM>B</PRENOM><DATE_NAISS>01/02/2010</DATE_NAISS></ELEVE>'
        '<ELEVE ELEVE_ID="3"><NOM>C</NOM><PRENOM>D</PRENOM><DATE_NAISS>31/02/2010</DATE_NAISS>'
        "</ELEVE>"
        '<ELEVE ELEVE_ID="1"><NOM>E</NOM><PRENOM>F</PRENOM><DATE_NAISS>01/01/2010</DATE_NAISS>'
        "</ELEVE>"
        '<ELEVE ELEVE_ID="4"><NOM>G</NOM><PRENOM>H</PRENOM><DATE_NAISS>01/01/2010</DATE_NAISS>'
        "<ID_NATIONAL>pas-un-INE</ID_NATIONAL></ELEVE>"
        "<ELEVE><NOM>I</NOM><PRENOM>J</PRENOM><DATE_NAISS>01/01/2010</DATE_NAISS></ELEVE>"
        "</ELEVES></DONNEES></BEE_ELEVES>"
    )
    export = read_pupils(_xml(body))
    assert [p.eleve_id for p in export.pupils] == ["1", "4"]
    assert export.pupils[1].ine is None  # malformed: ignored, matched by ELEVE_ID
    errors = {(e.element, e.message.split(" ")[0]) for e in export.errors}
    assert ("ELEVE ELEVE_ID=2", "NOM_DE_FAMILLE") in errors
    assert ("ELEVE ELEVE_ID=3", "DATE_NAISS") in errors
    assert any(e.element == "ELEVE ELEVE_ID=1" for e in export.errors)
    assert any(e.element == "ELEVE ELEVE_ID=4" and "INE" in e.message for e in export.errors)
    assert any(e.element == "ELEVE" for e in export.errors)
    # Messages name the element, never the value that was wrong (names, dates, INE).
    assert not any("pas-un-INE" in e.message or "31/02" in e.message for e in export.errors)


def test_a_name_hiding_control_or_invisible_characters_is_a_line_error() -> None:
    body = (
        f"<BEE_ELEVES>{PARAMETERS}<DONNEES><ELEVES>"
        '<ELEVE ELEVE_ID="1"><NOM>MARTIN\u202eNIGRAM</NOM><PRENOM>Léa</PRENOM>'
        "<DATE_NAISS>01/02/2010</DATE_NAISS></ELEVE>"
        '<ELEVE ELEVE_ID="2"><NOM>DURAND</NOM><PRENOM>Léo</PRENOM>'
        "<DATE_NAISS>01/02/1850</DATE_NAISS></ELEVE>"
        "</ELEVES></DONNEES></BEE_ELEVES>"
    )
    export = read_pupils(_xml(body))
    assert export.pupils == ()
    assert [e.element for e in export.errors] == ["ELEVE ELEVE_ID=1", "ELEVE ELEVE_ID=2"]
    assert "1900" in export.errors[1].message


def test_an_older_export_with_nom_instead_of_nom_de_famille_is_read() -> None:
    body = (
        f"<BEE_ELEVES>{PARAMETERS}<DONNEES><ELEVES>"
        '<ELEVE ELEVE_ID="9"><NOM>DURAND</NOM><PRENOM>Léo</PRENOM>'
        "<DATE_NAISS>1/9/2010</DATE_NAISS></ELEVE></ELEVES></DONNEES></BEE_ELEVES>"
    )
    pupil = read_pupils(_xml(body, "ISO-8859-15")).pupils[0]
    assert (pupil.last_name, pupil.first_name, pupil.birth_date) == (
        "DURAND",
        "Léo",
        date(2010, 9, 1),
    )


def test_the_guardians_file_is_refused_as_the_pupils_file_and_says_which_it_is() -> None:
    with pytest.raises(RegisterFormatError, match="BEE_RESPONSABLES"):
        read_pupils(guardians_xml(SCHOOL), name="Responsables.xml")


def test_a_truncated_zip_is_a_clear_error() -> None:
    archive = export_zip({"ElevesSansAdresses.xml": pupils_xml(SCHOOL)})
    with pytest.raises(RegisterFormatError, match=r"ZIP tronquée|truncated"):
        read_pupils(archive[: len(archive) // 2], name="ExportXML.zip")


def test_a_zip_with_a_corrupt_member_is_a_clear_error() -> None:
    archive = bytearray(export_zip({"ElevesSansAdresses.xml": pupils_xml(SCHOOL)}))
    archive[200] ^= 0xFF  # inside the compressed data: the CRC check fails on reading
    with pytest.raises(RegisterFormatError, match="ZIP"):
        read_pupils(bytes(archive), name="ExportXML.zip")


def test_a_zip_bomb_is_refused_before_it_is_inflated() -> None:
    archive = export_zip({"ElevesSansAdresses.xml": b"<BEE_ELEVES>" + b" " * 5_000_000})
    with pytest.raises(RegisterFormatError, match="refus"):
        read_pupils(archive)


def test_a_zip_without_the_pupils_file_names_what_it_holds() -> None:
    archive = export_zip({"a.xml": b"<x/>", "b.xml": b"<y/>"})
    with pytest.raises(RegisterFormatError, match=r"a\.xml, b\.xml"):
        read_pupils(archive)


@pytest.mark.parametrize(
    "content",
    [
        b"Nom;Pr\xe9nom;N\xe9(e) le\nMARTIN;L\xe9a;01/02/2010\n",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        b"",
    ],
)
def test_a_file_that_is_not_xml_is_a_clear_error(content: bytes) -> None:
    with pytest.raises(RegisterFormatError, match=r"pas un fichier XML|not an XML"):
        read_pupils(content, name="eleves.csv")


def test_a_truncated_xml_file_gives_the_line_where_it_stops() -> None:
    data = pupils_xml(SCHOOL)
    with pytest.raises(RegisterFormatError, match=r"ligne|line"):
        read_pupils(data[: len(data) // 2])


def test_a_latin_file_declared_utf8_is_refused_for_its_encoding() -> None:
    data = pupils_xml(_accented(), encoding="ISO-8859-15").replace(b"ISO-8859-15", b"UTF-8")
    with pytest.raises(RegisterEncodingError, match="UTF-8"):
        read_pupils(data)


def test_a_utf8_file_declared_latin_is_refused_rather_than_garbled() -> None:
    data = pupils_xml(_accented(), encoding="UTF-8").replace(b'"UTF-8"', b'"ISO-8859-15"')
    with pytest.raises(RegisterEncodingError, match="UTF-8"):
        read_pupils(data)


def test_utf16_and_unknown_encodings_are_refused() -> None:
    with pytest.raises(RegisterEncodingError, match="UTF-16"):
        read_pupils(pupils_xml(SCHOOL, encoding="UTF-8").decode().encode("utf-16"))
    with pytest.raises(RegisterEncodingError, match=r"cp500|non pris|not supported"):
        read_pupils(_xml(f"<BEE_ELEVES>{PARAMETERS}</BEE_ELEVES>").replace(b"UTF-8", b"cp500"))


def test_an_entity_expansion_bomb_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?>\n<!DOCTYPE BEE_ELEVES [\n'
        b'<!ENTITY a "aaaaaaaaaa">\n<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">\n]>\n<BEE_ELEVES>&c;</BEE_ELEVES>'
    )
    with pytest.raises(RegisterFormatError, match="DTD"):
        read_pupils(bomb)


def test_an_external_entity_is_never_fetched() -> None:
    xxe = (
        b'<?xml version="1.0"?>\n<!DOCTYPE BEE_ELEVES [<!ENTITY x SYSTEM '
        b'"file:///etc/passwd">]>\n<BEE_ELEVES>&x;</BEE_ELEVES>'
    )
    with pytest.raises(RegisterFormatError, match="DTD"):
        read_pupils(xxe)


def test_a_file_over_the_size_cap_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xmlfile, "MAX_XML_BYTES", 10_000)
    with pytest.raises(RegisterFormatError, match=r"volumineux|too large"):
        read_pupils(pupils_xml(SCHOOL))


def test_an_export_without_establishment_code_is_refused() -> None:
    with pytest.raises(RegisterFormatError, match="UAJ"):
        read_pupils(_xml("<BEE_ELEVES><PARAMETRES/><DONNEES/></BEE_ELEVES>"))


def test_the_synthetic_zip_is_a_real_zip_archive() -> None:
    archive = export_zip({"ElevesSansAdresses.xml": pupils_xml(SCHOOL)})
    with zipfile.ZipFile(__import__("io").BytesIO(archive)) as opened:
        assert opened.namelist() == ["ElevesSansAdresses.xml"]
        assert opened.testzip() is None
