"""A lane device installs ``portique[lane]``: none of the server's, the console's or the
report's libraries. The command line must start there, and the lane must run there.

Each check runs in a fresh interpreter where those libraries cannot be imported, as on
a lane device (the real install is measured in BENCHMARKS.md).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lane_support import PROVISIONED_AT

from portique.lane.comms.identity import (
    LANE_KEY_FILE,
    LANE_LINK_KEY_FILE,
    SERVER_KEY_FILE,
    new_lane_identity,
    new_signing_key,
    write_public_key,
    write_signing_key,
)
from portique.lane.comms.link import write_link_key

SERVER_SIDE = (
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "argon2",
    "jinja2",
    "matplotlib",
    "simpy",
    "playwright",
)

WITHOUT_SERVER_SIDE = f"""
import runpy, sys

class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {SERVER_SIDE!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, NotInstalled())
"""


def _run(code: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_SERVER_SIDE + code, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_command_line_starts_without_the_server_side() -> None:
    shown = _run(
        "sys.argv = ['portique', 'lane', 'run', '--help']\n"
        "runpy.run_module('portique', run_name='__main__')\n"
    )
    assert shown.returncode == 0, shown.stderr
    assert "--broker" in shown.stdout and "--site-dir" in shown.stdout


def test_the_lane_package_loads_nothing_of_the_server_side() -> None:
    loaded = _run(
        "import portique.lane, portique.lane.comms.mqtt\n"
        f"print(sorted(m for m in sys.modules if m.partition('.')[0] in {SERVER_SIDE!r}))\n"
        "print(sorted(m for m in sys.modules if m.startswith(('portique.services', "
        "'portique.store', 'portique.server', 'portique.privacy', 'portique.visitors', "
        "'portique.evaluation'))))\n"
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == ["[]", "[]"]


def _run_lane(site: Path) -> tuple[int | None, str]:
    code = (
        "sys.argv = ['portique', 'lane', 'run', '--site-dir', sys.argv[1], '--lane', 'entree',"
        " '--broker', 'mqtt://127.0.0.1:9', '--reader', 'stdin']\n"
        "runpy.run_module('portique', run_name='__main__')\n"
    )
    lane = subprocess.Popen(
        [sys.executable, "-c", WITHOUT_SERVER_SIDE + code, str(site)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PORTIQUE_LANG": "en"},
    )
    try:
        _, errors = lane.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        lane.terminate()  # as an operator's Ctrl-C: the lane stops cleanly
        _, errors = lane.communicate(timeout=30)
    return lane.returncode, errors


def _site_file(tmp_path: Path) -> Path:
    site = tmp_path / "lane"
    site.mkdir()
    (site / "site.json").write_text('{"format": 1, "site_id": "lycee-test"}\n', encoding="utf-8")
    return site


def test_a_lane_without_its_own_keys_is_told_to_provision_them(tmp_path: Path) -> None:
    site = _site_file(tmp_path)
    code, errors = _run_lane(site)
    assert code != 0
    assert "portique lane provision" in errors, errors
    assert "Traceback" not in errors, errors
    assert not (site / "keys" / "lane-link.key").exists()  # no shared key made up


def test_a_provisioned_lane_starts_over_mqtt_without_the_server_side(tmp_path: Path) -> None:
    site = _site_file(tmp_path)
    server = new_signing_key()
    identity, _ = new_lane_identity("lycee-test", "entree", server.public_key(), PROVISIONED_AT)
    write_signing_key(site / "keys" / LANE_KEY_FILE, identity.signing_key)
    write_link_key(site / "keys" / LANE_LINK_KEY_FILE, identity.link_key)
    write_public_key(site / "keys" / SERVER_KEY_FILE, server.public_key())
    # Nothing answers on port 9: the lane waits for its first snapshot until stopped.
    _, errors = _run_lane(site)
    assert "Waiting for the server's snapshot" in errors, errors
    assert "Error" not in errors, errors
