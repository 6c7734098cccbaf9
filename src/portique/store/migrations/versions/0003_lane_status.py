"""When the server last heard from each lane, for the offline-lane alert (issue 6).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 64


def upgrade() -> None:
    op.create_table(
        "lane_status",
        sa.Column("site_id", sa.String(ID), nullable=False),
        sa.Column("lane_id", sa.String(ID), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.site_id"], name="fk_lane_status_site_id_sites", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("site_id", "lane_id", name="pk_lane_status"),
    )


def downgrade() -> None:
    op.drop_table("lane_status")
