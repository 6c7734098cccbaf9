"""Peak memory of a real `portique serve` while nobody sends it 200 MB (issue 16, finding 1).

Each case starts a fresh server on a fresh site, sends a small body first (the baseline
peak, VmHWM), then the hostile one, and reports how far the peak rose and how far the
disk of the temporary folder filled meanwhile (a multipart file is spooled there). ``--before DIR``
runs the same against another checkout's ``src`` (main before the limits). Run from the
repository root:

    .venv/bin/python benchmarks/bench_body_limits.py [--before /tmp/main-src] [--mb 200]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "security"))
from served_process import peak_rss_mb, send_body, serving

MULTIPART_FILE = (
    b'--x\r\nContent-Disposition: form-data; name="file"; filename="people.csv"\r\n'
    b"Content-Type: text/csv\r\n\r\n"
)
CASES = {
    "JSON to /api/v1/people, Content-Length": ("/api/v1/people", False, "application/json"),
    "JSON to /api/v1/people, chunked": ("/api/v1/people", True, "application/json"),
    "multipart to /api/v1/people/import, Content-Length": (
        "/api/v1/people/import",
        False,
        "multipart/form-data; boundary=x",
    ),
}


class DiskWatch:
    """The most the temporary folder's disk filled above where it was, sampled every 10 ms."""

    def __init__(self) -> None:
        self.start = shutil.disk_usage(tempfile.gettempdir()).used
        self.most = self.start
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch)
        self.thread.start()

    def _watch(self) -> None:
        while not self.done.wait(0.01):
            self.most = max(self.most, shutil.disk_usage(tempfile.gettempdir()).used)

    def stop(self) -> float:
        self.done.set()
        self.thread.join()
        return round((self.most - self.start) / 1e6, 1)


def run(case: str, size: int, pythonpath: str | None) -> dict[str, object]:
    path, chunked, content_type = CASES[case]
    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder) / "site"
        env_path = {"PYTHONPATH": pythonpath} if pythonpath else {}
        subprocess.run(
            [sys.executable, "-m", "portique", "init", "--dir", str(site)],
            check=True,
            capture_output=True,
            env={**os.environ, **env_path},
        )
        with serving(site, pythonpath=pythonpath) as process:
            send_body(process, path, 1000, chunked=chunked, content_type=content_type)
            before = peak_rss_mb(process.pid)
            disk = DiskWatch()
            started = time.perf_counter()
            status, _ = send_body(
                process,
                path,
                size,
                chunked=chunked,
                content_type=content_type,
                prefix=MULTIPART_FILE if content_type.startswith("multipart") else b"",
            )
            elapsed = time.perf_counter() - started
            spooled = disk.stop()
            after = peak_rss_mb(process.pid)
    return {
        "case": case,
        "status": status,
        "peak_before_mb": round(before, 1),
        "peak_after_mb": round(after, 1),
        "rise_mb": round(after - before, 1),
        "tmp_disk_rise_mb": spooled,
        "seconds": round(elapsed, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", help="the src folder of the code to compare with")
    parser.add_argument("--mb", type=int, default=200)
    args = parser.parse_args()
    for label, pythonpath in (("before", args.before), ("after", None)):
        if label == "before" and not pythonpath:
            continue
        for case in CASES:
            print(json.dumps({"code": label, **run(case, args.mb * 1_000_000, pythonpath)}))


if __name__ == "__main__":
    main()
