"""The first schema: sites, zones, lanes, groups, people, consents, credentials, passages.

Created 2026-11-23.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from portique.store.migrations.columns import (
    composite_fk,
    id_column,
    person_fk,
    site_fk,
    time_column,
)

revision: str = "0001"
down_revision: str | None = None


def upgrade() -> None:
    _site_tables()
    _people_tables()
    _credential_tables()
    _passage_tables()


def _site_tables() -> None:
    """The site, its zones, lanes and classes."""
    op.create_table(
        "sites",
        id_column("site_id"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("opening_hours", sa.JSON(), nullable=False),
        sa.Column("calendar", sa.JSON(), nullable=False),
        sa.Column("default_timetable", sa.JSON(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("snapshot_version", sa.Integer(), nullable=False),
        time_column("created_at"),
        sa.PrimaryKeyConstraint("site_id", name="pk_sites"),
    )
    op.create_table(
        "zones",
        id_column("site_id"),
        id_column("zone_id"),
        sa.Column("name", sa.String(200), nullable=False),
        site_fk("zones"),
        sa.PrimaryKeyConstraint("site_id", "zone_id", name="pk_zones"),
    )
    op.create_table(
        "lanes",
        id_column("site_id"),
        id_column("lane_id"),
        id_column("zone_id"),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("face_enabled", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        site_fk("lanes"),
        composite_fk("lanes", "zones", "site_id", "zone_id"),
        sa.PrimaryKeyConstraint("site_id", "lane_id", name="pk_lanes"),
    )
    op.create_table(
        "groups",
        id_column("site_id"),
        id_column("group_id"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timetable", sa.JSON(), nullable=False),
        site_fk("groups"),
        sa.PrimaryKeyConstraint("site_id", "group_id", name="pk_groups"),
    )


def _people_tables() -> None:
    """People, their classes, guardians, consents and exit permissions."""
    op.create_table(
        "people",
        id_column("person_id"),
        id_column("site_id"),
        sa.Column("last_name", sa.String(200), nullable=False),
        sa.Column("first_name", sa.String(200), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("zones", sa.JSON(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        time_column("created_at"),
        site_fk("people"),
        sa.PrimaryKeyConstraint("person_id", name="pk_people"),
    )
    op.create_index("ix_people_site_id", "people", ["site_id"])
    op.create_index(
        "ix_people_site_id_last_name_first_name_birth_date",
        "people",
        ["site_id", "last_name", "first_name", "birth_date"],
    )
    op.create_table(
        "memberships",
        id_column("person_id"),
        id_column("group_id"),
        id_column("site_id"),
        person_fk("memberships"),
        composite_fk("memberships", "groups", "site_id", "group_id"),
        sa.PrimaryKeyConstraint("person_id", "group_id", name="pk_memberships"),
    )
    op.create_table(
        "guardianships",
        id_column("person_id"),
        id_column("guardian_id"),
        person_fk("guardianships"),
        person_fk("guardianships", "guardian_id"),
        sa.PrimaryKeyConstraint("person_id", "guardian_id", name="pk_guardianships"),
    )
    op.create_table(
        "consents",
        sa.Column("consent_id", sa.Integer(), autoincrement=True, nullable=False),
        id_column("person_id"),
        sa.Column("giver", sa.String(16), nullable=False),
        id_column("given_by"),
        time_column("given_at"),
        time_column("withdrawn_at", nullable=True),
        id_column("withdrawn_by", nullable=True),
        person_fk("consents"),
        sa.PrimaryKeyConstraint("consent_id", name="pk_consents"),
    )
    op.create_index("ix_consents_person_id", "consents", ["person_id"])
    op.create_table(
        "exit_permissions",
        id_column("person_id"),
        sa.Column("rule", sa.String(32), nullable=False),
        id_column("granted_by"),
        sa.Column("granted_on", sa.Date(), nullable=False),
        person_fk("exit_permissions"),
        sa.PrimaryKeyConstraint("person_id", name="pk_exit_permissions"),
    )


def _credential_tables() -> None:
    """Credentials and the badges bound to them."""
    op.create_table(
        "credentials",
        id_column("credential_id"),
        id_column("site_id"),
        id_column("person_id"),
        sa.Column("kind", sa.String(16), nullable=False),
        time_column("valid_from"),
        time_column("valid_until"),
        id_column("key_id", nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        time_column("issued_at"),
        time_column("revoked_at", nullable=True),
        sa.Column("revocation_reason", sa.String(200), nullable=True),
        sa.Column("has_template", sa.Boolean(), nullable=False),
        site_fk("credentials"),
        person_fk("credentials"),
        sa.PrimaryKeyConstraint("credential_id", name="pk_credentials"),
    )
    op.create_index("ix_credentials_person_id", "credentials", ["person_id"])
    op.create_index("ix_credentials_site_id_status", "credentials", ["site_id", "status"])
    op.create_table(
        "badge_bindings",
        id_column("site_id"),
        sa.Column("badge_uid", sa.String(32), nullable=False),
        id_column("credential_id"),
        id_column("person_id"),
        site_fk("badge_bindings"),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.credential_id"],
            name="fk_badge_bindings_credential_id_credentials",
            ondelete="CASCADE",
        ),
        person_fk("badge_bindings"),
        sa.PrimaryKeyConstraint("site_id", "badge_uid", name="pk_badge_bindings"),
        sa.UniqueConstraint("credential_id", name="uq_badge_bindings_credential_id"),
    )
    op.create_index("ix_badge_bindings_person_id", "badge_bindings", ["person_id"])


def _passage_tables() -> None:
    """Passages and lockdowns."""
    op.create_table(
        "passages",
        sa.Column("passage_id", sa.String(32), nullable=False),
        id_column("site_id"),
        id_column("lane_id"),
        sa.Column("direction", sa.String(8), nullable=True),
        time_column("time"),
        sa.Column("outcome", sa.String(8), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("alert", sa.Boolean(), nullable=False),
        id_column("credential_id", nullable=True),
        id_column("person_id", nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("snapshot_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("passage_id", name="pk_passages"),
    )
    op.create_index(
        "ix_passages_site_id_person_id_time", "passages", ["site_id", "person_id", "time"]
    )
    op.create_index("ix_passages_site_id_time", "passages", ["site_id", "time"])
    op.create_table(
        "lockdowns",
        sa.Column("lockdown_id", sa.Integer(), autoincrement=True, nullable=False),
        id_column("site_id"),
        time_column("since"),
        id_column("declared_by", nullable=True),
        time_column("lifted_at", nullable=True),
        id_column("lifted_by", nullable=True),
        site_fk("lockdowns"),
        sa.PrimaryKeyConstraint("lockdown_id", name="pk_lockdowns"),
    )
    op.create_index("ix_lockdowns_site_id", "lockdowns", ["site_id"])


def downgrade() -> None:
    for table in (
        "lockdowns",
        "passages",
        "badge_bindings",
        "credentials",
        "exit_permissions",
        "consents",
        "guardianships",
        "memberships",
        "people",
        "groups",
        "lanes",
        "zones",
        "sites",
    ):
        op.drop_table(table)
