"""Databases for the tests: a SQLite file, or a PostgreSQL database made for this run.

PostgreSQL is the machine's running server (``PORTIQUE_TEST_POSTGRES_URL``, by default
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``, the maintenance database):
a database ``portique_test_<random>`` is created for the test session and dropped at
its end. Without a server the PostgreSQL tests are skipped with the reason, except in
CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from portique.store import Database

IN_CI = os.environ.get("CI", "").lower() == "true"
MAINTENANCE_URL = os.environ.get(
    "PORTIQUE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ("sqlite", "postgresql")
DOWN_URL = "postgresql+psycopg://postgres:hunter2@127.0.0.1:1/portique"
"""A PostgreSQL URL where nothing listens (port 1), with a password that must not show."""


def postgres_missing(reason: str) -> None:
    message = (
        f"PostgreSQL is not available at {make_url(MAINTENANCE_URL).render_as_string()} "
        f"({reason}); start it or set PORTIQUE_TEST_POSTGRES_URL"
    )
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def postgres_database(prefix: str = "portique_test") -> Iterator[str]:
    """A new, empty PostgreSQL database for the duration of the block; its URL."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    admin = create_engine(
        MAINTENANCE_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except DBAPIError as exc:
        admin.dispose()
        postgres_missing(str(exc.orig).strip().splitlines()[0])
    try:
        yield make_url(MAINTENANCE_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def sqlite_file_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'portique.db'}"


# Fixtures, imported by the conftest.py of each folder that uses them. --------------


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database for this test session, with the Portique schema."""
    with postgres_database() as url:
        database = Database(url)
        database.upgrade()
        database.dispose()
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a database with the Portique schema: SQLite, then PostgreSQL."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return url
    url = sqlite_file_url(tmp_path)
    database = Database(url)
    database.upgrade()
    database.dispose()
    return url


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A ``portique.store.Database`` on ``database_url``, disposed at the end."""
    opened = Database(database_url)
    yield opened
    opened.dispose()
