"""The register tests run on SQLite and on PostgreSQL, on a site made by init_site."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from registers_support import RegisterSite

from store_support import database_url, postgres_url

__all__ = ["database_url", "postgres_url"]


@pytest.fixture
def register_site(database_url: str, tmp_path: Path) -> Iterator[RegisterSite]:
    site = RegisterSite.create(tmp_path, database_url)
    yield site
    site.close()
