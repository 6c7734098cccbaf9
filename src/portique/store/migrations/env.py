"""Alembic's entry point: migrates the connection Portique hands over, or a URL.

``portique.store.Database.upgrade()`` passes its connection in ``config.attributes``.
Run by hand (``alembic -x url=...``), it uses that URL, else ``PORTIQUE_DATABASE_URL``.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection, create_engine

from portique.store.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get(
        "PORTIQUE_DATABASE_URL"
    )
    if not url:
        raise SystemExit("Give the database: alembic -x url=... or PORTIQUE_DATABASE_URL.")
    return url


def _run(connection: Connection) -> None:
    # Batch mode lets later migrations alter tables on SQLite, which has no ALTER COLUMN.
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    given = config.attributes.get("connection")
    if given is not None:
        _run(given)
    else:
        with create_engine(_url()).begin() as connection:
            _run(connection)
