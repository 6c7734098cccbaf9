"""What a run of LFW View 2 leaves behind: its JSON summary (``summary.json``), the DET
curve (``det.png``), the scores per subject (``.npz``) and the calibrated operating
points of the model."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from portique.biometrics.operating_points import calibrate, save_operating_points
from portique.evaluation.lfw import LfwResult
from portique.evaluation.metrics import det_curve
from portique.evaluation.plots import write_det_plot
from portique.i18n import number


@dataclass(frozen=True)
class LfwOutputs:
    """Where a run writes what it measured; nothing is written where None (or False)."""

    out_dir: Path | None = None
    """``det.png`` and ``summary.json``."""
    scores_file: Path | None = None
    """The scores per subject, for the confidence intervals of the report."""
    calibrate: bool = False
    """Record the measured thresholds as the model's operating points..."""
    calibration_file: Path | None = None
    """...in this file (None: the package's own)."""


def write_outputs(result: LfwResult, outputs: LfwOutputs, *, seconds: float) -> dict[str, object]:
    """The summary `portique eval lfw --json` prints, once the files ``outputs`` asks for
    are written; it names them (``scores_file``, ``det_plot``, ``calibration_file``).

    ``summary.json`` holds the summary as it stands before the plot and the calibration.
    """
    summary = result.summary()
    summary["seconds"] = round(seconds, 1)
    if outputs.scores_file is not None and result.subject_scores is not None:
        summary["scores_file"] = str(result.subject_scores.save(outputs.scores_file).resolve())
    if outputs.out_dir is not None:
        outputs.out_dir.mkdir(parents=True, exist_ok=True)
        plot = write_det(result, outputs.out_dir / "det.png")
        (outputs.out_dir / "summary.json").write_text(
            json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        summary["det_plot"] = str(plot)
    if outputs.calibrate:
        written = save_operating_points(
            result.model,
            calibrate(result.impostor),
            source=f"LFW View 2 images ({result.images}), all impostor pairs",
            path=outputs.calibration_file,
            fnmr=result.fnmr_at_fmr,
        )
        summary["calibration_file"] = str(written)
    return summary


def write_det(result: LfwResult, path: Path) -> Path:
    """The DET curve of a run, its operating points marked with their FNMR."""
    marks = {
        f"{name} (FNMR {number(fnmr)})": (float(name.removeprefix("fmr-")), fnmr)
        for name, fnmr in result.fnmr_at_fmr.items()
    }
    write_det_plot(
        {f"{result.backend} / {result.model}": det_curve(result.genuine, result.impostor)},
        path,
        title=f"LFW View 2 — {result.backend} ({result.images} images)",
        marks=marks,
    )
    return path
