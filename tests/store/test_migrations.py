"""The Alembic migrations shipped in the package, run from empty on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from portique.store import (
    SCHEMA_REVISION,
    Base,
    Database,
    SchemaError,
    alembic_config,
    migrations_path,
)
from store_support import BACKENDS, postgres_database, sqlite_file_url

TABLES = {
    "sites",
    "zones",
    "lanes",
    "groups",
    "import_jobs",
    "people",
    "memberships",
    "guardianships",
    "consents",
    "exit_permissions",
    "credentials",
    "badge_bindings",
    "phone_enrolments",
    "seen_codes",
    "passages",
    "lockdowns",
    "login_attempts",
    "accounts",
    "api_tokens",
    "console_sessions",
    "passage_reviews",
    "lane_status",
    "lane_status_changes",
    "audit_log",
    "template_vault",
    "visits",
    "visit_events",
    "visit_alerts",
    "refusals",
    "register_ids",
    "departures",
    "school_years",
    "archived_groups",
}


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with nothing in it at all."""
    if request.param == "sqlite":
        database = Database(sqlite_file_url(tmp_path))
        yield database
        database.dispose()
        return
    with postgres_database("portique_migration") as url:
        database = Database(url)
        yield database
        database.dispose()


def _tables(database: Database) -> set[str]:
    return set(inspect(database.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_from_empty_creates_every_table_at_the_current_revision(
    empty_database: Database,
) -> None:
    assert empty_database.revision() is None
    empty_database.upgrade()
    assert empty_database.revision() == SCHEMA_REVISION
    assert _tables(empty_database) == TABLES
    empty_database.check_schema()


def test_migrated_schema_matches_the_models_exactly(empty_database: Database) -> None:
    empty_database.upgrade()
    with empty_database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_upgrade_twice_changes_nothing(empty_database: Database) -> None:
    empty_database.upgrade()
    empty_database.upgrade()
    assert empty_database.revision() == SCHEMA_REVISION


def test_downgrade_to_base_removes_every_table(empty_database: Database) -> None:
    empty_database.upgrade()
    empty_database.downgrade("base")
    assert empty_database.revision() is None
    assert _tables(empty_database) == set()


def test_a_database_without_the_schema_is_refused_with_the_command_to_run(
    empty_database: Database,
) -> None:
    with pytest.raises(SchemaError, match="portique init"):
        empty_database.check_schema()


def test_schema_revision_is_the_head_of_the_shipped_migrations() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    assert scripts.get_current_head() == SCHEMA_REVISION
    assert (migrations_path() / "env.py").is_file()
    assert (migrations_path() / "script.py.mako").is_file()
