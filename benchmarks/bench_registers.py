"""Time of `portique import siecle` on a synthetic 1,200-pupil lycée with its guardians
(acceptance: under 30 s), beside the CSV import of the same pupils as a baseline.

Each run is the real command in a fresh process on a fresh site (SQLite in the site
folder, or PostgreSQL with ``--postgres URL``): the first import (everyone added), the
same export again (nothing changes), a second export with 40 pupils gone and 5 leaving
(45 departures), and ``portique person import`` of the same pupils as a CSV.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_registers.py [--pupils 1200] [--runs 3]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portique.registers.synthetic import (
    SyntheticSchool,
    export_zip,
    guardians_xml,
    pupils_xml,
    synthetic_school,
)

PORTIQUE = [sys.executable, "-m", "portique"]
UAI = "0130001A"
IMPORTED_AT = "2026-09-21T09:00+02:00"
LATER = "2026-10-05T09:00+02:00"


def _run(args: list[str], env: dict[str, str]) -> tuple[float, dict[str, object]]:
    started = time.perf_counter()
    done = subprocess.run(
        [*PORTIQUE, *args, "--json"], env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {done.stdout}{done.stderr}")
    payload: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return elapsed, payload


def _csv(school: SyntheticSchool) -> bytes:
    lines = ["Nom;Prénom;Né(e) le;Classe"]
    lines += [
        f"{p.last_name};{p.first_name};{p.birth_date:%d/%m/%Y};{p.division}" for p in school.pupils
    ]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def _database(postgres: str | None) -> tuple[str | None, str | None]:
    """A fresh PostgreSQL database for one run (its URL and name), or none (SQLite)."""
    if postgres is None:
        return None, None
    name = f"portique_bench_{secrets.token_hex(4)}"
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(postgres).set(database=name).render_as_string(hide_password=False), name


def _drop(postgres: str | None, name: str | None) -> None:
    if postgres is None or name is None:
        return
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def one_run(school: SyntheticSchool, folder: Path, postgres: str | None) -> dict[str, float]:
    pupils = folder / "ExportXML_ElevesSansAdresses.zip"
    pupils.write_bytes(export_zip({"ElevesSansAdresses.xml": pupils_xml(school)}))
    guardians = folder / "ResponsablesAvecAdresses.xml"
    guardians.write_bytes(guardians_xml(school))
    gone = [p.eleve_id for p in school.pupils[100:140]]
    leaving = {p.eleve_id: date(2026, 10, 2) for p in school.pupils[600:605]}
    later = folder / "later.zip"
    later.write_bytes(
        export_zip({"ElevesSansAdresses.xml": pupils_xml(school.without(gone).leaving(leaving))})
    )
    roster = folder / "eleves.csv"
    roster.write_bytes(_csv(school))
    figures: dict[str, float] = {}
    for label, steps in (
        (
            "siecle",
            [
                ("first", ["import", "siecle", str(pupils), "--responsables", str(guardians),
                           "--at", IMPORTED_AT]),
                ("again", ["import", "siecle", str(pupils), "--responsables", str(guardians),
                           "--at", IMPORTED_AT]),
                ("leavers", ["import", "siecle", str(later), "--at", LATER]),
            ],
        ),
        ("csv", [("csv", ["person", "import", str(roster)])]),
    ):  # fmt: skip
        url, name = _database(postgres)
        site = folder / f"site-{label}"
        env = {**os.environ, "PORTIQUE_LANG": "en"}
        if url is not None:
            env["PORTIQUE_DATABASE_URL"] = url
        try:
            _run(["init", "--dir", str(site), "--site-id", f"b{secrets.token_hex(3)}",
                  "--uai", UAI], env)  # fmt: skip
            for step, args in steps:
                figures[step], payload = _run([*args, "--dir", str(site)], env)
                if step == "leavers":
                    assert payload["left"] == 45, payload
        finally:
            _drop(postgres, name)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pupils", type=int, default=1200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    school = synthetic_school(options.pupils, uaj=UAI, year=2026, seed=19)
    runs = []
    for _ in range(options.runs):
        with tempfile.TemporaryDirectory() as folder:
            runs.append(one_run(school, Path(folder), options.postgres))
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    result = {
        "pupils": options.pupils,
        "guardians": len(school.guardians),
        "database": "postgresql" if options.postgres else "sqlite",
        "runs": options.runs,
        "median_s": {key: round(value, 2) for key, value in median.items()},
        "siecle_over_csv": round(median["first"] / median["csv"], 2),
        "python": platform.python_version(),
    }
    if options.json:
        print(json.dumps(result))
        return
    print(
        f"{options.pupils} pupils and {len(school.guardians)} guardians ({result['database']}, "
        f"median of {options.runs}): first import {median['first']:.1f} s, again "
        f"{median['again']:.1f} s, 45 leavers {median['leavers']:.1f} s; CSV import of the "
        f"same pupils {median['csv']:.1f} s (ratio {result['siecle_over_csv']})"
    )


if __name__ == "__main__":
    main()
