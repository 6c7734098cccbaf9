"""Server hardening (issue 16): the console's login attempts, shared by every server
process so that throttling holds across workers.

Revision ID: 0009_server_hardening
Revises: 0007_phone
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_server_hardening"
down_revision: str | None = "0007_phone"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 64


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("attempt_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(ID), nullable=False),
        sa.Column("username", sa.String(ID), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.site_id"],
            name="fk_login_attempts_site_id_sites",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("attempt_id", name="pk_login_attempts"),
    )
    op.create_index(
        "ix_login_attempts_site_id_username_at", "login_attempts", ["site_id", "username", "at"]
    )
    op.create_index(
        "ix_login_attempts_site_id_address_at", "login_attempts", ["site_id", "address", "at"]
    )


def downgrade() -> None:
    op.drop_table("login_attempts")
