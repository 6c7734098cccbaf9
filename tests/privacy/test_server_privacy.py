"""The server's part: writes attributed to the signed-in account, consent withdrawal
handing over the replacement card, and the retention purge run at start-up."""

from __future__ import annotations

import re
import shutil
import time as wall
from collections.abc import Iterator
from datetime import datetime, time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from portique.bootstrap import open_site
from portique.config import get_settings
from portique.privacy import audit
from portique.privacy.leaks import scan_text
from portique.store import CredentialRow
from server.server_support import PARIS, Clock, Server, add_person, make_site, school_day, serve


@pytest.fixture(scope="module")
def site_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    directory = tmp_path_factory.mktemp("privacy-server") / "site"
    token = make_site(directory, datetime.combine(school_day(), time(8), tzinfo=PARIS))
    return directory, token


@pytest.fixture
def server(tmp_path: Path, site_template: tuple[Path, str]) -> Iterator[Server]:
    template, token = site_template
    directory = tmp_path / "site"
    shutil.copytree(template, directory)
    clock = Clock(datetime.combine(school_day(), time(10), tzinfo=PARIS))
    made = serve(directory, token, clock)
    yield made
    for client in made.clients:
        client.close()
    made.app.state.portique.site.close()


def _entries(server: Server) -> list[audit.AuditEntry]:
    with open_site(server.directory) as site, site.session() as session:
        return audit.entries(session, site.site_id)


def test_writes_are_attributed_to_the_signed_in_account(server: Server) -> None:
    person_id = add_person(server.signed_in("administration"))
    created = [entry for entry in _entries(server) if entry.target == f"people:{person_id}"]
    assert [(entry.action, entry.actor) for entry in created] == [
        ("people.create", "account:administration")
    ]


def test_withdrawal_in_the_console_hands_over_a_card_without_face(server: Server) -> None:
    admin = server.signed_in("administration")
    person_id = add_person(admin)
    page = admin.get(f"/people/{person_id}").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    assert admin.post(f"/people/{person_id}/consent", data={"csrf": csrf.group(1)}).status_code
    enrolled = admin.post("/api/v1/credentials", json={"person_id": person_id}).json()
    with open_site(server.directory) as site, site.session() as session:
        row = session.get(CredentialRow, enrolled["credential_id"])
        assert row is not None
        row.has_template = True  # as the enrollment station issues it

    withdrawn = admin.post(
        f"/people/{person_id}/consent/withdraw",
        data={"csrf": csrf.group(1), "by": person_id, "confirm": "yes"},
    )
    assert withdrawn.status_code == 200
    assert 'download="carte.png" href="data:image/png;base64,' in withdrawn.text
    with open_site(server.directory) as site, site.session() as session:
        rows = {
            row.credential_id: (row.status, row.has_template)
            for row in session.query(CredentialRow).filter_by(person_id=person_id)
        }
    assert rows.pop(enrolled["credential_id"]) == ("revoked", True)
    assert list(rows.values()) == [("active", False)]
    agent = server.signed_in("agent")
    for client, path in (
        (admin, f"/api/v1/people/{person_id}"),
        (admin, "/api/v1/people"),
        (agent, "/api/v1/passages"),
    ):
        answer = client.get(path)
        assert answer.status_code == 200 and scan_text(path, answer.text) == []


def test_the_server_purges_at_start_up(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTIQUE_PURGE_INTERVAL_HOURS", "24")
    get_settings.cache_clear()
    app = serve(server.directory, server.lane_token, server.clock).app
    with TestClient(app):
        deadline = wall.monotonic() + 10
        purges: list[audit.AuditEntry] = []
        while not purges and wall.monotonic() < deadline:
            purges = [entry for entry in _entries(server) if entry.action == "retention.purge"]
            wall.sleep(0.05)
    assert purges and purges[0].actor == "system:retention"
    assert purges[0].at == server.clock.now
