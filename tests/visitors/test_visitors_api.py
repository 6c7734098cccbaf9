"""Visitors through the API: from the invitation (its pass e-mailed to a real SMTP server)
to the check-out, with the roster and the alerts right at each step; walk-ins, the
refusal list and who may do what."""

from __future__ import annotations

import base64
import email
from datetime import timedelta
from email.policy import default

from fastapi.testclient import TestClient
from visitors_support import WORKSHOPS, Inbox, visit_body

from portique.credentials import decode_qr, payload_to_text
from server.server_support import Server, add_person, present


def _roster(client: TestClient) -> tuple[dict[str | None, int], dict[str, str | None]]:
    """Counts per zone (None: reception), and the zone of each person on site."""
    body = client.get("/api/v1/roster").json()
    assert body["count"] == len(body["people"])
    zones = {zone["zone_id"]: zone["count"] for zone in body["zones"]}
    return zones, {person["name"]: person["zone_id"] for person in body["people"]}


def _open_alerts(client: TestClient) -> list[str]:
    return [alert["kind"] for alert in client.get("/api/v1/visits/alerts").json()]


def test_a_visit_from_invitation_to_check_out(server: Server, inbox: Inbox) -> None:
    admin, agent, lane = (
        server.signed_in("administration"),
        server.signed_in("agent"),
        server.lane(),
    )
    host = add_person(admin)
    clock = server.clock
    start, end = clock.now + timedelta(minutes=30), clock.now + timedelta(minutes=90)
    invited = agent.post(
        "/api/v1/visits",
        json=visit_body(host, start, email="alice@example.org", zones=["main"]),
    )
    assert invited.status_code == 201, invited.text
    body = invited.json()
    visit_id = body["visit"]["visit_id"]
    assert body["email"] == {"sent": True, "error": None}
    assert body["visit"]["status"] == "expected"
    assert body["visit"]["host_name"] == "Paul Bernard"

    # The pass is the QR code of the e-mail's attachment.
    ((_, recipients, content),) = inbox.messages
    assert recipients == ["alice@example.org"]
    (attachment,) = email.message_from_bytes(content, policy=default).iter_attachments()
    qr_text = payload_to_text(decode_qr(attachment.get_content()))
    assert qr_text == body["pass"]["qr_text"]
    assert _roster(agent) == ({"main": 0, WORKSHOPS: 0}, {})

    clock.advance(minutes=25)
    checked_in = agent.post(f"/api/v1/visits/{visit_id}/check-in").json()
    assert (checked_in["visit"]["status"], checked_in["alert"]) == ("on_site", None)
    assert _roster(agent) == ({"main": 0, WORKSHOPS: 0, None: 1}, {"Durand Alice": None})

    clock.advance(minutes=5)
    assert present(lane, qr_text)["outcome"] == "grant"
    assert _roster(agent) == ({"main": 1, WORKSHOPS: 0}, {"Durand Alice": "main"})
    assert _open_alerts(agent) == []

    clock.advance(minutes=10)
    refused = present(server.lane(WORKSHOPS), qr_text, WORKSHOPS)
    assert refused["outcome"] == "deny"
    assert "wrong_zone" in [reason["code"] for reason in refused["reasons"]]
    assert _open_alerts(agent) == ["wrong_zone"]
    assert _roster(agent) == ({"main": 1, WORKSHOPS: 0}, {"Durand Alice": "main"})

    clock.now = end + timedelta(minutes=1)
    alerts = agent.get("/api/v1/visits/alerts").json()
    assert [alert["kind"] for alert in alerts] == ["overstay", "wrong_zone"]
    acknowledged = agent.post(f"/api/v1/visits/alerts/{alerts[1]['alert_id']}/acknowledge")
    assert acknowledged.json()["acknowledged_by"] == "account:agent"
    assert _open_alerts(agent) == ["overstay"]

    clock.advance(minutes=4)
    checked_out = agent.post(f"/api/v1/visits/{visit_id}/check-out")
    assert checked_out.json()["visit"]["status"] == "left"
    assert _roster(agent) == ({"main": 0, WORKSHOPS: 0}, {})
    assert agent.post(f"/api/v1/visits/{visit_id}/check-out").status_code == 409
    assert present(lane, qr_text)["outcome"] == "deny"

    visit = agent.get(f"/api/v1/visits/{visit_id}").json()
    assert [(e["kind"], e["checkpoint"], e["allowed"]) for e in visit["path"]] == [
        ("check_in", "accueil", True),
        ("checkpoint", "entree", True),
        ("checkpoint", WORKSHOPS, False),
        ("check_out", "accueil", True),
        ("checkpoint", "entree", False),
    ]
    # No image, template or score anywhere in what the API says about the visit.
    assert "template" not in str(visit) and "score" not in str(visit)


