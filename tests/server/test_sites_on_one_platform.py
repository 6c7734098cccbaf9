"""Several sites on one server and one database: an account of lycée A never sees nor
changes anything of lycée B, on any route or page; the regional supervision sees each
site's health in numbers and never a person."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from server_support import BASE_URL, PARIS, Clock, add_person, present, school_day
from sqlalchemy import create_engine, inspect, text

from portique.bootstrap import init_site, open_site
from portique.server import (
    ServerSettings,
    api,
    console,
    create_account,
    create_api_token,
    create_app,
    phone,
)
from portique.server.accounts import token_id_of
from portique.server.sessions import SESSION_COOKIE

SITE_A, SITE_B = "lycee-a", "lycee-b"
ROLES = ("agent", "administration", "dpo", "auditor")
SECRET_NAME = "Zorglub"
"""Site B's people and visitor bear it: it must never show to site A."""


@dataclass
class Platform:
    app: FastAPI
    clock: Clock
    url: str
    lane_tokens: dict[str, str]
    b_ids: dict[str, str]
    """Site B's rows, by the name of the path parameter that would point at them."""
    b_token_id: str = ""

    def client(self, site_id: str, role: str) -> TestClient:
        """A browser signed in as the account ``role`` of ``site_id``."""
        client = TestClient(self.app, base_url=BASE_URL, follow_redirects=False)
        state = self.app.state.portique
        session = state.sessions.open(site_id, role, now=self.clock.now)
        name = state.settings.cookie_name(SESSION_COOKIE)
        client.cookies.set(name, session.session_id, domain="testserver.local")
        client.headers["X-CSRF-Token"] = session.csrf
        return client

    def lane(self, site_id: str) -> TestClient:
        client = TestClient(self.app, base_url=BASE_URL, follow_redirects=False)
        client.headers["Authorization"] = f"Bearer {self.lane_tokens[site_id]}"
        return client


def _fill_b(platform: Platform) -> dict[str, str]:
    """Site B's person, card, passage, visit and refusal, through B's own accounts."""
    admin, agent = platform.client(SITE_B, "administration"), platform.client(SITE_B, "agent")
    person = add_person(admin, last_name=SECRET_NAME, first_name="Octave")
    issued = admin.post("/api/v1/credentials", json={"person_id": person})
    assert issued.status_code == 201, issued.text
    card, credential = issued.json()["qr_text"], issued.json()["credential_id"]
    platform.clock.at(22)  # closed: the passage is referred, an alert of site B
    passage = present(platform.lane(SITE_B), card)
    platform.clock.at(10)
    start = platform.clock.now + timedelta(hours=1)
    visit = agent.post(
        "/api/v1/visits",
        json={
            "last_name": SECRET_NAME,
            "first_name": "Visiteur",
            "purpose": "Rendez-vous",
            "host_id": person,
            "expected_from": start.isoformat(),
            "expected_until": (start + timedelta(hours=1)).isoformat(),
        },
    )
    assert visit.status_code == 201, visit.text
    refusal = admin.post(
        "/api/v1/refusals",
        json={
            "last_name": SECRET_NAME,
            "first_name": "Barré",
            "birth_date": "1985-04-12",
            "reason": "Interdiction",
            "ordered_by": "head_teacher",
            "until": (platform.clock.now + timedelta(days=90)).date().isoformat(),
        },
    )
    assert refusal.status_code == 201, refusal.text
    assert SECRET_NAME in admin.get("/api/v1/people").text  # B sees its own
    return {
        "person_id": person,
        "credential_id": credential,
        "passage_id": str(passage["passage_id"]),
        "visit_id": visit.json()["visit"]["visit_id"],
        "refusal_id": str(refusal.json()["refusal_id"]),
        "alert_id": "1",
        "group_id": "2nde-a",
        "lane_id": "entree",
        "name": "notice.html",
        "job_id": "no-such-job",
        "username": "zorglub-b",
        "token_id": platform.b_token_id,
    }


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    """Lycée A and lycée B in one SQLite database, served by one server."""
    url = f"sqlite:///{tmp_path / 'region.db'}"
    clock = Clock(datetime.combine(school_day(), time(10), tzinfo=PARIS))
    tokens = {}
    for site_id in (SITE_A, SITE_B):
        directory = tmp_path / site_id
        init_site(directory, site_id=site_id, name=f"Lycée {site_id[-1].upper()}", database_url=url)
        with open_site(directory, database_url=url) as site:
            for role in (*ROLES, "region"):
                create_account(site, role, "correct horse battery", role, now=clock.now)
            if site_id == SITE_B:
                create_account(site, "zorglub-b", "correct horse battery", "agent", now=clock.now)
            tokens[site_id] = create_api_token(
                site, "Entrée", "lane", now=clock.now, lane_id="entree"
            )
    app = create_app(
        tmp_path / SITE_A,
        database_url=url,
        more_sites=[tmp_path / SITE_B],
        settings=ServerSettings(clock=clock, live_stream_s=0.3, live_poll_s=0.05),
    )
    made = Platform(app, clock, url, tokens, {}, token_id_of(tokens[SITE_B]))
    made.b_ids = _fill_b(made)
    yield made
    for served in app.state.portique.sites.values():
        served.site.close()


