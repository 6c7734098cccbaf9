"""The phone pass app as the server serves it: its own files only, a strict CSP, the
enrolment call with clear errors, and enrolment links from the API and the console."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html import unescape

import pytest
from fastapi.testclient import TestClient
from server_support import Server, add_person

from portique.credentials import (
    CredentialKind,
    HolderAlgorithm,
    PhoneKey,
    verify_credential,
)
from portique.server.phone import FILES, STATIC
from portique.services import create_enrolment_link


def _csrf(client: TestClient) -> str:
    return str(client.headers["X-CSRF-Token"])


def _link_token(server: Server, person_id: str) -> str:
    """A one-time link made through the services; its secret."""
    site = server.app.state.portique.site
    with site.session() as session:
        return create_enrolment_link(session, site.site_id, person_id, now=server.clock.now).token


def _enrol_body(token: str, phone: PhoneKey) -> dict[str, str]:
    raw = phone.holder_key.raw
    return {
        "token": token,
        "algorithm": phone.algorithm.label,
        "public_key": base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }


# The app's files ----------------------------------------------------------------------


def test_the_app_page_has_its_own_strict_policy(server: Server) -> None:
    page = server.anonymous().get("/phone/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self';" in policy
    assert "data:" not in policy and "unsafe" not in policy
    assert page.headers["referrer-policy"] == "no-referrer"
    # The console keeps its own.
    assert (
        "default-src 'self'" in server.anonymous().get("/login").headers["content-security-policy"]
    )


def test_the_app_loads_nothing_from_elsewhere_and_nothing_inline() -> None:
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    addresses = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert addresses
    assert all(a.startswith("/phone/") or a == "#main" for a in addresses), addresses
    assert "<script>" not in html and "style=" not in html
    for name in ("app.js", "sw.js", "app.css"):
        text = (STATIC / name).read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text, name
        assert "eval(" not in text and "innerHTML" not in text, name


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_file_of_the_app_is_served_with_its_type(server: Server, name: str) -> None:
    answer = server.anonymous().get(f"/phone/{name}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].split(";")[0] == FILES[name].split(";")[0]
    assert answer.content == (STATIC / name).read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/phone/index.html",
        "/phone/vendor/qrcode-generator/README.md",
        "/phone/../app.py",
        "/phone/%2e%2e/__init__.py",
        "/phone/nothing.js",
    ],
)
def test_nothing_else_is_served_under_the_app(server: Server, path: str) -> None:
    assert server.anonymous().get(path).status_code == 404


def test_the_service_worker_may_control_the_app(server: Server) -> None:
    answer = server.anonymous().get("/phone/sw.js")
    assert answer.headers["service-worker-allowed"] == "/phone/"
    worker = answer.text
    for name in FILES:
        if not name.endswith("LICENSE") and name != "sw.js":
            assert f'"/phone/{name}"' in worker, f"{name} is not kept for offline use"
    assert '"/phone/"' in worker


def test_the_manifest_makes_the_app_installable() -> None:
    manifest = json.loads((STATIC / "manifest.webmanifest").read_text(encoding="utf-8"))
    assert manifest["start_url"] == manifest["scope"] == "/phone/"
    assert manifest["display"] == "standalone"
    assert manifest["lang"] == "fr"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert icon["src"].removeprefix("/phone/") in FILES


def test_the_vendored_qr_encoder_is_the_published_file_with_its_licence() -> None:
    vendor = STATIC / "vendor" / "qrcode-generator"
    digest = hashlib.sha256((vendor / "qrcode.mjs").read_bytes()).hexdigest()
    assert digest in (vendor / "README.md").read_text(encoding="utf-8")
    licence = (vendor / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in licence and "Kazuhiko Arase" in licence


# Enrolling through the API --------------------------------------------------------------


@pytest.mark.parametrize("algorithm", list(HolderAlgorithm))
def test_a_phone_enrols_once_with_its_link(server: Server, algorithm: HolderAlgorithm) -> None:
    admin = server.signed_in("administration")
    person_id = add_person(admin)
    token = _link_token(server, person_id)
    phone = PhoneKey(algorithm)
    app = server.anonymous()
    answer = app.post("/api/v1/phone/enrol", json=_enrol_body(token, phone))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["name"] == "Paul Bernard"
    assert body["site_name"] == "Lycée Test"
    assert (body["refresh_s"], body["window_s"]) == (5, 30)
    payload = base64.urlsafe_b64decode(body["payload"] + "=" * (-len(body["payload"]) % 4))
    keyring = server.app.state.portique.site.keyring()
    claims = verify_credential(payload, keyring.verifiers(), "lycee-test")
    assert claims.kind is CredentialKind.PHONE
    assert claims.holder_key == phone.holder_key
    assert set(body) == {
        "credential_id", "site_id", "payload", "name", "site_name", "valid_until",
        "refresh_s", "window_s",
    }  # fmt: skip

    again = app.post("/api/v1/phone/enrol", json=_enrol_body(token, PhoneKey()))
    assert again.status_code == 410
    assert again.json()["error"] == "enrolment_link_spent"
    # The console lists the pass like any credential.
    person = admin.get(f"/people/{person_id}")
    assert body["credential_id"] in person.text and "téléphone" in person.text


def test_a_made_up_link_is_a_404_in_the_language_of_the_phone(server: Server) -> None:
    answer = server.anonymous().post(
        "/api/v1/phone/enrol",
        json=_enrol_body("a" * 43, PhoneKey()),
        headers={"Accept-Language": "en-GB,en;q=0.9"},
    )
    assert answer.status_code == 404
    assert answer.json()["error"] == "unknown_enrolment_link"
    assert "does not exist" in answer.json()["message"]


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"public_key": "AAAA"}, 400, "bad_holder_key"),
        ({"algorithm": "ECDSA-P256", "public_key": "BAEB" + "A" * 84}, 400, "bad_holder_key"),
        ({"algorithm": "RSA"}, 422, "invalid_request"),
        ({"public_key": "not base64!"}, 422, "invalid_request"),
        ({"token": ""}, 422, "invalid_request"),
        ({"token": "t" * 129}, 422, "invalid_request"),
        ({"extra": "field"}, 422, "invalid_request"),
    ],
)
def test_a_bad_enrolment_is_a_clear_4xx_and_spends_nothing(
    server: Server, change: dict[str, str], status: int, error: str
) -> None:
    person_id = add_person(server.signed_in("administration"))
    token = _link_token(server, person_id)
    app = server.anonymous()
    answer = app.post("/api/v1/phone/enrol", json={**_enrol_body(token, PhoneKey()), **change})
    assert answer.status_code == status, answer.text
    assert answer.json()["error"] == error
    if "token" not in change:
        good = app.post("/api/v1/phone/enrol", json=_enrol_body(token, PhoneKey()))
        assert good.status_code == 201


# Making links ---------------------------------------------------------------------------


def test_the_administration_makes_a_link_through_the_api(server: Server) -> None:
    admin = server.signed_in("administration")
    person_id = add_person(admin)
    answer = admin.post(f"/api/v1/people/{person_id}/phone-link", json={"minutes": 15})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["link"].startswith("https://testserver/phone/#enrol=")
    token = body["link"].partition("#enrol=")[2]
    enrolled = server.anonymous().post("/api/v1/phone/enrol", json=_enrol_body(token, PhoneKey()))
    assert enrolled.status_code == 201


def test_the_public_url_setting_names_the_site_in_links(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portique.config import get_settings

    monkeypatch.setenv("PORTIQUE_PUBLIC_URL", "https://portique.lycee-test.fr")
    get_settings.cache_clear()
    admin = server.signed_in("administration")
    answer = admin.post(f"/api/v1/people/{add_person(admin)}/phone-link", json={})
    assert answer.json()["link"].startswith("https://portique.lycee-test.fr/phone/#enrol=")


@pytest.mark.parametrize("role", ["agent", "auditor"])
def test_only_the_administration_makes_links(server: Server, role: str) -> None:
    person_id = add_person(server.signed_in("administration"))
    answer = server.signed_in(role).post(f"/api/v1/people/{person_id}/phone-link", json={})
    assert answer.status_code == 403
    assert server.lane().post(f"/api/v1/people/{person_id}/phone-link", json={}).status_code == 403
    someone = server.signed_in(role)
    console = someone.post(f"/people/{person_id}/phone-link", data={"csrf": _csrf(someone)})
    assert console.status_code == 403


def test_the_person_page_shows_a_new_link_once_with_its_qr_code(server: Server) -> None:
    admin = server.signed_in("administration")
    person_id = add_person(admin)
    before = admin.get(f"/people/{person_id}")
    assert "Créer un lien d'enrôlement" in unescape(before.text)
    assert "#enrol=" not in before.text
    forged = admin.post(f"/people/{person_id}/phone-link", data={"csrf": "forged"})
    assert forged.status_code == 403
    page = admin.post(f"/people/{person_id}/phone-link", data={"csrf": _csrf(admin)})
    assert page.status_code == 200, page.text
    match = re.search(r'<code id="phone-link">([^<]+)</code>', page.text)
    assert match and "/phone/#enrol=" in match.group(1)
    assert 'alt="QR code du lien d&#39;enrôlement"' in page.text or "QR code du lien" in unescape(
        page.text
    )
    token = unescape(match.group(1)).partition("#enrol=")[2]
    assert token not in admin.get(f"/people/{person_id}").text
    enrolled = server.anonymous().post("/api/v1/phone/enrol", json=_enrol_body(token, PhoneKey()))
    assert enrolled.status_code == 201


def test_a_static_phone_code_is_no_longer_issued_through_the_api(server: Server) -> None:
    admin = server.signed_in("administration")
    person_id = add_person(admin)
    answer = admin.post("/api/v1/credentials", json={"person_id": person_id, "kind": "phone"})
    assert answer.status_code == 400
    assert "phone-link" in answer.json()["message"]
