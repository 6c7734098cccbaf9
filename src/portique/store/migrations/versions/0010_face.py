"""Face engine v2 (issue 17): each credential records the model of the template it
carries, so that a site changing its face model knows who must re-enrol.

Created 2026-12-06.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010_face"
down_revision: str | None = "0008_lane_trust"


def upgrade() -> None:
    # Credentials issued before this revision keep NULL: their template is of the model
    # the site had then (its previous model once it changes).
    op.add_column("credentials", sa.Column("face_model", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("credentials") as batch:
        batch.drop_column("face_model")
