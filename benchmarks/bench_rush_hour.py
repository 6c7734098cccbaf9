"""The rush-hour simulator over a grid of mornings, and the cost of simulating one.

For each number of lanes and each arrival profile, 1,200 students arrive between 07:45
and 08:05 and every mode (agent, badge, badge + face) is simulated on the same
arrivals, with the default service times (docs/assessment.md). Prints one line per
case and the wall time of each simulation.

    .venv/bin/python benchmarks/bench_rush_hour.py [--students N] [--seed S]
        [--referrals at-lane|aside] [--json]
"""

from __future__ import annotations

import argparse
import json
import time

from portique.evaluation.simulate import (
    ArrivalProfile,
    Queueing,
    Referrals,
    Scenario,
    default_modes,
    simulate,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--referrals", choices=[r.value for r in Referrals], default="at-lane")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    rows = []
    for profile in ArrivalProfile:
        for queueing in Queueing:
            for lanes in (2, 3, 4):
                scenario = Scenario(
                    people=options.students,
                    lanes=lanes,
                    profile=profile,
                    queueing=queueing,
                    seed=options.seed,
                    referrals=Referrals(options.referrals),
                )
                started = time.perf_counter()
                result = simulate(scenario, default_modes())
                seconds = time.perf_counter() - started
                for name, mode in result.results.items():
                    facts = mode.as_json(scenario.start)
                    rows.append(
                        {
                            "profile": profile.value,
                            "queueing": queueing.value,
                            "lanes": lanes,
                            "mode": name,
                            "wait_p50_s": facts["wait_p50_s"],
                            "wait_p95_s": facts["wait_p95_s"],
                            "longest_queue": facts["longest_queue"],
                            "cleared_at": facts["cleared_at"],
                            "simulation_s": round(seconds / len(result.results), 3),
                        }
                    )
    if options.json:
        print(json.dumps(rows, indent=2))
        return
    print(
        "| profile | queue | lanes | mode | wait p50 (s) | wait p95 (s) | longest queue "
        "| last one in | simulation (s) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(" | ".join(["", *(str(v) for v in row.values()), ""]).strip())


if __name__ == "__main__":
    main()
