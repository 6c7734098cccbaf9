"""Fixtures of the browser tests: a site with people and cards, served by uvicorn on a
free localhost port, and Debian's Chromium driven by Playwright.

Without ``/usr/bin/chromium`` the tests are skipped with the reason, except in CI
(``CI=true``), where they fail. ``PORTIQUE_SCREENSHOTS=1`` makes them write the pictures
of docs/screenshots/.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import pytest
import uvicorn
from browser_support import TABLET, Cards, LiveServer, SiteTemplate
from playwright.sync_api import Browser, Page, sync_playwright

from portique.access import Role
from portique.bootstrap import open_site
from portique.documents import CHROMIUM_ARGS
from portique.server import ServerSettings, create_app
from portique.services import (
    IssuedCredential,
    NewPerson,
    add_person,
    issue_credential,
    revoke_credential,
)
from server.server_support import PARIS, Clock, make_site, school_day


def _issue_cards(directory: Path, now: datetime, day: date) -> Cards:
    """Four people with a card each, valid two months from ``day``; Inès's is revoked."""
    with open_site(directory) as site:

        def card(name: str, first: str, born: date, role: Role, *groups: str) -> IssuedCredential:
            with site.session() as session:
                new = NewPerson(name, first, born, role, groups)
                person = add_person(session, site.site_id, new, now=now)
                return issue_credential(
                    session,
                    site.site_id,
                    site.keyring(),
                    person,
                    now=now,
                    valid_from=day,
                    valid_until=day + timedelta(days=60),
                )

        paul = card("Bernard", "Paul", date(1975, 3, 3), Role.STAFF)
        ines = card("Lefèvre", "Inès", date(1982, 5, 4), Role.STAFF)
        lea = card("Martin", "Léa", date(day.year - 19, 1, 15), Role.STUDENT, "Terminale B")
        hugo = card("Nguyen", "Hugo", date(1968, 9, 21), Role.CONTRACTOR)
        with site.session() as session:
            revoke_credential(session, site.site_id, ines.credential_id, reason="perdue", now=now)
    return Cards(paul.payload_text, ines.payload_text, lea.payload_text, hugo.payload_text)


@pytest.fixture(scope="session")
def site_template(tmp_path_factory: pytest.TempPathFactory) -> SiteTemplate:
    """The site, with its accounts (slow to hash), made once and copied for each test."""
    directory = tmp_path_factory.mktemp("e2e") / "site"
    made = datetime.combine(school_day(), clock_time(7, 30), tzinfo=PARIS)
    token = make_site(directory, made)
    return SiteTemplate(directory, token, _issue_cards(directory, made, school_day()))


def _free_socket() -> socket.socket:
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listening.bind(("127.0.0.1", 0))
    return listening


@pytest.fixture
def live_server(tmp_path: Path, site_template: SiteTemplate) -> Iterator[LiveServer]:
    """The site served by uvicorn in a thread, on a clock at 10:00 on a school day."""
    directory = tmp_path / "site"
    shutil.copytree(site_template.directory, directory)
    clock = Clock(datetime.combine(school_day(), clock_time(10), tzinfo=PARIS))
    app = create_app(directory, settings=ServerSettings(plain_http=True, clock=clock))
    listening = _free_socket()
    port = listening.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1, ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    yield LiveServer(
        f"http://127.0.0.1:{port}",
        clock,
        site_template.lane_token,
        site_template.cards,
        directory,
    )
    server.should_exit = True
    thread.join(timeout=10)
    listening.close()


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Browser]:
    """One browser per module: Playwright's sync API holds an event loop on the main thread
    while it runs, and a later test that starts its own loop must not find it there."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=list(CHROMIUM_ARGS)
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A French tablet at the lane, in Paris time, on the served site."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport=TABLET,
        locale="fr-FR",
        timezone_id="Europe/Paris",
    )
    context.set_default_timeout(5000)
    opened = context.new_page()
    yield opened
    context.close()
