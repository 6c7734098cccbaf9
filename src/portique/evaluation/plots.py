"""Plots of evaluation results (matplotlib, written as PNG files)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from statistics import NormalDist

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure

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
    return _save(figure, path)


def _save(figure: Figure, path: Path) -> Path:
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path


def write_throughput_plot(per_minute: dict[str, dict[datetime, int]], path: Path) -> Path:
    """Passages per minute, one line per lane, minutes without a passage at zero."""
    figure, axes = plt.subplots(figsize=(6.4, 3.6), dpi=110)
    every = [minute for counts in per_minute.values() for minute in counts]
    if every:
        # Wall-clock minutes on the site's clock, as numpy times matplotlib can place.
        first = np.datetime64(min(every).replace(tzinfo=None), "m")
        last = np.datetime64(max(every).replace(tzinfo=None), "m")
        clock = np.arange(first, last + np.timedelta64(1, "m"), np.timedelta64(1, "m"))
        for lane, counts in sorted(per_minute.items()):
            series = np.zeros(clock.size)
            for minute, count in counts.items():
                series[
                    int((np.datetime64(minute.replace(tzinfo=None), "m") - first).astype(int))
                ] = count
            axes.step(clock.astype("datetime64[s]"), series, where="post", label=lane)
        axes.legend(fontsize="small")
    axes.xaxis.set_major_formatter(DateFormatter("%H:%M"))  # type: ignore[no-untyped-call]
    axes.set_xlabel("heure")
    axes.set_ylabel("passages par minute")
    axes.set_title("Débit par voie")
    axes.grid(True, alpha=0.3)
    return _save(figure, path)


def write_latency_histogram(groups: dict[str, list[float]], path: Path) -> Path:
    """Decision latency histograms (ms, log scale), one per group of passages."""
    figure, axes = plt.subplots(figsize=(6.4, 3.6), dpi=110)
    values = [v for group in groups.values() for v in group if v > 0]
    low, high = (min(values), max(values)) if values else (0.01, 100.0)
    bins = np.logspace(np.log10(low * 0.9), np.log10(high * 1.1), 40)
    for label, group in groups.items():
        if group:
            axes.hist([max(v, low) for v in group], bins=list(bins), alpha=0.6, label=label)
    axes.set_xscale("log")
    axes.set_xlabel("temps de décision (ms)")
    axes.set_ylabel("passages")
    axes.set_title("Temps de transaction à la voie")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize="small")
    return _save(figure, path)


def write_wait_plots(
    waits: dict[str, np.ndarray], queues: dict[str, tuple[np.ndarray, np.ndarray]], path: Path
) -> Path:
    """Simulated waits (distribution) and people waiting over time, one line per mode."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(9.6, 3.8), dpi=110)
    for label, values in waits.items():
        ordered = np.sort(values) / 60.0
        left.plot(ordered, np.arange(1, ordered.size + 1) / max(ordered.size, 1), label=label)
    left.set_xlabel("attente (min)")
    left.set_ylabel("part des élèves")
    left.set_title("Attente à l'entrée (simulation)")
    left.grid(True, alpha=0.3)
    left.legend(fontsize="small")
    for label, (times, lengths) in queues.items():
        right.step(times / 60.0, lengths, where="post", label=label)
    right.set_xlabel("minutes après le début des arrivées")
    right.set_ylabel("personnes en attente")
    right.set_title("File d'attente (toutes voies)")
    right.grid(True, alpha=0.3)
    return _save(figure, path)
