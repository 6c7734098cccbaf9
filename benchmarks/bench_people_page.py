"""Size and time of the People page and ``GET /api/v1/people`` at a lycée of 1,500 people
(issue 22: the page listed everyone in one table, 260 KB in 193 ms).

A fresh site (SQLite in its folder) gets 1,500 pupils of a synthetic lycée by the CSV
import; the server's application answers in this process (Starlette's test client, no
network), signed in as the administration. Each request is timed from the call to the
full answer, ``--runs`` times; the table gives the answer's size and p50/p95.

    PYTHONPATH=src:benchmarks .venv/bin/python benchmarks/bench_people_page.py \
        [--people 1500] [--runs 20] [--json]
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench_support import summary, unaccented
from fastapi.testclient import TestClient

from portique.bootstrap import init_site, open_site
from portique.registers.synthetic import synthetic_school
from portique.server import ServerSettings, create_account, create_app
from portique.server.sessions import SESSION_COOKIE
from portique.services import import_people, list_people

NOW = datetime(2026, 11, 24, 9, tzinfo=UTC)


def _site(directory: Path, people: int) -> str:
    """The site's folder filled with ``people`` pupils; the name of one to look for."""
    init_site(directory, site_id="lycee-bench", name="Lycée Bench")
    school = synthetic_school(pupils=people, uaj="0130001A", year=2026)
    lines = ["Nom;Prénom;Né(e) le;Classe"] + [
        f"{p.last_name};{p.first_name};{p.birth_date:%d/%m/%Y};{p.division}" for p in school.pupils
    ]
    with open_site(directory) as site:
        create_account(site, "direction", "correct horse battery staple", "administration", now=NOW)
        with site.session() as session:
            import_people(session, site.site_id, "\n".join(lines).encode(), now=NOW)
            everyone = list_people(session, site.site_id, now=NOW)
    accented = next(p for p in everyone if p.first_name.lower() != unaccented(p.first_name))
    return f"{unaccented(accented.first_name)} {unaccented(accented.last_name)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=1500)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder) / "site"
        wanted = _site(directory, args.people)
        app = create_app(directory, settings=ServerSettings(clock=lambda: NOW, plain_http=True))
        client = TestClient(app, base_url="http://testserver")
        state = app.state.portique
        session = state.sessions.open("direction", now=NOW)
        client.cookies.set(SESSION_COOKIE, session.session_id)
        requests = {
            "People page, first page (50)": "/people",
            "People page, a name typed without accents": f"/people?q={wanted.replace(' ', '+')}",
            "People page, one class sorted by first name, page 2 of 25": (
                "/people?class=2nde1&sort=first_name&limit=25&offset=25"
            ),
            "People page, 200 a page": "/people?limit=200",
            "API, first page (50)": "/api/v1/people",
            "API, largest page (200)": "/api/v1/people?limit=200",
            "API, search without accents": f"/api/v1/people?q={wanted.replace(' ', '+')}",
        }
        results = []
        for label, path in requests.items():
            client.get(path)  # warm: templates compiled, names folded once
            times, size = [], 0
            for _ in range(args.runs):
                started = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
                size = len(response.content)
            found = response.headers.get("X-Total-Count") or ""
            if "accents" in label:
                assert wanted.split()[0] in unaccented(response.text), label
            results.append({"request": label, "path": path, "bytes": size, "total": found,
                            "ms": summary(times)})  # fmt: skip
        state.site.close()
    if args.json:
        print(
            json.dumps({"people": args.people, "machine": platform.machine(), "results": results})
        )
        return
    print(f"{args.people} people, {args.runs} runs each")
    print("| request | answer | p50 ms | p95 ms |")
    print("|---|---|---|---|")
    for row in results:
        ms = row["ms"]
        assert isinstance(ms, dict)
        size = f"{int(str(row['bytes'])) / 1024:.1f} KB"
        print(f"| {row['request']} | {size} | {ms['p50']:.0f} | {ms['p95']:.0f} |")


if __name__ == "__main__":
    main()
