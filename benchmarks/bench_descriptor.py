"""Benchmark: dlib's native face descriptor against its ONNX conversion, side by side.

On N real LFW faces (dlib HOG detector, 5-point landmarks, dlib.get_face_chip 150 px with
padding 0.25) it measures, in the same run and interleaved face by face: parity (cosine
between the converted and the native descriptor) and the per-face time of dlib native and
of ONNX, one face per call and in batches of 8.

    python benchmarks/bench_descriptor.py [--faces N] [--threads T] [--json]

Exits with status 1 if any face's cosine is below 0.9999.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import dlib
import face_recognition_models
import numpy as np
import numpy.typing as npt
import onnxruntime

from portique.biometrics.dlib_onnx import DlibResnetOnnx, converted_model

LFW_IMAGES = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "lfw" / "images"
MIN_COSINE = 0.9999
SPEED_TARGET = 8.0
BATCH = 8
WARMUP = 3

Chip = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Timing:
    """Per-face milliseconds of one way of computing descriptors."""

    p50_ms: float
    p95_ms: float

    @classmethod
    def of(cls, per_face_seconds: list[float]) -> Timing:
        values = np.array(per_face_seconds) * 1000.0
        return cls(float(np.percentile(values, 50)), float(np.percentile(values, 95)))


@dataclass(frozen=True)
class Result:
    faces: int
    images_read: int
    onnxruntime: str
    dlib: str
    cpus: int | None
    load_before: float
    load_after: float
    threads: int | None
    min_cosine: float
    max_abs_difference: float
    batch_max_abs_difference: float
    native_single: Timing
    onnx_single: Timing
    native_batch: Timing
    onnx_batch: Timing
    speedup_single: float
    speedup_batch: float

    @property
    def parity_ok(self) -> bool:
        return self.min_cosine >= MIN_COSINE

    @property
    def speed_ok(self) -> bool:
        return self.speedup_single >= SPEED_TARGET


def lfw_chips(images: Path, count: int) -> tuple[list[Chip], int]:
    """The first `count` faces found in LFW (largest face of each image), as 150 px chips."""
    detector = dlib.get_frontal_face_detector()
    landmarks = dlib.shape_predictor(
        face_recognition_models.pose_predictor_five_point_model_location()
    )
    chips: list[Chip] = []
    read = 0
    for path in _lfw_files(images):
        image = dlib.load_rgb_image(str(path))
        read += 1
        faces = detector(image, 1)
        if faces:
            face = max(faces, key=lambda rect: rect.area())
            chips.append(dlib.get_face_chip(image, landmarks(image, face), size=150, padding=0.25))
        if len(chips) == count:
            break
    return chips, read


def _lfw_files(images: Path) -> Iterator[Path]:
    for person in sorted(images.iterdir()):
        yield from sorted(person.glob("*.jpg"))


def _cosines(
    left: npt.NDArray[np.float64], right: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    dots = np.sum(left * right, axis=1)
    norms = np.linalg.norm(left, axis=1) * np.linalg.norm(right, axis=1)
    result: npt.NDArray[np.float64] = dots / norms
    return result


def run(faces: int, threads: int | None, images: Path) -> Result:
    load_before = os.getloadavg()[0]
    chips, read = lfw_chips(images, faces)
    if len(chips) < faces:
        raise SystemExit(f"Only {len(chips)} faces found in {images}; asked for {faces}.")
    native = dlib.face_recognition_model_v1(
        face_recognition_models.face_recognition_model_location()
    )
    onnx = DlibResnetOnnx(converted_model(), threads=threads)
    for chip in chips[:WARMUP]:
        native.compute_face_descriptor(chip)
        onnx.embed_chips(chip)

    # One face per call, native and ONNX interleaved so both see the same machine state.
    native_descriptors = np.zeros((len(chips), 128))
    onnx_descriptors = np.zeros((len(chips), 128))
    native_single: list[float] = []
    onnx_single: list[float] = []
    for index, chip in enumerate(chips):
        start = time.perf_counter()
        native_descriptors[index] = np.array(native.compute_face_descriptor(chip))
        native_single.append(time.perf_counter() - start)
        start = time.perf_counter()
        onnx_descriptors[index] = onnx.embed_chips(chip)[0]
        onnx_single.append(time.perf_counter() - start)

    native_batch: list[float] = []
    onnx_batch: list[float] = []
    batch_descriptors: list[npt.NDArray[np.float32]] = []
    for start_index in range(0, len(chips) - BATCH + 1, BATCH):
        batch = chips[start_index : start_index + BATCH]
        stacked = np.stack(batch)
        start = time.perf_counter()
        native.compute_face_descriptor(batch)
        native_batch.append((time.perf_counter() - start) / BATCH)
        start = time.perf_counter()
        batch_descriptors.append(onnx.embed_chips(stacked))
        onnx_batch.append((time.perf_counter() - start) / BATCH)
    batched = np.concatenate(batch_descriptors)

    cosines = _cosines(onnx_descriptors, native_descriptors)
    timings = [Timing.of(t) for t in (native_single, onnx_single, native_batch, onnx_batch)]
    return Result(
        faces=len(chips),
        images_read=read,
        onnxruntime=onnxruntime.__version__,
        dlib=dlib.__version__,
        cpus=os.cpu_count(),
        load_before=load_before,
        load_after=os.getloadavg()[0],
        threads=threads,
        min_cosine=float(cosines.min()),
        max_abs_difference=float(np.abs(onnx_descriptors - native_descriptors).max()),
        batch_max_abs_difference=float(np.abs(batched - onnx_descriptors[: len(batched)]).max()),
        native_single=timings[0],
        onnx_single=timings[1],
        native_batch=timings[2],
        onnx_batch=timings[3],
        speedup_single=timings[0].p50_ms / timings[1].p50_ms,
        speedup_batch=timings[2].p50_ms / timings[3].p50_ms,
    )


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_table(result: Result) -> None:
    threads = "onnxruntime default" if result.threads is None else str(result.threads)
    print(
        f"dlib face descriptor, native (dlib {result.dlib}) vs ONNX (onnxruntime "
        f"{result.onnxruntime}); {result.cpus} CPUs, ONNX threads: {threads}"
    )
    print(
        f"1-minute load average {result.load_before:.2f} before, {result.load_after:.2f} after "
        "(other processes skew timings; compare ratios measured in the same run)"
    )
    print(
        f"{result.faces} LFW faces from {result.images_read} images "
        "(HOG detector, 5-point landmarks, 150 px chips, padding 0.25)"
    )
    print()
    print(
        f"parity   min cosine {result.min_cosine:.10f} (1 - min = {1 - result.min_cosine:.1e}), "
        f"max |diff| {result.max_abs_difference:.2e}   "
        f"target >= {MIN_COSINE}: {_verdict(result.parity_ok)}"
    )
    batch_difference = result.batch_max_abs_difference
    print(f"batch    ONNX batch of {BATCH} vs single, max |diff| {batch_difference:.2e}")
    print()
    print(f"{'per-face time (ms)':<26}{'p50':>9}{'p95':>9}")
    rows = [
        ("dlib native, single", result.native_single),
        ("ONNX, single", result.onnx_single),
        (f"dlib native, batch of {BATCH}", result.native_batch),
        (f"ONNX, batch of {BATCH}", result.onnx_batch),
    ]
    for label, timing in rows:
        print(f"{label:<26}{timing.p50_ms:>9.2f}{timing.p95_ms:>9.2f}")
    print()
    print(
        f"speed ratio (native p50 / ONNX p50): single {result.speedup_single:.1f}x, "
        f"batch of {BATCH} {result.speedup_batch:.1f}x   "
        f"target >= {SPEED_TARGET:.0f}x single: {_verdict(result.speed_ok)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--faces", type=int, default=500, help="LFW faces to use (default 500)")
    parser.add_argument("--threads", type=int, default=None, help="ONNX intra-op threads")
    parser.add_argument("--lfw", type=Path, default=LFW_IMAGES, help="LFW images folder")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.faces < BATCH:
        parser.error(f"--faces must be at least {BATCH}")
    if not args.lfw.is_dir():
        parser.error(f"LFW images not found at {args.lfw}")

    result = run(args.faces, args.threads, args.lfw)
    if args.json:
        record = {**asdict(result), "parity_ok": result.parity_ok, "speed_ok": result.speed_ok}
        print(json.dumps(record))
    else:
        print_table(result)
    return 0 if result.parity_ok else 1


if __name__ == "__main__":
    sys.exit(main())
