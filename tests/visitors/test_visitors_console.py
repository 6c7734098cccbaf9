"""The console's visitor pages: reception's forms (invite, walk-in, check-in, check-out),
the path as a timeline, visit alerts on the alerts page, the roster by zone, and the
refusal list for the administration only."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from visitors_support import WORKSHOPS, visit_body

from server.server_support import Server, add_person, present


def _form(client: TestClient, **fields: str | list[str]) -> dict[str, str | list[str]]:
    return {"csrf": client.headers["X-CSRF-Token"], **fields}


def _invite_form(
    client: TestClient, host: str, day: str, **fields: str | list[str]
) -> dict[str, str | list[str]]:
    """The invitation form for Alice Durand, an interview from 10:00 to 11:00 on ``day``."""
    return _form(
        client,
        last_name="Durand",
        first_name="Alice",
        purpose="Entretien",
        host_id=host,
        day=day,
        start="10:00",
        end="11:00",
        **fields,
    )


def _text(response: object) -> str:
    return html.unescape(response.text)  # type: ignore[attr-defined]


def _visit_id(page: str) -> str:
    match = re.search(r'action="/visitors/(v-[a-z0-9]+)/check-', page)
    assert match, page
    return match.group(1)


def test_reception_invites_checks_in_and_follows_the_path(server: Server) -> None:
    admin, agent = server.signed_in("administration"), server.signed_in("agent")
    host = add_person(admin)
    page = agent.get("/visitors")
    assert page.status_code == 200
    assert 'action="/visitors/invite"' in page.text and "Paul" in page.text

    invited = agent.post(
        "/visitors/invite",
        data=_invite_form(agent, host, server.clock.now.date().isoformat(), zones=["main"]),
    )
    assert invited.status_code == 201, _text(invited)
    shown = _text(invited)
    assert 'src="data:image/png;base64,' in shown
    assert "Pas d'adresse e-mail : imprimez le laissez-passer." in shown
    visit_id = _visit_id(shown)
    listed = agent.get(f"/api/v1/visits/{visit_id}").json()
    assert listed["visit"]["status"] == "expected"

    checked = agent.post(f"/visitors/{visit_id}/check-in", data=_form(agent))
    assert (checked.status_code, checked.headers["location"]) == (303, f"/visitors/{visit_id}")
    timeline = _text(agent.get(f"/visitors/{visit_id}"))
    assert 'data-kind="check_in"' in timeline and "sur place" in timeline

    roster = _text(agent.get("/roster"))
    assert "Durand Alice" in roster
    assert 'data-zone=""' in roster  # at reception, counted apart

    left = agent.post(f"/visitors/{visit_id}/check-out", data=_form(agent))
    assert left.headers["location"] == "/visitors"
    assert "parti" in _text(agent.get(f"/visitors/{visit_id}"))


def test_a_wrong_zone_shows_on_the_alerts_page_until_acknowledged(server: Server) -> None:
    admin, agent = server.signed_in("administration"), server.signed_in("agent")
    host = add_person(admin)
    made = agent.post(
        "/api/v1/visits/walk-in",
        json={"last_name": "Petit", "first_name": "Zoé", "purpose": "Livraison", "host_id": host},
    ).json()
    # Without zones, the pass opens every zone: this one opens the main building only.
    assert sorted(made["visit"]["zones"]) == sorted(["main", WORKSHOPS])
    only_main = agent.post(
        "/api/v1/visits/walk-in",
        json={
            "last_name": "Blanc",
            "first_name": "Jules",
            "purpose": "Réunion",
            "host_id": host,
            "zones": ["main"],
        },
    ).json()
    present(server.lane(WORKSHOPS), only_main["pass"]["qr_text"], WORKSHOPS)
    alerts = _text(agent.get("/alerts"))
    assert 'data-visit-alert="wrong_zone"' in alerts
    assert "Visiteur hors de ses zones" in alerts
    alert_id = agent.get("/api/v1/visits/alerts").json()[0]["alert_id"]
    done = agent.post(f"/visitors/alerts/{alert_id}/acknowledge", data=_form(agent, next="/alerts"))
    assert done.headers["location"] == "/alerts"
    assert 'data-visit-alert="wrong_zone"' not in _text(agent.get("/alerts"))


def test_a_barred_walk_in_is_refused_on_the_console(server: Server) -> None:
    admin, agent = server.signed_in("administration"), server.signed_in("agent")
    host = add_person(admin)
    assert agent.get("/refusals").status_code == 403
    assert "/refusals" not in agent.get("/visitors").text
    added = admin.post(
        "/refusals",
        data=_form(
            admin,
            last_name="Leroy",
            first_name="Marc",
            birth_date="1985-04-12",
            reason="Décision de justice",
            ordered_by="court",
            until="2099-12-31",
        ),
    )
    assert added.status_code == 303
    listed = _text(admin.get("/refusals"))
    assert "Leroy" in listed and "décision de justice" in listed

    refused = agent.post(
        "/visitors/walk-in",
        data=_form(
            agent,
            last_name="Leroy",
            first_name="Marc",
            birth_date="1985-04-12",
            purpose="Rendez-vous",
            host_id=host,
            zones=["main"],
        ),
    )
    assert refused.status_code == 201
    assert "Accès refusé" in _text(refused)
    assert 'data-visit-alert="barred"' in _text(agent.get("/alerts"))


def test_a_walk_in_badge_is_handed_over_as_a_pdf(server: Server) -> None:
    admin, agent = server.signed_in("administration"), server.signed_in("agent")
    host = add_person(admin)
    response = agent.post(
        "/visitors/walk-in",
        data=_form(
            agent,
            last_name="Petit",
            first_name="Zoé",
            purpose="Livraison",
            host_id=host,
            zones=["main"],
            badge="pdf",
        ),
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_forms_without_their_token_or_with_bad_input_are_refused(server: Server) -> None:
    admin, agent = server.signed_in("administration"), server.signed_in("agent")
    host = add_person(admin)
    no_token = agent.post("/visitors/walk-in", data={"last_name": "X", "host_id": host})
    assert no_token.status_code == 403
    bad = agent.post(
        "/visitors/invite",
        data=_invite_form(agent, host, "demain"),
    )
    assert bad.status_code == 400
    assert "date invalide" in _text(bad)


def test_reception_scans_a_pass_to_check_in(server: Server) -> None:
    admin, agent = server.signed_in("administration"), server.signed_in("agent")
    host = add_person(admin)
    made = agent.post("/api/v1/visits", json=visit_body(host, server.clock.now)).json()
    scanned = agent.post(
        "/visitors/scan", data=_form(agent, qr_text=made["pass"]["qr_text"], action="in")
    )
    assert scanned.headers["location"] == f"/visitors/{made['visit']['visit_id']}"
    assert "sur place" in _text(agent.get(scanned.headers["location"]))
    garbage = agent.post("/visitors/scan", data=_form(agent, qr_text="PQ:nothing", action="in"))
    assert garbage.status_code == 400
    assert "laissez-passer d'aucune visite" in _text(garbage)
