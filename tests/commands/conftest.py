"""The commands run through CliRunner on a site made by `portique init`, on SQLite and on
PostgreSQL (through PORTIQUE_DATABASE_URL)."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from cli_support import Cli
from portique.config import get_settings
from store_support import database_url, postgres_url

__all__ = ["database_url", "postgres_url"]


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """A site made by `portique init` on SQLite, then on PostgreSQL."""
    monkeypatch.setenv("PORTIQUE_DATABASE_URL", database_url)
    get_settings.cache_clear()
    site = Cli(tmp_path / "site")
    created = site.json(
        "init", "--site-id", f"lycee-{secrets.token_hex(3)}", "--name", "Lycée", "--face"
    )
    assert [lane["lane"] for lane in created["lanes"]] == ["entree", "sortie"]
    return site


@pytest.fixture
def sqlite_cli(tmp_path: Path) -> Cli:
    """A site made by `portique init` with its SQLite database in the site folder."""
    site = Cli(tmp_path / "site")
    site.json("init")
    return site
