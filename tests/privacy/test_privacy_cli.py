"""The privacy commands through the CLI: audit verify and list, purge, subject export
and erase, the DPIA, the template store, and consent withdrawal writing the new card."""

from __future__ import annotations

import getpass
import sqlite3
from pathlib import Path

import pytest

from cli_support import Cli
from support import lfw_face


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    site = Cli(tmp_path / "site")
    site.json("init", "--face")
    return site


def test_audit_verify_names_the_tampered_entry(cli: Cli) -> None:
    cli.staff()
    report = cli.json("audit", "verify")
    assert report["intact"] and report["entries"] > 3
    listed = cli.json("audit", "list", "--limit", "3")["entries"]
    assert listed[0]["action"] == "people.create"
    assert listed[0]["actor"] == f"cli:{getpass.getuser()}"

    with sqlite3.connect(cli.directory / "portique.db") as db:
        db.execute("UPDATE audit_log SET action = 'people.nothing' WHERE seq = 2")
    broken = cli.json("audit", "verify", code=1)
    assert (broken["intact"], broken["breach"], broken["seq"]) == (False, "modified", 2)
    assert broken["entry_id"] is not None
    plain = cli.run("audit", "verify")
    assert plain.exit_code == 1 and "2" in plain.output


def test_purge_counts_then_purges_and_is_audited(cli: Cli) -> None:
    dry = cli.json("purge", "--dry-run")
    assert dry["dry_run"] and set(dry["counts"]) >= {"passages", "visitors", "templates"}
    assert dry["retention_days"]["passages"] == 92
    done = cli.json("purge")
    assert not done["dry_run"] and done["total"] == 0
    assert cli.json("audit", "list", "--limit", "1")["entries"][0]["action"] == "retention.purge"


def test_subject_export_and_erase(cli: Cli, tmp_path: Path) -> None:
    staff = cli.staff()
    exported = cli.json("subject", "export", staff, "--out", str(tmp_path / "export"))
    assert Path(exported["json"]).is_file() and Path(exported["html"]).is_file()
    assert exported["rows"]["people"] == 1
    assert cli.json("subject", "erase", staff, code=2)["error"] == "bad_input"
    erased = cli.json("subject", "erase", staff, "--yes")
    assert erased["person"] == staff and erased["deleted"]["people"] == 1 and erased["kept"]
    assert cli.json("subject", "export", staff, "--out", str(tmp_path), code=2)["error"] == (
        "unknown_person"
    )


def test_dpia_and_record_are_written_in_french(cli: Cli, tmp_path: Path) -> None:
    dpia, record = tmp_path / "aipd.html", tmp_path / "registre.html"
    cli.json("dpia", "--out", str(dpia), "--record", str(record))
    page = dpia.read_text(encoding="utf-8")
    for heading in (
        "1. Contexte",
        "2. Principes fondamentaux",
        "Accès illégitime",
        "Modification non désirée",
        "Disparition des données",
        "4. Plan d'action",
        "article 30",
        "Gravité",
        "Vraisemblance",
        "Entrée principale",  # the lane comparing faces, from the configuration
        "92 jours",
    ):
        assert heading in page, heading
    assert "Registre des activités de traitement" in record.read_text(encoding="utf-8")


def test_template_store_setting(cli: Cli) -> None:
    assert cli.json("privacy", "template-store")["template_store"] == "card"
    assert cli.json("privacy", "template-store", "central")["template_store"] == "central"
    assert cli.json("privacy", "template-store", "cloud", code=2)["error"] == "bad_input"


def test_consent_withdrawal_writes_the_replacement_card(
    cli: Cli, lfw_images: Path, tmp_path: Path
) -> None:
    parent = cli.parent()
    student = cli.student(parent)
    cli.json("consent", "grant", student, "--by", parent)
    card = cli.issue(student, "--face", str(lfw_face(lfw_images, "Colin_Powell", 1)))
    cards = tmp_path / "cards"
    withdrawn = cli.json(
        "consent", "withdraw", student, "--by", parent, "--out", str(cards), "--pdf"
    )
    assert withdrawn["revoked"] == [card["credential"]]
    (new,) = withdrawn["reissued"]
    assert new["credential"] != card["credential"]
    assert Path(new["card"]).read_bytes().startswith(b"%PDF")
    assert new["qr_text"].startswith("PQ:")
    assert sorted(path.name for path in cards.iterdir()) == [f"{new['credential']}.pdf"]
