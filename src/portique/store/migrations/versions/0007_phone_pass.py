"""Phone passes (issue 24): one-time enrolment links, and the living codes already used.

Revision ID: 0007_phone
Revises: 0005_registers
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0007_phone"
down_revision: str | None = "0005_registers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 64


def _time(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str, key: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.{key}"], name=f"fk_{table}_{column}_{target}", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "phone_enrolments",
        sa.Column("enrolment_id", sa.String(32), nullable=False),
        sa.Column("site_id", sa.String(ID), nullable=False),
        sa.Column("person_id", sa.String(ID), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        _time("created_at"),
        _time("expires_at"),
        _time("used_at", nullable=True),
        sa.Column("credential_id", sa.String(ID), nullable=True),
        _fk("phone_enrolments", "site_id", "sites", "site_id"),
        _fk("phone_enrolments", "person_id", "people", "person_id"),
        sa.PrimaryKeyConstraint("enrolment_id", name="pk_phone_enrolments"),
        sa.UniqueConstraint("token_hash", name="uq_phone_enrolments_token_hash"),
    )
    op.create_index("ix_phone_enrolments_site_id", "phone_enrolments", ["site_id"])
    op.create_index("ix_phone_enrolments_person_id", "phone_enrolments", ["person_id"])
    op.create_table(
        "seen_codes",
        sa.Column("site_id", sa.String(ID), nullable=False),
        sa.Column("credential_id", sa.String(ID), nullable=False),
        _time("code_time"),
        _time("seen_at"),
        _fk("seen_codes", "site_id", "sites", "site_id"),
        sa.PrimaryKeyConstraint("site_id", "credential_id", "code_time", name="pk_seen_codes"),
    )
    op.create_index("ix_seen_codes_site_id_code_time", "seen_codes", ["site_id", "code_time"])


def downgrade() -> None:
    op.drop_index("ix_seen_codes_site_id_code_time", table_name="seen_codes")
    op.drop_table("seen_codes")
    op.drop_index("ix_phone_enrolments_person_id", table_name="phone_enrolments")
    op.drop_index("ix_phone_enrolments_site_id", table_name="phone_enrolments")
    op.drop_table("phone_enrolments")
