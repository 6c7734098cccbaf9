"""The composition root: every way into a site records its administrative changes in the
audit log, and a lane's passages reach the visitors' checkpoints through the hub.

The command line and the server run in fresh interpreters, so nothing the test imported
first can have installed anything: the audit log is there because the entry point opened
the site with it, not because of the order of imports.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from portique import bootstrap
from portique.access import Outcome, QrPayload, Role
from portique.credentials import payload_from_text
from portique.lane import Lane, LaneConfig
from portique.privacy import audit
from portique.services import NewPerson, add_person
from portique.store import Database, sqlite_url
from portique.visitors import Visitor, VisitRequest, invite
from school_support import next_school_day

PARIS = ZoneInfo("Europe/Paris")
AT = datetime.combine(next_school_day(date(2026, 12, 1)), time(9, 30), tzinfo=PARIS)


def _actions(directory: Path, site_id: str) -> list[tuple[str, str]]:
    with bootstrap.open_site(directory) as site, site.session() as session:
        return [(entry.action, entry.actor) for entry in audit.entries(session, site_id)]


def _portique(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "portique", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_change_made_on_the_command_line_is_audited(tmp_path: Path) -> None:
    directory = tmp_path / "site"
    made = _portique("init", "--dir", str(directory), "--site-id", "lycee-cli", "--json")
    assert made.returncode == 0, made.stderr
    added = _portique(
        "person", "add", "--name", "Bernard", "--first-name", "Paul",
        "--birth-date", "1975-03-03", "--role", "staff", "--dir", str(directory), "--json",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    by_cli = {
        action for action, actor in _actions(directory, "lycee-cli") if actor.startswith("cli:")
    }
    assert {"sites.create", "people.create"} <= by_cli


SERVER_SCRIPT = """
import sys
from pathlib import Path
from fastapi.testclient import TestClient
from portique.server import create_app

app = create_app(Path(sys.argv[1]))
with TestClient(app, base_url="https://testserver") as client:
    response = client.post(
        "/api/v1/people",
        headers={"Authorization": f"Bearer {sys.argv[2]}"},
        json={"last_name": "Bernard", "first_name": "Paul", "birth_date": "1975-03-03",
              "role": "staff"},
    )
print(response.status_code)
"""


def test_a_change_made_through_the_server_is_audited(tmp_path: Path) -> None:
    from portique.server import create_api_token

    directory = tmp_path / "site"
    bootstrap.init_site(directory, site_id="lycee-api")
    with bootstrap.open_site(directory) as site:
        token = create_api_token(site, "Secrétariat", "administration", now=AT)
    served = subprocess.run(
        [sys.executable, "-c", SERVER_SCRIPT, str(directory), token],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert served.stdout.strip() == "201", served.stderr
    actions = _actions(directory, "lycee-api")
    assert any(
        action == "people.create" and actor.startswith("token:") for action, actor in actions
    )


def test_a_visitor_let_in_by_a_lane_through_the_hub_is_checked_in_and_audited(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "site"
    bootstrap.init_site(directory, site_id="lycee-hub")
    at = AT
    with bootstrap.open_site(directory) as site:
        with site.session() as session:
            host = add_person(
                session, site.site_id, NewPerson("Bernard", "Paul", date(1975, 3, 3), Role.STAFF),
                now=at,
            )  # fmt: skip
            request = VisitRequest(
                Visitor("Durand", "Alice", None, None),
                "Réunion",
                host,
                at.replace(hour=9, minute=0),
                at.replace(hour=11, minute=0),
                ("main",),
            )
            new = invite(session, site.site_id, site.keyring(), request, by="agent", now=at)
        assert new.visitor_pass is not None
        with bootstrap.serving_lanes(site, bootstrap.in_process_hub) as served:
            config = LaneConfig(site.site_id, "entree", tmp_path / "lane")
            with Lane(config, transport=served.hub.connect(site.site_id, "entree")) as lane:
                lane.start(forward=False)
                shown = QrPayload(payload_from_text(new.visitor_pass.payload_text))
                result = lane.present(shown, at=at)
                assert result.decision.outcome is Outcome.GRANT
                assert lane.flush() == 1
    actions = _actions(directory, "lycee-hub")
    assert ("visits.update", "system") in actions  # the visit's check-in, made by the lane


def test_a_database_opened_without_the_audit_log_records_nothing(tmp_path: Path) -> None:
    # The audit module is imported by this test file: importing it installs no listener.
    directory = tmp_path / "site"
    bootstrap.init_site(directory, site_id="lycee-raw")
    before = _actions(directory, "lycee-raw")
    raw = Database(sqlite_url(directory))
    try:
        with raw.session() as session:
            add_person(
                session,
                "lycee-raw",
                NewPerson("Bernard", "Paul", date(1975, 3, 3), Role.STAFF),
                now=AT,
            )
    finally:
        raw.dispose()
    assert ("sites.create", "system") in before  # the site's creation, through bootstrap
    assert _actions(directory, "lycee-raw") == before
