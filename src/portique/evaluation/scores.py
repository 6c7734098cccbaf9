"""Comparison scores kept per subject, so that confidence intervals resample people."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import numpy.typing as npt

from portique.errors import BadInputError
from portique.evaluation.metrics import DetCurve, Interval, pair_blocks, system_rates

HISTOGRAM_BINS = 20_000
"""Bins of the impostor histogram over [-1, 1] (cosine scores): 1e-4 wide."""
TAIL_FMR = 1e-2
"""Impostor scores above the threshold giving this FMR are kept one by one."""
MIN_TAIL = 20_000
FORMAT_VERSION = 1


class ScoresFileError(BadInputError):
    """A scores file is missing or is not one `portique eval lfw --scores` wrote."""

    code = "dataset"


@dataclass(frozen=True)
class SubjectScores:
    """Genuine and impostor scores of an evaluation, each tied to the subjects compared.

    Impostor comparisons are many (29.6 million on LFW): their highest scores are kept
    one by one (``tail``, with both subjects), the rest only as a histogram, which is
    enough for a DET curve and exact for every FMR up to ``TAIL_FMR``.
    """

    subjects: int
    genuine: npt.NDArray[np.float64]
    genuine_subject: npt.NDArray[np.int64]
    impostor_total: int
    impostor_per_subject: npt.NDArray[np.int64]
    """Impostor comparisons each subject takes part in (each comparison counts for both)."""
    tail: npt.NDArray[np.float64]
    tail_a: npt.NDArray[np.int64]
    tail_b: npt.NDArray[np.int64]
    histogram: npt.NDArray[np.int64]
    image_subject: npt.NDArray[np.int64]
    image_acquired: npt.NDArray[np.bool_]
    image_enrolment: npt.NDArray[np.bool_]
    """The first image of each subject plays the enrolment; the others are attempts."""

    @property
    def tail_floor(self) -> float:
        return float(self.tail.min()) if self.tail.size else 1.0

    @cached_property
    def _ranked(
        self,
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """The tail from the highest score down, with both subjects of each comparison."""
        order = np.argsort(self.tail, kind="stable")[::-1]
        return self.tail[order], self.tail_a[order], self.tail_b[order]

    # --- Building, saving, loading --------------------------------------------------------

    @classmethod
    def from_vectors(
        cls,
        vectors: npt.NDArray[np.float32],
        usable: npt.NDArray[np.bool_],
        subject: npt.NDArray[np.int64],
        acquired: npt.NDArray[np.bool_],
        impostor: npt.NDArray[np.float32],
        chunk: int = 1024,
    ) -> SubjectScores:
        """Scores of every pair of usable images (i < j), with ``impostor`` already computed.

        ``subject`` gives each image's subject (0..n-1), images of a subject in order;
        ``acquired`` says whether the operational rules accepted the image.
        """
        subjects = int(subject.max()) + 1 if subject.size else 0
        keep = min(impostor.size, max(MIN_TAIL, math.ceil(TAIL_FMR * impostor.size) + 1))
        floor = (
            float(np.partition(impostor, impostor.size - keep)[impostor.size - keep])
            if keep
            else math.inf
        )
        kept = np.flatnonzero(usable)
        vectors, ids = vectors[kept], subject[kept]
        genuine, genuine_subject, tail, tail_a, tail_b = [], [], [], [], []
        count = vectors.shape[0]
        for block in pair_blocks(vectors, ids, chunk):
            row_ids = np.broadcast_to(block.row_ids[:, None], block.scores.shape)
            col_ids = np.broadcast_to(ids[None, :], block.scores.shape)
            genuine.append(block.scores[block.genuine])
            genuine_subject.append(row_ids[block.genuine])
            tail_mask = block.impostor & (block.scores >= floor)
            tail.append(block.scores[tail_mask])
            tail_a.append(row_ids[tail_mask])
            tail_b.append(col_ids[tail_mask])
        per_subject = np.bincount(ids, minlength=subjects).astype(np.int64)
        histogram, _ = np.histogram(impostor, bins=HISTOGRAM_BINS, range=(-1.0, 1.0))
        enrolment = np.zeros(subject.size, dtype=bool)
        enrolment[np.unique(subject, return_index=True)[1]] = True
        return cls(
            subjects=subjects,
            genuine=np.concatenate(genuine).astype(np.float64) if genuine else np.zeros(0),
            genuine_subject=np.concatenate(genuine_subject).astype(np.int64)
            if genuine_subject
            else np.zeros(0, np.int64),
            impostor_total=int(impostor.size),
            impostor_per_subject=per_subject * (count - per_subject),
            tail=np.concatenate(tail).astype(np.float64) if tail else np.zeros(0),
            tail_a=np.concatenate(tail_a).astype(np.int64) if tail_a else np.zeros(0, np.int64),
            tail_b=np.concatenate(tail_b).astype(np.int64) if tail_b else np.zeros(0, np.int64),
            histogram=histogram.astype(np.int64),
            image_subject=subject.astype(np.int64),
            image_acquired=acquired.astype(bool),
            image_enrolment=enrolment,
        )

    def save(self, path: Path) -> Path:
        """Write the scores as a compressed NumPy archive (scores and subject numbers only).

        Raises:
            ScoresFileError: the file cannot be written.
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = path.open("wb")
        except OSError as error:
            raise ScoresFileError(
                f"cannot write the scores file {path} ({error.strerror})."
            ) from None
        with handle:
            np.savez_compressed(
                handle,
                version=np.int64(FORMAT_VERSION),
                subjects=np.int64(self.subjects),
                genuine=self.genuine.astype(np.float32),
                genuine_subject=self.genuine_subject.astype(np.int32),
                impostor_total=np.int64(self.impostor_total),
                impostor_per_subject=self.impostor_per_subject,
                tail=self.tail.astype(np.float32),
                tail_a=self.tail_a.astype(np.int32),
                tail_b=self.tail_b.astype(np.int32),
                histogram=self.histogram,
                image_subject=self.image_subject.astype(np.int32),
                image_acquired=self.image_acquired,
                image_enrolment=self.image_enrolment,
            )
        return path

    @classmethod
    def load(cls, path: Path) -> SubjectScores:
        """Read a file `save` wrote.

        Raises:
            ScoresFileError: the file is missing or not a scores file.
        """
        try:
            with np.load(path, allow_pickle=False) as data:
                if int(data["version"]) != FORMAT_VERSION:
                    raise ScoresFileError(f"{path}: unknown scores file version.")
                return cls(
                    subjects=int(data["subjects"]),
                    genuine=data["genuine"].astype(np.float64),
                    genuine_subject=data["genuine_subject"].astype(np.int64),
                    impostor_total=int(data["impostor_total"]),
                    impostor_per_subject=data["impostor_per_subject"].astype(np.int64),
                    tail=data["tail"].astype(np.float64),
                    tail_a=data["tail_a"].astype(np.int64),
                    tail_b=data["tail_b"].astype(np.int64),
                    histogram=data["histogram"].astype(np.int64),
                    image_subject=data["image_subject"].astype(np.int64),
                    image_acquired=data["image_acquired"].astype(bool),
                    image_enrolment=data["image_enrolment"].astype(bool),
                )
        except (OSError, KeyError, ValueError) as error:
            raise ScoresFileError(
                f"cannot read the scores file {path}: write it with "
                f"`portique eval lfw --scores FILE` ({type(error).__name__})."
            ) from None

    # --- Rates, whole set or one bootstrap replicate --------------------------------------

    def fnmr(self, threshold: float, weights: npt.NDArray[np.float64] | None = None) -> float:
        """Genuine comparisons below ``threshold``; with ``weights``, subjects count that often."""
        w = _comparison_weights(self.genuine_subject, weights)
        total = float(w.sum())
        return float(w[self.genuine < threshold].sum() / total) if total else math.nan

    def fmr(self, threshold: float, weights: npt.NDArray[np.float64] | None = None) -> float:
        """Impostor comparisons at or above ``threshold`` (at least the tail's floor)."""
        if threshold < self.tail_floor:
            if weights is not None:
                raise ValueError("below the tail, impostor scores are not kept per subject.")
            return self._histogram_fmr(threshold)
        above = self.tail >= threshold
        if weights is None:
            return float(above.sum() / self.impostor_total) if self.impostor_total else math.nan
        both = weights[self.tail_a[above]] + weights[self.tail_b[above]]
        total = float((weights * self.impostor_per_subject).sum())
        return float(both.sum() / total) if total else math.nan

    def threshold_at_fmr(
        self, target: float, weights: npt.NDArray[np.float64] | None = None
    ) -> float:
        """The lowest threshold whose FMR is at most ``target`` (as the calibration does)."""
        scores, first, second = self._ranked
        if weights is None:
            allowed = math.floor(target * self.impostor_total)
            if allowed >= scores.size:
                raise ValueError(f"FMR {target:g} lies below the kept impostor tail.")
            return float(np.nextafter(scores[allowed], np.inf))
        both = weights[first] + weights[second]
        total = float((weights * self.impostor_per_subject).sum())
        # Walk down the sorted tail while the false matches stay within the target.
        over = np.flatnonzero(np.cumsum(both) > target * total)
        if over.size == 0:
            raise ValueError(f"FMR {target:g} lies below the kept impostor tail.")
        return float(np.nextafter(scores[over[0]], np.inf))

    def _histogram_fmr(self, threshold: float) -> float:
        edges = np.linspace(-1.0, 1.0, HISTOGRAM_BINS + 1)
        first = int(np.searchsorted(edges[:-1], threshold, side="left"))
        return float(self.histogram[first:].sum() / max(self.impostor_total, 1))

    def fte(self, weights: npt.NDArray[np.float64] | None = None) -> float:
        """Failure to enrol: enrolment images the operational rules refused."""
        return _share_failed(self, self.image_enrolment, weights)

    def fta(self, weights: npt.NDArray[np.float64] | None = None) -> float:
        """Failure to acquire: the other (verification) images the rules refused."""
        return _share_failed(self, ~self.image_enrolment, weights)

    def det(self, points: int = 400) -> DetCurve:
        """The DET curve: impostors from the histogram, refined by the exact tail."""
        edges = np.linspace(-1.0, 1.0, HISTOGRAM_BINS + 1)[:-1]
        above = np.cumsum(self.histogram[::-1])[::-1]
        fmr_values = above / max(self.impostor_total, 1)
        tail_sorted = np.sort(self.tail)
        fine = np.quantile(tail_sorted, np.linspace(0, 1, points)) if tail_sorted.size else edges
        thresholds = np.unique(np.concatenate((edges, fine)))
        fmrs = np.where(
            thresholds >= self.tail_floor,
            (tail_sorted.size - np.searchsorted(tail_sorted, thresholds, side="left"))
            / max(self.impostor_total, 1),
            np.interp(thresholds, edges, fmr_values),
        )
        gen_sorted = np.sort(self.genuine)
        fnmrs = np.searchsorted(gen_sorted, thresholds, side="left") / max(gen_sorted.size, 1)
        return DetCurve(thresholds, fmrs.astype(np.float64), fnmrs.astype(np.float64))


