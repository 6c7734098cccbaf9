"""The console's register import (preview, then apply), the departures and their alerts:
for the right roles only, behind CSRF, and a leaver refused at the lane afterwards."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from server_support import PASSWORD, Server, issue_card, present

from portique.bootstrap import open_site
from portique.registers import set_site_uai
from portique.registers.synthetic import (
    SyntheticSchool,
    export_zip,
    guardians_xml,
    pupils_xml,
    synthetic_school,
)
from portique.server import create_account

UAI = "0130001A"
SCHOOL = synthetic_school(40, uaj=UAI, seed=11)


@pytest.fixture
def server_with_uai(server: Server) -> Server:
    with open_site(server.directory) as site, site.session() as session:
        set_site_uai(session, site.site_id, UAI)
    return server


def _preview(client: TestClient, school: SyntheticSchool, **files: bytes) -> object:
    uploads = {
        "pupils": (
            "ExportXML_ElevesSansAdresses.zip",
            files.get("pupils", export_zip({"ElevesSansAdresses.xml": pupils_xml(school)})),
            "application/zip",
        ),
        "guardians": (
            "ResponsablesAvecAdresses.xml",
            files.get("guardians", guardians_xml(school)),
            "application/xml",
        ),
    }
    return client.post(
        "/registers/preview", data={"csrf": client.headers["X-CSRF-Token"]}, files=uploads
    )


def _text(response: object) -> str:
    return html.unescape(response.text)  # type: ignore[attr-defined]


def _count(page: str, key: str) -> int:
    match = re.search(rf'id="{key}-count">(\d+)<', page)
    assert match, page
    return int(match.group(1))


def _apply(client: TestClient, page: str, **fields: str) -> object:
    token = re.search(r'name="token" value="([^"]+)"', page)
    assert token, page
    return client.post(
        "/registers/apply",
        data={"csrf": client.headers["X-CSRF-Token"], "token": token.group(1), **fields},
    )


def _students(client: TestClient) -> list[dict[str, object]]:
    students: list[dict[str, object]] = client.get(
        "/api/v1/people", params={"role": "student", "limit": 200}
    ).json()
    return students


def test_only_the_administration_imports_and_only_agents_see_departures(
    server_with_uai: Server,
) -> None:
    server = server_with_uai
    for role, code in (("administration", 200), ("agent", 403), ("dpo", 403)):
        assert server.signed_in(role).get("/registers").status_code == code
    assert server.signed_in("agent").get("/departures").status_code == 200
    assert server.signed_in("administration").get("/departures").status_code == 403
    assert server.anonymous().get("/registers").status_code in (303, 401)


def test_the_navigation_leads_each_role_to_its_register_page(server_with_uai: Server) -> None:
    admin = server_with_uai.signed_in("administration").get("/registers").text
    agent = server_with_uai.signed_in("agent").get("/departures").text
    assert '<a href="/registers" aria-current="page">Registres</a>' in admin
    assert 'href="/departures"' not in admin
    assert '<a href="/departures" aria-current="page">Départs</a>' in agent
    assert 'href="/registers"' not in agent


def test_a_preview_writes_nothing_and_applying_it_imports_the_register(
    server_with_uai: Server,
) -> None:
    admin = server_with_uai.signed_in("administration")
    preview = _preview(admin, SCHOOL)
    assert preview.status_code == 200  # type: ignore[attr-defined]
    page = _text(preview)
    assert _count(page, "added") == 40
    assert "rien n'a encore été écrit" in page
    assert _students(admin) == []

    unconfirmed = _apply(admin, page)
    assert unconfirmed.status_code == 400  # type: ignore[attr-defined]
    assert _students(admin) == []

    applied = _apply(admin, _text(_preview(admin, SCHOOL)), confirm="yes")
    assert applied.status_code == 200  # type: ignore[attr-defined]
    assert _count(_text(applied), "added") == 40
    assert len(_students(admin)) == 40
    again = _text(_preview(admin, SCHOOL))
    assert (_count(again, "added"), _count(again, "unchanged")) == (0, 40)


def test_a_preview_cannot_be_applied_twice_nor_by_another_account(
    server_with_uai: Server,
) -> None:
    server = server_with_uai
    with open_site(server.directory) as site:
        create_account(site, "secretariat", PASSWORD, "administration", now=server.clock.now)
    admin = server.signed_in("administration")
    page = _text(_preview(admin, SCHOOL))
    stolen = _apply(server.signed_in("secretariat"), page, confirm="yes")
    assert stolen.status_code == 400  # type: ignore[attr-defined]
    assert _students(admin) == []
    assert _apply(admin, page, confirm="yes").status_code == 200  # type: ignore[attr-defined]
    replay = _apply(admin, page, confirm="yes")
    assert replay.status_code == 400  # type: ignore[attr-defined]
    assert "expiré" in _text(replay)


def test_an_import_without_its_csrf_token_is_refused(server_with_uai: Server) -> None:
    admin = server_with_uai.signed_in("administration")
    del admin.headers["X-CSRF-Token"]
    files = {"pupils": ("e.xml", pupils_xml(SCHOOL), "application/xml")}
    assert admin.post("/registers/preview", files=files).status_code == 403


@pytest.mark.parametrize(
    ("pupils", "message"),
    [
        (pupils_xml(synthetic_school(5, uaj="0590001B")), "0590001B"),
        (b"Nom;Prenom\nA;B\n", "XML"),
        (export_zip({"ElevesSansAdresses.xml": pupils_xml(SCHOOL)})[:900], "ZIP"),
    ],
)
def test_an_unusable_export_is_a_400_with_its_reason_and_nothing_imported(
    server_with_uai: Server, pupils: bytes, message: str
) -> None:
    admin = server_with_uai.signed_in("administration")
    response = _preview(admin, SCHOOL, pupils=pupils)
    assert response.status_code == 400  # type: ignore[attr-defined]
    page = _text(response)
    assert message in page and "Rien n'a été importé" in page
    assert _students(admin) == []


def test_a_site_without_uai_is_asked_for_it_and_can_record_it(server: Server) -> None:
    admin = server.signed_in("administration")
    assert "Aucun code UAI" in _text(admin.get("/registers"))
    assert _preview(admin, SCHOOL).status_code == 400  # type: ignore[attr-defined]
    saved = admin.post("/registers/uai", data={"csrf": admin.headers["X-CSRF-Token"], "uai": UAI})
    assert saved.status_code == 303
    assert 'id="uai">0130001A<' in admin.get("/registers").text
    bad = admin.post("/registers/uai", data={"csrf": admin.headers["X-CSRF-Token"], "uai": "x"})
    assert bad.status_code == 400


def test_a_leaver_is_listed_alerted_to_the_agents_and_refused_at_the_lane(
    server_with_uai: Server,
) -> None:
    server = server_with_uai
    admin = server.signed_in("administration")
    _apply(admin, _text(_preview(admin, SCHOOL)), confirm="yes")
    leaver = SCHOOL.pupils[0]
    person = next(
        p
        for p in _students(admin)
        if (p["last_name"], p["first_name"]) == (leaver.last_name, leaver.first_name)
    )
    card = issue_card(admin, str(person["person_id"]))
    assert present(server.lane(), card)["outcome"] == "grant"

    applied = _apply(
        admin, _text(_preview(admin, SCHOOL.without([leaver.eleve_id]))), confirm="yes"
    )
    page = _text(applied)
    assert (_count(page, "left"), _count(page, "revoked")) == (1, 1)
    assert leaver.last_name in _text(admin.get("/registers"))

    refused = present(server.lane(), card)
    assert refused["outcome"] == "deny"
    assert [reason["code"] for reason in refused["reasons"]] == ["revoked"]  # type: ignore[attr-defined]

    agent = server.signed_in("agent")
    alerts = _text(agent.get("/alerts"))
    assert f"{leaver.first_name} {leaver.last_name}" in alerts
    departure = re.search(r'name="departure" value="(\d+)"', alerts)
    assert departure
    acknowledged = agent.post(
        "/departures/acknowledge",
        data={
            "csrf": agent.headers["X-CSRF-Token"],
            "departure": departure.group(1),
            "next": "/alerts",
        },
    )
    assert acknowledged.status_code == 303
    # The departure alert is gone (the refused passage stays, an alert of its own).
    assert f'name="departure" value="{departure.group(1)}"' not in agent.get("/alerts").text
    departures = _text(agent.get("/departures"))
    assert leaver.last_name in departures
    assert '<button type="submit">Tout acquitter</button>' in departures
