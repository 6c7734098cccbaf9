"""The school's registers (issue 19): register identifiers kept as keyed hashes, the day a
person left, what kind of group a group is (class or teaching group), departures and their
alerts, school years and the classes they archived.

Created 2026-12-01.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from portique.store.migrations.columns import id_column, person_fk, site_fk, time_column

revision: str = "0005_registers"
down_revision: str | None = "0005_hardening"

YEAR = 16


def upgrade() -> None:
    op.add_column("people", sa.Column("left_on", sa.Date(), nullable=True))
    op.add_column("groups", sa.Column("kind", sa.String(16), nullable=True))
    op.create_table(
        "register_ids",
        id_column("site_id"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        id_column("person_id"),
        site_fk("register_ids"),
        person_fk("register_ids"),
        sa.PrimaryKeyConstraint("site_id", "kind", "key_hash", name="pk_register_ids"),
    )
    op.create_index("ix_register_ids_person_id", "register_ids", ["person_id"])
    op.create_table(
        "departures",
        sa.Column("departure_id", sa.Integer(), autoincrement=True, nullable=False),
        id_column("site_id"),
        id_column("person_id"),
        sa.Column("left_on", sa.Date(), nullable=False),
        sa.Column("cause", sa.String(16), nullable=False),
        sa.Column("class_name", sa.String(200), nullable=True),
        time_column("detected_at"),
        sa.Column("revoked", sa.Integer(), nullable=False),
        time_column("acknowledged_at", nullable=True),
        sa.Column("acknowledged_by", sa.String(200), nullable=True),
        site_fk("departures"),
        person_fk("departures"),
        sa.PrimaryKeyConstraint("departure_id", name="pk_departures"),
    )
    op.create_index("ix_departures_site_id_detected_at", "departures", ["site_id", "detected_at"])
    op.create_index("ix_departures_person_id", "departures", ["person_id"])
    op.create_table(
        "school_years",
        id_column("site_id"),
        sa.Column("year_id", sa.String(YEAR), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("processing", sa.JSON(), nullable=False),
        time_column("opened_at", nullable=True),
        time_column("closed_at", nullable=True),
        site_fk("school_years"),
        sa.PrimaryKeyConstraint("site_id", "year_id", name="pk_school_years"),
    )
    op.create_table(
        "archived_groups",
        id_column("site_id"),
        sa.Column("year_id", sa.String(YEAR), nullable=False),
        id_column("group_id"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timetable", sa.JSON(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        time_column("archived_at"),
        site_fk("archived_groups"),
        sa.PrimaryKeyConstraint("site_id", "year_id", "group_id", name="pk_archived_groups"),
    )


def downgrade() -> None:
    for table in ("archived_groups", "school_years", "departures", "register_ids"):
        op.drop_table(table)
    with op.batch_alter_table("people") as batch:
        batch.drop_column("left_on")
    with op.batch_alter_table("groups") as batch:
        batch.drop_column("kind")
