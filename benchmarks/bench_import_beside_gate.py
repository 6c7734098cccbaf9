"""Lane passages recorded while a large people import runs (issue 16, finding 3).

A site (SQLite, or the database of ``--database-url``) with 200 people, 50 of them with
a card; then a ``--rows``-line CSV export is imported in a thread, in one transaction
(``one``: ``import_people``, as before issue 16) or in short steps (``steps``:
``import_people_in_steps``, what the API, the console and the CLI now use), or not at
all for 30 s (``none``: the machine's own latency, the baseline), while the
main thread records a passage every 50 ms (``Gate.pass_through``: decision, event,
commit), timed one by one until the import ends. A passage that fails (the store busy)
counts as an error, timed until it failed.

    .venv/bin/python benchmarks/bench_import_beside_gate.py [--rows 50000] \
        [--mode none|steps|one|all]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from portique.bootstrap import init_site, open_site
from portique.errors import PortiqueError
from portique.services import (
    Gate,
    import_people,
    import_people_in_steps,
    issue_credential,
    presented_from_text,
)

PARIS = ZoneInfo("Europe/Paris")
NO_IMPORT_SECONDS = 30.0
"""How long passages are timed in ``none`` mode (no import: the machine's baseline)."""


def roster(count: int, first: int = 0) -> bytes:
    lines = ["Nom;Prénom;Né(e) le;Classe"]
    for index in range(first, first + count):
        born = date(2008 + index % 4, 1 + index % 12, 1 + index % 28)
        lines.append(f"Nom{index};Prénom{index};{born:%d/%m/%Y};Classe {index % 40}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def school_morning() -> datetime:
    day = date.today() + timedelta(days=1)
    while day.weekday() != 1:  # a Tuesday: lessons all day
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 8, 0, tzinfo=PARIS)


def run(rows: int, mode: str, database_url: str | None) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder) / "site"
        init_site(directory, site_id="bench", database_url=database_url)
        site = open_site(directory, database_url=database_url)
        now = datetime.now(UTC)
        keyring = site.keyring()
        with site.session() as session:
            people = import_people(session, site.site_id, roster(200), now=now).imported
            texts = [
                issue_credential(session, site.site_id, keyring, person_id, now=now).payload_text
                for person_id in people[:50]
            ]
        gate = Gate(site, keyring=keyring)
        gate.warm_up(now)
        data = roster(rows, first=1000)
        steps: list[int] = []

        def progress(done: int, lines: int) -> None:
            steps.append(done)

        def run_import() -> None:
            if mode == "none":
                time.sleep(NO_IMPORT_SECONDS)
            elif mode == "one":
                with site.session() as session:
                    import_people(session, site.site_id, data, now=now)
            else:
                import_people_in_steps(site.session, site.site_id, data, now=now, progress=progress)

        importer = threading.Thread(target=run_import)
        began_import = time.perf_counter()
        importer.start()
        at = school_morning()
        timings: list[float] = []
        errors = 0
        index = 0
        while importer.is_alive():
            presented = presented_from_text(texts[index % len(texts)])
            lane = "entree" if index % 2 == 0 else "sortie"
            began = time.perf_counter()
            try:
                gate.pass_through(lane, presented, at=at + timedelta(seconds=index))
            except PortiqueError:
                errors += 1
            timings.append((time.perf_counter() - began) * 1000.0)
            index += 1
            time.sleep(0.05)
        importer.join()
        import_s = time.perf_counter() - began_import
        site.close()
    return {
        "mode": mode,
        "rows": rows,
        "import_s": round(import_s, 1),
        "steps": len(steps),
        "passages": len(timings),
        "errors": errors,
        "passage_ms": {
            "p50": round(statistics.median(timings), 1),
            "p99": round(percentile(timings, 0.99), 1),
            "max": round(max(timings), 1),
        },
        "over_100_ms": sum(1 for t in timings if t > 100),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--mode", choices=("none", "steps", "one", "all"), default="all")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    for mode in ("none", "steps", "one") if args.mode == "all" else (args.mode,):
        print(json.dumps(run(args.rows, mode, args.database_url)), flush=True)


if __name__ == "__main__":
    main()
