"""A lane device provisioned and revoked: from the console, with an alert and an audit
entry; its files are owner-only and its token is bound to its lane."""

from __future__ import annotations

import stat
from pathlib import Path

from server_support import Server, add_person, issue_card, present

from portique.bootstrap import open_site
from portique.lane.comms.identity import LaneIdentity
from portique.privacy import audit
from portique.server.lane_devices import provision
from portique.services.lane_devices import API_TOKEN_FILE, lane_registry


def test_provisioning_writes_owner_only_files_and_a_token_bound_to_the_lane(
    server: Server, tmp_path: Path
) -> None:
    device = tmp_path / "device"
    with open_site(server.directory) as site:
        made = provision(site, "sortie", device, now=server.clock.now, by=None)
        identity = LaneIdentity.load(device, site.site_id, "sortie")
        record = lane_registry(site).lane("sortie")
    assert record is not None and record.public_key == identity.signing_key.public_key()
    for path in made.files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    token = (device / API_TOKEN_FILE).read_text().strip()
    lane = server.anonymous()
    lane.headers["Authorization"] = f"Bearer {token}"
    card = issue_card(
        server.signed_in("administration"), add_person(server.signed_in("administration"))
    )
    assert (
        lane.post("/api/v1/passages", json={"lane_id": "entree", "qr_text": card}).status_code
        == 403
    )
    assert present(lane, card, lane_id="sortie")["person_name"] is None


def test_the_console_revokes_a_lost_lane_device_with_an_alert_and_an_audit_entry(
    server: Server, tmp_path: Path
) -> None:
    device = tmp_path / "device"
    with open_site(server.directory) as site:
        provision(site, "entree", device, now=server.clock.now, by=None)
    admin = server.signed_in("administration")
    assert "Révoquer (perdu ou volé)" in admin.get("/lanes").text

    csrf = str(admin.headers["X-CSRF-Token"])
    agent = server.signed_in("agent")
    refused = agent.post("/lanes/entree/revoke", data={"csrf": agent.headers["X-CSRF-Token"]})
    assert refused.status_code == 403
    response = admin.post("/lanes/entree/revoke", data={"csrf": csrf})
    assert response.status_code == 303
    assert "Révoqué" in admin.get("/lanes").text

    token = (device / API_TOKEN_FILE).read_text().strip()
    lane = server.anonymous()
    lane.headers["Authorization"] = f"Bearer {token}"
    assert lane.get("/api/v1/lanes").status_code == 401
    alerts = server.signed_in("agent").get("/api/v1/alerts").json()
    assert any(r["code"] == "lane_revoked" for a in alerts for r in a.get("reasons", []))
    with open_site(server.directory) as site, site.session() as session:
        record = lane_registry(site).lane("entree")
        actions = [entry.action for entry in audit.entries(session, site.site_id)]
    assert record is not None and record.revoked
    assert "lanes.revoke" in actions and "lanes.provision" in actions
