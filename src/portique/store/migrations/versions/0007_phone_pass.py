"""Phone passes (issue 24): one-time enrolment links, and the living codes already used.

Created 2026-12-01.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from portique.store.migrations.columns import id_column, person_fk, site_fk, time_column

revision: str = "0007_phone"
down_revision: str | None = "0005_registers"


def upgrade() -> None:
    op.create_table(
        "phone_enrolments",
        sa.Column("enrolment_id", sa.String(32), nullable=False),
        id_column("site_id"),
        id_column("person_id"),
        sa.Column("token_hash", sa.String(64), nullable=False),
        time_column("created_at"),
        time_column("expires_at"),
        time_column("used_at", nullable=True),
        id_column("credential_id", nullable=True),
        site_fk("phone_enrolments"),
        person_fk("phone_enrolments"),
        sa.PrimaryKeyConstraint("enrolment_id", name="pk_phone_enrolments"),
        sa.UniqueConstraint("token_hash", name="uq_phone_enrolments_token_hash"),
    )
    op.create_index("ix_phone_enrolments_site_id", "phone_enrolments", ["site_id"])
    op.create_index("ix_phone_enrolments_person_id", "phone_enrolments", ["person_id"])
    op.create_table(
        "seen_codes",
        id_column("site_id"),
        id_column("credential_id"),
        time_column("code_time"),
        time_column("seen_at"),
        site_fk("seen_codes"),
        sa.PrimaryKeyConstraint("site_id", "credential_id", "code_time", name="pk_seen_codes"),
    )
    op.create_index("ix_seen_codes_site_id_code_time", "seen_codes", ["site_id", "code_time"])


def downgrade() -> None:
    op.drop_index("ix_seen_codes_site_id_code_time", table_name="seen_codes")
    op.drop_table("seen_codes")
    op.drop_index("ix_phone_enrolments_person_id", table_name="phone_enrolments")
    op.drop_index("ix_phone_enrolments_site_id", table_name="phone_enrolments")
    op.drop_table("phone_enrolments")
