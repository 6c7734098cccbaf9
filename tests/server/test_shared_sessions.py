"""Sessions live in the database: a browser signed in through one `portique serve`
process acts through another on the same PostgreSQL database, and a server restarted
(here with several workers) signs nobody out."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from clock_support import ProductClock
from portique import clock
from portique.bootstrap import init_site, open_site
from portique.server import create_account, create_api_token
from portique.server.sessions import SESSION_COOKIE
from server.server_support import PASSWORD, csrf_of
from store_support import postgres_database

START_WAIT_S = 60
"""How long a server process may take to start on a busy machine (not a measurement)."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def _serving(directory: Path, url: str, *options: str) -> Iterator[str]:
    """`portique serve` in its own process on ``url``; its address once it answers."""
    port = _free_port()
    command = [sys.executable, "-m", "portique", "serve", "--dir", str(directory)]
    environment = ProductClock.environment(clock.now(), PORTIQUE_DATABASE_URL=url)
    process = subprocess.Popen(
        [*command, "--port", str(port), "--plain-http", *options],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_WAIT_S
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the server did not start"
            try:
                if httpx.get(f"{address}/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield address
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def region_site(tmp_path: Path) -> Iterator[tuple[Path, str, str]]:
    """A site on a PostgreSQL database of its own, with an agent's account; the folder,
    the database's URL and a lane's API token."""
    with postgres_database("portique_sessions") as url:
        directory = tmp_path / "site"
        init_site(directory, site_id="lycee-region", name="Lycée", database_url=url)
        with open_site(directory, database_url=url) as site:
            create_account(site, "agent", PASSWORD, "agent", now=clock.now())
            token = create_api_token(site, "Entrée", "lane", now=clock.now(), lane_id="entree")
        yield directory, url, token


def _sign_in(address: str) -> str:
    with httpx.Client(base_url=address) as browser:
        form = browser.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert token, form.text
        answer = browser.post(
            "/login", data={"username": "agent", "password": PASSWORD, "csrf": token.group(1)}
        )
        assert answer.status_code == 303, answer.text
        return answer.cookies[SESSION_COOKIE]


def _live_page(address: str, cookie: str) -> httpx.Response:
    return httpx.get(f"{address}/live", cookies={SESSION_COOKIE: cookie}, timeout=10)


def test_a_browser_signed_in_through_one_server_acts_through_another_and_survives_a_restart(
    region_site: tuple[Path, str, str],
) -> None:
    directory, url, _ = region_site
    with _serving(directory, url) as first, _serving(directory, url) as second:
        cookie = _sign_in(first)
        page = _live_page(second, cookie)
        assert page.status_code == 200
        started = httpx.post(
            f"{second}/api/v1/lockdown/start",
            cookies={SESSION_COOKIE: cookie},
            headers={"X-CSRF-Token": csrf_of(page.text)},
        )
        assert started.status_code == 200, started.text
        assert httpx.get(f"{first}/api/v1/lockdown", cookies={SESSION_COOKIE: cookie}).json()[
            "in_force"
        ]
    with _serving(directory, url, "--workers", "2") as restarted:
        for _ in range(6):
            assert _live_page(restarted, cookie).status_code == 200
        logged_out = httpx.post(
            f"{restarted}/logout",
            cookies={SESSION_COOKIE: cookie},
            data={"csrf": csrf_of(_live_page(restarted, cookie).text)},
        )
        assert logged_out.status_code == 303
        assert _live_page(restarted, cookie).status_code == 303


def test_a_passage_recorded_through_one_server_reaches_the_live_stream_of_another(
    region_site: tuple[Path, str, str],
) -> None:
    directory, url, token = region_site
    with _serving(directory, url) as first, _serving(directory, url) as second:
        cookie = _sign_in(first)
        with httpx.stream(
            "GET", f"{first}/api/v1/passages/stream", cookies={SESSION_COOKIE: cookie}, timeout=30
        ) as stream:
            lines = stream.iter_lines()
            assert next(lines).startswith("retry")
            recorded = httpx.post(
                f"{second}/api/v1/passages",
                headers={"Authorization": f"Bearer {token}"},
                json={"lane_id": "entree", "badge_uid": "04A1B2C3"},
            )
            assert recorded.status_code == 201, recorded.text
            passage_id = recorded.json()["passage"]["passage_id"]
            for line in lines:
                if line.startswith("data: ") and passage_id in line:
                    break
                assert line != "event: end", "the stream ended without the passage"
