"""Issue 16, finding 3: a large import never holds the gate. It is written in short
transactions (a lane writes between two of them), capped in lines with a clear error, and
the console runs it in the background and shows its progress."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from server_support_for_security import Server, serve, served

from portique.bootstrap import open_site
from portique.services import import_people_in_steps, list_people
from portique.store.models import ImportJobRow, LockdownRow

LINES = 120


def roster(count: int) -> bytes:
    rows = [f"Nom{n};Prénom{n};{1 + n % 28:02}/03/2010;6{'ABCD'[n % 4]}" for n in range(count)]
    return ("Nom;Prénom;Né(e) le;Classe\n" + "\n".join(rows) + "\n").encode()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with served(tmp_path) as made:
        yield made


def test_a_lane_writes_between_the_steps_of_an_import(server: Server) -> None:
    """Each step is a transaction of its own: another connection writes between two
    (on SQLite it would wait for the import's write lock otherwise)."""
    writes: list[int] = []
    with open_site(server.directory) as site, open_site(server.directory) as lane:

        def progress(done: int, lines: int) -> None:
            with lane.session() as session:
                session.add(LockdownRow(site_id=lane.site_id, since=server.clock.now))
            writes.append(done)

        report = import_people_in_steps(
            site.session, site.site_id, roster(LINES), now=server.clock.now, progress=progress
        )
        with site.session() as session:
            people = list_people(session, site.site_id, now=server.clock.now)
    assert len(report.imported) == LINES == len(people)
    assert len(writes) >= 2 and writes[-1] == LINES
    assert writes == sorted(writes)


def test_an_import_in_steps_refuses_what_the_single_one_refuses(server: Server) -> None:
    data = roster(30) + "Nom3;Prénom3;04/03/2010;6D\nX;Y;31/02/2010;6A\n".encode()
    with open_site(server.directory) as site:
        first = import_people_in_steps(site.session, site.site_id, data, now=server.clock.now)
        again = import_people_in_steps(site.session, site.site_id, data, now=server.clock.now)
    assert len(first.imported) == 30
    reasons = [row.reason for row in first.rejected]
    assert len(reasons) == 2 and reasons[0] in ("doublon de la ligne 5", "duplicate of line 5")
    assert again.imported == () and len(again.rejected) == 32


def test_the_console_shows_an_import_under_way(server: Server) -> None:
    admin = server.signed_in("administration")
    with open_site(server.directory) as site, site.session() as session:
        session.add(
            ImportJobRow(
                job_id="a" * 32,
                site_id=site.site_id,
                started_by="administration",
                file_name="eleves.csv",
                started_at=server.clock.now,
                finished_at=None,
                lines=50_000,
                lines_done=20_000,
                report=None,
                error=None,
            )
        )
    page = admin.get(f"/people/import/jobs/{'a' * 32}")
    assert page.status_code == 200
    assert 'id="job-progress" max="50000" value="20000"' in page.text
    assert "20000" in page.text and "eleves.csv" in page.text
    # The page asks how far the import is; it never reloads itself (RGAA 13.1).
    assert "http-equiv" not in page.text and "/static/job.js" in page.text
    status = admin.get(f"/people/import/jobs/{'a' * 32}/status")
    assert status.json() == {"state": "running", "done": 20_000, "total": 50_000}
    assert admin.get(f"/people/import/jobs/{'b' * 32}").status_code == 404
    assert server.signed_in("agent").get(f"/people/import/jobs/{'a' * 32}").status_code == 403
    assert admin.get(f"/people/import/jobs/{'b' * 32}/status").status_code == 404


def test_a_console_import_in_the_background_ends_with_its_report(tmp_path: Path) -> None:
    with served(tmp_path, background_imports=True) as server:
        admin = server.signed_in("administration")
        csrf = admin.headers["X-CSRF-Token"]
        sent = admin.post(
            "/people/import",
            data={"csrf": csrf},
            files={"file": ("eleves.csv", roster(40), "text/csv")},
        )
        assert sent.status_code == 303
        for thread in threading.enumerate():
            if thread.name.startswith("import-"):
                thread.join()
        # Another server process of the site shows the same import, and its report.
        other = serve(server.directory, server.lane_token, server.clock)
        shown = other.signed_in("administration").get(sent.headers["location"])
        assert 'id="imported-count">40<' in shown.text


def test_a_file_past_the_line_cap_is_refused_by_the_console_at_once(server: Server) -> None:
    from portique.services.roster import MAX_ROSTER_LINES

    admin = server.signed_in("administration")
    answer = admin.post(
        "/people/import",
        data={"csrf": admin.headers["X-CSRF-Token"]},
        files={"file": ("big.csv", roster(MAX_ROSTER_LINES + 1), "text/csv")},
    )
    assert answer.status_code in (400, 413)
    assert "100" in answer.text and 'role="alert"' in answer.text
