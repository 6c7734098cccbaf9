"""The console pages: live passages, alerts, referrals, lockdown, roster, administration,
in French by default and in English; and no face data in anything the server sends."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from server_support import Server, add_person, issue_card, present

from portique import serializers
from portique.server.api import schemas


def _form(client: TestClient, path: str, **fields: str) -> int:
    data = {"csrf": client.headers["X-CSRF-Token"], **fields}
    return client.post(path, data=data).status_code


def test_the_live_page_shows_each_lane_with_its_passages_in_plain_words(
    server: Server,
) -> None:
    present(server.lane(), "not a credential")
    page = server.signed_in("agent").get("/live")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Entrée principale" in text
    assert "Sortie principale" in text
    assert "Titre d'accès illisible" in text
    assert "Refusé" in text
    assert '<script src="/static/live.js"' in text


def test_the_console_speaks_english_when_asked_and_remembers_it(server: Server) -> None:
    present(server.lane(), "not a credential")
    agent = server.signed_in("agent")
    english = agent.get("/live?lang=en")
    assert "Unreadable credential" in english.text
    assert 'lang="en"' in english.text
    assert "portique_lang=en" in english.headers["set-cookie"]
    assert "Unreadable credential" in agent.get("/live").text
    browser = server.signed_in("agent")
    assert "Live passages" in browser.get("/live", headers={"Accept-Language": "en"}).text
    assert "Passages en direct" in server.signed_in("agent").get("/live").text


def test_the_agent_decides_a_referral_from_the_alerts_page(server: Server) -> None:
    admin = server.signed_in("administration")
    card = issue_card(admin, add_person(admin))
    server.clock.at(21)
    passage = present(server.lane(), card)
    agent = server.signed_in("agent")
    page = agent.get("/alerts")
    assert passage["passage_id"] in page.text
    assert "Établissement fermé à cette heure" in page.text

    path = f"/passages/{passage['passage_id']}/decision"
    assert _form(agent, path, outcome="grant", comment="Conseil de classe", next="/live") == 303
    assert passage["passage_id"] not in agent.get("/alerts").text
    assert "Conseil de classe" in agent.get("/live").text
    roster = agent.get("/api/v1/roster").json()
    assert [entry["person_id"] for entry in roster["people"]] == [passage["person_id"]]


def test_lockdown_from_the_console_needs_a_confirmation(server: Server) -> None:
    agent = server.signed_in("agent")
    assert _form(agent, "/lockdown", action="start") == 400
    assert agent.get("/api/v1/lockdown").json()["in_force"] is False
    assert _form(agent, "/lockdown", action="start", confirm="yes") == 303
    assert "Mise en sûreté en cours" in agent.get("/lockdown").text
    assert _form(agent, "/lockdown", action="end", confirm="yes") == 303
    assert agent.get("/api/v1/lockdown").json()["in_force"] is False


def test_the_roster_page_is_printable(server: Server) -> None:
    admin = server.signed_in("administration")
    present(server.lane(), issue_card(admin, add_person(admin)))
    page = server.signed_in("agent").get("/roster")
    assert page.status_code == 200
    assert "Bernard Paul" in page.text
    assert 'id="print"' in page.text
    assert "@media print" in server.anonymous().get("/static/console.css").text


def test_the_administration_adds_a_person_issues_and_revokes_a_card(server: Server) -> None:
    admin = server.signed_in("administration")
    csrf = admin.headers["X-CSRF-Token"]
    added = admin.post(
        "/people",
        data={
            "csrf": csrf,
            "last_name": "Lefèvre",
            "first_name": "Inès",
            "birth_date": "1982-05-04",
            "role": "staff",
        },
    )
    assert added.status_code == 303
    person_path = added.headers["location"]
    assert "Lefèvre" in admin.get("/people").text

    issued = admin.post(f"{person_path}/credentials", data={"csrf": csrf})
    assert issued.status_code == 200
    assert "data:image/png;base64," in issued.text
    credential_id = re.search(r"/credentials/([^/]+)/revoke", issued.text)
    assert credential_id
    revoked = admin.post(
        f"/credentials/{credential_id.group(1)}/revoke", data={"csrf": csrf, "reason": "perdu"}
    )
    assert revoked.status_code == 303
    assert "Révoqué" in admin.get(person_path).text


def test_a_person_form_with_a_bad_date_is_shown_again_with_the_error(server: Server) -> None:
    admin = server.signed_in("administration")
    status = _form(admin, "/people", last_name="A", first_name="B", birth_date="32/13/2000")
    assert status == 400


def test_no_face_data_in_any_response(server: Server) -> None:
    """A tour of the API and the console: no template, embedding or image of a face."""
    admin = server.signed_in("administration")
    agent = server.signed_in("agent")
    person_id = add_person(admin)
    given = admin.post(f"/people/{person_id}/consent", data={"csrf": admin.headers["X-CSRF-Token"]})
    assert given.status_code == 303
    card = issue_card(admin, person_id)
    present(server.lane(), card)
    server.clock.at(19)  # closed: a referral, an alert waiting
    present(server.lane(), card)
    responses = [
        admin.get("/api/v1/people"),
        admin.get(f"/api/v1/people/{person_id}"),
        admin.post("/api/v1/credentials", json={"person_id": person_id}),
        admin.get("/people"),
        admin.get(f"/people/{person_id}"),
        admin.get("/people/import"),
        admin.get("/lanes"),
        agent.get("/api/v1/passages"),
        agent.get("/api/v1/alerts"),
        agent.get("/api/v1/roster"),
        agent.get("/api/v1/passages/stream"),
        agent.get("/live"),
        agent.get("/alerts"),
        agent.get("/roster"),
    ]
    for response in responses:
        assert response.status_code in (200, 201), response.request.url
        body = response.text.lower()
        for word in ("template", "embedding", "gabarit", "descriptor", "sealed"):
            assert word not in body, (response.request.url, word)
        assert not response.headers["content-type"].startswith("image/")


def test_no_api_body_has_a_field_for_face_data() -> None:
    for model in [*vars(schemas).values(), *vars(serializers).values()]:
        fields = getattr(model, "model_fields", None)
        if isinstance(fields, dict):
            for name in fields:
                assert not any(w in name for w in ("template", "embedding", "image")), name
