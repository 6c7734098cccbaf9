"""Opening a database: the URL, the engine, transactions, the schema and its migrations.

SQLite (a file in the site directory) by default; PostgreSQL through a URL such as
``postgresql+psycopg://user@host/db`` (``PORTIQUE_DATABASE_URL``). Every database
failure leaves here as a :class:`~portique.store.errors.StoreError` whose message
names the URL without its password, never as a driver traceback.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.orm import Session, UOWTransaction, sessionmaker

from portique.actors import current_actor
from portique.errors import ConfigurationError
from portique.i18n import text as tr
from portique.store.errors import (
    SchemaError,
    StoreConflictError,
    StoreError,
    StoreUnavailableError,
)

SQLITE_FILE = "portique.db"
SCHEMA_REVISION = "0012_region"
SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for the write lock before giving up."""
"""The Alembic revision this version of Portique works with (the head of migrations/)."""

CONNECT_TIMEOUT_S = 5
MIGRATION_LOCK = 0x706F7274
"""The PostgreSQL advisory lock that lets one process at a time migrate a database."""

FlushListener = Callable[[Session, UOWTransaction, Any], None]
"""Called before each flush of a session (SQLAlchemy's ``before_flush``): the audit log."""


def sqlite_url(directory: Path) -> str:
    """The URL of the SQLite database of a site directory."""
    return URL.create("sqlite", database=str(Path(directory) / SQLITE_FILE)).render_as_string()


