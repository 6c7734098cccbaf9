"""`portique backup` and `portique restore`: a site backed up, wiped and restored holds
the same passages, people, credentials and audit chain, on SQLite and on PostgreSQL."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from cli_support import Cli
from portique.config import get_settings
from portique.services.backup import KEYS_MAGIC, open_keys, seal_keys
from store_support import BACKENDS, postgres_database

PASSPHRASE = "une phrase de passe assez longue"
COMPARED = ("people", "credentials", "passages", "badge_bindings", "audit_log", "consents")


@pytest.fixture(params=BACKENDS)
def site(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Cli, str]]:
    """A site made by `portique init` on its own database (SQLite in its folder, or a
    PostgreSQL database of its own, which the test may wipe), and the database's URL."""
    monkeypatch.setenv("PORTIQUE_BACKUP_PASSPHRASE", PASSPHRASE)
    if request.param == "sqlite":
        monkeypatch.delenv("PORTIQUE_DATABASE_URL", raising=False)
        get_settings.cache_clear()
        cli = Cli(tmp_path / "site")
        cli.json("init", "--site-id", "lycee-a", "--face")
        yield cli, f"sqlite:///{cli.directory / 'portique.db'}"
        get_settings.cache_clear()
        return
    with postgres_database("portique_backup") as url:
        monkeypatch.setenv("PORTIQUE_DATABASE_URL", url)
        get_settings.cache_clear()
        cli = Cli(tmp_path / "site")
        cli.json("init", "--site-id", f"lycee-{secrets.token_hex(3)}", "--face")
        yield cli, url
        get_settings.cache_clear()


def _rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table: sorted(
                    (tuple(row) for row in connection.execute(text(f"SELECT * FROM {table}"))),
                    key=repr,
                )
                for table in COMPARED
            }
    finally:
        engine.dispose()


def _wipe(cli: Cli, url: str) -> None:
    """The site's folder deleted, and its database emptied (PostgreSQL: every table)."""
    shutil.rmtree(cli.directory)
    if url.startswith("postgresql"):
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()


def test_backup_wipe_restore_gives_the_same_site_and_an_intact_audit_chain(
    site: tuple[Cli, str], tmp_path: Path
) -> None:
    cli, url = site
    parent = cli.parent()
    student = cli.student(parent)
    cli.json("consent", "grant", student, "--by", parent)
    card = cli.issue(student)
    cli.json("credential", "bind-badge", "04:A2:B3:C4", "--person", cli.staff())
    granted = cli.json("pass", "--lane", "entree", "--qr-text", card["qr_text"], "--at", cli.at(10))
    assert granted["decision"] == "GRANT"
    before = _rows(url)
    assert all(before[table] for table in ("people", "credentials", "passages", "audit_log"))

    out = tmp_path / "saved" / "portique.backup"
    made = cli.json("backup", "--out", str(out))
    assert made["keys"] == f"{out}.keys"
    assert (out.stat().st_mode & 0o777, Path(made["keys"]).stat().st_mode & 0o777) == (0o600,) * 2
    assert Path(made["keys"]).read_bytes().startswith(KEYS_MAGIC)
    assert b"PRIVATE" not in Path(made["keys"]).read_bytes()

    _wipe(cli, url)
    restored = cli.json("restore", str(out))
    assert (restored["site_id"], restored["revision"]) == (made["site_id"], made["revision"])

    assert _rows(url) == before
    report = cli.json("audit", "verify")
    assert report["intact"] and report["entries"] == len(before["audit_log"])
    # The keys came back too (the card's signature checks), and so did the passages:
    # the pupil is inside, so a second entry is refused.
    again = cli.json(
        "pass", "--lane", "entree", "--qr-text", card["qr_text"], "--at", cli.at(11), code=1
    )
    assert (again["credential"], again["reasons"]) == (card["credential"], ["anti_passback"])


def test_restore_refuses_a_wrong_passphrase_and_a_folder_that_holds_a_site(
    site: tuple[Cli, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli, _ = site
    out = tmp_path / "portique.backup"
    cli.json("backup", "--out", str(out))
    refused = cli.json("restore", str(out), code=2)
    assert refused["error"] == "site_exists"
    monkeypatch.setenv("PORTIQUE_BACKUP_PASSPHRASE", "not the right passphrase")
    wrong = cli.json("restore", str(out), "--replace", code=2)
    assert wrong["error"] == "backup"


def test_the_keys_open_only_with_their_passphrase() -> None:
    sealed = seal_keys(b"the keyring", PASSPHRASE)
    assert open_keys(sealed, PASSPHRASE) == b"the keyring"
    assert b"the keyring" not in sealed


def test_a_short_passphrase_is_refused(
    sqlite_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTIQUE_BACKUP_PASSPHRASE", "court")
    refused = sqlite_cli.json("backup", "--out", str(tmp_path / "b"), code=2)
    assert refused["error"] == "bad_input"
    assert not (tmp_path / "b").exists()
