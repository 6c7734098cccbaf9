"""The first schema: sites, zones, lanes, groups, people, consents, credentials, passages.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 64


def _id(name: str, *, nullable: bool) -> sa.Column[str]:
    return sa.Column(name, sa.String(ID), nullable=nullable)


def _time(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _site_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["site_id"], ["sites.site_id"], name=f"fk_{table}_site_id_sites", ondelete="CASCADE"
    )


def _person_fk(table: str, column: str = "person_id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["people.person_id"], name=f"fk_{table}_{column}_people", ondelete="CASCADE"
    )


def upgrade() -> None:
    _site_tables()
    _people_tables()
    _credential_tables()
    _passage_tables()


def _site_tables() -> None:
    """The site, its zones, lanes and classes."""
    op.create_table(
        "sites",
        _id("site_id", nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("opening_hours", sa.JSON(), nullable=False),
        sa.Column("calendar", sa.JSON(), nullable=False),
        sa.Column("default_timetable", sa.JSON(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("snapshot_version", sa.Integer(), nullable=False),
        _time("created_at"),
        sa.PrimaryKeyConstraint("site_id", name="pk_sites"),
    )
    op.create_table(
        "zones",
        _id("site_id", nullable=False),
        _id("zone_id", nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        _site_fk("zones"),
        sa.PrimaryKeyConstraint("site_id", "zone_id", name="pk_zones"),
    )
    op.create_table(
        "lanes",
        _id("site_id", nullable=False),
        _id("lane_id", nullable=False),
        _id("zone_id", nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("face_enabled", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        _site_fk("lanes"),
        sa.ForeignKeyConstraint(
            ["site_id", "zone_id"],
            ["zones.site_id", "zones.zone_id"],
            name="fk_lanes_site_id_zones",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("site_id", "lane_id", name="pk_lanes"),
    )
    op.create_table(
        "groups",
        _id("site_id", nullable=False),
        _id("group_id", nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timetable", sa.JSON(), nullable=False),
        _site_fk("groups"),
        sa.PrimaryKeyConstraint("site_id", "group_id", name="pk_groups"),
    )


def _people_tables() -> None:
    """People, their classes, guardians, consents and exit permissions."""
    op.create_table(
        "people",
        _id("person_id", nullable=False),
        _id("site_id", nullable=False),
        sa.Column("last_name", sa.String(200), nullable=False),
        sa.Column("first_name", sa.String(200), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("zones", sa.JSON(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        _time("created_at"),
        _site_fk("people"),
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
        _id("person_id", nullable=False),
        _id("group_id", nullable=False),
        _id("site_id", nullable=False),
        _person_fk("memberships"),
        sa.ForeignKeyConstraint(
            ["site_id", "group_id"],
            ["groups.site_id", "groups.group_id"],
            name="fk_memberships_site_id_groups",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "group_id", name="pk_memberships"),
    )
    op.create_table(
        "guardianships",
        _id("person_id", nullable=False),
        _id("guardian_id", nullable=False),
        _person_fk("guardianships"),
        _person_fk("guardianships", "guardian_id"),
        sa.PrimaryKeyConstraint("person_id", "guardian_id", name="pk_guardianships"),
    )
    op.create_table(
        "consents",
        sa.Column("consent_id", sa.Integer(), autoincrement=True, nullable=False),
        _id("person_id", nullable=False),
        sa.Column("giver", sa.String(16), nullable=False),
        _id("given_by", nullable=False),
        _time("given_at"),
        _time("withdrawn_at", nullable=True),
        _id("withdrawn_by", nullable=True),
        _person_fk("consents"),
        sa.PrimaryKeyConstraint("consent_id", name="pk_consents"),
    )
    op.create_index("ix_consents_person_id", "consents", ["person_id"])
    op.create_table(
        "exit_permissions",
        _id("person_id", nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        _id("granted_by", nullable=False),
        sa.Column("granted_on", sa.Date(), nullable=False),
        _person_fk("exit_permissions"),
        sa.PrimaryKeyConstraint("person_id", name="pk_exit_permissions"),
    )


def _credential_tables() -> None:
    """Credentials and the badges bound to them."""
    op.create_table(
        "credentials",
        _id("credential_id", nullable=False),
        _id("site_id", nullable=False),
        _id("person_id", nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        _time("valid_from"),
        _time("valid_until"),
        _id("key_id", nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        _time("issued_at"),
        _time("revoked_at", nullable=True),
        sa.Column("revocation_reason", sa.String(200), nullable=True),
        sa.Column("has_template", sa.Boolean(), nullable=False),
        _site_fk("credentials"),
        _person_fk("credentials"),
        sa.PrimaryKeyConstraint("credential_id", name="pk_credentials"),
    )
    op.create_index("ix_credentials_person_id", "credentials", ["person_id"])
    op.create_index("ix_credentials_site_id_status", "credentials", ["site_id", "status"])
    op.create_table(
        "badge_bindings",
        _id("site_id", nullable=False),
        sa.Column("badge_uid", sa.String(32), nullable=False),
        _id("credential_id", nullable=False),
        _id("person_id", nullable=False),
        _site_fk("badge_bindings"),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.credential_id"],
            name="fk_badge_bindings_credential_id_credentials",
            ondelete="CASCADE",
        ),
        _person_fk("badge_bindings"),
        sa.PrimaryKeyConstraint("site_id", "badge_uid", name="pk_badge_bindings"),
        sa.UniqueConstraint("credential_id", name="uq_badge_bindings_credential_id"),
    )
    op.create_index("ix_badge_bindings_person_id", "badge_bindings", ["person_id"])


def _passage_tables() -> None:
    """Passages and lockdowns."""
    op.create_table(
        "passages",
        sa.Column("passage_id", sa.String(32), nullable=False),
        _id("site_id", nullable=False),
        _id("lane_id", nullable=False),
        sa.Column("direction", sa.String(8), nullable=True),
        _time("time"),
        sa.Column("outcome", sa.String(8), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("alert", sa.Boolean(), nullable=False),
        _id("credential_id", nullable=True),
        _id("person_id", nullable=True),
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
        _id("site_id", nullable=False),
        _time("since"),
        _id("declared_by", nullable=True),
        _time("lifted_at", nullable=True),
        _id("lifted_by", nullable=True),
        _site_fk("lockdowns"),
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