def _comparison_weights(
    subject: npt.NDArray[np.int64], weights: npt.NDArray[np.float64] | None
) -> npt.NDArray[np.float64]:
    if weights is None:
        return np.ones(subject.size, dtype=np.float64)
    return weights[subject]


def _share_failed(
    scores: SubjectScores, chosen: npt.NDArray[np.bool_], weights: npt.NDArray[np.float64] | None
) -> float:
    w = _comparison_weights(scores.image_subject[chosen], weights)
    total = float(w.sum())
    failed = ~scores.image_acquired[chosen]
    return float(w[failed].sum() / total) if total else math.nan


def subject_weights(subjects: int, rng: np.random.Generator) -> npt.NDArray[np.float64]:
    """One bootstrap replicate: how many times each subject is drawn (with replacement)."""
    return np.bincount(rng.integers(0, subjects, subjects), minlength=subjects).astype(np.float64)


@dataclass(frozen=True)
class LfwIntervals:
    """ISO/IEC 19795-1 rates of an evaluation with their subject-bootstrap intervals."""

    threshold: float
    operating_point: str
    fmr: Interval
    fnmr: Interval
    fte: Interval
    fta: Interval
    far: Interval
    frr: Interval
    fnmr_at_fmr: dict[str, Interval]


def lfw_intervals(
    scores: SubjectScores,
    *,
    threshold: float,
    operating_point: str,
    target_fmrs: dict[str, float],
    replicates: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> LfwIntervals:
    """Every rate at the deployed ``threshold``, and FNMR at each target FMR, with CIs.

    Each replicate draws as many subjects as there are, with replacement, and counts
    each subject's comparisons and images as many times as it was drawn.
    """
    rng = np.random.default_rng(seed)

    def rates(weights: npt.NDArray[np.float64] | None) -> dict[str, float]:
        fmr_value = scores.fmr(threshold, weights)
        fnmr_value = scores.fnmr(threshold, weights)
        fta_value = scores.fta(weights)
        far, frr = system_rates(fmr_value, fnmr_value, fta_value)
        values = {
            "fmr": fmr_value,
            "fnmr": fnmr_value,
            "fte": scores.fte(weights),
            "fta": fta_value,
            "far": far,
            "frr": frr,
        }
        for name, target in target_fmrs.items():
            values[name] = scores.fnmr(scores.threshold_at_fmr(target, weights), weights)
        return values

    point = rates(None)
    draws = [rates(subject_weights(scores.subjects, rng)) for _ in range(replicates)]

    def interval(key: str) -> Interval:
        return Interval.from_replicates(point[key], [d[key] for d in draws], level)

    return LfwIntervals(
        threshold=threshold,
        operating_point=operating_point,
        fmr=interval("fmr"),
        fnmr=interval("fnmr"),
        fte=interval("fte"),
        fta=interval("fta"),
        far=interval("far"),
        frr=interval("frr"),
        fnmr_at_fmr={name: interval(name) for name in target_fmrs},
    )
