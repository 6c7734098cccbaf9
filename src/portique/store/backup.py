"""Copying a whole database to a file and back: SQLite's online backup, PostgreSQL's
``pg_dump``/``pg_restore`` (custom format).

A copy is taken while the database is in use: SQLite's backup API copies a consistent
state page by page, ``pg_dump`` reads in one snapshot. ``pg_dump`` must be at least as
new as the server (it refuses an older one); :func:`pg_tools` says which to install.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import text

from portique.errors import ConfigurationError
from portique.i18n import text as tr
from portique.store.database import Database, libpq_url
from portique.store.errors import StoreError

PG_TIMEOUT_S = 3600
"""A dump or restore of a region's database takes minutes; an hour means it hangs."""


def _sqlite_path(database: Database) -> Path:
    name = database.url.database
    if not name or name == ":memory:":
        raise ConfigurationError(
            tr(
                "Seule une base SQLite dans un fichier se sauvegarde.",
                "Only a SQLite database in a file can be backed up.",
            )
        )
    return Path(name)


def _libpq_url(database: Database) -> tuple[str, dict[str, str]]:
    """The database's URL as ``pg_dump`` reads it, and the tools' environment (the
    password there, never on a command line, where ``ps`` shows it)."""
    url, password = libpq_url(database.url)
    return url, {**os.environ, **password}


def _major(version_text: str) -> int:
    found = re.search(r"(\d+)(?:\.\d+)?", version_text)
    if found is None:
        raise ConfigurationError(f"Unreadable version: {version_text!r}")
    return int(found.group(1))


def pg_tools(database: Database) -> tuple[str, str]:
    """``pg_dump`` and ``pg_restore``, checked against the server's major version.

    Raises:
        ConfigurationError: a tool is missing or older than the server.
    """
    found = [shutil.which(name) for name in ("pg_dump", "pg_restore")]
    with database.translated_errors(), database.engine.connect() as connection:
        server = int(str(connection.execute(text("SHOW server_version_num")).scalar())) // 10000
    if None in found:
        raise ConfigurationError(
            tr(
                f"pg_dump et pg_restore sont introuvables : installez le paquet Debian "
                f"postgresql-client-{server}.",
                f"pg_dump and pg_restore are not installed: install the Debian package "
                f"postgresql-client-{server}.",
            )
        )
    dump, restore = (str(path) for path in found)
    for tool in (dump, restore):
        answer = subprocess.run(
            [tool, "--version"], capture_output=True, text=True, check=False, timeout=30
        )
        major = _major(answer.stdout)
        if major < server:
            raise ConfigurationError(
                tr(
                    f"{Path(tool).name} {major} est plus ancien que le serveur PostgreSQL "
                    f"{server} : installez postgresql-client-{server}.",
                    f"{Path(tool).name} {major} is older than the PostgreSQL server {server}: "
                    f"install postgresql-client-{server}.",
                )
            )
    return dump, restore


def _run(command: list[str], environment: dict[str, str], database: Database) -> None:
    answer = subprocess.run(
        command, capture_output=True, text=True, env=environment, check=False, timeout=PG_TIMEOUT_S
    )
    if answer.returncode != 0:
        lines = answer.stderr.strip().splitlines() or [f"exit code {answer.returncode}"]
        raise StoreError(
            tr(
                f"{Path(command[0]).name} a échoué sur {database.shown_url} : {lines[0]}",
                f"{Path(command[0]).name} failed on {database.shown_url}: {lines[0]}",
            )
        )


def _sqlite_copy(source_path: Path, target_path: Path) -> None:
    """Copies one SQLite database over another with SQLite's online backup: a
    consistent state even while the source is written to."""
    source = sqlite3.connect(source_path)
    target = sqlite3.connect(target_path)
    try:
        with target:
            source.backup(target)
    finally:
        target.close()
        source.close()


def dump_database(database: Database, out: Path) -> None:
    """Writes a consistent copy of the whole database to ``out`` (a SQLite file, or a
    ``pg_dump`` archive in custom format)."""
    if database.is_sqlite:
        _sqlite_copy(_sqlite_path(database), out)
        return
    dump, _ = pg_tools(database)
    url, environment = _libpq_url(database)
    _run(
        [dump, "--format=custom", "--no-owner", "--no-privileges", f"--file={out}", url],
        environment,
        database,
    )


def load_database(database: Database, copy: Path) -> None:
    """Replaces the whole content of the database with the copy made by
    :func:`dump_database` (same kind of database). Every pooled connection is closed
    first."""
    database.dispose()
    if database.is_sqlite:
        _sqlite_copy(copy, _sqlite_path(database))
        return
    _, restore = pg_tools(database)
    url, environment = _libpq_url(database)
    _run(
        [
            restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            f"--dbname={url}",
            str(copy),
        ],
        environment,
        database,
    )
