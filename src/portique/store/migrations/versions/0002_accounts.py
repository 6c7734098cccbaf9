"""Console accounts, API tokens and the agents' reviews of passages (issue 6).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 64


def _time(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _site_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["site_id"], ["sites.site_id"], name=f"fk_{table}_site_id_sites", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("site_id", sa.String(ID), nullable=False),
        sa.Column("username", sa.String(ID), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        _time("locked_until", nullable=True),
        _time("created_at"),
        _time("last_login_at", nullable=True),
        _site_fk("accounts"),
        sa.PrimaryKeyConstraint("site_id", "username", name="pk_accounts"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("site_id", sa.String(ID), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        _time("created_at"),
        _time("revoked_at", nullable=True),
        _site_fk("api_tokens"),
        sa.PrimaryKeyConstraint("token_hash", name="pk_api_tokens"),
    )
    op.create_index("ix_api_tokens_site_id", "api_tokens", ["site_id"])
    op.create_table(
        "passage_reviews",
        sa.Column("passage_id", sa.String(32), nullable=False),
        sa.Column("site_id", sa.String(ID), nullable=False),
        _time("reviewed_at"),
        sa.Column("reviewed_by", sa.String(ID), nullable=False),
        sa.Column("outcome", sa.String(8), nullable=True),
        sa.Column("comment", sa.String(500), nullable=True),
        _site_fk("passage_reviews"),
        sa.PrimaryKeyConstraint("passage_id", name="pk_passage_reviews"),
    )
    op.create_index("ix_passage_reviews_site_id", "passage_reviews", ["site_id"])


def downgrade() -> None:
    for table in ("passage_reviews", "api_tokens", "accounts"):
        op.drop_table(table)
