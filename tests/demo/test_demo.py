"""`portique demo` end to end: a demo school, the real server, lanes replaying a morning."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

IMAGE_SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"RIFF", b"II*\x00", b"MM\x00*")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def poll_login(url: str, stop: threading.Event, answers: list[int]) -> None:
    """GETs the console's login page until ``stop``, keeping each status it answered."""
    while not stop.is_set():
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                answers.append(int(response.status))
        except urllib.error.HTTPError as error:
            answers.append(int(error.code))
        except OSError:
            pass
        stop.wait(0.05)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("models", "face_model"),
    [("pypi", "dlib-resnet-v1"), ("installed", "edgeface_xs_q")],
)
def test_the_demo_replays_a_morning_with_faces_through_the_real_server(
    tmp_path: Path, lfw_images: Path, request: pytest.FixtureRequest, models: str, face_model: str
) -> None:
    if models == "installed":  # as `make demo` does with ../shared/models
        request.getfixturevalue("installed_models_dir")
    port = free_port()
    directory = tmp_path / "demo"
    answers: list[int] = []
    stop = threading.Event()
    poller = threading.Thread(
        target=poll_login, args=(f"http://127.0.0.1:{port}/login", stop, answers), daemon=True
    )
    poller.start()
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "portique", "demo", "--once", "--json",
             "--faces", str(lfw_images), "--speed", "1000", "--dir", str(directory),
             "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PORTIQUE_LANG": "fr"},
        )  # fmt: skip
    finally:
        stop.set()
        poller.join(5)
    assert completed.returncode == 0, completed.stderr
    summary = json.loads(completed.stdout.strip().splitlines()[-1])

    assert summary["console"]["status"] == 200
    assert 200 in answers  # the console answered from outside while the morning played
    assert "agent" in completed.stderr and "direction" in completed.stderr  # logins shown
    assert summary["faces"] is True and summary["forwarded"] is True
    assert summary["unexpected"] == 0
    outcomes, reasons = summary["outcomes"], summary["reasons"]
    assert outcomes["grant"] > 20 and outcomes["deny"] >= 4 and outcomes["refer"] >= 1
    assert reasons["revoked"] == 2 and reasons["expired"] == 1
    assert reasons["exit_not_permitted"] == 1
    assert reasons["face_match"] >= 5 and reasons["face_mismatch"] == 1
    by_story = {item["story"]: item for item in summary["decisions"]}
    impostor = next(item for story, item in by_story.items() if "quelqu'un d'autre" in story)
    assert impostor["outcome"] == "refer" and impostor["reasons"] == ["face_mismatch"]
    assert impostor["alert"] is True
    revoked = [item for item in summary["decisions"] if "revoked" in item["reasons"]]
    assert all(item["outcome"] == "deny" and item["alert"] for item in revoked)
    leaving = next(item for item in summary["decisions"] if "exit_not_permitted" in item["reasons"])
    assert leaving["lane"] == "sortie" and leaving["outcome"] == "deny"

    # Nothing on disk holds a face: the only images are the printed cards (QR codes).
    images = [
        path
        for path in directory.rglob("*")
        if path.is_file() and path.read_bytes()[:8].startswith(IMAGE_SIGNATURES)
    ]
    assert images and all(path.parent == directory / "cards" for path in images)
    for path in directory.rglob("*"):
        assert path.suffix.lower() not in (".jpg", ".jpeg") or not path.is_file()
    assert (directory / "demo.json").stat().st_mode & 0o077 == 0

    # Every passage reached the server's store, once.
    from portique.bootstrap import open_site
    from portique.services.rows import site_row
    from portique.services.settings import site_settings
    from portique.store import Passages

    with open_site(directory / "site") as site, site.session() as session:
        stored = Passages(session).recent(site.site_id, limit=500)
        assert site_settings(site_row(session, site.site_id)).face_model == face_model
    assert len(stored) == summary["passages"]
    assert_audited(directory)


def assert_audited(directory: Path) -> None:
    """The demo's school was built, and its morning played, on a site opened by the
    composition root: its people are in the audit log, and so is the check-in of the
    invited visitor, made by the lane through the hub."""
    from portique.bootstrap import open_site
    from portique.demo import CAST
    from portique.privacy import audit

    with open_site(directory / "site") as site, site.session() as session:
        actions = Counter(entry.action for entry in audit.entries(session, site.site_id))
    assert actions["people.create"] > len(CAST)  # the cast, and the invited visitor
    assert actions["visits.update"] >= 1


def test_the_demo_without_faces_enrolls_nobody_and_reuses_its_school(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from portique.cli import app

    directory = tmp_path / "demo"
    runner = CliRunner()
    args = ["demo", "--once", "--json", "--speed", "1000", "--dir", str(directory)]
    first = runner.invoke(app, [*args, "--port", str(free_port())])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert summary["faces"] is False and summary["unexpected"] == 0
    assert "face_match" not in summary["reasons"] and "face_mismatch" not in summary["reasons"]
    assert summary["reasons"]["revoked"] == 2 and summary["reasons"]["expired"] == 1
    school = json.loads((directory / "demo.json").read_text(encoding="utf-8"))
    assert not any(holder["face"] for holder in school["holders"])

    again = runner.invoke(app, [*args, "--port", str(free_port())])
    assert again.exit_code == 0, again.output
    assert json.loads((directory / "demo.json").read_text(encoding="utf-8")) == school
    refused = runner.invoke(app, [*args, "--port", str(free_port()), "--faces", str(tmp_path)])
    assert refused.exit_code != 0
    assert "sans visages" in refused.stdout or "without faces" in refused.stdout
    assert_audited(directory)
