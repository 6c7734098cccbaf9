"""Verification metrics on score sets: FMR, FNMR, k-fold accuracy, DET points."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Scores = npt.NDArray[np.float64]


def as_scores(values: npt.ArrayLike) -> Scores:
    """Scores as a flat float64 array."""
    return np.asarray(values, dtype=np.float64).ravel()


def fmr(impostor: npt.ArrayLike, threshold: float) -> float:
    """False match rate: the share of impostor scores at or above the threshold."""
    scores = as_scores(impostor)
    return float(np.mean(scores >= threshold)) if scores.size else float("nan")


def fnmr(genuine: npt.ArrayLike, threshold: float) -> float:
    """False non-match rate: the share of genuine scores below the threshold."""
    scores = as_scores(genuine)
    return float(np.mean(scores < threshold)) if scores.size else float("nan")


def best_threshold(scores: npt.ArrayLike, same: npt.ArrayLike) -> float:
    """The threshold that classifies ``scores`` (match when >=) with the fewest errors."""
    values = as_scores(scores)
    labels = np.asarray(same, dtype=bool).ravel()
    order = np.argsort(values, kind="stable")
    values, labels = values[order], labels[order]
    # Threshold just above position i: everything at or below i is called "different".
    genuine_below = np.concatenate(([0], np.cumsum(labels)))
    impostor_above = np.concatenate(([0], np.cumsum(~labels)))
    impostor_above = impostor_above[-1] - impostor_above
    errors = genuine_below + impostor_above
    candidates = np.concatenate(
        ([values[0] - 1e-6], (values[:-1] + values[1:]) / 2.0, [values[-1] + 1e-6])
    )
    # Midpoints between equal scores do not separate them: keep only real cuts.
    valid = np.ones(candidates.size, dtype=bool)
    valid[1:-1] = values[:-1] < values[1:]
    errors = np.where(valid, errors, np.iinfo(np.int64).max)
    return float(candidates[int(np.argmin(errors))])


@dataclass(frozen=True)
class FoldedAccuracy:
    """k-fold cross-validated accuracy: the threshold is chosen on k-1 folds, used on the last."""

    mean: float
    std: float
    per_fold: tuple[float, ...]
    thresholds: tuple[float, ...]


def kfold_accuracy(
    scores: npt.ArrayLike, same: npt.ArrayLike, folds: npt.ArrayLike
) -> FoldedAccuracy:
    """Accuracy with cross-validated thresholds (the LFW View 2 protocol)."""
    values = as_scores(scores)
    labels = np.asarray(same, dtype=bool).ravel()
    fold_ids = np.asarray(folds).ravel()
    accuracies, thresholds = [], []
    for fold in np.unique(fold_ids):
        test = fold_ids == fold
        train = ~test
        if not train.any():  # a single fold: the threshold is fitted on itself
            train = test
        threshold = best_threshold(values[train], labels[train])
        predicted = values[test] >= threshold
        accuracies.append(float(np.mean(predicted == labels[test])))
        thresholds.append(threshold)
    array = np.array(accuracies)
    return FoldedAccuracy(
        mean=float(array.mean()),
        std=float(array.std()),
        per_fold=tuple(accuracies),
        thresholds=tuple(thresholds),
    )


@dataclass(frozen=True)
class DetCurve:
    """Error trade-off: for each threshold, the FMR and FNMR it gives."""

    thresholds: Scores
    fmr: Scores
    fnmr: Scores


def det_curve(genuine: npt.ArrayLike, impostor: npt.ArrayLike, points: int = 400) -> DetCurve:
    """FMR and FNMR over thresholds spanning both score sets (quantile-spaced)."""
    gen, imp = as_scores(genuine), as_scores(impostor)
    both = np.concatenate((gen, imp))
    thresholds = np.unique(np.quantile(both, np.linspace(0.0, 1.0, points)))
    # Add the impostor tail finely: low FMRs live in its top quantiles.
    tail = np.quantile(imp, 1.0 - np.logspace(-6, -1, points // 2))
    thresholds = np.unique(np.concatenate((thresholds, tail)))
    imp_sorted, gen_sorted = np.sort(imp), np.sort(gen)
    fmr_values = 1.0 - np.searchsorted(imp_sorted, thresholds, side="left") / max(imp.size, 1)
    fnmr_values = np.searchsorted(gen_sorted, thresholds, side="left") / max(gen.size, 1)
    return DetCurve(thresholds, fmr_values.astype(np.float64), fnmr_values.astype(np.float64))


def system_rates(fmr_value: float, fnmr_value: float, fta_value: float) -> tuple[float, float]:
    """System-level FAR and FRR of single-attempt transactions (ISO/IEC 19795-1).

    A failure to acquire ends the transaction in a rejection, so it can never be a false
    accept: FAR = FMR x (1 - FTA) and FRR = FTA + FNMR x (1 - FTA).
    """
    far = fmr_value * (1.0 - fta_value)
    frr = fta_value + fnmr_value * (1.0 - fta_value)
    return far, frr


@dataclass(frozen=True)
class Interval:
    """A rate with its bootstrap confidence interval (percentile method)."""

    value: float
    low: float
    high: float
    level: float = 0.95

    @classmethod
    def from_replicates(cls, value: float, replicates: list[float], level: float) -> Interval:
        draws = np.asarray([r for r in replicates if not np.isnan(r)], dtype=np.float64)
        if draws.size == 0:
            return cls(value, float("nan"), float("nan"), level)
        tail = (1.0 - level) / 2.0
        low, high = np.quantile(draws, [tail, 1.0 - tail])
        return cls(value, float(low), float(high), level)

    def as_json(self) -> dict[str, float]:
        return {
            "value": round(self.value, 6),
            "low": round(self.low, 6),
            "high": round(self.high, 6),
            "level": self.level,
        }


def bootstrap_rate(
    successes: npt.ArrayLike,
    trials: npt.ArrayLike,
    *,
    replicates: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> Interval:
    """A pooled rate (sum of successes over sum of trials) with a CI by resampling subjects.

    ``successes[i]`` and ``trials[i]`` are subject i's counts: the subjects, not their
    attempts, are drawn with replacement, since one person's attempts are not independent.
    """
    hits = np.asarray(successes, dtype=np.float64).ravel()
    tries = np.asarray(trials, dtype=np.float64).ravel()
    total = tries.sum()
    value = float(hits.sum() / total) if total else float("nan")
    if hits.size == 0:
        return Interval(value, float("nan"), float("nan"), level)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, hits.size, size=(replicates, hits.size))
    drawn_tries = tries[draws].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = hits[draws].sum(axis=1) / drawn_tries
    return Interval.from_replicates(value, [float(r) for r in rates], level)


@dataclass(frozen=True)
class PairBlock:
    """Scores of rows ``start..start+len(row_ids)`` of the images against all of them."""

    scores: npt.NDArray[np.float32]
    row_ids: npt.NDArray[np.int64]
    genuine: npt.NDArray[np.bool_]
    """Pairs (i < j) of the same subject."""
    impostor: npt.NDArray[np.bool_]
    """Pairs (i < j) of different subjects."""


def pair_blocks(
    vectors: npt.NDArray[np.float32], ids: npt.NDArray[np.int64], chunk: int = 1024
) -> Iterator[PairBlock]:
    """Every pair of distinct images (i < j) scored by cosine, a block of rows at a time
    so that memory stays bounded (29.6 million impostor pairs on LFW)."""
    count = vectors.shape[0]
    for start in range(0, count, chunk):
        stop = min(start + chunk, count)
        upper = np.arange(count)[None, :] > np.arange(start, stop)[:, None]
        same = ids[start:stop, None] == ids[None, :]
        yield PairBlock(
            vectors[start:stop] @ vectors.T, ids[start:stop], upper & same, upper & ~same
        )
