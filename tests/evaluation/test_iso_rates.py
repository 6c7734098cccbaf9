"""ISO/IEC 19795-1 rates, subject-level scores and their bootstrap intervals, by hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from portique.biometrics.operating_points import threshold_at_fmr
from portique.cli import app
from portique.evaluation.lfw import all_pair_scores
from portique.evaluation.metrics import bootstrap_rate, fmr, fnmr, system_rates
from portique.evaluation.scores import ScoresFileError, SubjectScores, lfw_intervals


def test_system_rates_count_a_failure_to_acquire_as_a_reject_never_an_accept() -> None:
    far, frr = system_rates(fmr_value=0.01, fnmr_value=0.10, fta_value=0.20)
    assert far == pytest.approx(0.01 * 0.8)
    assert frr == pytest.approx(0.20 + 0.10 * 0.8)
    assert system_rates(0.0, 0.0, 0.0) == (0.0, 0.0)


def test_bootstrap_rate_pools_counts_and_resamples_subjects() -> None:
    # Subject 0 failed 2 of 4 attempts, subject 1 none of 6: pooled 2/10.
    interval = bootstrap_rate([2, 0], [4, 6], replicates=2000, seed=3)
    assert interval.value == pytest.approx(0.2)
    # A replicate holds subject 0 twice (4/8), once with 1 (2/10) or never (0/12).
    assert interval.low == pytest.approx(0.0)
    assert interval.high == pytest.approx(0.5)
    assert bootstrap_rate([2, 0], [4, 6], seed=3) == bootstrap_rate([2, 0], [4, 6], seed=3)


def test_bootstrap_rate_of_one_subject_has_no_spread() -> None:
    interval = bootstrap_rate([3], [12], replicates=200)
    assert (interval.value, interval.low, interval.high) == (0.25, 0.25, 0.25)


def small_scores() -> SubjectScores:
    """Three subjects; genuine scores of subjects 0 and 1, impostor pairs all kept."""
    return SubjectScores(
        subjects=3,
        genuine=np.array([0.9, 0.6, 0.8, 0.95]),
        genuine_subject=np.array([0, 0, 1, 1]),
        impostor_total=6,
        impostor_per_subject=np.array([4, 4, 4]),
        tail=np.array([0.7, 0.2, 0.1, 0.3, 0.5, 0.0]),
        tail_a=np.array([0, 0, 0, 0, 1, 1]),
        tail_b=np.array([1, 1, 2, 2, 2, 2]),
        histogram=np.zeros(20_000, dtype=np.int64),
        image_subject=np.array([0, 0, 1, 1, 2, 2]),
        image_acquired=np.array([True, False, True, True, False, True]),
        image_enrolment=np.array([True, False, True, False, True, False]),
    )


def test_rates_at_a_threshold_by_hand() -> None:
    scores = small_scores()
    assert scores.fnmr(0.85) == pytest.approx(2 / 4)  # 0.6 and 0.8 fall below
    assert scores.fmr(0.45) == pytest.approx(2 / 6)  # 0.7 and 0.5 reach it
    assert scores.fte() == pytest.approx(1 / 3)  # subject 2's enrolment image failed
    assert scores.fta() == pytest.approx(1 / 3)  # subject 0's second image failed


def test_weights_count_a_subject_as_often_as_it_was_drawn() -> None:
    scores = small_scores()
    # Subject 0 drawn twice, subject 1 once, subject 2 never.
    weights = np.array([2.0, 1.0, 0.0])
    # Genuine: subject 0's (0.9, 0.6) twice, subject 1's (0.8, 0.95) once; below 0.85:
    # 0.6 x2 and 0.8 x1 out of 6.
    assert scores.fnmr(0.85, weights) == pytest.approx(3 / 6)
    # Impostors at or above 0.45: 0.7 (subjects 0, 1: weight 3) and 0.5 (1, 2: weight 1),
    # over sum(weights x 4 comparisons) = 12.
    assert scores.fmr(0.45, weights) == pytest.approx(4 / 12)
    assert scores.fta(weights) == pytest.approx(2 / 3)  # subject 0's two attempts, one failed


def test_threshold_at_fmr_matches_the_calibration() -> None:
    rng = np.random.default_rng(5)
    impostor = rng.normal(0.0, 0.2, 5000)
    scores = SubjectScores(
        subjects=100,
        genuine=np.zeros(0),
        genuine_subject=np.zeros(0, np.int64),
        impostor_total=impostor.size,
        impostor_per_subject=np.full(100, 100, dtype=np.int64),
        tail=impostor,
        tail_a=rng.integers(0, 100, impostor.size),
        tail_b=rng.integers(0, 100, impostor.size),
        histogram=np.zeros(20_000, dtype=np.int64),
        image_subject=np.zeros(0, np.int64),
        image_acquired=np.zeros(0, bool),
        image_enrolment=np.zeros(0, bool),
    )
    for target in (1e-2, 1e-3):
        expected = threshold_at_fmr(impostor, target)
        assert scores.threshold_at_fmr(target) == expected
        assert scores.threshold_at_fmr(target, np.ones(100)) == expected


def test_from_vectors_ties_every_score_to_its_subjects(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(9, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    subject = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    usable = np.ones(9, dtype=bool)
    usable[4] = False  # unreadable: in no comparison
    names = [str(s) for s in subject[usable]]
    genuine, impostor = all_pair_scores(vectors[usable], names)
    built = SubjectScores.from_vectors(vectors, usable, subject, usable.copy(), impostor)
    assert sorted(built.genuine) == pytest.approx(sorted(genuine.astype(np.float64)))
    assert sorted(built.tail) == pytest.approx(sorted(impostor.astype(np.float64)))
    # Of 8 usable images: subject 0 has 3 (3 x 5), subject 1 one (1 x 7), subject 2 four (4 x 4).
    assert list(built.impostor_per_subject) == [15, 7, 16]
    assert np.all(built.tail_a != built.tail_b)
    assert list(np.flatnonzero(built.image_enrolment)) == [0, 3, 5]
    saved = built.save(tmp_path / "scores.npz")
    with np.load(saved) as archive:  # scores and numbers only: no descriptor is saved
        assert all(archive[name].ndim <= 1 for name in archive.files)
    again = SubjectScores.load(saved)
    assert again.fnmr(0.1) == built.fnmr(0.1)
    assert again.fmr(0.1) == pytest.approx(built.fmr(0.1))


def test_a_file_that_is_not_a_scores_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scores.npz"
    path.write_text("not numpy")
    with pytest.raises(ScoresFileError, match="eval lfw --scores"):
        SubjectScores.load(path)


def test_intervals_hold_the_point_estimate_and_are_seeded() -> None:
    rng = np.random.default_rng(11)
    subjects = 60
    genuine_subject = np.repeat(np.arange(subjects), 4)
    tail_a = rng.integers(0, subjects, 4000)
    tail_b = (tail_a + rng.integers(1, subjects, 4000)) % subjects
    scores = SubjectScores(
        subjects=subjects,
        genuine=rng.normal(0.8, 0.1, genuine_subject.size),
        genuine_subject=genuine_subject,
        impostor_total=4000,
        impostor_per_subject=np.bincount(np.concatenate((tail_a, tail_b)), minlength=subjects),
        tail=rng.normal(0.2, 0.15, 4000),
        tail_a=tail_a,
        tail_b=tail_b,
        histogram=np.zeros(20_000, dtype=np.int64),
        image_subject=np.repeat(np.arange(subjects), 2),
        image_acquired=rng.random(2 * subjects) > 0.05,
        image_enrolment=np.tile([True, False], subjects),
    )
    first = lfw_intervals(
        scores, threshold=0.6, operating_point="x", target_fmrs={"fmr-1e-2": 1e-2}, replicates=300
    )
    again = lfw_intervals(
        scores, threshold=0.6, operating_point="x", target_fmrs={"fmr-1e-2": 1e-2}, replicates=300
    )
    assert first == again
    for interval in (first.fmr, first.fnmr, first.fta, first.far, first.frr):
        assert interval.low <= interval.value <= interval.high
        assert interval.high > interval.low
    assert first.fnmr.value == pytest.approx(fnmr(scores.genuine, 0.6))
    assert first.fmr.value == pytest.approx(fmr(scores.tail, 0.6))


def _small_pairs(lfw_root: Path, path: Path, per_kind: int) -> Path:
    lines = (lfw_root / "pairs.txt").read_text().splitlines()
    real_per_kind = int(lines[0].split()[1])
    chosen = [f"1 {per_kind}", *lines[1 : 1 + per_kind]]
    chosen += lines[1 + real_per_kind : 1 + real_per_kind + per_kind]
    path.write_text("\n".join(chosen) + "\n")
    return path


def test_scores_saved_by_eval_lfw_give_its_own_fnmr_and_thresholds(
    lfw_root: Path, tmp_path: Path
) -> None:
    pairs = _small_pairs(lfw_root, tmp_path / "pairs.txt", per_kind=20)
    result = CliRunner().invoke(
        app,
        ["eval", "lfw", "--root", str(lfw_root), "--pairs", str(pairs), "--workers", "1",
         "--scores", str(tmp_path / "scores.npz"), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    scores = SubjectScores.load(Path(summary["scores_file"]))
    assert scores.genuine.size == summary["genuine_comparisons"]
    assert scores.impostor_total == summary["impostor_comparisons"]
    for key, target in (("1e-3", 1e-3), ("1e-4", 1e-4)):
        threshold = scores.threshold_at_fmr(target)
        assert round(threshold, 6) == summary[f"threshold_at_fmr_{key}"]
        assert round(scores.fnmr(threshold), 6) == summary[f"fnmr_at_fmr_{key}"]
    failed = sum(summary["failures_to_acquire"].values())
    assert int((~scores.image_acquired).sum()) == failed
    assert round(scores.fte(), 6) == summary["fte"]
