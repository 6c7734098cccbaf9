"""Issue 16, finding 2: login throttling that an attacker can neither bypass (a new
X-Forwarded-For on each try, a good login of their own) nor turn against a user (a
lockout from anywhere), that answers unknown and known names alike, and that holds
across server processes (its attempts are in the database)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from server_support_for_security import PASSWORD, Server, login, serve, served

from portique.bootstrap import open_site
from portique.server import create_account

ATTACKER = ("203.0.113.66", 40000)
PROXY = ("10.0.0.2", 40000)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with served(tmp_path, trusted_proxies=("10.0.0.0/24",)) as made:
        yield made


def browser(server: Server, peer: tuple[str, int] = ATTACKER) -> TestClient:
    client = TestClient(server.app, base_url="https://testserver", client=peer)
    client.follow_redirects = False
    server.clients.append(client)
    return client


def guesses(client: TestClient, username: str, count: int, **headers: str) -> list[int]:
    client.headers.update(headers)
    return [login(client, username, f"guess {n:04}").status_code for n in range(count)]


def test_a_new_x_forwarded_for_on_each_try_does_not_escape_the_delay(server: Server) -> None:
    client = browser(server)
    statuses = [
        guesses(client, "agent", 1, **{"X-Forwarded-For": f"198.51.100.{n}"})[0] for n in range(6)
    ]
    assert statuses == [401, 401, 401, 429, 429, 429]


def test_x_forwarded_for_names_the_client_when_it_comes_from_a_trusted_proxy(
    server: Server,
) -> None:
    proxy = browser(server, PROXY)
    first = guesses(proxy, "agent", 4, **{"X-Forwarded-For": "198.51.100.1"})
    other = guesses(proxy, "agent", 1, **{"X-Forwarded-For": "198.51.100.2"})
    # A client cannot forge its own hop: the proxy appends what it saw, the right-most.
    forged = guesses(proxy, "agent", 1, **{"X-Forwarded-For": "198.51.100.2, 198.51.100.1"})
    assert first == [401, 401, 401, 429]
    assert other == [401]
    assert forged == [429]


def test_the_delay_doubles_and_ends(server: Server) -> None:
    client = browser(server)
    assert guesses(client, "agent", 4) == [401, 401, 401, 429]
    server.clock.advance(seconds=2)
    assert guesses(client, "agent", 2) == [401, 429]
    server.clock.advance(seconds=3)
    assert guesses(client, "agent", 1) == [429]
    server.clock.advance(seconds=1)
    assert login(client, "agent", PASSWORD).status_code == 303


def test_the_attackers_own_good_login_resets_nothing(server: Server, tmp_path: Path) -> None:
    with open_site(server.directory) as site:
        create_account(site, "mallory", PASSWORD, "agent", now=server.clock.now)
    client = browser(server)
    statuses = []
    for round_ in range(12):
        for name in ("agent", "administration", "dpo"):
            statuses += guesses(client, name, 1)
        assert login(client, "mallory", PASSWORD).status_code in (303, 429), round_
        server.clock.advance(minutes=1)
    assert 429 in statuses
    # 30 failures from one address in the window, whatever the names and the successes.
    assert statuses.count(401) <= 30


def test_failures_from_anywhere_never_lock_the_owner_out_of_their_usual_post(
    tmp_path: Path,
) -> None:
    with served(tmp_path, login_failures_per_account=6) as server:
        owner = browser(server, ("192.0.2.10", 40000))
        assert login(owner, "agent", PASSWORD).status_code == 303
        for n in range(8):
            guesses(browser(server, (f"203.0.113.{n}", 40000)), "agent", 1)
        # A new address may no longer try the name: the campaign is stopped...
        assert guesses(browser(server, ("203.0.113.200", 40000)), "agent", 1) == [429]
        # ...while its owner signs in from where they did before.
        assert login(browser(server, ("192.0.2.10", 40001)), "agent", PASSWORD).status_code == 303


def test_an_unknown_name_is_answered_as_a_known_one(server: Server) -> None:
    known = guesses(browser(server, ("203.0.113.1", 1)), "agent", 5)
    unknown = guesses(browser(server, ("203.0.113.2", 1)), "nobody-here", 5)
    assert known == unknown == [401, 401, 401, 429, 429]
    pages = [
        login(browser(server, (f"203.0.113.{n}", 1)), name, "guess").text
        for n, name in ((1, "agent"), (2, "nobody-here"))
    ]
    token = re.compile(r'value="[^"]*"')
    assert token.sub("", pages[0]) == token.sub("", pages[1])


def test_a_throttled_login_says_when_to_try_again(server: Server) -> None:
    client = browser(server)
    guesses(client, "agent", 3)
    answer = login(client, "agent", PASSWORD)
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "2"
    assert "2 s" in answer.text


def test_two_server_processes_share_the_attempts(server: Server) -> None:
    second = serve(server.directory, server.lane_token, server.clock)
    assert guesses(browser(server), "agent", 3) == [401, 401, 401]
    assert guesses(browser(second), "agent", 1) == [429]
