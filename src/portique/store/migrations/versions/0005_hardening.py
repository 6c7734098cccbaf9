"""The keyed audit chain (issue 16): each entry's MAC under a key outside the database.

Existing entries keep NULL in both columns: they form the legacy prefix of the chain,
checked by their hashes and anchored by the first keyed entry (see
``portique.privacy.audit_keys``).

Created 2026-11-24.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005_hardening"
down_revision: str | None = "0004"


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("mac_key_id", sa.String(16), nullable=True))
    op.add_column("audit_log", sa.Column("entry_mac", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("entry_mac")
        batch.drop_column("mac_key_id")
