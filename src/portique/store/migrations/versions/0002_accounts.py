"""Console accounts, API tokens and the agents' reviews of passages (issue 6).

Created 2026-11-30.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from portique.store.migrations.columns import id_column, site_fk, time_column

revision: str = "0002"
down_revision: str | None = "0001"


def upgrade() -> None:
    op.create_table(
        "accounts",
        id_column("site_id"),
        id_column("username"),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        time_column("locked_until", nullable=True),
        time_column("created_at"),
        time_column("last_login_at", nullable=True),
        site_fk("accounts"),
        sa.PrimaryKeyConstraint("site_id", "username", name="pk_accounts"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        id_column("site_id"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        time_column("created_at"),
        time_column("revoked_at", nullable=True),
        site_fk("api_tokens"),
        sa.PrimaryKeyConstraint("token_hash", name="pk_api_tokens"),
    )
    op.create_index("ix_api_tokens_site_id", "api_tokens", ["site_id"])
    op.create_table(
        "passage_reviews",
        sa.Column("passage_id", sa.String(32), nullable=False),
        id_column("site_id"),
        time_column("reviewed_at"),
        id_column("reviewed_by"),
        sa.Column("outcome", sa.String(8), nullable=True),
        sa.Column("comment", sa.String(500), nullable=True),
        site_fk("passage_reviews"),
        sa.PrimaryKeyConstraint("passage_id", name="pk_passage_reviews"),
    )
    op.create_index("ix_passage_reviews_site_id", "passage_reviews", ["site_id"])


def downgrade() -> None:
    for table in ("passage_reviews", "api_tokens", "accounts"):
        op.drop_table(table)
