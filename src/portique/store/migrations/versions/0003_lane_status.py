"""When the server last heard from each lane, for the offline-lane alert (issue 6).

Created 2026-11-23.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from portique.store.migrations.columns import id_column, site_fk, time_column

revision: str = "0003"
down_revision: str | None = "0002"


def upgrade() -> None:
    op.create_table(
        "lane_status",
        id_column("site_id"),
        id_column("lane_id"),
        time_column("last_seen_at"),
        sa.Column("online", sa.Boolean(), nullable=False),
        site_fk("lane_status"),
        sa.PrimaryKeyConstraint("site_id", "lane_id", name="pk_lane_status"),
    )


def downgrade() -> None:
    op.drop_table("lane_status")
