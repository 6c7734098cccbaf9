"""Latency of a passage without face through the store (``Gate.pass_through``), in process.

A site is made in a temporary folder (SQLite, or the database of ``--database-url``),
1,500 people are imported from a CSV export, 50 of them get a card, then passages
(QR text, entries and exits across a school day) are timed one by one, excluding
process start. Two figures per passage: ``decision`` is the latency the gate reports
(credential in hand to decision: snapshot of the holder read from the store, decide);
``total`` adds recording the event and committing.

    .venv/bin/python benchmarks/bench_pass.py [--passages 200] [--database-url URL] [--json]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from portique.bootstrap import init_site, open_site
from portique.services import Gate, import_people, issue_credential, presented_from_text

PARIS = ZoneInfo("Europe/Paris")
PEOPLE = 1500
HOLDERS = 50


def _roster(count: int) -> bytes:
    lines = ["Nom;Prénom;Né(e) le;Classe"]
    for index in range(count):
        born = date(2008 + index % 4, 1 + index % 12, 1 + index % 28)
        lines.append(f"Nom{index};Prénom{index};{born:%d/%m/%Y};Classe {index % 40}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "count": len(values),
        "p50": round(statistics.median(values), 2),
        "p95": round(_percentile(values, 0.95), 2),
    }


def run(passages: int, database_url: str | None) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder) / "site"
        init_site(directory, site_id="bench", database_url=database_url)
        site = open_site(directory, database_url=database_url)
        now = datetime.now(UTC)
        keyring = site.keyring()
        with site.session() as session:
            people = import_people(session, site.site_id, _roster(PEOPLE), now=now).imported
            texts = [
                issue_credential(session, site.site_id, keyring, person_id, now=now).payload_text
                for person_id in people[:HOLDERS]
            ]
        gate = Gate(site, keyring=keyring)
        gate.warm_up(datetime.now(UTC))
        day = date.today() + timedelta(days=1)
        while day.weekday() != 1:  # a Tuesday: lessons all day
            day += timedelta(days=1)
        start = datetime(day.year, day.month, day.day, 8, 0, tzinfo=PARIS)
        rng = random.Random(4)
        decisions, totals, outcomes = [], [], {"grant": 0, "deny": 0, "refer": 0}
        first, again, seen = [], [], set()
        for index in range(passages):
            lane = "entree" if index % 2 == 0 else "sortie"
            at = start + timedelta(minutes=rng.randrange(0, 9 * 60))
            chosen = rng.choice(texts)
            presented = presented_from_text(chosen)
            began = time.perf_counter()
            report = gate.pass_through(lane, presented, at=at)
            totals.append((time.perf_counter() - began) * 1000.0)
            decisions.append(report.latency_ms)
            (again if chosen in seen else first).append(report.latency_ms)
            seen.add(chosen)
            outcomes[report.decision.outcome.value] += 1
        site.close()
    return {
        "database": "sqlite" if database_url is None else database_url.split(":")[0],
        "people": PEOPLE,
        "passages": passages,
        "outcomes": outcomes,
        "decision_ms": {
            "p50": round(statistics.median(decisions), 2),
            "p95": round(_percentile(decisions, 0.95), 2),
        },
        "decision_first_ms": _summary(first),
        "decision_again_ms": _summary(again),
        "total_ms": {
            "p50": round(statistics.median(totals), 2),
            "p95": round(_percentile(totals, 0.95), 2),
        },
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.passages, args.database_url)
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"{result['passages']} passages, {result['people']} people, {result['database']}, "
        f"outcomes {result['outcomes']}"
    )
    for key, label in (
        ("decision_ms", "decision, all passages"),
        ("decision_first_ms", "decision, holder's first passage (read from the store)"),
        ("decision_again_ms", "decision, holder seen before (snapshot parts cached)"),
        ("total_ms", "decision + recording the event + commit"),
    ):
        figures = result[key]
        assert isinstance(figures, dict)
        print(f"  {label}: p50 {figures['p50']} ms, p95 {figures['p95']} ms")


if __name__ == "__main__":
    main()