def _rows_of_b(url: str) -> dict[str, list[str]]:
    """Every row of site B, table by table (passage reviews through B's passages)."""
    engine = create_engine(url)
    rows: dict[str, list[str]] = {}
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            columns = {column["name"] for column in inspect(engine).get_columns(table)}
            if "site_id" in columns:
                query = f"SELECT * FROM {table} WHERE site_id = :site"
            elif table == "passage_reviews":
                query = (
                    "SELECT * FROM passage_reviews WHERE passage_id IN "
                    "(SELECT passage_id FROM passages WHERE site_id = :site)"
                )
            else:
                continue
            found = connection.execute(text(query), {"site": SITE_B})
            rows[table] = sorted(repr(tuple(row)) for row in found)
    engine.dispose()
    return rows


def _routes() -> list[tuple[str, str]]:
    """Every (method, path) the server answers: the API's, the phone app's and the
    console's (the OpenAPI schema and the static files aside)."""
    routes = [
        (method, route.path)
        for router in (*api.ROUTERS, *phone.ROUTERS, *console.ROUTERS)
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in sorted(route.methods - {"HEAD"})
    ]
    # Signing out last: every other route is called signed in.
    return sorted(routes, key=lambda route: route == ("POST", "/logout"))


FORM = {
    "outcome": "grant",
    "comment": "essai",
    "reason": "perte",
    "confirm": "yes",
    "action": "start",
    "next": "/live",
    "by": "",
    "qr_text": "PQ:x",
}


def _call(client: TestClient, method: str, path: str) -> Any:
    if method == "GET":
        return client.get(path)
    if path.startswith("/api/"):
        return client.post(path, json={"outcome": "grant", "comment": "essai", "reason": "x"})
    return client.post(path, data={**FORM, "csrf": client.headers["X-CSRF-Token"]})


def _sweep(platform: Platform, client: TestClient, who: str) -> None:
    """Calls every route and page as ``client``, pointed at site B's rows: none shows
    site B's people, and site B is left as it was."""
    before = _rows_of_b(platform.url)
    for method, template in _routes():
        path = re.sub(
            r"\{(\w+)(?::path)?\}", lambda match: platform.b_ids[match.group(1)], template
        )
        answer = _call(client, method, path)
        assert SECRET_NAME not in answer.text, (who, method, path)
        # An error may repeat the id asked for; an answer that is not an error never
        # holds site B's rows.
        assert answer.status_code >= 400 or platform.b_ids["person_id"] not in answer.text, (
            who,
            method,
            path,
        )
    assert _rows_of_b(platform.url) == before


@pytest.mark.parametrize("role", [*ROLES, "region"])
def test_no_route_or_page_shows_or_changes_site_b_to_an_account_of_site_a(
    platform: Platform, role: str
) -> None:
    _sweep(platform, platform.client(SITE_A, role), role)


def test_no_route_shows_or_changes_site_b_to_a_lane_of_site_a(platform: Platform) -> None:
    lane = platform.lane(SITE_A)
    lane.headers["X-CSRF-Token"] = ""
    _sweep(platform, lane, "lane")


def test_the_login_form_offers_the_sites_and_signs_in_at_the_one_chosen(
    platform: Platform,
) -> None:
    browser = TestClient(platform.app, base_url=BASE_URL, follow_redirects=False)
    form = browser.get("/login")
    assert 'value="lycee-a"' in form.text and 'value="lycee-b"' in form.text
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token
    answer = browser.post(
        "/login",
        data={
            "username": "administration",
            "password": "correct horse battery",
            "csrf": token.group(1),
            "site": SITE_B,
        },
    )
    assert answer.status_code == 303
    assert SECRET_NAME in browser.get("/api/v1/people").text


def test_the_region_sees_each_sites_health_and_no_person(platform: Platform) -> None:
    region = platform.client(SITE_A, "region")
    health = region.get("/api/v1/region/health")
    assert health.status_code == 200
    by_site = {site["site_id"]: site for site in health.json()}
    assert set(by_site) == {SITE_A, SITE_B}
    b = by_site[SITE_B]
    assert set(b) == {
        "site_id",
        "name",
        "lanes",
        "lanes_online",
        "open_alerts",
        "passages_per_hour",
        "referral_rate",
    }
    assert (b["lanes"], b["open_alerts"]) == (2, 1)
    page = region.get("/region")
    assert page.status_code == 200 and "Lycée B" in page.text
    for answer in (health, page):
        assert SECRET_NAME not in answer.text and "Octave" not in answer.text
        for value in platform.b_ids.values():
            if len(value) > 8:  # the ids of rows (not the lane's or a file's name)
                assert value not in answer.text
    # Nothing else is open to the region: no person, no passage, no alert.
    for path in ("/api/v1/people", "/api/v1/passages", "/api/v1/alerts", "/api/v1/visits"):
        assert region.get(path).status_code == 403
    for page_path in ("/people", "/live", "/alerts", "/visitors", "/roster"):
        assert region.get(page_path).status_code == 403
    assert platform.client(SITE_A, "agent").get("/api/v1/region/health").status_code == 403
