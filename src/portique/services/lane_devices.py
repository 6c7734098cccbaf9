"""A site's lane devices: provisioned with their own keys, revoked when lost.

``provision_lane`` makes a lane's identity (its Ed25519 key, its link key, its broker
password), records its public half in the site's lane registry and writes everything the
device needs into one folder (mode 0600); ``revoke_lane`` cuts a device off: the hub
refuses its key, the broker its login. ``site_trust`` is what a hub needs to serve the
site's lanes. The audit entry, the alert and the lane's API tokens are the caller's
(``portique.server.lane_devices``): this module knows only keys and files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from portique.files import KEYS_DIR, SITE_FILE, private_directory, write_private
from portique.i18n import text
from portique.lane.comms.identity import (
    LANE_KEY_FILE,
    LANE_LINK_KEY_FILE,
    SERVER_KEY_FILE,
    LaneRecord,
    LaneRegistry,
    SiteTrust,
    new_lane_identity,
    snapshot_key,
    write_public_key,
    write_signing_key,
)
from portique.lane.comms.link import write_link_key
from portique.services import broker
from portique.services.errors import UnknownLaneError
from portique.services.site import SiteHandle
from portique.store import Sites

BROKER_LOGIN_FILE = "broker.json"
"""In a lane's folder: its broker login."""
API_TOKEN_FILE = "api-token"
"""In a lane's folder: its HTTP API token, bound to it."""


def lane_registry(site: SiteHandle) -> LaneRegistry:
    return LaneRegistry(site.keys_dir)


def site_trust(site: SiteHandle) -> SiteTrust:
    """The site's snapshot key (made on first use) and its lane registry."""
    return SiteTrust(site.site_id, snapshot_key(site.keys_dir), lane_registry(site))


@dataclass(frozen=True)
class ProvisionedLane:
    lane_id: str
    directory: Path
    files: tuple[Path, ...]
    broker_username: str


def check_lane(site: SiteHandle, lane_id: str) -> None:
    """Raises UnknownLaneError when the site has no lane ``lane_id``."""
    with site.session() as session:
        if Sites(session).lane(site.site_id, lane_id) is None:
            raise UnknownLaneError(text(f"Aucune voie {lane_id!r}.", f"No lane {lane_id!r}."))


def provision_lane(
    site: SiteHandle, lane_id: str, out: Path, *, now: datetime, api_token: str | None = None
) -> ProvisionedLane:
    """A new identity for lane ``lane_id`` (replacing any earlier one), written into
    ``out``: ``site.json``, ``keys/lane.key`` (its own signing key),
    ``keys/lane-link.key``, ``keys/snapshot.pub`` (the server's public snapshot key),
    ``broker.json`` (its broker login), ``broker-ca.crt`` and, when given,
    ``api-token``. Files are 0600, folders 0700.

    Raises:
        UnknownLaneError: the site has no such lane.
    """
    check_lane(site, lane_id)
    server_key = snapshot_key(site.keys_dir).public_key()
    identity, record = new_lane_identity(site.site_id, lane_id, server_key, now)
    password = broker.new_password()
    ca = broker.broker_ca(site.keys_dir, now)
    out = private_directory(Path(out))
    keys = private_directory(out / KEYS_DIR)
    write_signing_key(keys / LANE_KEY_FILE, identity.signing_key)
    write_link_key(keys / LANE_LINK_KEY_FILE, identity.link_key)
    write_public_key(keys / SERVER_KEY_FILE, server_key)
    username = broker.lane_username(site.site_id, lane_id)
    files = [
        keys / LANE_KEY_FILE,
        keys / LANE_LINK_KEY_FILE,
        keys / SERVER_KEY_FILE,
        write_private(out / SITE_FILE, (site.directory / SITE_FILE).read_bytes()),
        write_private(
            out / BROKER_LOGIN_FILE,
            json.dumps({"username": username, "password": password}).encode("utf-8") + b"\n",
        ),
        write_private(out / broker.CA_CERT_FILE, ca[1].public_bytes(serialization.Encoding.PEM)),
    ]
    if api_token is not None:
        files.append(write_private(out / API_TOKEN_FILE, api_token.encode("ascii") + b"\n"))
    registry = lane_registry(site)
    registry.put(replace(record, broker_password_hash=broker.mosquitto_hash(password)))
    rewrite_broker_logins(site)
    return ProvisionedLane(lane_id, out, tuple(files), username)


def revoke_lane(site: SiteHandle, lane_id: str, *, now: datetime) -> LaneRecord:
    """Marks lane ``lane_id`` revoked: the hub refuses its key at its next message, and
    its broker login leaves the broker's password and ACL files.

    Raises:
        LinkError: the lane was never provisioned.
    """
    record = lane_registry(site).revoke(lane_id, now)
    rewrite_broker_logins(site)
    return record


def rewrite_broker_logins(site: SiteHandle) -> Path | None:
    """Writes the broker's logins and ACLs again where its configuration was made (the
    broker reads them again on SIGHUP); that folder, or None when there is none."""
    folder = broker.broker_directory(site.keys_dir)
    if folder is None:
        return None
    hub = broker.hub_login(site.keys_dir, site.site_id)
    broker.write_logins(folder, [broker.BrokerSite(site.site_id, hub, lane_registry(site).lanes())])
    return folder
