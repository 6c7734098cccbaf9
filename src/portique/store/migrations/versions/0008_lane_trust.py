"""Lane trust (issue 15): an API token of a lane is bound to that lane.

Created 2026-12-06.
"""

from __future__ import annotations

from alembic import op

from portique.store.migrations.columns import id_column

revision: str = "0008_lane_trust"
down_revision: str | None = "0009_server_hardening"


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as table:
        table.add_column(id_column("lane_id", nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as table:
        table.drop_column("lane_id")
