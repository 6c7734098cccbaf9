"""Region scale (issue 20): console sessions in the database, shared by every server.

Created 2026-12-06.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from portique.store.migrations.columns import composite_fk, id_column, site_fk, time_column

revision: str = "0012_region"
down_revision: str | None = "0010_face"


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("session_hash", sa.String(64), nullable=False),
        id_column("site_id"),
        id_column("username"),
        sa.Column("csrf", sa.String(64), nullable=False),
        time_column("created_at"),
        time_column("expires_at"),
        site_fk("console_sessions"),
        composite_fk("console_sessions", "accounts", "site_id", "username"),
        sa.PrimaryKeyConstraint("session_hash", name="pk_console_sessions"),
    )
    op.create_index("ix_console_sessions_expires_at", "console_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_console_sessions_expires_at", table_name="console_sessions")
    op.drop_table("console_sessions")
