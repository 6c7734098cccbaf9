"""`portique init`, `person`, `consent`, `credential` and `keys` from outside."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from cli_support import Cli
from portique.cli import app
from portique.config import get_settings


def test_init_twice_in_the_same_folder_is_refused_with_exit_code_2(sqlite_cli: Cli) -> None:
    payload = sqlite_cli.json("init", code=2)
    assert payload["error"] == "site_exists"


def test_commands_find_the_site_through_portique_data_dir(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTIQUE_DATA_DIR", str(cli.directory))
    get_settings.cache_clear()
    result = cli.runner.invoke(
        app, ["person", "add", "--name", "Roux", "--first-name", "Hugo",
                    "--birth-date", "01/01/1990", "--role", "staff", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    people = cli.json("person", "list")["people"]
    assert [p["last_name"] for p in people] == ["Roux"]


def test_a_command_on_a_folder_without_a_site_says_how_to_make_one(tmp_path: Path) -> None:
    empty = Cli(tmp_path / "nothing")
    payload = empty.json("person", "list", code=2)
    assert payload["error"] == "no_site" and "portique init" in payload["message"]


def test_person_add_prints_a_pseudonymous_id_that_list_shows(cli: Cli) -> None:
    parent = cli.parent()
    student = cli.student(parent)
    assert "martin" not in student.lower()
    people = {p["person"]: p for p in cli.json("person", "list")["people"]}
    assert people[student]["guardians"] == [parent]
    assert people[student]["groups"] == ["2nde-a"]
    assert people[student]["minor"] is True and people[student]["consent"] is False


@pytest.mark.parametrize(
    "options",
    [
        ("--birth-date", "31/02/2010"),
        ("--birth-date", "01/01/2010", "--role", "teacher"),
        ("--birth-date", "01/01/2010", "--guardian", "p-nobody"),
    ],
    ids=["impossible-date", "unknown-role", "unknown-guardian"],
)
def test_person_add_with_bad_input_exits_2_and_adds_nobody(
    sqlite_cli: Cli, options: tuple[str, ...]
) -> None:
    payload = sqlite_cli.json("person", "add", "--name", "X", "--first-name", "Y", *options, code=2)
    assert payload["message"]
    assert sqlite_cli.json("person", "list")["people"] == []


def test_person_import_reports_each_refused_line(sqlite_cli: Cli, tmp_path: Path) -> None:
    export = tmp_path / "eleves.csv"
    export.write_bytes(
        "Nom;Prénom;Né(e) le;Classe\r\nDUPONT;Élodie;03/09/2009;2NDE A\r\n"
        "MARTIN;Jérôme;32/01/2009;2NDE A\r\n".encode("cp1252")
    )
    report = sqlite_cli.json("person", "import", str(export))
    assert report["imported"] == 1
    assert [r["line"] for r in report["rejected"]] == [3]
    assert report["encoding"] == "cp1252" and report["delimiter"] == ";"


def test_person_import_of_a_file_missing_a_column_imports_nothing(
    sqlite_cli: Cli, tmp_path: Path
) -> None:
    export = tmp_path / "eleves.csv"
    export.write_text("Nom;Prénom\nDUPONT;Élodie\n", encoding="utf-8")
    payload = sqlite_cli.json("person", "import", str(export), code=2)
    assert payload["error"] == "bad_roster"
    assert sqlite_cli.json("person", "list")["people"] == []


def test_consent_for_a_minor_needs_a_guardian(cli: Cli) -> None:
    parent = cli.parent()
    student = cli.student(parent)
    assert cli.json("consent", "grant", student, code=2)["error"] == "consent"
    granted = cli.json("consent", "grant", "--person", student, "--by", parent)
    assert granted["consent"] is True and granted["giver"] == "parent"
    withdrawn = cli.json("consent", "withdraw", "--person", student)
    assert withdrawn["consent"] is False and withdrawn["revoked"] == []


def test_credential_issue_writes_a_png_or_a_pdf_card(sqlite_cli: Cli, tmp_path: Path) -> None:
    staff = sqlite_cli.staff()
    png = sqlite_cli.json(
        "credential", "issue", "--person", staff, "--out", str(tmp_path / "c.png")
    )
    pdf = sqlite_cli.json(
        "credential", "issue", "--person", staff, "--out", str(tmp_path / "c.pdf")
    )
    assert (tmp_path / "c.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "c.pdf").read_bytes().startswith(b"%PDF")
    assert png["credential"] != pdf["credential"]
    assert png["qr_text"].startswith("PQ:") and png["has_template"] is False
    wrong = sqlite_cli.json(
        "credential", "issue", "--person", staff, "--out", str(tmp_path / "c.gif"), code=2
    )
    assert wrong["error"] == "bad_input"


def test_revoking_an_unknown_credential_exits_2(sqlite_cli: Cli) -> None:
    assert (
        sqlite_cli.json("credential", "revoke", "nosuchcard", code=2)["error"]
        == "unknown_credential"
    )


def test_keys_rotate_keeps_the_old_key_verifying_and_list_shows_both(sqlite_cli: Cli) -> None:
    first = sqlite_cli.json("keys", "list")["keys"]
    assert [k["status"] for k in first] == ["active"]
    assert sqlite_cli.json("keys", "init", code=2)["error"] == "keyring"
    rotated = sqlite_cli.json("keys", "rotate")["keys"]
    assert [k["status"] for k in rotated] == ["verifying", "active"]
    keys = sqlite_cli.directory / "keys"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700


def test_person_list_finds_a_name_typed_without_accents_and_filters_like_the_api(
    sqlite_cli: Cli,
) -> None:
    cli = sqlite_cli
    for first in ("Héloïse", "Hugo"):
        cli.run("person", "add", "--name", "Lefèvre", "--first-name", first,
                "--birth-date", "01/01/1980", "--role", "staff")  # fmt: skip
    found = cli.json("person", "list", "--search", "heloise lefevre")["people"]
    assert [(p["first_name"], p["credential_status"]) for p in found] == [("Héloïse", "none")]
    assert len(cli.json("person", "list", "--role", "staff")["people"]) == 2
    assert cli.json("person", "list", "--credential-status", "active")["people"] == []
    refused = cli.json("person", "list", "--credential-status", "lost", code=2)
    assert refused["error"]
