"""Roles of console accounts and API tokens, and what each may see and do."""

from __future__ import annotations

import enum
from collections.abc import Mapping


class Role(enum.StrEnum):
    """Who is calling. ``lane`` is for the API tokens of lanes only, never an account."""

    AGENT = "agent"
    ADMINISTRATION = "administration"
    DPO = "dpo"
    AUDITOR = "auditor"
    REGION = "region"
    """The region's supervision: every site's health in numbers, never a person."""
    LANE = "lane"


ACCOUNT_ROLES: tuple[Role, ...] = (
    Role.AGENT,
    Role.ADMINISTRATION,
    Role.DPO,
    Role.AUDITOR,
    Role.REGION,
)


class Permission(enum.StrEnum):
    VIEW_PASSAGES = "view_passages"
    RECORD_PASSAGE = "record_passage"
    VIEW_ALERTS = "view_alerts"
    REVIEW = "review"
    """Acknowledge an alert, decide a referral."""
    VIEW_LOCKDOWN = "view_lockdown"
    LOCKDOWN = "lockdown"
    VIEW_ROSTER = "view_roster"
    VIEW_LANES = "view_lanes"
    VIEW_PEOPLE = "view_people"
    MANAGE_PEOPLE = "manage_people"
    MANAGE_CREDENTIALS = "manage_credentials"
    MANAGE_CONSENT = "manage_consent"
    VIEW_SITE = "view_site"
    """The site's set-up: zones, lanes, opening hours, class timetables, calendar."""
    MANAGE_SITE = "manage_site"
    """Change class timetables, opening hours and where face comparison is offered."""
    VIEW_VISITS = "view_visits"
    MANAGE_VISITS = "manage_visits"
    """Invite visitors, register walk-ins, check visitors in and out."""
    VIEW_REFUSALS = "view_refusals"
    MANAGE_REFUSALS = "manage_refusals"
    """Bar someone from the site, or lift the bar (court order, head teacher)."""
    MANAGE_DOCUMENTS = "manage_documents"
    """See and generate the information and consent documents, set the contacts they name."""
    MANAGE_ACCOUNTS = "manage_accounts"
    """Disable and enable console accounts, set their passwords, create and revoke API
    tokens (``portique account`` does the same at the command line)."""
    VIEW_REGION = "view_region"
    """Every site's health (lanes online, open alerts, passages, referrals): counts only."""


_P = Permission
PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.AGENT: frozenset(
        {
            _P.VIEW_PASSAGES,
            _P.RECORD_PASSAGE,
            _P.VIEW_ALERTS,
            _P.REVIEW,
            _P.VIEW_LOCKDOWN,
            _P.LOCKDOWN,
            _P.VIEW_ROSTER,
            _P.VIEW_LANES,
            _P.VIEW_VISITS,
            _P.MANAGE_VISITS,
        }
    ),
    Role.ADMINISTRATION: frozenset(
        {
            _P.VIEW_LOCKDOWN,
            _P.VIEW_LANES,
            _P.VIEW_PEOPLE,
            _P.MANAGE_PEOPLE,
            _P.MANAGE_CREDENTIALS,
            _P.MANAGE_CONSENT,
            _P.VIEW_SITE,
            _P.MANAGE_SITE,
            _P.VIEW_VISITS,
            _P.MANAGE_VISITS,
            _P.VIEW_REFUSALS,
            _P.MANAGE_REFUSALS,
            _P.MANAGE_DOCUMENTS,
            _P.MANAGE_ACCOUNTS,
        }
    ),
    # Read-only views for the controller's checks, until the audit trail exists.
    Role.DPO: frozenset(
        {
            _P.VIEW_PASSAGES,
            _P.VIEW_ALERTS,
            _P.VIEW_LOCKDOWN,
            _P.VIEW_LANES,
            _P.VIEW_PEOPLE,
            _P.MANAGE_DOCUMENTS,
        }
    ),
    Role.AUDITOR: frozenset({_P.VIEW_PASSAGES, _P.VIEW_ALERTS, _P.VIEW_LOCKDOWN, _P.VIEW_LANES}),
    Role.REGION: frozenset({_P.VIEW_REGION}),
    Role.LANE: frozenset({_P.RECORD_PASSAGE, _P.VIEW_LANES, _P.VIEW_LOCKDOWN}),
}


def allowed(role: Role, permission: Permission) -> bool:
    return permission in PERMISSIONS[role]