def redact_url(url: str | URL) -> str:
    """``url`` as it may be shown or logged: without its password."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "<not a database URL>"
    # URL.set() ignores None, so the URL is rebuilt without its password.
    return URL.create(
        parsed.drivername,
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    ).render_as_string(hide_password=False)


def _driver_message(error: DBAPIError, url: URL) -> str:
    """The first line of the driver's message, with the password removed if it echoes it."""
    lines = str(error.orig).strip().splitlines() or [type(error.orig).__name__]
    first = lines[0]
    if url.password:
        first = first.replace(str(url.password), "***")
    return first


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # A writer waits for another one to finish rather than failing at once.
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()
    # pysqlite runs DDL outside any transaction (a disk sync per statement, and a failed
    # migration half applied); SQLAlchemy issues BEGIN itself instead (see _sqlite_begin).
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock at the start: a transaction that reads and then writes
    # (most services, the audit log's chain) cannot deadlock against another one, which
    # SQLite would answer at once with "database is locked" instead of waiting its turn.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """One database, opened lazily: nothing connects until a session or a migration needs it.

    ``flush_listeners`` hear every flush of the sessions this database opens, and those
    only: whoever opens the database chooses them (``portique.bootstrap`` passes the
    audit log), so nothing depends on which modules were imported before.
    """

    def __init__(
        self,
        url: str,
        *,
        flush_listeners: Sequence[FlushListener] = (),
        engine: Engine | None = None,
    ) -> None:
        try:
            self.url = make_url(url)
        except ArgumentError:
            raise ConfigurationError(
                tr(
                    f"{redact_url(url)} n'est pas une URL de base de données "
                    "(exemple : postgresql+psycopg://utilisateur@hôte/base).",
                    f"{redact_url(url)} is not a database URL "
                    "(example: postgresql+psycopg://user@host/db).",
                )
            ) from None
        self.shown_url = redact_url(self.url)
        # Another site of the same database may lend its engine: one pool of connections
        # for all (a region's server serves many sites; a pool each would exhaust it).
        self.engine: Engine = engine if engine is not None else self._new_engine()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.flush_listeners = tuple(flush_listeners)
        for listener in self.flush_listeners:
            event.listen(self._sessions, "before_flush", listener)
        self.session_info: dict[str, Any] = {}
        """Put in the ``info`` of every session opened here (the site's audit keys)."""
        self._writer: AbstractContextManager[Any] = (
            threading.RLock() if self.is_sqlite else nullcontext()
        )
        """SQLite lets one transaction at a time write, and a writer kept waiting only polls
        (sleeping up to 100 ms between tries), so a steady writer such as an import can
        starve the lanes' passages for seconds. Within a process, the transactions queue
        on this lock instead and are woken as soon as it is free."""

    def _new_engine(self) -> Engine:
        connect_args: dict[str, Any] = {}
        if self.url.get_backend_name() == "postgresql":
            connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
        try:
            engine = create_engine(self.url, connect_args=connect_args)
        except (NoSuchModuleError, ImportError, ArgumentError) as exc:
            raise ConfigurationError(
                tr(
                    f"Base de données non prise en charge ({self.shown_url}) : {exc}. "
                    "Utilisez sqlite:/// ou postgresql+psycopg://.",
                    f"Unsupported database ({self.shown_url}): {exc}. "
                    "Use sqlite:/// or postgresql+psycopg://.",
                )
            ) from None
        if engine.url.get_backend_name() == "sqlite":
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
        return engine

    def __repr__(self) -> str:
        return f"Database({self.shown_url!r})"

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @contextmanager
    def session(self, actor: str | None = None) -> Iterator[Session]:
        """A session in one transaction: committed at the end, rolled back on any error.

        ``session.info["actor"]`` names who the writes are done for (the audit log records
        it): ``actor`` if given, else the actor of the context (:func:`acting_as`), else
        ``system``.
        """
        with self._writer, self.translated_errors(), self._sessions.begin() as session:
            session.info.update(self.session_info)
            session.info["actor"] = actor or current_actor()
            yield session

    @contextmanager
    def translated_errors(self) -> Iterator[None]:
        """Turns driver errors into store errors that name the database, not a traceback."""
        try:
            yield
        except (OperationalError, InterfaceError) as exc:
            raise StoreUnavailableError(
                tr(
                    f"La base de données {self.shown_url} est injoignable : "
                    f"{_driver_message(exc, self.url)}. Vérifiez qu'elle est démarrée et "
                    "que l'URL (PORTIQUE_DATABASE_URL) est la bonne.",
                    f"The database {self.shown_url} cannot be reached: "
                    f"{_driver_message(exc, self.url)}. Check that it is running and that "
                    "the URL (PORTIQUE_DATABASE_URL) is right.",
                )
            ) from None
        except IntegrityError as exc:
            raise StoreConflictError(
                tr(
                    f"Écriture refusée par la base {self.shown_url} : "
                    f"{_driver_message(exc, self.url)}.",
                    f"The database {self.shown_url} refused a write: "
                    f"{_driver_message(exc, self.url)}.",
                )
            ) from None
        except DBAPIError as exc:
            raise StoreError(
                tr(
                    f"Erreur de la base {self.shown_url} : {_driver_message(exc, self.url)}.",
                    f"Database error in {self.shown_url}: {_driver_message(exc, self.url)}.",
                )
            ) from None

    def upgrade(self, revision: str = "head") -> None:
        """Brings the schema to ``revision`` (the latest by default), from empty if need be."""
        self._migrate("upgrade", revision)

    def downgrade(self, revision: str) -> None:
        """Takes the schema back to ``revision`` (``base``: no Portique table at all)."""
        self._migrate("downgrade", revision)

    def _migrate(self, direction: str, revision: str) -> None:
        from alembic import command

        config = alembic_config()
        with self.translated_errors(), self.engine.begin() as connection:
            if not self.is_sqlite:
                # Several servers of a region start together: one migrates, the others
                # wait for it here and then find nothing left to do.
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                )
            config.attributes["connection"] = connection
            getattr(command, direction)(config, revision)

    def upgrade_if_behind(self) -> bool:
        """Brings a database made by an earlier version of Portique to this version's
        schema, in place (what a server does as it starts); True if it did. A database
        with no Portique schema, or with one this version does not know (a newer
        Portique's), is left as it is for :meth:`check_schema` to refuse."""
        found = self.revision()
        if found is None or found == SCHEMA_REVISION or found not in known_revisions():
            return False
        self.upgrade()
        return True

    def revision(self) -> str | None:
        """The schema revision in the database, or None when it has no Portique schema."""
        with self.translated_errors(), self.engine.connect() as connection:
            try:
                row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
            except ProgrammingError:
                return None
            except OperationalError as exc:
                # SQLite reports a missing table as an OperationalError, like a lost server:
                # only a database that answered can be said to have no schema.
                if self.is_sqlite and "no such table" in str(exc.orig):
                    return None
                raise
        return None if row is None else str(row[0])

    def check_schema(self) -> None:
        """Refuses a database without the schema this version of Portique uses."""
        found = self.revision()
        if found == SCHEMA_REVISION:
            return
        if found is None:
            raise SchemaError(
                tr(
                    f"La base {self.shown_url} ne contient pas de site Portique : "
                    "créez-le avec `portique init`.",
                    f"The database {self.shown_url} holds no Portique site: "
                    "create one with `portique init`.",
                )
            )
        raise SchemaError(
            tr(
                f"La base {self.shown_url} est au schéma {found}, cette version de Portique "
                f"utilise {SCHEMA_REVISION} : mettez-la à jour avec `portique db upgrade`.",
                f"The database {self.shown_url} has schema {found}; this version of Portique "
                f"uses {SCHEMA_REVISION}: bring it up to date with `portique db upgrade`.",
            )
        )

    def dispose(self) -> None:
        """Closes every pooled connection."""
        self.engine.dispose()


def libpq_url(url: URL) -> tuple[str, dict[str, str]]:
    """A PostgreSQL URL as libpq reads it (``pg_dump``, a raw psycopg connection), and
    its password apart, for the environment (``PGPASSWORD``), never a command line."""
    shown = url.set(drivername="postgresql", password=None)
    password = {"PGPASSWORD": str(url.password)} if url.password else {}
    return shown.render_as_string(hide_password=False), password


def known_revisions() -> frozenset[str]:
    """Every revision of the migrations shipped with this version."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config())
    return frozenset(script.revision for script in scripts.walk_revisions())


def migrations_path() -> Path:
    """The Alembic scripts shipped inside the package."""
    return Path(str(resources.files("portique.store") / "migrations"))


def alembic_config() -> Any:
    """An Alembic configuration pointing into the package; no alembic.ini is needed."""
    from alembic.config import Config

    config = Config()
    # The value goes through configparser interpolation: a '%' in the path must be doubled.
    config.set_main_option("script_location", str(migrations_path()).replace("%", "%%"))
    return config
