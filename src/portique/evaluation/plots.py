"""Plots of evaluation results (matplotlib, written as PNG files)."""

from __future__ import annotations

from pathlib import Path
from statistics import NormalDist

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from portique.evaluation.metrics import DetCurve

_TICKS = (1e-5, 1e-4, 1e-3, 1e-2, 0.05, 0.2, 0.5)


def _probit(values: np.ndarray) -> np.ndarray:
    inverse = NormalDist().inv_cdf
    clipped = np.clip(values, 1e-6, 1 - 1e-6)
    return np.array([inverse(float(v)) for v in clipped])


def write_det_plot(
    curves: dict[str, DetCurve],
    path: Path,
    *,
    title: str,
    marks: dict[str, tuple[float, float]] | None = None,
    xlabel: str = "FMR",
    ylabel: str = "FNMR",
) -> Path:
    """A DET plot (normal-deviate axes, as ISO/IEC 19795-1 recommends) of one or more curves.

    ``marks`` names points (FMR, FNMR) to highlight, such as the operating points.
    """
    figure, axes = plt.subplots(figsize=(6.4, 5.6), dpi=110)
    for label, curve in curves.items():
        keep = (curve.fmr > 0) & (curve.fnmr > 0)
        axes.plot(_probit(curve.fmr[keep]), _probit(curve.fnmr[keep]), label=label, linewidth=1.6)
    for label, (x, y) in (marks or {}).items():
        axes.plot(_probit(np.array([x])), _probit(np.array([max(y, 1e-6)])), "o", label=label)
    ticks = _probit(np.array(_TICKS))
    names = [f"{t:g}" for t in _TICKS]
    axes.set_xticks(ticks, names)
    axes.set_yticks(ticks, names)
    axes.set_xlim(ticks[0], ticks[-1])
    axes.set_ylim(ticks[0], ticks[-1])
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.grid(True, alpha=0.3)
    axes.legend(loc="upper right", fontsize="small")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path
