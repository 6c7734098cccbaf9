"""Audit log and central template store (issue 7), visits, their path, alerts and the
refusal list (issue 8), and the history of lanes going offline (issue 9).

Created 2026-11-23.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from portique.store.migrations.columns import cascade_fk, id_column, person_fk, site_fk, time_column

revision: str = "0004"
down_revision: str | None = "0003"


def upgrade() -> None:
    _privacy_tables()
    _visitor_tables()


def _privacy_tables() -> None:
    """The history of lanes going offline, the audit log and the central template store."""
    op.create_table(
        "lane_status_changes",
        sa.Column("change_id", sa.Integer(), autoincrement=True, nullable=False),
        id_column("site_id"),
        id_column("lane_id"),
        time_column("at"),
        sa.Column("online", sa.Boolean(), nullable=False),
        site_fk("lane_status_changes"),
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
        id_column("site_id"),
        sa.Column("seq", sa.Integer(), nullable=False),
        time_column("at"),
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
        id_column("credential_id"),
        id_column("site_id"),
        id_column("person_id"),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        time_column("created_at"),
        cascade_fk("template_vault", "credential_id", "credentials", "credential_id"),
        site_fk("template_vault"),
        person_fk("template_vault"),
        sa.PrimaryKeyConstraint("credential_id", name="pk_template_vault"),
    )
    op.create_index("ix_template_vault_site_id", "template_vault", ["site_id"])
    op.create_index("ix_template_vault_person_id", "template_vault", ["person_id"])


def _visitor_tables() -> None:
    """Visits, their events and alerts, and the refusal list."""
    op.create_table(
        "visits",
        id_column("visit_id"),
        id_column("site_id"),
        id_column("person_id"),
        id_column("host_id", nullable=True),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        time_column("expected_from"),
        time_column("expected_until"),
        sa.Column("zones", sa.JSON(), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        id_column("credential_id", nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        time_column("checked_in_at", nullable=True),
        time_column("checked_out_at", nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        time_column("created_at"),
        site_fk("visits"),
        person_fk("visits"),
        sa.PrimaryKeyConstraint("visit_id", name="pk_visits"),
    )
    op.create_index("ix_visits_site_id_status", "visits", ["site_id", "status"])
    op.create_index("ix_visits_person_id", "visits", ["person_id"])
    op.create_index("ix_visits_credential_id", "visits", ["credential_id"])
    op.create_table(
        "visit_events",
        sa.Column("event_id", sa.Integer(), autoincrement=True, nullable=False),
        id_column("visit_id"),
        id_column("site_id"),
        time_column("at"),
        sa.Column("kind", sa.String(16), nullable=False),
        id_column("checkpoint"),
        id_column("zone_id", nullable=True),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("alert", sa.String(32), nullable=True),
        sa.Column("passage_id", sa.String(32), nullable=True),
        cascade_fk("visit_events", "visit_id", "visits", "visit_id"),
        sa.PrimaryKeyConstraint("event_id", name="pk_visit_events"),
    )
    op.create_index("ix_visit_events_visit_id_at", "visit_events", ["visit_id", "at"])
    op.create_table(
        "visit_alerts",
        sa.Column("alert_id", sa.Integer(), autoincrement=True, nullable=False),
        id_column("visit_id"),
        id_column("site_id"),
        sa.Column("kind", sa.String(32), nullable=False),
        time_column("raised_at"),
        sa.Column("details", sa.JSON(), nullable=False),
        time_column("acknowledged_at", nullable=True),
        sa.Column("acknowledged_by", sa.String(200), nullable=True),
        cascade_fk("visit_alerts", "visit_id", "visits", "visit_id"),
        sa.PrimaryKeyConstraint("alert_id", name="pk_visit_alerts"),
        sa.UniqueConstraint("visit_id", "kind", name="uq_visit_alerts_visit_id_kind"),
    )
    op.create_index("ix_visit_alerts_site_id_raised_at", "visit_alerts", ["site_id", "raised_at"])
    op.create_table(
        "refusals",
        sa.Column("refusal_id", sa.Integer(), autoincrement=True, nullable=False),
        id_column("site_id"),
        sa.Column("last_name", sa.String(200), nullable=False),
        sa.Column("first_name", sa.String(200), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("ordered_by", sa.String(32), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        time_column("created_at"),
        time_column("lifted_at", nullable=True),
        sa.Column("lifted_by", sa.String(200), nullable=True),
        site_fk("refusals"),
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
