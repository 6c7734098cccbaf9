"""The deployment files shipped in deploy/: systemd units that `systemd-analyze verify`
accepts without a word, and the commands they run exist with the options they pass."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from portique.cli import app

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
UNITS = {
    "portique-server@.service": "portique-server@8000.service",
    "portique-hub@.service": "portique-hub@a.service",
    "portique-lane.service": "portique-lane.service",
}
INSTALLED = "/opt/portique/.venv/bin/portique"


def _systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        message = "systemd-analyze is not installed (Debian package systemd)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def test_every_unit_is_verified_by_systemd_without_a_warning(tmp_path: Path) -> None:
    analyze = _systemd_analyze()
    portique = Path(sys.executable).with_name("portique")
    assert set(UNITS) == {path.name for path in (DEPLOY / "systemd").iterdir()}
    for name in UNITS:
        unit = (DEPLOY / "systemd" / name).read_text(encoding="utf-8")
        assert INSTALLED in unit
        # Verified against this machine's portique: systemd checks the command exists.
        (tmp_path / name).write_text(unit.replace(INSTALLED, str(portique)), encoding="utf-8")
    answer = subprocess.run(
        [analyze, "verify", *(str(tmp_path / instance) for instance in UNITS.values())],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert (answer.returncode, answer.stderr.strip()) == (0, ""), answer.stderr


@pytest.mark.parametrize("name", sorted(UNITS))
def test_the_command_of_each_unit_takes_the_options_it_is_given(name: str) -> None:
    unit = (DEPLOY / "systemd" / name).read_text(encoding="utf-8")
    command = re.search(rf"^ExecStart={re.escape(INSTALLED)} (.+)$", unit, re.MULTILINE)
    assert command
    words = [word for word in command.group(1).split() if not word.startswith("$")]
    options = [word for word in words if word.startswith("--")]
    first_option = next(index for index, word in enumerate(words) if word.startswith("--"))
    answer = CliRunner().invoke(app, [*words[:first_option], "--help"])
    assert answer.exit_code == 0, answer.output
    for option in options:
        assert option in answer.output, (name, option)
