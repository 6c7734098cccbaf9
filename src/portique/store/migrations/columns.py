"""The columns and foreign keys the migrations build alike, named as the models name them.

Revisions already shipped call these helpers: what each one builds must never change
(the upgrade-in-place tests hold databases made by earlier versions). A new shape gets a
new helper.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

ID = 64
"""The length of an identifier: a site, a person, a credential, a lane, a user name..."""


def id_column(name: str, *, nullable: bool = False) -> sa.Column[str]:
    """An identifier column, ``ID`` characters long."""
    return sa.Column(name, sa.String(ID), nullable=nullable)


def time_column(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    """A moment, stored with its time zone."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def cascade_fk(table: str, column: str, target: str, key: str) -> sa.ForeignKeyConstraint:
    """``table.column`` refers to ``target.key``; the row goes when the target's row goes."""
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.{key}"], name=f"fk_{table}_{column}_{target}", ondelete="CASCADE"
    )


def site_fk(table: str) -> sa.ForeignKeyConstraint:
    """``table.site_id`` refers to the site; the row goes with the site."""
    return cascade_fk(table, "site_id", "sites", "site_id")


def person_fk(table: str, column: str = "person_id") -> sa.ForeignKeyConstraint:
    """``table.column`` refers to a person; the row goes with the person."""
    return cascade_fk(table, column, "people", "person_id")


def composite_fk(table: str, target: str, *columns: str) -> sa.ForeignKeyConstraint:
    """``columns`` of ``table`` refer to the columns of the same names in ``target`` (a
    key within a site, such as ``site_id, zone_id``); the row goes with the target's."""
    return sa.ForeignKeyConstraint(
        list(columns),
        [f"{target}.{column}" for column in columns],
        name=f"fk_{table}_{columns[0]}_{target}",
        ondelete="CASCADE",
    )
