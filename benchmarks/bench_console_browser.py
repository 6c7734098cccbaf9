"""What the administration and the agent wait for in the browser at a lycée of 1,500
(issue 22): a name typed without accents until its result is shown, a class's page, and
the agent's counter from the moment a lane records a referral until it shows it.

The site (SQLite, 1,500 pupils of a synthetic lycée imported from CSV) is served by
uvicorn on localhost in this process; Debian's Chromium, headless, driven by Playwright,
signs in with the login form. The server's clock stands at 21:00 on a weekday, so that
every entry is referred to the agent. Each figure is measured ``--runs`` times.

    PYTHONPATH=src:benchmarks .venv/bin/python benchmarks/bench_console_browser.py \\
        [--people 1500] [--runs 10] [--json]
"""

from __future__ import annotations

import argparse
import json
import socket
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import uvicorn
from bench_support import summary, unaccented
from playwright.sync_api import sync_playwright

from portique.bootstrap import init_site, open_site
from portique.documents import CHROMIUM, CHROMIUM_ARGS
from portique.registers.synthetic import synthetic_school
from portique.server import ServerSettings, create_account, create_api_token, create_app
from portique.services import NewPerson, add_person, import_people, issue_credential

NOW = datetime(2026, 11, 24, 21, 0, tzinfo=ZoneInfo("Europe/Paris"))
PASSWORD = "a long bench password, not a real one"


def _site(directory: Path, people: int) -> tuple[list[str], str, str]:
    """The site: ``people`` pupils, an administration and an agent account, a lane token
    and a staff member's card; the searches to type, the lane token, the card's text."""
    init_site(directory, site_id="lycee-bench", name="Lycée Bench")
    pupils = synthetic_school(pupils=people, uaj="0130001A", year=2026).pupils
    lines = ["Nom;Prénom;Né(e) le;Classe"] + [
        f"{p.last_name};{p.first_name};{p.birth_date:%d/%m/%Y};{p.division}" for p in pupils
    ]
    with open_site(directory) as site:
        create_account(site, "direction", PASSWORD, "administration", now=NOW)
        create_account(site, "agent", PASSWORD, "agent", now=NOW)
        token = create_api_token(site, "Entrée", "lane", now=NOW, lane_id="entree")
        with site.session() as session:
            import_people(session, site.site_id, "\n".join(lines).encode(), now=NOW)
            staff = add_person(
                session, site.site_id, NewPerson("Bernard", "Paul", NOW.date().replace(year=1975)),
                now=NOW,
            )  # fmt: skip
            card = issue_credential(session, site.site_id, site.keyring(), staff, now=NOW)
    accented = [p for p in pupils if unaccented(p.first_name) != p.first_name.lower()]
    searches = [f"{unaccented(p.first_name)} {unaccented(p.last_name)}" for p in accented]
    return searches, token, card.payload_text


def _serve(directory: Path) -> tuple[uvicorn.Server, threading.Thread, str]:
    app = create_app(directory, settings=ServerSettings(plain_http=True, clock=lambda: NOW))
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="none"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{listening.getsockname()[1]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=1500)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder) / "site"
        searches, token, card = _site(directory, args.people)
        server, thread, url = _serve(directory)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS)
                )
                results.update(_administration(browser, url, searches, args.runs))
                results.update(_agent(browser, url, token, card, args.runs))
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    if args.json:
        print(json.dumps({"people": args.people, "results": results}))
        return
    print(f"{args.people} people, {args.runs} runs each, milliseconds")
    print("| what | p50 | p95 | max |")
    print("|---|---|---|---|")
    for what, ms in results.items():
        print(f"| {what} | {ms['p50']:.0f} | {ms['p95']:.0f} | {ms['max']:.0f} |")


def _sign_in(page: object, username: str) -> None:
    page.goto("/login")  # type: ignore[attr-defined]
    page.locator("input[name=username]").fill(username)  # type: ignore[attr-defined]
    page.locator("input[name=password]").fill(PASSWORD)  # type: ignore[attr-defined]
    page.locator("form button[type=submit]").click()  # type: ignore[attr-defined]
    page.wait_for_url(lambda address: not address.endswith("/login"))  # type: ignore[attr-defined]


def _administration(
    browser: object, url: str, searches: list[str], runs: int
) -> dict[str, dict[str, float]]:
    context = browser.new_context(base_url=url, locale="fr-FR")  # type: ignore[attr-defined]
    page = context.new_page()
    _sign_in(page, "direction")
    search, by_class = [], []
    for typed in searches[:runs]:
        page.goto("/people")
        box = page.locator("input[name=q]")
        box.fill(typed)
        started = time.perf_counter()
        box.press("Enter")
        page.wait_for_url(lambda address: "q=" in address)
        page.locator("#people-table tbody tr").first.wait_for()
        search.append((time.perf_counter() - started) * 1000)
    for index in range(runs):
        started = time.perf_counter()
        page.goto(f"/people?class=2nde{index % 9 + 1}&sort=first_name&limit=25")
        page.locator("#people-table tbody tr").first.wait_for()
        by_class.append((time.perf_counter() - started) * 1000)
    context.close()
    return {
        "search typed without accents, Enter to the result shown": summary(search),
        "one class sorted by first name, page shown": summary(by_class),
    }


def _agent(
    browser: object, url: str, token: str, card: str, runs: int
) -> dict[str, dict[str, float]]:
    context = browser.new_context(base_url=url, locale="fr-FR")  # type: ignore[attr-defined]
    page = context.new_page()
    _sign_in(page, "agent")
    page.goto("/alerts")
    counter = page.locator("#waiting .count")
    counter.wait_for()
    latency = []
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as lane:
        for _ in range(runs):
            before = int(counter.inner_text())
            response = lane.post("/api/v1/passages", json={"lane_id": "entree", "qr_text": card})
            recorded = time.perf_counter()
            assert response.json()["passage"]["outcome"] == "refer", response.text
            page.wait_for_function(
                "(n) => document.querySelector('#waiting .count').textContent === n",
                arg=str(before + 1),
                polling="raf",
            )
            latency.append((time.perf_counter() - recorded) * 1000)
    context.close()
    return {"referral recorded to the agent's counter updated": summary(latency)}


if __name__ == "__main__":
    main()
