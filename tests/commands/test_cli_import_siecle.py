"""`portique import siecle` from outside, on a 1,200-pupil lycée: the JSON contract, a
re-import that changes nothing, leavers refused at the lane through `portique pass`, the
dry run, and every unusable file refused with exit 2 and one line."""

from __future__ import annotations

import json
import os
import secrets
from datetime import date
from pathlib import Path

import pytest

from cli_support import Cli
from portique.config import get_settings
from portique.registers.synthetic import (
    SyntheticSchool,
    export_zip,
    guardians_xml,
    pupils_xml,
    synthetic_school,
)

UAI = "0130001A"
IMPORTED_AT = "2026-09-21T09:00+02:00"  # a Monday morning of the school year 2026-2027
LATER = "2026-10-05T09:00+02:00"
AT_THE_GATE = "2026-10-06T10:00+02:00"  # a Tuesday, 10:00: inside the default timetable
KEYS = {"added", "updated", "left", "unchanged", "revoked", "errors"}


@pytest.fixture
def site(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """A site with its UAI, on SQLite then PostgreSQL."""
    monkeypatch.setenv("PORTIQUE_DATABASE_URL", database_url)
    get_settings.cache_clear()
    cli = Cli(tmp_path / "site")
    cli.json("init", "--site-id", f"lycee-{secrets.token_hex(3)}", "--uai", UAI)
    return cli


def _write(folder: Path, school: SyntheticSchool, tag: str) -> tuple[Path, Path]:
    """SIECLE's pupils archive and guardians file of ``school``."""
    pupils = folder / f"ExportXML_ElevesSansAdresses_{tag}.zip"
    pupils.write_bytes(export_zip({"ElevesSansAdresses.xml": pupils_xml(school)}))
    guardians = folder / f"ResponsablesAvecAdresses_{tag}.xml"
    guardians.write_bytes(guardians_xml(school))
    return pupils, guardians


def _import(cli: Cli, pupils: Path, guardians: Path, at: str, *extra: str) -> dict[str, object]:
    payload = cli.json(
        "import", "siecle", str(pupils), "--responsables", str(guardians), "--at", at, *extra
    )
    assert set(payload) == KEYS
    return payload


def _people(cli: Cli) -> list[dict[str, object]]:
    people: list[dict[str, object]] = cli.json("person", "list")["people"]
    return people


def _person_ids(cli: Cli, school: SyntheticSchool, eleve_ids: list[str]) -> dict[str, str]:
    by_identity = {
        (p["last_name"], p["first_name"], p["birth_date"]): str(p["person"])
        for p in _people(cli)
        if p["role"] == "student"
    }
    pupils = {p.eleve_id: p for p in school.pupils}
    return {
        eleve_id: by_identity[
            (
                pupils[eleve_id].last_name,
                pupils[eleve_id].first_name,
                pupils[eleve_id].birth_date.isoformat(),
            )
        ]
        for eleve_id in eleve_ids
    }


def _card(cli: Cli, person_id: str, folder: Path) -> str:
    """A card for the school year 2026-2027, whatever the day the test runs."""
    issued = cli.json(
        "credential", "issue", "--person", person_id, "--out", str(folder / f"{person_id}.png"),
        "--valid-from", "01/09/2026", "--valid-until", "31/08/2027",
    )  # fmt: skip
    qr_text: str = issued["qr_text"]
    return qr_text


@pytest.mark.slow
def test_a_lycee_register_imports_then_leavers_are_refused_at_the_lane(
    site: Cli, tmp_path: Path
) -> None:
    school = synthetic_school(1200, uaj=UAI, year=2026, seed=19)
    first = _write(tmp_path, school, "septembre")

    assert _import(site, *first, IMPORTED_AT) == {
        "added": 1200, "updated": 0, "left": 0, "unchanged": 0, "revoked": 0, "errors": [],
    }  # fmt: skip
    assert _import(site, *first, IMPORTED_AT) == {
        "added": 0, "updated": 0, "left": 0, "unchanged": 1200, "revoked": 0, "errors": [],
    }  # fmt: skip

    removed = [p.eleve_id for p in school.pupils[100:140]]
    leaving = {p.eleve_id: date(2026, 10, 2) for p in school.pupils[600:605]}
    stayers = [school.pupils[0].eleve_id, school.pupils[900].eleve_id]
    ids = _person_ids(site, school, [*removed, *leaving, *stayers])
    cards = {eleve_id: _card(site, person_id, tmp_path) for eleve_id, person_id in ids.items()}

    second = _write(tmp_path, school.without(removed).leaving(leaving), "octobre")
    report = _import(site, *second, LATER)
    assert report == {
        "added": 0, "updated": 0, "left": 45, "unchanged": 1155, "revoked": 45, "errors": [],
    }  # fmt: skip

    refused = site.json(
        "pass", "--lane", "entree", "--qr-text", cards[removed[0]], "--at", AT_THE_GATE, code=1
    )
    assert refused["decision"] == "DENY" and refused["reasons"] == ["revoked"]
    assert refused["alert"] is True
    gone = site.json(
        "pass", "--lane", "entree", "--qr-text", cards[next(iter(leaving))], "--at", AT_THE_GATE,
        code=1,
    )  # fmt: skip
    assert gone["reasons"] == ["revoked"]
    for eleve_id in stayers:
        granted = site.json(
            "pass", "--lane", "entree", "--qr-text", cards[eleve_id], "--at", AT_THE_GATE
        )
        assert granted["decision"] == "GRANT"

    departures = site.json("departures", "list", "--at", LATER)["departures"]
    assert len(departures) == 45
    assert {d["person"] for d in departures} == {ids[e] for e in [*removed, *leaving]}


def test_a_dry_run_changes_nothing_in_the_database(site: Cli, tmp_path: Path) -> None:
    school = synthetic_school(60, uaj=UAI, seed=4)
    files = _write(tmp_path, school, "a")
    preview = _import(site, *files, IMPORTED_AT, "--dry-run")
    assert preview["added"] == 60
    assert _people(site) == []
    _import(site, *files, IMPORTED_AT)
    people = _people(site)
    later = _write(tmp_path, school.without([school.pupils[0].eleve_id]), "b")
    preview = _import(site, *later, LATER, "--dry-run")
    assert preview["left"] == 1
    assert _people(site) == people
    audit = site.json("audit", "verify")
    assert audit["intact"] is True


def test_the_human_dry_run_shows_who_would_leave(site: Cli, tmp_path: Path) -> None:
    school = synthetic_school(30, uaj=UAI, seed=5)
    _import(site, *_write(tmp_path, school, "a"), IMPORTED_AT)
    pupils, guardians = _write(tmp_path, school.without([school.pupils[3].eleve_id]), "b")
    result = site.run(
        "import", "siecle", str(pupils), "--responsables", str(guardians), "--dry-run",
        "--at", LATER,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert school.pupils[3].last_name in result.stdout
    assert "absent de l'export" in result.stdout or "missing from the export" in result.stdout


def test_a_device_a_pipe_or_a_folder_is_refused_without_reading_it(
    site: Cli, tmp_path: Path
) -> None:
    fifo = tmp_path / "ElevesSansAdresses.xml"
    os.mkfifo(fifo)  # reading it would block the command forever
    for path in (fifo, Path("/dev/zero"), tmp_path):
        result = site.run("import", "siecle", str(path), "--at", IMPORTED_AT)
        assert result.exit_code == 2, result.output
        assert len(result.stderr.strip().splitlines()) == 1
    assert _people(site) == []


def _unusable(tmp_path: Path) -> dict[str, Path]:
    school = synthetic_school(20, uaj=UAI, seed=6)
    xml = pupils_xml(school)
    archive = export_zip({"ElevesSansAdresses.xml": xml})
    files = {
        "another_establishment.xml": pupils_xml(synthetic_school(20, uaj="0590001B")),
        "truncated.zip": archive[: len(archive) // 2],
        "not_xml.csv": "Nom;Prénom;Né(e) le\nMARTIN;Léa;01/02/2010\n".encode("cp1252"),
        "wrong_encoding.xml": xml.replace(b"ISO-8859-15", b"UTF-8"),
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    return {name: tmp_path / name for name in files}


@pytest.mark.parametrize(
    ("name", "headline"),
    [
        ("another_establishment.xml", ("Autre établissement", "Another establishment")),
        ("truncated.zip", ("Export du registre", "register export")),
        ("not_xml.csv", ("Export du registre", "register export")),
        ("wrong_encoding.xml", ("Encodage incorrect", "Wrong encoding")),
    ],
)
def test_an_unusable_file_is_one_clear_line_with_exit_2_and_nothing_imported(
    site: Cli, tmp_path: Path, name: str, headline: tuple[str, str]
) -> None:
    path = _unusable(tmp_path)[name]
    result = site.run("import", "siecle", str(path), "--at", IMPORTED_AT)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert any(word in lines[0] for word in headline)
    assert "Traceback" not in result.output
    assert _people(site) == []
    as_json = site.run("import", "siecle", str(path), "--at", IMPORTED_AT, "--json")
    assert as_json.exit_code == 2
    error = json.loads(as_json.stdout.strip())
    assert set(error) == {"error", "message"}
