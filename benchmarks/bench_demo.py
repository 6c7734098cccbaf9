"""Wall time of `portique demo --once` with faces: the demo school built (its faces
enrolled), the real server started and a morning played through it by the lanes.

Each run is the real command in a fresh process, on a fresh demo folder and a fresh data
folder, at ``--speed 1000`` (the morning's scripted waits shrink to nothing), as
tests/demo/test_demo.py runs it: ``dlib`` with no model installed (PyPI's dlib model),
``edgeface`` with the shared models installed first (``portique models install --from``,
as ``make demo`` does; the install is not timed). Run from the repository root:

    PYTHONPATH=src .venv/bin/python benchmarks/bench_demo.py [--models dlib,edgeface]
        [--runs 1] [--faces ../shared/datasets/lfw/images] [--shared ../shared/models] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PORTIQUE = [sys.executable, "-m", "portique"]
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FACE_MODELS = {"dlib": "dlib-resnet-v1", "edgeface": "edgeface_xs_q"}
"""The face model each case must leave the demo site with."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class DemoRun:
    seconds: float
    passages: int
    face_model: str | None


def one_run(case: str, faces: Path, shared: Path) -> DemoRun:
    """One demo in a fresh process; its wall time, passages and the site's face model."""
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "PORTIQUE_LANG": "en",
            "PORTIQUE_DATA_DIR": str(Path(folder) / "data"),
            "PORTIQUE_CONFIG": str(Path(folder) / "none.toml"),
        }
        if case == "edgeface":
            subprocess.run(
                [*PORTIQUE, "models", "install", "--from", str(shared)],
                env=env, capture_output=True, check=True,
            )  # fmt: skip
        directory = Path(folder) / "demo"
        started = time.perf_counter()
        done = subprocess.run(
            [*PORTIQUE, "demo", "--once", "--json", "--faces", str(faces), "--speed", "1000",
             "--dir", str(directory), "--port", str(free_port())],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"the {case} demo failed: {done.stdout}{done.stderr}")
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        if summary["unexpected"]:
            raise SystemExit(f"the {case} demo decided {summary['unexpected']} passages wrongly")
        return DemoRun(elapsed, int(summary["passages"]), _face_model(directory / "site"))


def _face_model(site_directory: Path) -> str | None:
    from portique.bootstrap import open_site
    from portique.services.rows import site_row
    from portique.services.settings import site_settings

    with open_site(site_directory) as site, site.session() as session:
        return site_settings(site_row(session, site.site_id)).face_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", default="dlib,edgeface")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--faces", type=Path, default=SHARED / "datasets" / "lfw" / "images")
    parser.add_argument("--shared", type=Path, default=SHARED / "models")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    results = {}
    for case in options.models.split(","):
        runs = [one_run(case, options.faces, options.shared) for _ in range(options.runs)]
        model = {run.face_model for run in runs}
        if model != {FACE_MODELS[case]}:
            raise SystemExit(f"the {case} demo enrolled with {model}, not {FACE_MODELS[case]}")
        seconds = [run.seconds for run in runs]
        results[case] = {
            "face_model": FACE_MODELS[case],
            "runs": options.runs,
            "passages": runs[0].passages,
            "median_s": round(statistics.median(seconds), 1),
            "max_s": round(max(seconds), 1),
        }
    if options.json:
        print(json.dumps({"demo": results, "python": platform.python_version()}))
        return
    for case, figures in results.items():
        print(
            f"{case} ({figures['face_model']}): {figures['passages']} passages, median of "
            f"{figures['runs']} {figures['median_s']} s, max {figures['max_s']} s"
        )


if __name__ == "__main__":
    main()
