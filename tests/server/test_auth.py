"""Signing in, throttling, roles, CSRF, cookies, API tokens and security headers."""

from __future__ import annotations

from pathlib import Path

import pytest
from server_support import PASSWORD, Server, login, login_csrf, serve
from sqlalchemy import select

from portique.bootstrap import open_site
from portique.server import create_account
from portique.server.errors import AccountInputError
from portique.store.models import AccountRow


def test_an_agent_signs_in_with_the_login_form_and_lands_on_the_live_page(
    server: Server,
) -> None:
    client = server.anonymous()
    response = login(client, "agent", PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/live"
    cookie = next(
        value
        for name, value in response.headers.multi_items()
        if name == "set-cookie" and value.startswith("__Host-portique_session=")
    )
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "SameSite=strict" in cookie
    assert client.get("/live").status_code == 200


def test_cookies_lose_secure_only_when_served_over_plain_http(
    server: Server, tmp_path: Path
) -> None:
    plain = serve(server.directory, server.lane_token, server.clock, plain_http=True)
    client = plain.anonymous()
    response = login(client, "agent", PASSWORD)
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "Secure" not in cookie
    assert "Strict-Transport-Security" not in response.headers


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(
    server: Server,
) -> None:
    client = server.anonymous()
    wrong_password = login(client, "agent", "not the password")
    unknown_account = login(client, "nobody", PASSWORD)
    assert wrong_password.status_code == unknown_account.status_code == 401
    assert "Identifiant ou mot de passe incorrect" in wrong_password.text
    assert "Identifiant ou mot de passe incorrect" in unknown_account.text
    assert "portique_session" not in wrong_password.headers.get("set-cookie", "")


def test_failed_logins_slow_down_their_name_from_their_address_without_shutting_the_account(
    server: Server,
) -> None:
    client = server.anonymous()
    statuses = [login(client, "agent", f"guess number {n}").status_code for n in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert login(client, "agent", PASSWORD).status_code == 429
    server.clock.advance(seconds=2)
    assert login(client, "agent", PASSWORD).status_code == 303


def test_a_client_making_too_many_attempts_is_slowed_down(server: Server) -> None:
    limited = serve(server.directory, server.lane_token, server.clock, login_failures_per_address=2)
    client = limited.anonymous()
    assert login(client, "nobody", "x" * 12).status_code == 401
    assert login(client, "someone", "x" * 12).status_code == 401
    assert login(client, "agent", PASSWORD).status_code == 429


def test_a_login_without_its_form_token_is_refused(server: Server) -> None:
    client = server.anonymous()
    login_csrf(client)
    response = client.post(
        "/login", data={"username": "agent", "password": PASSWORD, "csrf": "forged"}
    )
    assert response.status_code == 403


def test_passwords_are_stored_as_argon2_hashes(server: Server) -> None:
    with open_site(server.directory) as site, site.session() as session:
        hashes = session.scalars(select(AccountRow.password_hash)).all()
    assert hashes
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


@pytest.mark.parametrize(
    ("username", "password", "role"),
    [
        ("agent", PASSWORD, "agent"),  # taken
        ("Bad Name!", PASSWORD, "agent"),
        ("newcomer", "short", "agent"),
        ("newcomer", PASSWORD, "lane"),
        ("newcomer", PASSWORD, "headmaster"),
    ],
)
def test_an_account_is_refused_with_a_reason(
    server: Server, username: str, password: str, role: str
) -> None:
    with open_site(server.directory) as site, pytest.raises(AccountInputError):
        create_account(site, username, password, role, now=server.clock.now)


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("agent", "/api/v1/people"),
        ("agent", "/people"),
        ("administration", "/api/v1/alerts"),
        ("administration", "/live"),
        ("administration", "/api/v1/roster"),
        ("auditor", "/api/v1/people"),
        ("dpo", "/roster"),
    ],
)
def test_a_role_cannot_reach_what_its_job_does_not_need(
    server: Server, role: str, path: str
) -> None:
    assert server.signed_in(role).get(path).status_code == 403


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("agent", "/api/v1/lockdown/start"),
        ("administration", "/api/v1/lockdown/start"),
        ("dpo", "/api/v1/credentials/x/revoke"),
        ("auditor", "/api/v1/alerts/x/acknowledge"),
    ],
)
def test_read_only_and_other_roles_cannot_write(server: Server, role: str, path: str) -> None:
    status = server.signed_in(role).post(path, json={"reason": "x"}).status_code
    assert status == (200 if role == "agent" else 403)


def test_an_api_token_works_for_its_role_only(server: Server) -> None:
    lane = server.lane()
    assert lane.get("/api/v1/lanes").status_code == 200
    assert lane.get("/api/v1/people").status_code == 403
    assert lane.get("/api/v1/passages").status_code == 403


def test_without_credentials_the_api_answers_401_and_pages_send_to_login(
    server: Server,
) -> None:
    client = server.anonymous()
    response = client.get("/api/v1/passages")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert client.get("/live").headers["location"] == "/login"
    forged = client.get("/api/v1/lanes", headers={"Authorization": "Bearer pqt_forged"})
    assert forged.status_code == 401


def test_an_api_write_with_a_session_cookie_needs_the_csrf_header(server: Server) -> None:
    agent = server.signed_in("agent")
    del agent.headers["X-CSRF-Token"]
    response = agent.post("/api/v1/lockdown/start")
    assert response.status_code == 403
    assert response.json()["error"] == "csrf"
    assert agent.get("/api/v1/lockdown").json()["in_force"] is False


def test_a_console_form_without_its_csrf_token_is_refused(server: Server) -> None:
    agent = server.signed_in("agent")
    response = agent.post("/lockdown", data={"action": "start", "confirm": "yes"})
    assert response.status_code == 403
    forged = agent.post("/lockdown", data={"action": "start", "confirm": "yes", "csrf": "forged"})
    assert forged.status_code == 403
    assert agent.get("/api/v1/lockdown").json()["in_force"] is False


def test_signing_out_ends_the_session(server: Server) -> None:
    agent = server.signed_in("agent")
    csrf = agent.headers["X-CSRF-Token"]
    assert agent.post("/logout", data={"csrf": csrf}).status_code == 303
    assert agent.get("/api/v1/passages").status_code == 401


@pytest.mark.parametrize("path", ["/login", "/api/v1/lanes", "/static/console.css", "/nowhere"])
def test_every_response_carries_the_security_headers(server: Server, path: str) -> None:
    response = server.lane().get(path)
    headers = response.headers
    assert headers["content-security-policy"].startswith("default-src 'self'")
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert "max-age" in headers["strict-transport-security"]
