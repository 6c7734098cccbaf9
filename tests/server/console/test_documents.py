"""The console's Documents page: open to the administration and the DPO only, it warns
until the documents are generated and again once the configuration they describe has
changed, serves only the files of its catalogue, and keeps the contacts they name."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from server_support import Server

from portique.bootstrap import open_site
from portique.privacy import audit

CONTACTS = {
    "controller": "",
    "controller_address": "1 rue de l'École, 13001 Marseille",
    "dpo": "DPD de l'académie",
    "dpo_email": "dpd@ac-exemple.fr",
    "dpo_address": "",
    "notice_url": "https://lycee-test.fr/donnees",
    "recipients": "La Région, qui héberge le serveur\n\n",
}


def _text(client: TestClient, path: str = "/documents") -> str:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return html.unescape(response.text).replace("\u00a0", " ").replace("\u202f", " ")


def _post(client: TestClient, path: str, **data: str) -> object:
    return client.post(path, data={"csrf": client.headers["X-CSRF-Token"], **data})


@pytest.mark.parametrize(("role", "status"), [("agent", 403), ("auditor", 403), ("dpo", 200)])
def test_the_documents_page_is_for_the_administration_and_the_dpo(
    server: Server, role: str, status: int
) -> None:
    assert server.signed_in(role).get("/documents").status_code == status
    admin = _text(server.signed_in("administration"), "/people")
    assert 'href="/documents"' in admin
    assert server.anonymous().get("/documents").status_code in (303, 401)


def test_the_page_warns_until_generated_and_again_when_the_configuration_changes(
    server: Server, chromium: Path
) -> None:
    admin = server.signed_in("administration")
    page = _text(admin)
    assert "n'ont jamais été générés" in page
    assert "non utilisée (aucune biométrie)" in page  # this site compares no faces
    assert "Aucune voie ne compare les visages" in page

    generated = _post(admin, "/documents/generate")
    assert generated.status_code == 303  # type: ignore[attr-defined]
    page = _text(admin)
    assert "Les documents décrivent la configuration actuelle." in page
    assert "account:administration" in page
    for name in ("notice-eleves-familles.pdf", "affiche-a3.pdf", "notice-visiteurs.html"):
        assert f'href="/documents/files/{name}"' in page
    assert "consentement-majeur" not in page
    pdf = admin.get("/documents/files/notice-eleves-familles.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"].startswith("attachment")
    assert (server.directory / "documents" / "affiche-a4.pdf").is_file()
    with open_site(server.directory) as site, site.session() as session:
        entry = audit.entries(session, site.site_id, limit=1, newest_first=True)[0]
    assert (entry.action, entry.actor) == ("documents.generate", "account:administration")
    assert entry.at == server.clock.now

    assert _post(admin, "/documents/contacts", **CONTACTS).status_code == 303  # type: ignore[attr-defined]
    page = _text(admin)
    assert "La configuration a changé depuis la dernière génération" in page
    assert entry.details["configuration_version"] in page  # the version described then
    # The DPO sees the same warning.
    assert "La configuration a changé" in _text(server.signed_in("dpo"))


@pytest.mark.parametrize(
    "name",
    [
        "..%2Fportique.db",
        "..%2F..%2Fsite.json",
        "portique.db",
        "site.json",
        "notice-eleves-familles.exe",
        "notice-eleves-familles",
        "affiche-a3.pdf",  # a known name, never generated here
    ],
)
def test_only_generated_files_of_the_catalogue_are_served(server: Server, name: str) -> None:
    (server.directory / "documents").mkdir(exist_ok=True)
    (server.directory / "documents" / "portique.db").write_bytes(b"secret")
    response = server.signed_in("administration").get(f"/documents/files/{name}")
    assert response.status_code == 404
    assert b"secret" not in response.content


def test_agents_cannot_fetch_the_files(server: Server) -> None:
    (server.directory / "documents").mkdir(exist_ok=True)
    (server.directory / "documents" / "affiche-a4.html").write_text("<p>affiche</p>")
    assert server.signed_in("agent").get("/documents/files/affiche-a4.html").status_code == 403
    assert server.signed_in("dpo").get("/documents/files/affiche-a4.html").status_code == 200


def test_the_contacts_are_kept_and_a_malformed_one_is_refused(server: Server) -> None:
    admin = server.signed_in("administration")
    refused = _post(admin, "/documents/contacts", **{**CONTACTS, "dpo_email": "dpd at ac"})
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "courriel du DPD" in html.unescape(refused.text)  # type: ignore[attr-defined]
    assert "dpd@ac-exemple.fr" not in _text(admin)

    assert _post(admin, "/documents/contacts", **CONTACTS).status_code == 303  # type: ignore[attr-defined]
    page = _text(admin)
    for value in ("dpd@ac-exemple.fr", "DPD de l'académie", "https://lycee-test.fr/donnees"):
        assert f'value="{value}"' in page
    assert ">La Région, qui héberge le serveur</textarea>" in page
    assert "À compléter" not in page  # every needed field is there now

    forged = admin.post("/documents/contacts", data={**CONTACTS, "dpo": "Forgé"})
    assert forged.status_code == 403
    assert server.signed_in("agent").post(
        "/documents/generate", data={"csrf": "x"}
    ).status_code in (403,)
