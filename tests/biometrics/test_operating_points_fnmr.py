"""Operating points carry the FNMR measured at their threshold, when it was measured, so
that the documents people are given can say how often the right person is refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from portique.biometrics.operating_points import (
    calibrate,
    operating_point,
    operating_points,
    save_operating_points,
)


def test_a_calibration_saved_with_its_fnmr_reads_it_back(tmp_path: Path) -> None:
    impostor = np.random.default_rng(7).uniform(0.0, 0.8, size=200_000)
    points = calibrate(impostor)
    target = tmp_path / "points.json"
    save_operating_points("m", points, "test", path=target, fnmr={"fmr-1e-4": 0.25})
    read = operating_points("m", path=target)
    assert read["fmr-1e-4"].measured_fnmr == pytest.approx(0.25)
    assert read["fmr-1e-3"].measured_fnmr is None  # not measured: not invented

    save_operating_points("other", points, "test", path=target)
    assert operating_points("other", path=target)["fmr-1e-4"].measured_fnmr is None
    assert operating_points("m", path=target)["fmr-1e-4"].measured_fnmr == pytest.approx(0.25)


def test_the_shipped_models_carry_their_lfw_fnmr() -> None:
    # BENCHMARKS.md: dlib 19.27 % at FMR 1e-4, MobileFaceNet 7.53 %.
    assert operating_point("dlib-resnet-v1").measured_fnmr == pytest.approx(0.1927)
    assert operating_point("mobilefacenet_foamliu").measured_fnmr == pytest.approx(0.0753)
