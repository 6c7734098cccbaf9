"""Issue 16, finding 1: a body is refused past its route's limit before it is read or
spooled (413), and a large body is read only from a caller who is signed in (401 before
reading); a people file past its lines or columns is refused whole (413)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from served_process import peak_rss_mb, send_body, serving
from server_support_for_security import Server, served

from cli_support import Cli
from portique.server.limits import ANONYMOUS_BODY_BYTES, MAX_BODY_BYTES, MAX_UPLOAD_BYTES
from portique.services.roster import MAX_ROSTER_COLUMNS, MAX_ROSTER_LINES

MB = 1_000_000
BOUNDARY = "portiqueboundary"


class Sent:
    """A body handed to the app in 64 KB chunks as it asks for them, counting what it took."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pulled = 0

    async def receive(self) -> dict[str, Any]:
        if self.pulled >= self.size:
            return {"type": "http.disconnect"}
        chunk = min(65_536, self.size - self.pulled)
        self.pulled += chunk
        return {"type": "http.request", "body": b"{" * chunk, "more_body": self.pulled < self.size}


def post(
    app: FastAPI,
    path: str,
    body: Sent,
    *,
    declared: int | None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    """POSTs ``body`` straight to the ASGI app (no client buffering it): the status and
    the answer's body."""
    sent_headers = {"host": "testserver", "content-type": "application/json", **(headers or {})}
    if declared is None:
        sent_headers["transfer-encoding"] = "chunked"
    else:
        sent_headers["content-length"] = str(declared)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.encode(), v.encode()) for k, v in sent_headers.items()],
        "client": ("203.0.113.7", 40000),
        "server": ("testserver", 443),
    }
    answer: dict[str, Any] = {"status": 0, "body": b""}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    async def call() -> None:
        await app(scope, body.receive, send)

    anyio.run(call)
    return answer["status"], answer["body"]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with served(tmp_path) as made:
        yield made


def test_a_large_body_from_nobody_is_refused_before_it_is_read(server: Server) -> None:
    body = Sent(200 * MB)
    status, answer = post(server.app, "/api/v1/people", body, declared=200 * MB // 2)
    assert status == 401
    assert body.pulled == 0
    assert b'"unauthenticated"' in answer


def test_a_chunked_body_from_nobody_is_refused_before_it_is_read(server: Server) -> None:
    body = Sent(200 * MB)
    status, _ = post(server.app, "/api/v1/people", body, declared=None)
    assert status == 401
    assert body.pulled == 0


def test_a_small_body_from_nobody_is_left_to_its_route(server: Server) -> None:
    """A login form or a phone's enrolment is small: it is read, then judged by its route."""
    body = Sent(ANONYMOUS_BODY_BYTES // 2)
    status, _ = post(server.app, "/api/v1/people", body, declared=body.size)
    assert status in (401, 422)
    assert body.pulled == body.size


def test_a_body_declared_past_the_limit_is_refused_unread_even_from_a_token(
    server: Server,
) -> None:
    body = Sent(200 * MB)
    token = {"authorization": f"Bearer {server.lane_token}", "accept-language": "en"}
    status, answer = post(server.app, "/api/v1/passages", body, declared=body.size, headers=token)
    assert status == 413
    assert body.pulled == 0
    assert b'"body_too_large"' in answer
    assert f"{MAX_BODY_BYTES:,}".encode() in answer


def test_a_body_longer_than_declared_is_cut_at_the_limit(server: Server) -> None:
    body = Sent(200 * MB)
    token = {"authorization": f"Bearer {server.lane_token}"}
    status, _ = post(server.app, "/api/v1/passages", body, declared=None, headers=token)
    assert status == 413
    assert MAX_BODY_BYTES <= body.pulled <= MAX_BODY_BYTES + 65_536


def test_an_upload_is_cut_at_its_limit_before_it_is_spooled(server: Server) -> None:
    limit = MAX_UPLOAD_BYTES["/api/v1/people/import"]
    body = Sent(300 * MB)
    headers = {
        "authorization": f"Bearer {server.lane_token}",
        "content-type": f"multipart/form-data; boundary={BOUNDARY}",
    }
    status, _ = post(server.app, "/api/v1/people/import", body, declared=None, headers=headers)
    assert status in (400, 413)
    assert body.pulled <= limit + 65_536


def _csv(lines: list[str]) -> bytes:
    return ("Nom;Prénom;Né(e) le;Classe\n" + "\n".join(lines) + "\n").encode()


def test_a_people_file_of_too_many_lines_is_refused_whole(server: Server) -> None:
    rows = [f"Nom{n};Prénom;01/02/2010;6A" for n in range(MAX_ROSTER_LINES + 1)]
    answer = server.signed_in("administration").post(
        "/api/v1/people/import", files={"file": ("big.csv", _csv(rows), "text/csv")}
    )
    assert answer.status_code == 413
    assert answer.json()["error"] == "roster_too_large"
    assert f"{MAX_ROSTER_LINES:,}" in answer.json()["message"]
    assert server.signed_in("administration").get("/api/v1/people").json() == []


def test_a_people_file_with_a_line_of_too_many_columns_is_refused_whole(server: Server) -> None:
    rows = ["Durand;Léa;01/02/2010;6A", "x" + ";" * (MAX_ROSTER_COLUMNS * 1000)]
    answer = server.signed_in("administration").post(
        "/api/v1/people/import", files={"file": ("wide.csv", _csv(rows), "text/csv")}
    )
    assert answer.status_code == 413
    assert "Line 3" in answer.json()["message"] or "Ligne 3" in answer.json()["message"]


def test_a_signed_in_upload_under_the_limit_is_read(server: Server) -> None:
    answer = server.signed_in("administration").post(
        "/api/v1/people/import",
        files={"file": ("ok.csv", _csv(["Durand;Léa;01/02/2010;6A"]), "text/csv")},
    )
    assert answer.status_code == 200
    assert answer.json()["imported"] == 1


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_200_mb_from_nobody_leaves_the_served_process_within_20_mb(
    sqlite_cli: Cli, chunked: bool
) -> None:
    """A resource bound on a real `portique serve`: its peak memory (VmHWM) after 200 MB
    of JSON sent by nobody is at most 20 MB above its peak after a small request."""
    with serving(sqlite_cli.directory) as process:
        send_body(process, "/api/v1/people", 1000, chunked=chunked)
        before = peak_rss_mb(process.pid)
        status, _ = send_body(process, "/api/v1/people", 200 * MB, chunked=chunked)
        after = peak_rss_mb(process.pid)
    assert status == 401
    assert after - before <= 20
