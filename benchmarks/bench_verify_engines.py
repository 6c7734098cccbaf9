"""Benchmark: `verify` of a 640x480 lane frame against a stored template, the edgeface
back end (with and without presentation-attack detection) and the dlib one interleaved
frame by frame, so that a busy machine slows them alike.

    python benchmarks/bench_verify_engines.py --lfw ../shared/datasets/lfw \
        [--frames 60] [--threads 1]

Prints p50 and p95 per pipeline (ms, decode excluded) and the ratios to dlib.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import cv2
import numpy as np

from portique.biometrics import FaceEngine, create_backend, create_pad, load_image
from portique.errors import PortiqueError
from portique.evaluation.bench import camera_frame, lfw_sample
from portique.lane.face import LANE_COARSE_FACE_PX, LANE_MIN_FACE_PX


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lfw", type=Path, required=True)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    cv2.setNumThreads(args.threads)
    profile = {"min_face_px": LANE_MIN_FACE_PX, "coarse_face_px": LANE_COARSE_FACE_PX}
    engines = {
        name: FaceEngine(create_backend(name, threads=args.threads, **profile))  # type: ignore[arg-type]
        for name in ("edgeface", "dlib")
    }
    pad = create_pad(threads=args.threads)
    times: dict[str, list[float]] = {"edgeface": [], "edgeface+pad": [], "dlib": []}
    for index, path in enumerate(lfw_sample(args.lfw, args.frames)):
        crop = load_image(path)
        frame = camera_frame(crop, index)
        try:
            stored = {
                n: e.acquire(crop, enforce_quality=False).template for n, e in engines.items()
            }
            for label in ("edgeface", "edgeface+pad", "dlib"):
                engine = engines[label.split("+")[0]]
                started = time.perf_counter()
                _, capture = engine.verify(frame, stored[label.split("+")[0]])
                if label.endswith("pad"):
                    pad.assess(frame, capture.detection.box)
                times[label].append((time.perf_counter() - started) * 1000.0)
        except PortiqueError:
            continue
    report = {
        label: {
            "p50_ms": round(float(np.percentile(v, 50)), 1),
            "p95_ms": round(float(np.percentile(v, 95)), 1),
            "n": len(v),
        }
        for label, v in times.items()
    }
    for label in ("edgeface", "edgeface+pad"):
        report[label]["p50_vs_dlib"] = round(report[label]["p50_ms"] / report["dlib"]["p50_ms"], 2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
