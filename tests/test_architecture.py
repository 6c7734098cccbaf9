"""The layering of docs/architecture.md holds: import-linter checks the contracts of
pyproject.toml (layers, the lane as an edge, the store apart from the domain, no import
cycle anywhere) on the real import graph, lazy imports included."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_import_contract_of_the_architecture_is_kept() -> None:
    checked = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "0 broken" in checked.stdout
