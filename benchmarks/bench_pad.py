"""Benchmark: presentation-attack detection (MiniFASNet V2 + V1SE) on bona fide lane-like
frames made from LFW and on a SYNTHETIC attack set (print-like and screen-like renderings
of other LFW photos), the ISO/IEC 30107-3 metrics at several thresholds.

    python benchmarks/bench_pad.py --lfw ../shared/datasets/lfw --count 150 --out out/pad [--seed 0]

It writes the set under OUT/set (reproducible: the same arguments give the same files),
then the summary of `portique eval pad` at the product's default threshold and a sweep of
thresholds as OUT/pad.json. The synthetic attacks say nothing of real prints or screens.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from portique.biometrics import create_backend, create_pad
from portique.evaluation.pad import evaluate_pad
from portique.evaluation.pad_synthetic import write_pad_set

SWEEP = (0.05, 0.1, 0.15, 0.2, 0.3, 0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lfw", type=Path, required=True)
    parser.add_argument("--count", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    made = write_pad_set(args.lfw, args.out / "set", args.count, seed=args.seed)
    result = evaluate_pad(
        args.out / "set" / "bona-fide",
        args.out / "set" / "attacks",
        create_backend("edgeface"),
        create_pad(),
    )
    report = {
        "set": made,
        "default": result.summary(),
        "sweep": {
            f"{t:g}": {"bpcer": round(result.bpcer(t), 4), "apcer": result.apcer(t)} for t in SWEEP
        },
        "bona_fide_percentiles": {
            f"p{q}": round(float(np.percentile(result.bona_fide.scores, q)), 4)
            for q in (1, 3, 5, 10, 50)
        },
        "attack_max": {s: round(float(f.scores.max()), 4) for s, f in result.attacks.items()},
    }
    np.savez(
        args.out / "scores.npz",
        bona_fide=result.bona_fide.scores,
        **{species: folder.scores for species, folder in result.attacks.items()},
    )
    (args.out / "pad.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
