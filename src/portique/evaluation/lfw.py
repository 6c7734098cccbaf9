"""The LFW View 2 protocol: pairs, 10-fold accuracy, FNMR at fixed FMRs over all impostors."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from portique.biometrics.errors import (
    BiometricInputError,
    LowQualityError,
    MultipleFacesError,
    NoFaceError,
)
from portique.biometrics.image import load_image
from portique.biometrics.operating_points import (
    binomial_interval,
    measurable_fmrs,
    threshold_at_fmr,
)
from portique.biometrics.pipeline import FaceEngine, create_backend
from portique.biometrics.quality import assess_quality
from portique.biometrics.types import BoundingBox, Detection, RGBImage
from portique.errors import BadInputError
from portique.evaluation.metrics import FoldedAccuracy, fnmr, kfold_accuracy, pair_blocks
from portique.evaluation.scores import SubjectScores


class DatasetError(BadInputError):
    """The dataset folder or its pairs file is missing or malformed."""

    code = "dataset"


@dataclass(frozen=True)
class ImageRef:
    """One LFW image: a person's name and the image number (1-based)."""

    name: str
    number: int

    def path(self, images: Path) -> Path:
        return images / self.name / f"{self.name}_{self.number:04d}.jpg"


@dataclass(frozen=True)
class Pair:
    """Two images to compare; ``same`` when they show the same person."""

    fold: int
    first: ImageRef
    second: ImageRef
    same: bool


def images_dir(root: Path) -> Path:
    """The folder of per-person image folders: ``root/images`` or ``root`` itself."""
    candidate = root / "images"
    if candidate.is_dir():
        return candidate
    if root.is_dir():
        return root
    raise DatasetError(f"{root} is not a folder: give the LFW folder (holding images/).")


def read_pairs(path: Path) -> list[Pair]:
    """Parse a View 2 ``pairs.txt``: a header ``folds n`` then n same and n different per fold.

    Raises:
        DatasetError: the file is missing or a line does not follow the format.
    """
    try:
        lines = [line.split() for line in path.read_text(encoding="utf-8").splitlines()]
    except OSError as exc:
        raise DatasetError(f"cannot read the pairs file {path} ({exc.strerror}).") from None
    lines = [line for line in lines if line]
    try:
        folds, per_kind = int(lines[0][0]), int(lines[0][1])
    except (IndexError, ValueError):
        raise DatasetError(f"{path}: the first line must be '<folds> <pairs per kind>'.") from None
    expected = folds * per_kind * 2
    if len(lines) - 1 != expected:
        raise DatasetError(f"{path}: expected {expected} pairs, found {len(lines) - 1}.")
    pairs: list[Pair] = []
    for index, line in enumerate(lines[1:]):
        fold = index // (2 * per_kind)
        try:
            if len(line) == 3:
                pair = Pair(
                    fold, ImageRef(line[0], int(line[1])), ImageRef(line[0], int(line[2])), True
                )
            elif len(line) == 4:
                pair = Pair(
                    fold, ImageRef(line[0], int(line[1])), ImageRef(line[2], int(line[3])), False
                )
            else:
                raise ValueError
        except ValueError:
            raise DatasetError(f"{path}, line {index + 2}: not a pair: {' '.join(line)}") from None
        pairs.append(pair)
    return pairs


# --- Embedding many images in worker processes -------------------------------------------


@dataclass(frozen=True)
class EngineSpec:
    """How to rebuild the same face engine inside a worker process."""

    backend: str
    engine: str | None = None
    detector: Path | None = None
    embedder: Path | None = None
    operating_point: str = "fmr-1e-4"


@dataclass(frozen=True)
class ImageResult:
    """The template of one evaluated image and whether acquisition succeeded."""

    index: int
    vector: npt.NDArray[np.float32] | None
    status: str
    """``ok``, or the error code of the failure (``no_face``, ``low_quality``...)."""
    model: str = ""
    ms: float = 0.0
    """Time from decoding to template, milliseconds."""
    operational: npt.NDArray[np.float32] | None = None
    """The template of the face the operational rules chose, where it is not the labelled one."""


_worker_engine: FaceEngine | None = None


