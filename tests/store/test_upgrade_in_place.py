"""A database made by an earlier version of Portique is upgraded in place when the
server starts, with nothing lost (the SQL files in fixtures/ come from
``tools/schema_fixture.py``, one per schema head; add one with each migration)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portique import clock
from portique.credentials import init_keyring
from portique.server import create_app
from portique.store import SCHEMA_REVISION, CredentialRow, PassageRow, PersonRow

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("schema-*.sql"))
SITE_ID = "0130001A"


def _site_from(fixture: Path, directory: Path) -> None:
    """A site folder around the fixture's database, with a keyring of its own (the
    fixture keeps no secret: its cards are not checked here, its rows are counted)."""
    directory.mkdir(mode=0o700)
    init_keyring(directory / "keys", clock.now())
    (directory / "site.json").write_text(json.dumps({"format": 1, "site_id": SITE_ID}))
    connection = sqlite3.connect(directory / "portique.db")
    connection.executescript(fixture.read_text(encoding="utf-8"))
    connection.close()


def test_there_is_a_fixture_at_the_current_schema_head() -> None:
    assert f"schema-{SCHEMA_REVISION}.sql" in [path.name for path in FIXTURES]


@pytest.mark.parametrize("fixture", FIXTURES, ids=[path.stem for path in FIXTURES])
def test_a_server_starting_on_an_earlier_database_upgrades_it_in_place(
    fixture: Path, tmp_path: Path
) -> None:
    directory = tmp_path / "site"
    _site_from(fixture, directory)
    app = create_app(directory)
    site = app.state.portique.site
    try:
        assert site.database.revision() == SCHEMA_REVISION
        with site.session() as session:
            counts = [
                session.scalar(select(func.count()).select_from(row))
                for row in (PersonRow, CredentialRow, PassageRow)
            ]
    finally:
        site.close()
    assert counts == [3, 3, 3]
