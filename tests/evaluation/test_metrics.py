"""Metrics against small cases computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from portique.biometrics.operating_points import calibrate, threshold_at_fmr
from portique.errors import ConfigurationError
from portique.evaluation.metrics import best_threshold, det_curve, fmr, fnmr, kfold_accuracy


def test_fmr_and_fnmr_count_scores_at_the_threshold_as_matches() -> None:
    assert fmr([0.1, 0.5, 0.7, 0.9], 0.7) == 0.5
    assert fnmr([0.6, 0.7, 0.8, 0.95], 0.7) == 0.25


def test_best_threshold_separates_separable_scores() -> None:
    threshold = best_threshold([0.1, 0.2, 0.3, 0.8, 0.9], [False, False, False, True, True])
    assert 0.3 < threshold < 0.8


def test_best_threshold_minimises_errors_with_overlap() -> None:
    # Any cut leaves at least one error; between 0.4 and 0.6 leaves exactly one.
    scores = [0.1, 0.4, 0.5, 0.6, 0.9]
    same = [False, False, True, False, True]
    threshold = best_threshold(scores, same)
    errors = sum((s >= threshold) != t for s, t in zip(scores, same, strict=True))
    assert errors == 1


def test_kfold_accuracy_fits_the_threshold_on_the_other_folds() -> None:
    # Learnt on fold 1, the cut falls at 0.365: right for all of fold 0. Learnt on
    # fold 0, it falls at 0.4, which misses fold 1's genuine pair at 0.38.
    scores = [0.1, 0.2, 0.6, 0.8, 0.3, 0.35, 0.38, 0.9]
    same = [False, False, True, True, False, False, True, True]
    folds = [0, 0, 0, 0, 1, 1, 1, 1]
    result = kfold_accuracy(scores, same, folds)
    assert result.per_fold[0] == 1.0
    assert result.per_fold[1] == 0.75
    assert result.mean == pytest.approx(0.875)
    assert result.std == pytest.approx(0.125)


def test_threshold_at_fmr_gives_at_most_the_target_fmr() -> None:
    impostor = np.linspace(0.0, 1.0, 10_001)
    threshold = threshold_at_fmr(impostor, 1e-3)
    assert fmr(impostor, threshold) <= 1e-3
    # And it is the lowest such threshold: one score lower admits one more.
    assert np.sum(impostor >= threshold) == 10


def test_calibration_refuses_too_few_impostors() -> None:
    with pytest.raises(ConfigurationError, match="too few"):
        calibrate(np.random.default_rng(0).random(5_000))


def test_calibration_measures_what_it_promises() -> None:
    impostor = np.random.default_rng(1).normal(0.0, 0.1, 500_000)
    points = calibrate(impostor)
    assert points["fmr-1e-3"].measured_fmr <= 1e-3
    assert points["fmr-1e-4"].measured_fmr <= 1e-4
    assert points["fmr-1e-4"].threshold > points["fmr-1e-3"].threshold
    assert points["fmr-1e-4"].impostor_comparisons == 500_000


def test_det_curve_is_monotonic_trade_off() -> None:
    rng = np.random.default_rng(2)
    curve = det_curve(rng.normal(0.7, 0.1, 2_000), rng.normal(0.1, 0.1, 20_000))
    assert np.all(np.diff(curve.fmr) <= 0)
    assert np.all(np.diff(curve.fnmr) >= 0)
    assert curve.fmr[0] == 1.0
