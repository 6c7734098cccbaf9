"""Provisioning and revoking a lane device, audited: what the command line and the console
call (the keys and files themselves are ``portique.services.lane_devices``'s)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from portique.access import Reason
from portique.lane.comms.identity import LaneRecord
from portique.lane.comms.mqtt import alert_event
from portique.privacy import audit
from portique.server.accounts import create_api_token, revoke_lane_tokens
from portique.server.roles import Role
from portique.services.lane_devices import ProvisionedLane, check_lane, provision_lane, revoke_lane
from portique.services.lanes import StoreSink
from portique.services.site import SiteHandle


def provision(
    site: SiteHandle, lane_id: str, out: Path, *, now: datetime, by: str | None
) -> ProvisionedLane:
    """Provisions lane ``lane_id`` into ``out`` with its HTTP API token (bound to the
    lane; its earlier identity and tokens, if any, are replaced) and records it in the
    audit log."""
    check_lane(site, lane_id)
    revoke_lane_tokens(site, lane_id, now=now)  # the earlier device's, if any
    token = create_api_token(site, f"lane {lane_id}", Role.LANE, now=now, lane_id=lane_id)
    made = provision_lane(site, lane_id, out, now=now, api_token=token)
    details = {"broker_username": made.broker_username}
    _audit(site, "lanes.provision", lane_id, now=now, by=by, details=details)
    return made


def revoke(site: SiteHandle, lane_id: str, *, now: datetime, by: str | None) -> LaneRecord:
    """Cuts lane ``lane_id``'s device off (its key refused by the hub, its broker login
    removed), raises an alert for the agents and records it in the audit log."""
    record = revoke_lane(site, lane_id, now=now)
    revoke_lane_tokens(site, lane_id, now=now)
    StoreSink(site.session, site.passages).store(
        [alert_event(site.site_id, lane_id, Reason.LANE_REVOKED, now)]
    )
    _audit(site, "lanes.revoke", lane_id, now=now, by=by)
    return record


def _audit(
    site: SiteHandle,
    action: str,
    lane_id: str,
    *,
    now: datetime,
    by: str | None,
    details: dict[str, str] | None = None,
) -> None:
    """Records ``action`` on lane ``lane_id`` in the audit log, in a transaction of its own."""
    with site.session() as session:
        audit.record(
            session,
            site_id=site.site_id,
            action=action,
            target=f"lanes:{lane_id}",
            details=details,
            actor=by,
            at=now,
        )
