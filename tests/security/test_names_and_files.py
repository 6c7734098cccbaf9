"""Finding 8 (without the cookies): names without control characters at every entry,
look-alike characters folded for the refusal list, and personal data written owner-only."""

from __future__ import annotations

import sqlite3
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from cli_support import Cli
from portique.access import Role
from portique.bootstrap import open_site
from portique.services import NewPerson, PersonInputError, add_person
from portique.visitors import VisitorBarredError, add_refusal, invite
from portique.visitors.records import NewRefusal, RefusalAuthority, Visitor, VisitRequest
from school_support import School

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
HOSTILE_NAMES = {
    "escape": "Dupont\x1b[2J\x1b]0;pwned\x07",
    "nul": "Du\x00pont",
    "right-to-left override": "Dupont\u202etxt.exe",
    "zero-width space": "Du\u200bpont",
    "delete": "Dupont\x7f",
}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("name", list(HOSTILE_NAMES))
def test_a_name_with_a_control_character_is_refused(school: School, name: str) -> None:
    with school.site.session() as session, pytest.raises(PersonInputError, match="U\\+"):
        add_person(
            session,
            school.site_id,
            NewPerson(HOSTILE_NAMES[name], "Jean", date(1980, 1, 1), Role.STAFF),
            now=NOW,
        )


def test_a_class_name_with_a_control_character_is_refused(school: School) -> None:
    with school.site.session() as session, pytest.raises(PersonInputError):
        add_person(
            session,
            school.site_id,
            NewPerson("Dupont", "Jean", date(1980, 1, 1), Role.STAFF, ("2nde\x1b[31mA",)),
            now=NOW,
        )


def test_the_cli_and_a_csv_file_refuse_control_characters(sqlite_cli: Cli, tmp_path: Path) -> None:
    refused = sqlite_cli.json(
        "person", "add", "--name", HOSTILE_NAMES["escape"], "--first-name", "Jean",
        "--birth-date", "01/01/1980", "--role", "staff", code=2,
    )  # fmt: skip
    assert refused["error"] == "bad_person" and "U+001B" in refused["message"]
    roster = tmp_path / "eleves.csv"
    roster.write_bytes(
        "Nom;Prénom;Né(e) le\nA\x00B;Léa;01/02/2011\nDurand;Paul;12/03/2011\n".encode()
    )
    report = sqlite_cli.json("person", "import", str(roster))
    assert report["imported"] == 1 and [row["line"] for row in report["rejected"]] == [2]


def test_person_list_never_prints_control_characters_stored_earlier(sqlite_cli: Cli) -> None:
    staff = sqlite_cli.staff()
    with sqlite3.connect(sqlite_cli.directory / "portique.db") as db:
        db.execute(
            "UPDATE people SET last_name = ? WHERE person_id = ?",
            ("[link=x]X[/link]\x1b[2J", staff),
        )
    listed = sqlite_cli.run("person", "list")
    assert listed.exit_code == 0, listed.output
    assert "\x1b" not in listed.output and "[link=" in listed.output  # shown, not obeyed


def test_the_api_refuses_a_name_with_a_control_character(tmp_path: Path) -> None:
    from server_support_for_security import served

    with served(tmp_path) as server:
        admin = server.signed_in("administration")
        body = {"last_name": "Du\x1bpont", "first_name": "Jean", "birth_date": "1980-01-01"}
        response = admin.post("/api/v1/people", json=body)
        assert response.status_code == 422, response.text
        assert "U+001B" in response.text


def _bar(school: School, last: str, first: str, born: date) -> None:
    refusal = NewRefusal(
        last, first, born, "Décision du chef d'établissement", RefusalAuthority.HEAD_TEACHER,
        NOW.date() + timedelta(days=30),
    )  # fmt: skip
    with school.site.session() as session:
        add_refusal(session, school.site_id, refusal, by="account:direction", now=NOW)


@pytest.mark.parametrize(
    ("last", "first"),
    [
        ("Dupоnt", "Jean"),  # Cyrillic о (U+043E)
        ("Dupont", "Jеan"),  # Cyrillic е (U+0435)
        ("Ｄｕｐｏｎｔ", "Jean"),  # full-width letters
        ("Dupont\u200d", "Jean"),  # a zero-width joiner (allowed in names) inserted
        ("DUPΟNT", "JEAN"),  # Greek capital omicron (U+039F)
    ],
)
def test_look_alike_characters_do_not_get_a_barred_visitor_past_the_list(
    school: School, last: str, first: str
) -> None:
    born = date(1980, 1, 1)
    _bar(school, "Dupont", "Jean", born)
    host = school.staff()
    request = VisitRequest(
        Visitor(last, first, born), "Réunion", host, NOW + timedelta(hours=1),
        NOW + timedelta(hours=2),
    )  # fmt: skip
    with school.site.session() as session, pytest.raises(VisitorBarredError):
        invite(session, school.site_id, school.site.keyring(), request, by="cli:x", now=NOW)


def test_a_different_name_is_not_barred(school: School) -> None:
    born = date(1980, 1, 1)
    _bar(school, "Dupont", "Jean", born)
    host = school.staff()
    request = VisitRequest(
        Visitor("Dumont", "Jean", born), "Réunion", host, NOW + timedelta(hours=1),
        NOW + timedelta(hours=2),
    )  # fmt: skip
    with school.site.session() as session:
        invite(session, school.site_id, school.site.keyring(), request, by="cli:x", now=NOW)


def test_cards_exports_and_the_database_are_owner_only(sqlite_cli: Cli, tmp_path: Path) -> None:
    staff = sqlite_cli.staff()
    card = tmp_path / "new-folder" / "cards" / "card.png"
    sqlite_cli.json("credential", "issue", "--person", staff, "--out", str(card))
    assert _mode(card) == 0o600
    assert _mode(card.parent) == 0o700 and _mode(card.parent.parent) == 0o700
    exported = sqlite_cli.json("subject", "export", staff, "--out", str(tmp_path / "export"))
    for key in ("json", "html"):
        assert _mode(Path(exported[key])) == 0o600
    assert _mode(tmp_path / "export") == 0o700
    database = sqlite_cli.directory / "portique.db"
    assert _mode(database) == 0o600


def test_a_database_made_readable_by_others_is_closed_again_at_opening(sqlite_cli: Cli) -> None:
    database = sqlite_cli.directory / "portique.db"
    database.chmod(0o644)
    wal = database.with_name("portique.db-wal")
    wal.write_bytes(b"")
    wal.chmod(0o644)
    open_site(sqlite_cli.directory).close()
    assert _mode(database) == 0o600 and _mode(wal) == 0o600
