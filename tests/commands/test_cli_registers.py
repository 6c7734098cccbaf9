"""The other register commands from outside: `uai`, `import sts|timetable`, `cards issue`,
`year close|open`, `departures list|sweep` (SQLite; the services run on both databases
in tests/registers)."""

from __future__ import annotations

from pathlib import Path

from cli_support import Cli
from portique.registers.synthetic import (
    emp_sts_xml,
    export_zip,
    guardians_xml,
    pupils_xml,
    sts_xml,
    synthetic_school,
)

UAI = "0130001A"
SCHOOL = synthetic_school(30, uaj=UAI, year=2026, seed=9, staff=6)
AT = "2026-09-21T09:00+02:00"


def _site(tmp_path: Path) -> Cli:
    cli = Cli(tmp_path / "site")
    cli.json("init", "--site-id", "lycee-cli")
    return cli


def _files(tmp_path: Path, school=SCHOOL, tag: str = "a") -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    pupils = tmp_path / f"eleves-{tag}.zip"
    pupils.write_bytes(export_zip({"ElevesSansAdresses.xml": pupils_xml(school)}))
    guardians = tmp_path / f"responsables-{tag}.xml"
    guardians.write_bytes(guardians_xml(school))
    return pupils, guardians


def test_the_uai_is_shown_recorded_and_checked(tmp_path: Path) -> None:
    cli = _site(tmp_path)
    assert cli.json("uai")["uai"] is None
    assert cli.json("uai", "0130001a")["uai"] == UAI
    assert cli.json("uai")["uai"] == UAI
    refused = cli.run("uai", "pas-un-uai")
    assert refused.exit_code == 2 and len(refused.stderr.strip().splitlines()) == 1


def test_init_takes_the_uai_and_a_site_named_by_its_uai_needs_none(tmp_path: Path) -> None:
    named = Cli(tmp_path / "named")
    named.json("init", "--site-id", "0130001A")
    assert named.json("uai")["uai"] == UAI
    other = Cli(tmp_path / "other")
    other.json("init", "--site-id", "lycee-x", "--uai", "0590001B")
    assert other.json("uai")["uai"] == "0590001B"
    bad = other.run("init", "--site-id", "lycee-y", "--uai", "nope")
    assert bad.exit_code == 2


def test_staff_and_timetables_import_from_their_files(tmp_path: Path) -> None:
    cli = _site(tmp_path)
    cli.json("uai", UAI)
    sts = tmp_path / f"sts_emp_{UAI}_2026.xml"
    sts.write_bytes(sts_xml(SCHOOL))
    preview = cli.json("import", "sts", str(sts), "--dry-run", "--at", AT)
    assert preview["added"] == 6
    assert cli.json("import", "sts", str(sts), "--at", AT)["added"] == 6
    assert sum(1 for p in cli.json("person", "list")["people"] if p["role"] == "staff") == 6
    edt = tmp_path / f"emp_sts_{UAI}_2026.xml"
    edt.write_bytes(emp_sts_xml(SCHOOL))
    report = cli.json("import", "timetable", str(edt), "--at", AT)
    assert report["source"] == "edt" and report["updated"] == len(SCHOOL.divisions)
    csv = tmp_path / "edt.csv"
    csv.write_text("Classe;Jour;Début;Fin\n2NDE1;lundi;08:00;12:00\n", encoding="utf-8")
    assert cli.json("import", "timetable", str(csv), "--at", AT)["updated"] == 1


def test_a_class_gets_its_cards_in_one_command(tmp_path: Path) -> None:
    cli = _site(tmp_path)
    cli.json("uai", UAI)
    pupils, guardians = _files(tmp_path)
    cli.json("import", "siecle", str(pupils), "--responsables", str(guardians), "--at", AT)
    out = tmp_path / "cartes"
    batch = cli.json("cards", "issue", "--class", "2nde1", "--out", str(out), "--at", AT)
    assert len(batch["cards"]) == 10
    assert (out / "2nde1" / "planche.pdf").is_file()
    assert len(list((out / "2nde1").glob("*.pdf"))) == 11
    again = cli.json("cards", "issue", "--class", "2nde1", "--out", str(out), "--at", AT)
    assert again["cards"] == [] and len(again["skipped"]) == 10
    unknown = cli.run("cards", "issue", "--class", "nulle-part", "--out", str(out))
    assert unknown.exit_code == 2


def test_the_year_closes_and_the_next_opens_with_its_cards(tmp_path: Path) -> None:
    cli = _site(tmp_path)
    cli.json("uai", UAI)
    pupils, guardians = _files(tmp_path)
    cli.json("import", "siecle", str(pupils), "--responsables", str(guardians), "--at", AT)
    closed = cli.json("year", "close", "2026-2027", "--at", "2027-07-09T17:00+02:00")
    assert {"2nde1", "1g1", "tg1"} <= set(closed["archived"])
    next_year = SCHOOL.without(p.eleve_id for p in SCHOOL.pupils if p.division == "TG1")
    pupils, guardians = _files(tmp_path, next_year, "b")
    out = tmp_path / "rentree"
    opened = cli.json(
        "year", "open", "2027-2028", str(pupils), "--responsables", str(guardians),
        "--out", str(out), "--at", "2027-08-26T10:00+02:00",
    )  # fmt: skip
    assert opened["register"]["left"] == 10
    assert opened["cards"] == 20
    assert sorted(p.name for p in out.iterdir()) == ["1g1", "2nde1"]
    again = cli.run("year", "open", "2027-2028", str(pupils), "--out", str(out))
    assert again.exit_code == 2
    departures = cli.json("departures", "list", "--at", "2027-08-27T10:00+02:00")["departures"]
    assert len(departures) == 10
    assert cli.json("departures", "sweep", "--at", "2027-08-27T10:00+02:00")["left"] == 0
