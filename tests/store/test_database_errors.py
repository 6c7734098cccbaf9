"""A database that is down, missing or misnamed gives a clear error naming it, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from portique.errors import ConfigurationError
from portique.store import Database, StoreUnavailableError, redact_url
from store_support import DOWN_URL


def test_an_unreachable_postgresql_is_unavailable_and_named_without_its_password() -> None:
    database = Database(DOWN_URL)
    with pytest.raises(StoreUnavailableError) as raised:
        database.check_schema()
    message = raised.value.message
    assert "postgresql+psycopg://postgres@127.0.0.1:1/portique" in message
    assert "hunter2" not in message
    assert raised.value.exit_code == 2
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_a_session_on_an_unreachable_database_is_unavailable() -> None:
    database = Database(DOWN_URL)
    with pytest.raises(StoreUnavailableError), database.session() as session:
        session.connection()


def test_migrating_an_unreachable_database_is_unavailable() -> None:
    with pytest.raises(StoreUnavailableError):
        Database(DOWN_URL).upgrade()


def test_a_sqlite_file_that_cannot_be_created_is_unavailable(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'missing-folder' / 'portique.db'}")
    with pytest.raises(StoreUnavailableError, match="missing-folder"):
        database.check_schema()


@pytest.mark.parametrize("url", ["not a url", "mysql+nodriver://u:secret@host/db"])
def test_a_url_portique_cannot_use_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        Database(url)
    assert "secret" not in raised.value.message


def test_redacted_urls_keep_everything_but_the_password() -> None:
    assert (
        redact_url("postgresql+psycopg://ann:s3cr%40t@db.example:5433/region?sslmode=require")
        == "postgresql+psycopg://ann@db.example:5433/region?sslmode=require"
    )
    assert (
        redact_url("sqlite:////srv/portique/portique.db") == "sqlite:////srv/portique/portique.db"
    )
