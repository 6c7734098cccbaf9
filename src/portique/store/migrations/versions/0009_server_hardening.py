"""Server hardening (issue 16): the console's login attempts, shared by every server
process so that throttling holds across workers; the people imports the console runs in
the background, with their progress.

Revision ID: 0009_server_hardening
Revises: 0007_phone
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_server_hardening"
down_revision: str | None = "0007_phone"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 64


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("attempt_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(ID), nullable=False),
        sa.Column("username", sa.String(ID), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.site_id"],
            name="fk_login_attempts_site_id_sites",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("attempt_id", name="pk_login_attempts"),
    )
    op.create_index(
        "ix_login_attempts_site_id_username_at", "login_attempts", ["site_id", "username", "at"]
    )
    op.create_index(
        "ix_login_attempts_site_id_address_at", "login_attempts", ["site_id", "address", "at"]
    )

    op.create_table(
        "import_jobs",
        sa.Column("job_id", sa.String(32), nullable=False),
        sa.Column("site_id", sa.String(ID), nullable=False),
        sa.Column("started_by", sa.String(ID), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("lines_done", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.site_id"], name="fk_import_jobs_site_id_sites", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("job_id", name="pk_import_jobs"),
    )
    op.create_index("ix_import_jobs_site_id", "import_jobs", ["site_id"])


def downgrade() -> None:
    op.drop_table("import_jobs")
    op.drop_table("login_attempts")
