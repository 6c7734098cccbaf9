"""No command prints a traceback on a hostile file: `verify`, `pass --face`, `pass --qr`
and `person import` answer exit code 2 with one clear line (or one JSON object)."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_support import HOSTILE_IMAGES, hostile_paths
from PIL import Image
from typer.testing import CliRunner, Result

from cli_support import Cli
from portique.biometrics import load_image
from portique.cli import app
from support import compose_frame, lfw_face

IMAGE_CODES = {"unreadable_image", "image_too_large"}
REAL_PROCESS_LIMIT_BYTES = 4 * 1024**3
"""A hostile file that slipped past the checks would eat memory: the real processes
below run under this address-space limit, so a regression fails instead of swapping."""


def _run(cli: Cli | None, args: tuple[str, ...]) -> Result:
    return CliRunner().invoke(app, list(args)) if cli is None else cli.run(*args)


def _refused(cli: Cli | None, *args: str, codes: set[str]) -> None:
    """``args`` (on the site of ``cli``, if given) exits with code 2 and one JSON object
    or one message, never a traceback."""
    result = _run(cli, (*args, "--json"))
    assert result.exit_code == 2, (args, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    (line,) = result.stdout.strip().splitlines()
    assert json.loads(line)["error"] in codes, line
    plain = _run(cli, args)
    assert plain.exit_code == 2 and "Traceback" not in plain.output
    assert len(plain.output.strip().splitlines()) <= 4, plain.output  # one line, wrapped


def _in_process_paths(folder: Path) -> dict[str, Path]:
    # /dev/zero and the FIFO run in a real process with limits: see the last test.
    paths = hostile_paths(folder)
    return {name: path for name, path in paths.items() if name not in {"fifo", "dev-zero"}}


def test_verify_refuses_every_hostile_image(lfw_images: Path, tmp_path: Path) -> None:
    good = str(lfw_face(lfw_images, "Colin_Powell", 1))
    for path in _in_process_paths(tmp_path / "hostile").values():
        _refused(None, "verify", good, str(path), codes=IMAGE_CODES)


def test_pass_refuses_every_hostile_qr_image(sqlite_cli: Cli, tmp_path: Path) -> None:
    for path in _in_process_paths(tmp_path / "hostile").values():
        _refused(sqlite_cli, "pass", "--lane", "entree", "--qr", str(path), codes=IMAGE_CODES)


def test_pass_refuses_every_hostile_face_of_an_enrolled_person(
    lfw_images: Path, tmp_path: Path
) -> None:
    sqlite_cli = Cli(tmp_path / "site")
    sqlite_cli.json("init", "--face")
    parent = sqlite_cli.parent()
    student = sqlite_cli.student(parent)
    sqlite_cli.json("consent", "grant", student, "--by", parent)
    card = sqlite_cli.issue(student, "--face", str(lfw_face(lfw_images, "Colin_Powell", 1)))
    assert card["has_template"] is True
    live = tmp_path / "live.png"
    frame = compose_frame([(load_image(lfw_face(lfw_images, "Colin_Powell", 2)), 1.2, (170, 90))])
    Image.fromarray(frame).save(live)
    presented = ("pass", "--lane", "entree", "--qr-text", card["qr_text"], "--at")
    for path in _in_process_paths(tmp_path / "hostile").values():
        _refused(sqlite_cli, *presented, sqlite_cli.at(10), "--face", str(path), codes=IMAGE_CODES)
    # The face was asked for: a real one is compared (and nothing was recorded before).
    granted = sqlite_cli.json(*presented, sqlite_cli.at(10), "--face", str(live))
    assert granted["decision"] == "GRANT" and granted["face_compared"] is True


def _roster_files(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        name: folder / f"{name}.csv"
        for name in ("binary", "huge-field", "sparse-30mb", "utf16-broken")
    }
    files["binary"].write_bytes(HOSTILE_IMAGES["garbage"]())
    files["huge-field"].write_bytes(b'Nom;Prenom;Ne le\n"' + b"x" * 2_000_000 + b'";B;01/01/2010\n')
    with open(files["sparse-30mb"], "wb") as handle:
        handle.truncate(30_000_000)
    files["utf16-broken"].write_bytes(b"\xff\xfeN\x00o\x00\x00\xd8")
    return files


def test_person_import_refuses_every_hostile_file(sqlite_cli: Cli, tmp_path: Path) -> None:
    codes = {"bad_roster", "unreadable_file"}
    for path in _roster_files(tmp_path / "rosters").values():
        _refused(sqlite_cli, "person", "import", str(path), codes=codes)
    _refused(sqlite_cli, "person", "import", str(tmp_path), codes=codes)  # a folder
    assert sqlite_cli.json("person", "list")["people"] == []


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (REAL_PROCESS_LIMIT_BYTES, REAL_PROCESS_LIMIT_BYTES))


@pytest.mark.parametrize("name", ["dev-zero", "fifo"])
def test_devices_and_pipes_are_refused_by_a_real_process(
    sqlite_cli: Cli, lfw_images: Path, tmp_path: Path, name: str
) -> None:
    path = str(hostile_paths(tmp_path / "hostile")[name])
    site = ("--dir", str(sqlite_cli.directory))
    commands = [
        ("verify", str(lfw_face(lfw_images, "Colin_Powell", 1)), path),
        ("pass", "--lane", "entree", "--qr", path, *site),
        ("person", "import", path, *site),
    ]
    for args in commands:
        result = subprocess.run(
            [sys.executable, "-m", "portique", *args],
            capture_output=True,
            text=True,
            env={**os.environ, "PORTIQUE_LANG": "en"},
            preexec_fn=_limit_memory,
            timeout=120,
            check=False,
        )
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert "regular file" in result.stderr, result.stderr
