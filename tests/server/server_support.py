"""The server of a site made by ``init_site`` (SQLite), on a clock the test sets, with
one account per role and an API token for the entrance lane; browsers signed in as
each role."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from portique import clock
from portique.bootstrap import init_site, open_site
from portique.server import ServerSettings, create_account, create_api_token, create_app
from portique.server.sessions import SESSION_COOKIE
from school_support import next_school_day

PARIS = ZoneInfo("Europe/Paris")
PASSWORD = "correct horse battery staple"
ROLES = ("agent", "administration", "dpo", "auditor")
BASE_URL = "https://testserver"


@dataclass
class Clock:
    """The server's time, set by the test (a school day at 10:00, Paris time)."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def at(self, hour: int, minute: int = 0) -> None:
        day = self.now.astimezone(PARIS).date()
        self.now = datetime.combine(day, time(hour, minute), tzinfo=PARIS)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Server:
    """The app of one site and ways to call it as each role."""

    app: FastAPI
    clock: Clock
    directory: Path
    lane_token: str
    clients: list[TestClient] = field(default_factory=list)

    def anonymous(self) -> TestClient:
        client = TestClient(self.app, base_url=BASE_URL, follow_redirects=False)
        self.clients.append(client)
        return client

    def signed_in(self, role: str) -> TestClient:
        """A browser signed in as the account of ``role`` (whose name is the role), with
        the session's CSRF token in its headers. The session is opened directly: the
        login form itself, and its slow password hashing, are tested apart."""
        client = self.anonymous()
        state = self.app.state.portique
        session = state.sessions.open(state.site.site_id, role, now=self.clock.now)
        name = state.settings.cookie_name(SESSION_COOKIE)
        client.cookies.set(name, session.session_id, domain="testserver.local")
        client.headers["X-CSRF-Token"] = session.csrf
        return client

    def lane(self, lane_id: str = "entree") -> TestClient:
        """A lane's device, with its API token (bound to ``lane_id``)."""
        token = self.lane_token
        if lane_id != "entree":
            with open_site(self.directory) as site:
                token = create_api_token(site, lane_id, "lane", now=self.clock.now, lane_id=lane_id)
        client = self.anonymous()
        client.headers["Authorization"] = f"Bearer {token}"
        return client


def login_csrf(client: TestClient) -> str:
    page = client.get("/login")
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def login(client: TestClient, username: str, password: str) -> httpx.Response:
    token = login_csrf(client)
    return client.post("/login", data={"username": username, "password": password, "csrf": token})


def stream_events(
    client: TestClient, path: str = "/api/v1/passages/stream"
) -> list[tuple[str, dict[str, Any]]]:
    """The events of one live stream, read to its end (the tests' streams are short)."""
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = []
    for block in response.text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            events.append((fields["event"], json.loads(fields["data"])))
    return events


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, html
    return match.group(1)


def school_day() -> date:
    return next_school_day(clock.now().astimezone(PARIS).date())


def make_site(directory: Path, now: datetime) -> str:
    """A site with one account per role (password ``PASSWORD``); the lane's API token."""
    init_site(directory, site_id="lycee-test", name="Lycée Test")
    with open_site(directory) as site:
        for role in ROLES:
            create_account(site, role, PASSWORD, role, now=now, display_name=role.title())
        return create_api_token(site, "Entrée principale", "lane", now=now, lane_id="entree")


def serve(directory: Path, token: str, clock: Clock, **settings: Any) -> Server:
    """The app of the site; the console's imports run before their answer unless
    ``background_imports`` is given."""
    settings.setdefault("background_imports", False)
    app = create_app(directory, settings=ServerSettings(clock=clock, **settings))
    return Server(app, clock, directory, token)


def add_person(
    admin: TestClient,
    *,
    last_name: str = "Bernard",
    first_name: str = "Paul",
    birth_date: str = "1975-03-03",
    role: str = "staff",
    **extra: object,
) -> str:
    """A person added through the API by an administration account; their id."""
    body = {
        "last_name": last_name,
        "first_name": first_name,
        "birth_date": birth_date,
        "role": role,
        **extra,
    }
    response = admin.post("/api/v1/people", json=body)
    assert response.status_code == 201, response.text
    person_id: str = response.json()["person_id"]
    return person_id


def issue_card(admin: TestClient, person_id: str) -> str:
    """A card issued through the API; the text its QR code holds (PQ:...)."""
    response = admin.post("/api/v1/credentials", json={"person_id": person_id})
    assert response.status_code == 201, response.text
    qr_text: str = response.json()["qr_text"]
    return qr_text


def present(lane: TestClient, qr_text: str, lane_id: str = "entree") -> dict[str, object]:
    """A passage decided through the API by a lane; the passage as returned."""
    response = lane.post("/api/v1/passages", json={"lane_id": lane_id, "qr_text": qr_text})
    assert response.status_code == 201, response.text
    passage: dict[str, object] = response.json()["passage"]
    return passage
