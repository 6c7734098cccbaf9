"""``GET /api/v1/alerts/waiting``: what waits for the agents, the counter of every page."""

from __future__ import annotations

import re

from server_support import Server, add_person, issue_card, present


def test_the_counter_counts_referrals_and_alerts_until_they_are_answered(server: Server) -> None:
    admin = server.signed_in("administration")
    card = issue_card(admin, add_person(admin))
    lost = add_person(admin, last_name="Roux", first_name="Anne")
    lost_card = admin.post("/api/v1/credentials", json={"person_id": lost}).json()
    admin.post(f"/api/v1/credentials/{lost_card['credential_id']}/revoke", json={"reason": "perte"})
    agent = server.signed_in("agent")
    assert agent.get("/api/v1/alerts/waiting").json() == {
        "count": 0, "referrals": 0, "alerts": 0, "latest": [], "offline_lanes": [],
        "lockdown": False,
    }  # fmt: skip

    server.clock.at(21)  # closed: referred to the agent
    agent = server.signed_in("agent")
    referral = present(server.lane(), card)
    server.clock.advance(minutes=1)
    alert = present(server.lane(), lost_card["qr_text"])
    waiting = agent.get("/api/v1/alerts/waiting").json()
    assert (waiting["count"], waiting["referrals"], waiting["alerts"]) == (2, 1, 1)
    # Both are listed (the newest first; the order of two passages recorded in the same
    # second is not part of the answer's contract).
    assert sorted(waiting["latest"], key=lambda item: item["kind"]) == [
        {"passage_id": alert["passage_id"], "kind": "alert"},
        {"passage_id": referral["passage_id"], "kind": "referral"},
    ]
    page = agent.get("/roster")
    assert re.search(r'id="waiting"[^>]*data-count="2"', page.text)

    agent.post(f"/api/v1/alerts/{alert['passage_id']}/acknowledge")
    assert agent.get("/api/v1/alerts/waiting").json()["count"] == 1


def test_the_administration_has_no_counter(server: Server) -> None:
    admin = server.signed_in("administration")
    assert admin.get("/api/v1/alerts/waiting").status_code == 403
    assert 'id="waiting"' not in admin.get("/people").text
