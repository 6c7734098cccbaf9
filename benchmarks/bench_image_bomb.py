"""Hostile images against the face loader, before (main's loader) and after issue 16.

Each case runs in a fresh process, so its peak memory (ru_maxrss of the child) is its
own; the old loader is `git show <ref>:src/portique/biometrics/image.py`, loaded beside
the new one. Run from the repository root:

    .venv/bin/python benchmarks/bench_image_bomb.py [--before REF] [--limit-gb 6]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "security"))
from hostile_support import png_declaring, png_with_short_header, ppm_with_bad_header

CASES = {
    "png 1x40,000,000 (68 bytes)": lambda: png_declaring(1, 40_000_000),
    "png 6000x6000 (68 bytes)": lambda: png_declaring(6000, 6000),
    "png short IHDR": png_with_short_header,
    "ppm bad header": ppm_with_bad_header,
}

CHILD = """
import importlib.util, json, resource, sys, time
spec = importlib.util.spec_from_file_location("loader", sys.argv[1])
loader = importlib.util.module_from_spec(spec)
spec.loader.exec_module(loader)
data = open(sys.argv[2], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
try:
    loader.load_image(data)
    outcome = "decoded"
except Exception as error:
    outcome = f"{type(error).__name__}: {getattr(error, 'code', '')}"
elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"outcome": outcome, "seconds": elapsed, "peak_mb": peak / 1024,
                  "added_mb": (peak - before) / 1024}))
"""


def _run(loader: Path, image: Path, limit_gb: float) -> dict[str, object]:
    limit = int(limit_gb * 1024**3)

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(loader), str(image)],
        capture_output=True,
        text=True,
        preexec_fn=cap,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        return {"outcome": f"crashed ({result.stderr.strip().splitlines()[-1][:80]})"}
    parsed: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return parsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", default="main", help="git ref of the old loader")
    parser.add_argument("--limit-gb", type=float, default=6.0, help="address space per case")
    options = parser.parse_args()
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as folder:
        old = Path(folder) / "old_image.py"
        old.write_text(
            subprocess.run(
                ["git", "show", f"{options.before}:src/portique/biometrics/image.py"],
                capture_output=True, text=True, check=True, cwd=root,
            ).stdout
        )  # fmt: skip
        new = root / "src" / "portique" / "biometrics" / "image.py"
        print("| case | loader | outcome | time (s) | peak RSS (MB) | added (MB) |")
        print("|---|---|---|---|---|---|")
        for name, make in CASES.items():
            image = Path(folder) / "case.bin"
            image.write_bytes(make())
            for label, loader in (("before", old), ("after", new)):
                started = time.perf_counter()
                found = _run(loader, image, options.limit_gb)
                seconds = float(str(found.get("seconds", time.perf_counter() - started)))
                peak = float(str(found.get("peak_mb", 0)))
                added = float(str(found.get("added_mb", 0)))
                print(
                    f"| {name} | {label} | {found['outcome']} | {seconds:.3f} | "
                    f"{peak:.0f} | {added:.0f} |"
                )


if __name__ == "__main__":
    main()
