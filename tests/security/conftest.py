"""The red-team suite: each test attacks one defence (issue 16), on SQLite and, where the
store matters, on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli_support import Cli
from school_support import face_engine, school
from store_support import database_url, postgres_url

__all__ = ["database_url", "face_engine", "postgres_url", "school"]


@pytest.fixture
def sqlite_cli(tmp_path: Path) -> Cli:
    """A site made by `portique init` with its SQLite database in the site folder."""
    site = Cli(tmp_path / "site")
    site.json("init")
    return site
