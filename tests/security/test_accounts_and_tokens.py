"""Issue 16, finding 2 (accounts) and 8 (cookies): a password policy with a strength
estimator, accounts disabled, enabled and given a new password, API tokens created,
listed and revoked from the command line, every change in the audit log; console
cookies under the ``__Host-`` prefix."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from server_support_for_security import PASSWORD, Server, login, served

from cli_support import Cli
from portique import clock
from portique.bootstrap import open_site
from portique.privacy.audit import AuditEntry, entries
from portique.server.accounts import authenticate, token_principal
from portique.server.errors import AuthenticationError

STRONG = "velvet compass orchard lantern"


@pytest.fixture
def site(sqlite_cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("PORTIQUE_PASSWORD", STRONG)
    sqlite_cli.json("account", "add", "claire", "--role", "agent", "--name", "Claire Martin")
    return sqlite_cli


def signs_in(cli: Cli, password: str) -> bool:
    with open_site(cli.directory) as handle:
        try:
            authenticate(handle, "claire", password, now=clock.now())
        except AuthenticationError:
            return False
    return True


@pytest.mark.parametrize(
    "password",
    [
        " " * 10,
        "password1234",
        "azertyuiop",
        "motdepasse123",
        "1234567890",
        "claire2026!",
        "Claire Martin",
        "portique-portique",
    ],
)
def test_a_guessable_password_is_refused_in_one_line(
    sqlite_cli: Cli, monkeypatch: pytest.MonkeyPatch, password: str
) -> None:
    monkeypatch.setenv("PORTIQUE_PASSWORD", password)
    name = ("--name", "Claire Martin")
    result = sqlite_cli.run("account", "add", "claire", "--role", "agent", *name)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_a_new_password_replaces_the_old_one_and_is_audited(
    site: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTIQUE_PASSWORD", "granite meadow falcon whisper")
    assert site.json("account", "password", "claire")["username"] == "claire"
    assert signs_in(site, "granite meadow falcon whisper")
    assert not signs_in(site, STRONG)
    monkeypatch.setenv("PORTIQUE_PASSWORD", "qwertyuiop")
    assert site.json("account", "password", "claire", code=2)["error"] == "bad_account"
    changes = _changes(site, "accounts")
    assert any("password_hash" in str(entry.details) for entry in changes)
    assert all("granite" not in str(entry.details) for entry in changes)
    assert all(entry.actor.startswith("cli:") for entry in changes)


def test_a_disabled_account_cannot_sign_in_until_enabled(site: Cli) -> None:
    assert site.json("account", "disable", "claire")["active"] is False
    assert not signs_in(site, STRONG)
    assert site.json("account", "enable", "claire")["active"] is True
    assert signs_in(site, STRONG)
    assert len(_changes(site, "accounts")) >= 3


def test_an_unknown_account_is_one_clear_line(site: Cli) -> None:
    result = site.run("account", "disable", "nobody")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_token_is_created_listed_and_revoked(site: Cli) -> None:
    created = site.json("account", "token", "create", "Pronote sync", "--role", "administration")
    secret, token_id = created["token"], created["token_id"]
    assert _holder(site, secret) == "Pronote sync"
    listed = site.json("account", "token", "list")
    assert listed == [_listed(listed[0], token_id, revoked=False)]
    assert secret not in str(listed)
    revoked = site.json("account", "token", "revoke", token_id)
    assert revoked["revoked_at"] is not None
    assert _holder(site, secret) is None
    assert site.json("account", "token", "list")[0]["revoked_at"] is not None
    assert len(_changes(site, "api_tokens")) == 2
    assert site.json("account", "token", "revoke", "0" * 12, code=2)["error"] == "bad_account"


def _listed(row: dict[str, object], token_id: str, *, revoked: bool) -> dict[str, object]:
    assert row["token_id"] == token_id and row["name"] == "Pronote sync"
    assert (row["revoked_at"] is not None) is revoked
    return row


def _holder(cli: Cli, secret: str) -> str | None:
    with open_site(cli.directory) as handle, handle.session() as session:
        principal = token_principal(session, handle.site_id, secret)
    return None if principal is None else principal.display_name


def _changes(cli: Cli, table: str) -> list[AuditEntry]:
    with open_site(cli.directory) as handle, handle.session() as session:
        return [e for e in entries(session, handle.site_id) if table in (e.target or "")]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with served(tmp_path) as made:
        yield made


def test_console_cookies_carry_the_host_prefix(server: Server) -> None:
    client = server.anonymous()
    page = client.get("/login")
    assert page.headers["set-cookie"].startswith("__Host-portique_login=")
    response = login(client, "agent", PASSWORD)
    cookies = response.headers.get_list("set-cookie")
    session = next(cookie for cookie in cookies if "portique_session=" in cookie)
    assert session.startswith("__Host-portique_session=")
    assert "Secure" in session and "Path=/" in session and "Domain" not in session


def test_a_cookie_without_the_prefix_opens_nothing(server: Server) -> None:
    client = server.anonymous()
    response = login(client, "agent", PASSWORD)
    session_id = response.cookies["__Host-portique_session"]
    planted = server.anonymous()
    planted.cookies.set("portique_session", session_id, domain="testserver.local")
    assert planted.get("/live").status_code == 303


def _post(client: TestClient, path: str, **fields: str) -> Response:
    return client.post(path, data={"csrf": client.headers["X-CSRF-Token"], **fields})


def test_the_administration_manages_accounts_in_the_console(server: Server) -> None:
    admin, agent = server.signed_in("administration"), server.signed_in("agent")
    assert agent.get("/accounts").status_code == 403
    assert 'data-account="agent"' in admin.get("/accounts").text
    weak = _post(admin, "/accounts/agent/password", password="azerty1234")
    assert weak.status_code == 400 and 'role="alert"' in weak.text
    assert _post(admin, "/accounts/agent/password", password=STRONG).status_code == 303
    assert _post(admin, "/accounts/agent/disable").status_code == 303
    assert agent.get("/live").status_code == 303  # the session ends with the account
    assert login(server.anonymous(), "agent", STRONG).status_code == 401
    assert _post(admin, "/accounts/agent/enable").status_code == 303
    assert login(server.anonymous(), "agent", STRONG).status_code == 303
    assert _post(admin, "/accounts/administration/disable").status_code == 400
    with open_site(server.directory) as handle, handle.session() as session:
        changes = [e for e in entries(session, handle.site_id) if "accounts" in (e.target or "")]
    assert [e.actor for e in changes[-3:]] == ["account:administration"] * 3


def test_a_token_made_in_the_console_is_shown_once_and_revoked_there(server: Server) -> None:
    admin = server.signed_in("administration")
    made = _post(admin, "/accounts/tokens", name="Pronote sync", role="administration")
    secret = re.search(r'id="token-secret">([^<]+)<', made.text)
    assert made.status_code == 200 and secret is not None
    holder = TestClient(server.app, base_url="https://testserver")
    holder.headers["Authorization"] = f"Bearer {secret.group(1)}"
    assert holder.get("/api/v1/people").status_code == 200
    page = admin.get("/accounts").text
    assert secret.group(1) not in page
    token_id = re.findall(r'data-token="([0-9a-f]+)"', page)[-1]
    assert _post(admin, f"/accounts/tokens/{token_id}/revoke").status_code == 303
    assert holder.get("/api/v1/people").status_code == 401
