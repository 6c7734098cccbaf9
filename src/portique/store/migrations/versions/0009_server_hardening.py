"""Server hardening (issue 16): the console's login attempts, shared by every server
process so that throttling holds across workers; the people imports the console runs in
the background, with their progress.

Created 2026-12-06.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from portique.store.migrations.columns import id_column, site_fk, time_column

revision: str = "0009_server_hardening"
down_revision: str | None = "0007_phone"


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("attempt_id", sa.Integer(), autoincrement=True, nullable=False),
        id_column("site_id"),
        id_column("username"),
        sa.Column("address", sa.String(64), nullable=False),
        time_column("at"),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        site_fk("login_attempts"),
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
        id_column("site_id"),
        id_column("started_by"),
        sa.Column("file_name", sa.String(200), nullable=False),
        time_column("started_at"),
        time_column("finished_at", nullable=True),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("lines_done", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(2000), nullable=True),
        site_fk("import_jobs"),
        sa.PrimaryKeyConstraint("job_id", name="pk_import_jobs"),
    )
    op.create_index("ix_import_jobs_site_id", "import_jobs", ["site_id"])


def downgrade() -> None:
    op.drop_table("import_jobs")
    op.drop_table("login_attempts")
