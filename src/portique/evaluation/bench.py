"""Latency of the face pipeline, stage by stage, on real LFW faces in camera-like frames."""

from __future__ import annotations

import io
import os
import platform
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from portique.biometrics.backends.dlib_backend import DlibBackend
from portique.biometrics.image import load_image
from portique.biometrics.pad import PadDetector
from portique.biometrics.pipeline import FaceEngine
from portique.biometrics.quality import assess_quality
from portique.biometrics.types import RGBImage
from portique.errors import PortiqueError
from portique.evaluation.lfw import DatasetError, images_dir, read_pairs

FRAME_SIZE = (640, 480)


@dataclass
class StageTimes:
    """Milliseconds per call, by stage name."""

    samples: dict[str, list[float]] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block and record it under ``name``."""
        started = time.perf_counter()
        yield
        self.samples.setdefault(name, []).append((time.perf_counter() - started) * 1000.0)

    def summary(self) -> dict[str, dict[str, float]]:
        return {
            stage: {
                "p50_ms": round(float(np.percentile(values, 50)), 3),
                "p95_ms": round(float(np.percentile(values, 95)), 3),
                "n": len(values),
            }
            for stage, values in self.samples.items()
        }


def lfw_sample(root: Path, count: int) -> list[Path]:
    """``count`` distinct LFW images named in the View 2 pairs, in a fixed order."""
    images = images_dir(root)
    refs: list[Path] = []
    seen: set[Path] = set()
    for pair in read_pairs(root / "pairs.txt"):
        for ref in (pair.first, pair.second):
            path = ref.path(images)
            if path not in seen and path.is_file():
                seen.add(path)
                refs.append(path)
    if len(refs) < count:
        raise DatasetError(f"only {len(refs)} LFW images are available; {count} were asked for.")
    step = len(refs) / count
    return [refs[int(i * step)] for i in range(count)]


def camera_frame(face: RGBImage, index: int) -> RGBImage:
    """An LFW crop placed in a 640x480 frame as a lane camera at 0.5-1.5 m would see it."""
    scale = 1.0 + 0.6 * ((index * 7) % 10) / 10.0
    resized = cv2.resize(face, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    width, height = FRAME_SIZE
    frame = np.full((height, width, 3), 96, dtype=np.uint8)
    h, w = min(resized.shape[0], height), min(resized.shape[1], width)
    x = (width - w) // 2 + ((index * 37) % 81) - 40
    y = max(0, (height - h) // 2 - 20)
    frame[y : y + h, x : x + w] = resized[:h, :w]
    return frame


def _jpeg(image: RGBImage) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def time_stages(
    engine: FaceEngine, encoded: list[bytes], times: StageTimes, reference: np.ndarray
) -> None:
    """Decode, detect, landmarks, align, quality, embed each image, compare with ``reference``."""
    backend = engine.backend
    for data in encoded:
        with times.stage("decode"):
            image = load_image(data)
        with times.stage("detect"):
            detections = backend.detect(image)
        try:
            detection, _ = engine.choose(image, detections)
        except PortiqueError:  # no face or no dominant face: nothing more to time
            continue
        with times.stage("landmarks"):
            points = backend.landmarks(image, detection)
        with times.stage("align"):
            face = backend.align(image, points)
        with times.stage("quality"):
            assess_quality(face, engine.quality)
        with times.stage("embed"):
            vector = backend.embed([face], flip=engine.flip)[0]
        with times.stage("compare"):
            float(np.dot(vector, reference))


@dataclass(frozen=True)
class BenchResult:
    """Everything `portique bench` measured."""

    machine: dict[str, object]
    frames: dict[str, dict[str, float]]
    crops: dict[str, dict[str, float]]
    verify_frame: dict[str, float]
    descriptor: dict[str, object]
    verify_frame_with_pad: dict[str, float] = field(default_factory=dict)
    """The same ``verify`` followed by presentation-attack detection of the frame."""
    backend: str = ""
    model: str = ""

    def as_json(self) -> dict[str, object]:
        return {
            "machine": self.machine,
            "backend": self.backend,
            "model": self.model,
            "stages_640x480": self.frames,
            "stages_250x250": self.crops,
            "verify_640x480_decode_excluded": self.verify_frame,
            "verify_640x480_with_pad": self.verify_frame_with_pad,
            "descriptor": self.descriptor,
        }


def machine_facts() -> dict[str, object]:
    """What the numbers were measured on."""
    import onnxruntime

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "onnxruntime": onnxruntime.__version__,
        "opencv": cv2.__version__,
    }


def _percentiles(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(float(np.percentile(values, 50)), 3),
        "p95_ms": round(float(np.percentile(values, 95)), 3),
        "n": len(values),
    }


def compare_descriptors(chips: list[RGBImage], *, repeats: int = 1) -> dict[str, object]:
    """dlib's native descriptor against the converted one, side by side on the same chips."""
    native = DlibBackend(engine="dlib-native")
    converted = DlibBackend(engine="onnx")
    native_ms: list[float] = []
    converted_ms: list[float] = []
    cosines: list[float] = []
    for chip in chips:
        for _ in range(repeats):
            started = time.perf_counter()
            a = native.embed_chips([chip])[0]
            native_ms.append((time.perf_counter() - started) * 1000.0)
            started = time.perf_counter()
            b = converted.embed_chips([chip])[0]
            converted_ms.append((time.perf_counter() - started) * 1000.0)
        cosines.append(float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))))
    batch = np.stack(chips[: min(8, len(chips))])
    started = time.perf_counter()
    converted.embed_chips(list(batch))
    batch_ms = (time.perf_counter() - started) * 1000.0 / len(batch)
    return {
        "faces": len(chips),
        "native": _percentiles(native_ms),
        "converted": _percentiles(converted_ms),
        "converted_batch8_per_face_ms": round(batch_ms, 3),
        "speedup_p50": round(float(np.median(native_ms) / np.median(converted_ms)), 2),
        "min_cosine": round(min(cosines), 7),
    }