def build_engine(spec: EngineSpec, threads: int | None = None) -> FaceEngine:
    """The face engine ``spec`` describes, without requiring calibrated thresholds."""
    backend = create_backend(
        spec.backend,
        engine=spec.engine,
        detector=spec.detector,
        embedder=spec.embedder,
        threads=threads,
    )
    return FaceEngine(backend, operating_point_name=spec.operating_point, require_calibration=False)


def _init_worker(spec: EngineSpec) -> None:
    global _worker_engine
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    cv2.setNumThreads(1)
    _worker_engine = build_engine(spec, threads=1)


def central_box(image: RGBImage) -> Detection:
    """Where the subject's face stands in an LFW-style centred crop (a last resort)."""
    height, width = image.shape[:2]
    side = 0.43 * min(height, width)
    cx, cy = width / 2.0, height / 2.0 + 0.03 * height
    box = BoundingBox(cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)
    return Detection(box=box, score=0.0)


def subject_face(detections: Sequence[Detection], image: RGBImage) -> Detection:
    """The face the dataset's label names: LFW crops are centred on the named person's
    face, so the detection nearest the centre (the central region if none)."""
    if not detections:
        return central_box(image)
    height, width = image.shape[:2]

    def off_centre(d: Detection) -> float:
        x, y = d.box.center
        return float((x - width / 2) ** 2 + (y - height / 2) ** 2)

    return min(detections, key=off_centre)


@dataclass(frozen=True)
class Acquisition:
    """What evaluation takes from one image."""

    vector: npt.NDArray[np.float32]
    """The template of the labelled person's face (always computed, as protocols require)."""
    status: str
    """``ok``, or why the operational rules refused the image (a failure to acquire)."""
    operational: npt.NDArray[np.float32] | None = None
    """The template of another face, where the operational rules chose one."""


def acquire_for_evaluation(engine: FaceEngine, image: RGBImage) -> Acquisition:
    """A template for every image, as evaluation protocols require, and what went wrong.

    The operational rules (the dominant face, then the quality checks) decide whether
    the image counts as a failure to acquire. The template compared is always the
    labelled person's face (`subject_face`), so that a press photo showing someone
    else larger does not score another person; where the rules chose another face, its
    template is kept too, for the accuracy the lane's own choice would give.
    """
    backend = engine.backend
    quality = engine.quality
    detections = backend.detect(image)
    subject = subject_face(detections, image)
    chosen: Detection | None = None
    try:
        chosen, others = engine.choose(image, detections)
    except (NoFaceError, MultipleFacesError) as error:
        status = error.code
    faces = [backend.align(image, backend.landmarks(image, subject))]
    if chosen is not None:
        face = (
            faces[0]
            if chosen is subject
            else backend.align(image, backend.landmarks(image, chosen))
        )
        report = assess_quality(face, quality, other_faces=others)
        status = "ok" if report.passed else LowQualityError.code
        if chosen is not subject:
            faces.append(face)
    vectors = backend.embed(faces, flip=engine.flip)
    return Acquisition(vectors[0], status, vectors[1] if len(faces) > 1 else None)


def _embed_one(job: tuple[int, str]) -> ImageResult:
    index, path = job
    assert _worker_engine is not None
    started = time.perf_counter()
    try:
        image = load_image(Path(path))
        acquired = acquire_for_evaluation(_worker_engine, image)
    except BiometricInputError as error:
        return ImageResult(index, None, error.code, _worker_engine.backend.model)
    elapsed = (time.perf_counter() - started) * 1000.0
    model = _worker_engine.backend.model
    operational = acquired.operational
    return ImageResult(
        index,
        acquired.vector.astype(np.float32),
        acquired.status,
        model,
        elapsed,
        operational.astype(np.float32) if operational is not None else None,
    )


