"""Audit log and central template store (issue 7), visits, their path, alerts and the
refusal list (issue 8), and the history of lanes going offline (issue 9).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 64


def _time(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str, key: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.{key}"], name=f"fk_{table}_{column}_{target}", ondelete="CASCADE"
    )


def upgrade() -> None:
    _privacy_tables()
    _visitor_tables()


def _privacy_tables() -> None:
    """The history of lanes going offline, the audit log and the central template store."""
    op.create_table(
        "lane_status_changes",
        sa.Column("change_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(ID), nullable=False),
        sa.Column("lane_id", sa.String(ID), nullable=False),
        _time("at"),
        sa.Column("online", sa.Boolean(), nullable=False),
        _fk("lane_status_changes", "site_id", "sites", "site_id"),
        sa.PrimaryKeyConstraint("change_id", name="pk_lane_status_changes"),
    )
    op.create_index(
        "ix_lane_status_changes_site_id_lane_id_at",
        "lane_status_changes",
        ["site_id", "lane_id", "at"],
    )
    op.create_table(
        "audit_log",
        sa.Column("entry_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(ID), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        _time("at"),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(200), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", name="pk_audit_log"),
        sa.UniqueConstraint("site_id", "seq", name="uq_audit_log_site_id_seq"),
    )
    op.create_index("ix_audit_log_site_id_at", "audit_log", ["site_id", "at"])
    op.create_table(
        "template_vault",
        sa.Column("credential_id", sa.String(ID), nullable=False),
        sa.Column("site_id", sa.String(ID), nullable=False),
        sa.Column("person_id", sa.String(ID), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        _time("created_at"),
        _fk("template_vault", "credential_id", "credentials", "credential_id"),
        _fk("template_vault", "site_id", "sites", "site_id"),
        _fk("template_vault", "person_id", "people", "person_id"),
        sa.PrimaryKeyConstraint("credential_id", name="pk_template_vault"),
    )
    op.create_index("ix_template_vault_site_id", "template_vault", ["site_id"])
    op.create_index("ix_template_vault_person_id", "template_vault", ["person_id"])


def _visitor_tables() -> None:
    """Visits, their events and alerts, and the refusal list."""
    op.create_table(
        "visits",
        sa.Column("visit_id", sa.String(ID), nullable=False),
        sa.Column("site_id", sa.String(ID), nullable=False),
        sa.Column("person_id", sa.String(ID), nullable=False),
        sa.Column("host_id", sa.String(ID), nullable=True),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        _time("expected_from"),
        _time("expected_until"),
        sa.Column("zones", sa.JSON(), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("credential_id", sa.String(ID), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        _time("checked_in_at", nullable=True),
        _time("checked_out_at", nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        _time("created_at"),
        _fk("visits", "site_id", "sites", "site_id"),
        _fk("visits", "person_id", "people", "person_id"),
        sa.PrimaryKeyConstraint("visit_id", name="pk_visits"),
    )
    op.create_index("ix_visits_site_id_status", "visits", ["site_id", "status"])
    op.create_index("ix_visits_person_id", "visits", ["person_id"])
    op.create_index("ix_visits_credential_id", "visits", ["credential_id"])
    op.create_table(
        "visit_events",
        sa.Column("event_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("visit_id", sa.String(ID), nullable=False),
        sa.Column("site_id", sa.String(ID), nullable=False),
        _time("at"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("checkpoint", sa.String(ID), nullable=False),
        sa.Column("zone_id", sa.String(ID), nullable=True),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("alert", sa.String(32), nullable=True),
        sa.Column("passage_id", sa.String(32), nullable=True),
        _fk("visit_events", "visit_id", "visits", "visit_id"),
        sa.PrimaryKeyConstraint("event_id", name="pk_visit_events"),
    )
    op.create_index("ix_visit_events_visit_id_at", "visit_events", ["visit_id", "at"])
    op.create_table(
        "visit_alerts",
        sa.Column("alert_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("visit_id", sa.String(ID), nullable=False),
        sa.Column("site_id", sa.String(ID), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        _time("raised_at"),
        sa.Column("details", sa.JSON(), nullable=False),
        _time("acknowledged_at", nullable=True),
        sa.Column("acknowledged_by", sa.String(200), nullable=True),
        _fk("visit_alerts", "visit_id", "visits", "visit_id"),
        sa.PrimaryKeyConstraint("alert_id", name="pk_visit_alerts"),
        sa.UniqueConstraint("visit_id", "kind", name="uq_visit_alerts_visit_id_kind"),
    )
    op.create_index("ix_visit_alerts_site_id_raised_at", "visit_alerts", ["site_id", "raised_at"])
    op.create_table(
        "refusals",
        sa.Column("refusal_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(ID), nullable=False),
        sa.Column("last_name", sa.String(200), nullable=False),
        sa.Column("first_name", sa.String(200), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("ordered_by", sa.String(32), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        _time("created_at"),
        _time("lifted_at", nullable=True),
        sa.Column("lifted_by", sa.String(200), nullable=True),
        _fk("refusals", "site_id", "sites", "site_id"),
        sa.PrimaryKeyConstraint("refusal_id", name="pk_refusals"),
    )
    op.create_index(
        "ix_refusals_site_id_last_name_birth_date",
        "refusals",
        ["site_id", "last_name", "birth_date"],
    )


def downgrade() -> None:
    for table in (
        "refusals",
        "visit_alerts",
        "visit_events",
        "visits",
        "template_vault",
        "audit_log",
        "lane_status_changes",
    ):
        op.drop_table(table)