def run_bench(
    root: Path,
    engine: FaceEngine,
    *,
    frames: int = 100,
    on_progress: Callable[[int], None] | None = None,
    pad: PadDetector | None = None,
) -> BenchResult:
    """Measure the pipeline on ``frames`` LFW faces, in 640x480 frames and as 250x250 crops;
    with ``pad``, also ``verify`` followed by presentation-attack detection."""
    paths = lfw_sample(root, frames)
    crops = [load_image(path) for path in paths]
    frame_images = [camera_frame(crop, i) for i, crop in enumerate(crops)]
    # A first call loads models and warms caches; it is not part of the figures.
    # It also gives the template every face is compared with.
    reference: np.ndarray | None = None
    for warm_up in crops[:5]:
        with suppress(PortiqueError):
            reference = engine.acquire(warm_up, enforce_quality=False).template.vector
    if reference is None:
        raise DatasetError("none of the first LFW images gave a face; check the dataset.")
    frame_times, crop_times = StageTimes(), StageTimes()
    verify_ms: list[float] = []
    with_pad_ms: list[float] = []
    chips: list[RGBImage] = []
    for crop, frame in zip(crops, frame_images, strict=True):
        time_stages(engine, [_jpeg(frame)], frame_times, reference)
        time_stages(engine, [_jpeg(crop)], crop_times, reference)
        try:
            stored = engine.acquire(crop, enforce_quality=False).template
            started = time.perf_counter()
            _, capture = engine.verify(frame, stored)
            verify_ms.append((time.perf_counter() - started) * 1000.0)
            if pad is not None:
                started = time.perf_counter()
                _, capture = engine.verify(frame, stored)
                pad.assess(frame, capture.detection.box)
                with_pad_ms.append((time.perf_counter() - started) * 1000.0)
            chips.append(engine.locate(crop)[0].chip)
        except PortiqueError:  # a frame the rules refuse is not a latency sample
            pass
        if on_progress:
            on_progress(1)
    descriptor: dict[str, object] = {}
    if isinstance(engine.backend, DlibBackend) and chips:
        descriptor = compare_descriptors(chips)
    return BenchResult(
        machine=machine_facts(),
        frames=frame_times.summary(),
        crops=crop_times.summary(),
        verify_frame=_percentiles(verify_ms) if verify_ms else {},
        descriptor=descriptor,
        verify_frame_with_pad=_percentiles(with_pad_ms) if with_pad_ms else {},
        backend=engine.backend.name,
        model=engine.backend.model,
    )
