"""Region scale (issue 20): console sessions in the database, shared by every server.

Revision ID: 0012_region
Revises: 0010_face
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_region"
down_revision: str | None = "0010_face"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 64


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("site_id", sa.String(ID), nullable=False),
        sa.Column("username", sa.String(ID), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.site_id"],
            name="fk_console_sessions_site_id_sites",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id", "username"],
            ["accounts.site_id", "accounts.username"],
            name="fk_console_sessions_site_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_hash", name="pk_console_sessions"),
    )
    op.create_index("ix_console_sessions_expires_at", "console_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_console_sessions_expires_at", table_name="console_sessions")
    op.drop_table("console_sessions")
