"""Lane trust (issue 15): an API token of a lane is bound to that lane.

Revision ID: 0008_lane_trust
Revises: 0009_server_hardening
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_lane_trust"
down_revision: str | None = "0009_server_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as table:
        table.add_column(sa.Column("lane_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as table:
        table.drop_column("lane_id")
