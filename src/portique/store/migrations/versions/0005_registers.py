"""The school's registers (issue 19): register identifiers kept as keyed hashes, the day a
person left, what kind of group a group is (class or teaching group), departures and their
alerts, school years and the classes they archived.

Revision ID: 0005_registers
Revises: 0005_hardening
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005_registers"
down_revision: str | None = "0005_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 64
YEAR = 16


def _time(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str, key: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.{key}"], name=f"fk_{table}_{column}_{target}", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.add_column("people", sa.Column("left_on", sa.Date(), nullable=True))
    op.add_column("groups", sa.Column("kind", sa.String(16), nullable=True))
    op.create_table(
        "register_ids",
        sa.Column("site_id", sa.String(ID), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(ID), nullable=False),
        _fk("register_ids", "site_id", "sites", "site_id"),
        _fk("register_ids", "person_id", "people", "person_id"),
        sa.PrimaryKeyConstraint("site_id", "kind", "key_hash", name="pk_register_ids"),
    )
    op.create_index("ix_register_ids_person_id", "register_ids", ["person_id"])
    op.create_table(
        "departures",
        sa.Column("departure_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(ID), nullable=False),
        sa.Column("person_id", sa.String(ID), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=False),
        sa.Column("cause", sa.String(16), nullable=False),
        sa.Column("class_name", sa.String(200), nullable=True),
        _time("detected_at"),
        sa.Column("revoked", sa.Integer(), nullable=False),
        _time("acknowledged_at", nullable=True),
        sa.Column("acknowledged_by", sa.String(200), nullable=True),
        _fk("departures", "site_id", "sites", "site_id"),
        _fk("departures", "person_id", "people", "person_id"),
        sa.PrimaryKeyConstraint("departure_id", name="pk_departures"),
    )
    op.create_index("ix_departures_site_id_detected_at", "departures", ["site_id", "detected_at"])
    op.create_index("ix_departures_person_id", "departures", ["person_id"])
    op.create_table(
        "school_years",
        sa.Column("site_id", sa.String(ID), nullable=False),
        sa.Column("year_id", sa.String(YEAR), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("processing", sa.JSON(), nullable=False),
        _time("opened_at", nullable=True),
        _time("closed_at", nullable=True),
        _fk("school_years", "site_id", "sites", "site_id"),
        sa.PrimaryKeyConstraint("site_id", "year_id", name="pk_school_years"),
    )
    op.create_table(
        "archived_groups",
        sa.Column("site_id", sa.String(ID), nullable=False),
        sa.Column("year_id", sa.String(YEAR), nullable=False),
        sa.Column("group_id", sa.String(ID), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timetable", sa.JSON(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        _time("archived_at"),
        _fk("archived_groups", "site_id", "sites", "site_id"),
        sa.PrimaryKeyConstraint("site_id", "year_id", "group_id", name="pk_archived_groups"),
    )


def downgrade() -> None:
    for table in ("archived_groups", "school_years", "departures", "register_ids"):
        op.drop_table(table)
    with op.batch_alter_table("people") as batch:
        batch.drop_column("left_on")
    with op.batch_alter_table("groups") as batch:
        batch.drop_column("kind")