def embed_images(
    spec: EngineSpec,
    paths: Sequence[Path],
    *,
    workers: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> list[ImageResult]:
    """Templates of many images, computed by ``workers`` processes (one per core)."""
    count = max(1, workers or os.cpu_count() or 1)
    jobs = [(index, str(path)) for index, path in enumerate(paths)]
    results: list[ImageResult] = []
    if count == 1:
        _init_worker(spec)
        iterator: Iterator[ImageResult] = map(_embed_one, jobs)
        for result in iterator:
            results.append(result)
            if on_progress:
                on_progress(1)
    else:
        context = multiprocessing.get_context("spawn")
        with context.Pool(count, initializer=_init_worker, initargs=(spec,)) as pool:
            for result in pool.imap_unordered(_embed_one, jobs, chunksize=8):
                results.append(result)
                if on_progress:
                    on_progress(1)
    return sorted(results, key=lambda r: r.index)


# --- Scores and the report -----------------------------------------------------------------


def all_pair_scores(
    vectors: npt.NDArray[np.float32], labels: Sequence[str], chunk: int = 1024
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Genuine and impostor scores over every pair of distinct images (i < j)."""
    ids = np.unique(np.asarray(labels), return_inverse=True)[1]
    genuine: list[np.ndarray] = []
    impostor: list[np.ndarray] = []
    for block in pair_blocks(vectors, ids, chunk):
        genuine.append(block.scores[block.genuine])
        impostor.append(block.scores[block.impostor])
    return np.concatenate(genuine).astype(np.float32), np.concatenate(impostor).astype(np.float32)


@dataclass(frozen=True)
class LfwResult:
    """Everything one LFW View 2 run measured."""

    backend: str
    model: str
    pairs: int
    folds: int
    images: int
    accuracy: FoldedAccuracy
    fta: float
    failures: dict[str, int]
    genuine: npt.NDArray[np.float32] = field(repr=False)
    impostor: npt.NDArray[np.float32] = field(repr=False)
    fnmr_at_fmr: dict[str, float] = field(default_factory=dict)
    thresholds_at_fmr: dict[str, float] = field(default_factory=dict)
    fte: float = 0.0
    subject_scores: SubjectScores | None = field(default=None, repr=False)
    ms_per_face: float | None = None
    """Median time to turn one image into a template (decode to embedding), one thread."""
    accuracy_operational: FoldedAccuracy | None = None
    """The accuracy with the face the operational rules chose wherever it is not the
    labelled person's (a press photo showing someone else clearly larger)."""
    other_face_chosen: int = 0
    """Images where the operational rules chose another face than the labelled one."""

    def summary(self) -> dict[str, object]:
        """The JSON summary `portique eval lfw --json` prints."""
        result: dict[str, object] = {
            "backend": self.backend,
            "model": self.model,
            "pairs": self.pairs,
            "folds": self.folds,
            "images": self.images,
            "accuracy": round(self.accuracy.mean, 6),
            "accuracy_std": round(self.accuracy.std, 6),
            "accuracy_per_fold": [round(a, 6) for a in self.accuracy.per_fold],
            "accuracy_operational": round((self.accuracy_operational or self.accuracy).mean, 6),
            "other_face_chosen": self.other_face_chosen,
            "fta": round(self.fta, 6),
            "fte": round(self.fte, 6),
            "failures_to_acquire": self.failures,
            "genuine_comparisons": int(self.genuine.size),
            "impostor_comparisons": int(self.impostor.size),
        }
        for name in self.fnmr_at_fmr:
            key = name.replace("fmr-", "fmr_")
            result[f"fnmr_at_{key}"] = round(self.fnmr_at_fmr[name], 6)
            result[f"threshold_at_{key}"] = round(self.thresholds_at_fmr[name], 6)
            misses = round(self.fnmr_at_fmr[name] * self.genuine.size)
            low, high = binomial_interval(misses, int(self.genuine.size))
            result[f"fnmr_at_{key}_ci95"] = [round(low, 6), round(high, 6)]
        if self.ms_per_face is not None:
            result["ms_per_face"] = round(self.ms_per_face, 2)
        return result


def _images_of(pairs: Sequence[Pair], images: Path) -> list[ImageRef]:
    """Every image the pairs name, once, by person and number.

    Raises:
        DatasetError: an image named by a pair is missing.
    """
    refs = sorted(
        {ref for pair in pairs for ref in (pair.first, pair.second)},
        key=lambda r: (r.name, r.number),
    )
    missing = [ref.path(images) for ref in refs if not ref.path(images).is_file()]
    if missing:
        raise DatasetError(
            f"{len(missing)} images named in the pairs are missing, e.g. {missing[0]}."
        )
    return refs


def _vectors(
    results: Sequence[ImageResult], count: int
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_], dict[str, int]]:
    """The embeddings of ``count`` images in their order (zeros where none), which ones
    are usable, and the failures to acquire by kind."""
    dims = next((r.vector.shape[0] for r in results if r.vector is not None), 128)
    vectors = np.zeros((count, dims), dtype=np.float32)
    usable = np.zeros(count, dtype=bool)
    failures: dict[str, int] = {}
    for result in results:
        if result.vector is not None:
            vectors[result.index] = result.vector
            usable[result.index] = True
        if result.status != "ok":
            failures[result.status] = failures.get(result.status, 0) + 1
    return vectors, usable, failures


def _pair_scores(
    pairs: Sequence[Pair],
    position: dict[ImageRef, int],
    vectors: npt.NDArray[np.float32],
    usable: npt.NDArray[np.bool_],
) -> list[float]:
    """The cosine score of each pair; an image that could not even be read scores as the
    worst possible match."""
    scores = []
    for pair in pairs:
        a, b = position[pair.first], position[pair.second]
        scores.append(float(vectors[a] @ vectors[b]) if usable[a] and usable[b] else -1.0)
    return scores


def evaluate(
    root: Path,
    spec: EngineSpec,
    *,
    pairs_file: Path | None = None,
    limit_folds: int | None = None,
    workers: int | None = None,
    on_start: Callable[[int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    keep_subjects: bool = False,
) -> LfwResult:
    """Run LFW View 2 with the engine ``spec`` describes.

    With ``keep_subjects``, the result also holds every score tied to its subjects
    (`SubjectScores`), for confidence intervals that resample people.

    Raises:
        DatasetError: missing folder, pairs file or image named by a pair.
    """
    images = images_dir(root)
    pairs = read_pairs(pairs_file or root / "pairs.txt")
    if limit_folds is not None:
        if limit_folds < 1:
            raise DatasetError("--limit-folds must be at least 1.")
        pairs = [pair for pair in pairs if pair.fold < limit_folds]
    refs = _images_of(pairs, images)
    if on_start:
        on_start(len(refs))
    results = embed_images(
        spec, [ref.path(images) for ref in refs], workers=workers, on_progress=on_progress
    )
    engine_model = results[0].model if results else spec.backend
    vectors, usable, failures = _vectors(results, len(refs))
    position = {ref: index for index, ref in enumerate(refs)}
    same = [pair.same for pair in pairs]
    folds = [pair.fold for pair in pairs]
    accuracy = kfold_accuracy(_pair_scores(pairs, position, vectors, usable), same, folds)
    operational = vectors.copy()
    for result in results:
        if result.operational is not None:
            operational[result.index] = result.operational
    accuracy_operational = kfold_accuracy(
        _pair_scores(pairs, position, operational, usable), same, folds
    )
    kept = np.flatnonzero(usable)
    genuine, impostor = all_pair_scores(vectors[kept], [refs[i].name for i in kept])
    thresholds = {
        name: threshold_at_fmr(impostor, target)
        for name, target in measurable_fmrs(int(impostor.size)).items()
    }
    subject = np.unique([ref.name for ref in refs], return_inverse=True)[1].astype(np.int64)
    acquired = np.array([result.status == "ok" for result in results], dtype=bool)
    # The first image of each subject plays the enrolment (refs are sorted by name, number).
    enrolment = np.zeros(len(refs), dtype=bool)
    enrolment[np.unique(subject, return_index=True)[1]] = True
    subject_scores = (
        SubjectScores.from_vectors(vectors, usable, subject, acquired, impostor)
        if keep_subjects
        else None
    )
    return LfwResult(
        backend=spec.backend,
        model=engine_model,
        pairs=len(pairs),
        folds=len(set(folds)),
        images=len(refs),
        accuracy=accuracy,
        accuracy_operational=accuracy_operational,
        other_face_chosen=sum(result.operational is not None for result in results),
        fta=sum(failures.values()) / max(len(refs), 1),
        fte=float(np.mean(~acquired[enrolment])) if enrolment.any() else 0.0,
        failures=failures,
        genuine=genuine,
        impostor=impostor,
        fnmr_at_fmr={name: fnmr(genuine, t) for name, t in thresholds.items()},
        thresholds_at_fmr=thresholds,
        subject_scores=subject_scores,
        ms_per_face=float(np.median([r.ms for r in results if r.vector is not None] or [0.0])),
    )
