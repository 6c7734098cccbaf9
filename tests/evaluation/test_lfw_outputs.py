"""What a run of LFW View 2 writes: the summary, the DET plot and the calibration."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from portique.biometrics.operating_points import TARGET_FMRS, threshold_at_fmr
from portique.evaluation.lfw import LfwResult
from portique.evaluation.lfw_outputs import LfwOutputs, write_outputs
from portique.evaluation.metrics import FoldedAccuracy, fnmr


def _result() -> LfwResult:
    """A run over synthetic scores: 300 genuine pairs, 200,000 impostor comparisons."""
    rng = np.random.default_rng(7)
    genuine = rng.normal(0.75, 0.08, 300).astype(np.float32)
    impostor = rng.normal(0.1, 0.1, 200_000).astype(np.float32)
    thresholds = {name: threshold_at_fmr(impostor, fmr) for name, fmr in TARGET_FMRS.items()}
    return LfwResult(
        backend="dlib",
        model="synthetic-model",
        pairs=600,
        folds=10,
        images=1000,
        accuracy=FoldedAccuracy(0.99, 0.005, (0.99,) * 10, (0.4,) * 10),
        fta=0.001,
        failures={"no_face": 1},
        genuine=genuine,
        impostor=impostor,
        fnmr_at_fmr={name: fnmr(genuine, t) for name, t in thresholds.items()},
        thresholds_at_fmr=thresholds,
    )


def test_a_run_writes_its_summary_its_det_curve_and_its_calibration(tmp_path: Path) -> None:
    calibration = tmp_path / "operating_points.json"
    outputs = LfwOutputs(tmp_path / "out", calibrate=True, calibration_file=calibration)
    summary = write_outputs(_result(), outputs, seconds=12.34)
    assert summary["seconds"] == 12.3 and summary["pairs"] == 600
    assert summary["det_plot"] == str(tmp_path / "out" / "det.png")
    assert (tmp_path / "out" / "det.png").stat().st_size > 10_000
    written = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert written == {key: summary[key] for key in written}
    assert "det_plot" not in written and "calibration_file" not in written
    assert summary["calibration_file"] == str(calibration)
    points = json.loads(calibration.read_text(encoding="utf-8"))["synthetic-model"]["points"]
    assert set(points) == set(TARGET_FMRS)


def test_a_run_asked_for_nothing_writes_nothing(tmp_path: Path) -> None:
    summary = write_outputs(_result(), LfwOutputs(), seconds=1.0)
    assert not {"det_plot", "calibration_file", "scores_file"} & summary.keys()
    assert list(tmp_path.iterdir()) == []