def test_a_walk_in_gets_a_badge_and_a_barred_one_is_flagged(server: Server) -> None:
    admin, agent = server.signed_in("administration"), server.signed_in("agent")
    host = add_person(admin)
    barred = admin.post(
        "/api/v1/refusals",
        json={
            "last_name": "Leroy",
            "first_name": "Marc",
            "birth_date": "1985-04-12",
            "reason": "Interdiction prononcée par le chef d'établissement",
            "ordered_by": "head_teacher",
            "until": (server.clock.now + timedelta(days=90)).date().isoformat(),
        },
    )
    assert barred.status_code == 201, barred.text
    refusal_id = barred.json()["refusal_id"]

    walk_in = {"purpose": "Livraison", "host_id": host, "zones": ["main"]}
    welcomed = agent.post(
        "/api/v1/visits/walk-in", json={"last_name": "Petit", "first_name": "Zoé", **walk_in}
    )
    assert welcomed.status_code == 201, welcomed.text
    assert welcomed.json()["visit"]["status"] == "on_site"
    assert base64.b64decode(welcomed.json()["badge_pdf"]).startswith(b"%PDF")

    refused = agent.post(
        "/api/v1/visits/walk-in",
        json={"last_name": "LEROY", "first_name": "marc", "birth_date": "1985-04-12", **walk_in},
    )
    assert refused.status_code == 201, refused.text
    body = refused.json()
    assert (body["visit"]["status"], body["alert"], body["pass"], body["badge_pdf"]) == (
        "refused",
        "barred",
        None,
        None,
    )
    assert _open_alerts(agent) == ["barred"]
    assert [person for person in _roster(agent)[1]] == ["Petit Zoé"]

    invitation = agent.post(
        "/api/v1/visits",
        json={
            "last_name": "Leroy",
            "first_name": "Marc",
            "purpose": "Rendez-vous",
            "host_id": host,
            "expected_from": (server.clock.now + timedelta(hours=1)).isoformat(),
            "expected_until": (server.clock.now + timedelta(hours=2)).isoformat(),
        },
    )
    assert (invitation.status_code, invitation.json()["error"]) == (403, "visitor_barred")

    lifted = admin.post(f"/api/v1/refusals/{refusal_id}/lift").json()
    assert lifted["lifted_by"] == "account:administration"
    assert admin.get("/api/v1/refusals").json() == []
    assert len(admin.get("/api/v1/refusals?all=true").json()) == 1


def test_each_role_does_only_its_part(server: Server) -> None:
    admin = server.signed_in("administration")
    host = add_person(admin)
    walk_in = {"last_name": "Petit", "first_name": "Zoé", "purpose": "Livraison", "host_id": host}
    refusal = {
        "last_name": "Leroy",
        "first_name": "Marc",
        "birth_date": "1985-04-12",
        "reason": "Décision de justice",
        "ordered_by": "court",
        "until": "2099-01-01",
    }
    assert (
        server.signed_in("auditor").post("/api/v1/visits/walk-in", json=walk_in).status_code == 403
    )
    assert server.signed_in("auditor").get("/api/v1/visits").status_code == 403
    assert server.signed_in("agent").post("/api/v1/refusals", json=refusal).status_code == 403
    assert server.signed_in("agent").get("/api/v1/refusals").status_code == 403
    assert server.lane().get("/api/v1/visits").status_code == 403
    assert server.signed_in("dpo").get("/api/v1/refusals").status_code == 403
    assert server.anonymous().get("/api/v1/visits").status_code == 401


def test_visit_inputs_are_checked(server: Server) -> None:
    admin, agent = server.signed_in("administration"), server.signed_in("agent")
    student = add_person(admin, role="student", birth_date="2010-01-01", groups=["2nde A"])
    now = server.clock.now
    body = visit_body(student, now)
    refused = agent.post("/api/v1/visits", json=body)
    assert (refused.status_code, refused.json()["error"]) == (400, "bad_visit")
    assert agent.post("/api/v1/visits", json={**body, "badge": 1}).status_code == 422
    assert agent.get("/api/v1/visits/v-nothing").status_code == 404
    assert agent.post("/api/v1/visits/alerts/999/acknowledge").status_code == 404


def test_reception_checks_in_and_out_by_scanning_the_pass(server: Server) -> None:
    admin, agent = server.signed_in("administration"), server.signed_in("agent")
    host = add_person(admin)
    now = server.clock.now
    invited = agent.post("/api/v1/visits", json=visit_body(host, now)).json()
    scanned = {"qr_text": invited["pass"]["qr_text"]}
    arrived = agent.post("/api/v1/visits/check-in", json=scanned).json()
    assert (arrived["visit"]["visit_id"], arrived["visit"]["status"]) == (
        invited["visit"]["visit_id"],
        "on_site",
    )
    assert agent.post("/api/v1/visits/check-in", json=scanned).json()["alert"] == "pass_reused"
    assert agent.post("/api/v1/visits/check-out", json=scanned).json()["visit"]["status"] == "left"
    card = admin.post("/api/v1/credentials", json={"person_id": host}).json()["qr_text"]
    unknown = agent.post("/api/v1/visits/check-in", json={"qr_text": card})
    assert (unknown.status_code, unknown.json()["error"]) == (404, "unknown_visit")
