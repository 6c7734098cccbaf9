"""Calibrated decision thresholds ("operating points") per embedder, stored as package data."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from portique.errors import ConfigurationError

DEFAULT_OPERATING_POINT = "fmr-1e-4"
TARGET_FMRS: dict[str, float] = {"fmr-1e-3": 1e-3, "fmr-1e-4": 1e-4}
"""The operating points every calibrated model has."""
STRICT_FMRS: dict[str, float] = {"fmr-1e-5": 1e-5}
"""Stricter points, calibrated only when the impostor comparisons are enough to measure
them (at least 10 false matches expected: 1 million comparisons for 1e-5)."""
ALL_FMRS: dict[str, float] = {**TARGET_FMRS, **STRICT_FMRS}
DATA_FILE = "operating_points.json"


@dataclass(frozen=True)
class OperatingPoint:
    """A named threshold: scores at or above it are a match."""

    name: str
    threshold: float
    target_fmr: float
    measured_fmr: float
    impostor_comparisons: int
    measured_fnmr: float | None = None
    """Share of genuine comparisons below the threshold on the same data, where measured."""


def package_data_path() -> Path:
    """The operating points file shipped inside the package."""
    return Path(str(resources.files("portique.biometrics") / "data" / DATA_FILE))


def _read(path: Path) -> dict[str, dict[str, object]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"{path} is not valid JSON ({exc}).") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path} must hold a JSON object.")
    return data


def operating_points(model: str, path: Path | None = None) -> dict[str, OperatingPoint]:
    """Every calibrated operating point of ``model``, by name."""
    entry = _read(path or package_data_path()).get(model)
    if not isinstance(entry, dict):
        return {}
    points = entry.get("points", {})
    assert isinstance(points, dict)
    impostors = int(str(entry.get("impostor_comparisons", 0)))
    return {
        name: OperatingPoint(
            name=name,
            threshold=float(point["threshold"]),
            target_fmr=float(point["target_fmr"]),
            measured_fmr=float(point["measured_fmr"]),
            impostor_comparisons=impostors,
            measured_fnmr=float(point["measured_fnmr"]) if "measured_fnmr" in point else None,
        )
        for name, point in points.items()
    }


def operating_point(model: str, name: str = DEFAULT_OPERATING_POINT) -> OperatingPoint:
    """The operating point called ``name`` for ``model``.

    Raises:
        ConfigurationError: unknown name, or the model was never calibrated.
    """
    if name not in ALL_FMRS:
        raise ConfigurationError(
            f"unknown operating point {name!r}; choose one of {', '.join(ALL_FMRS)}."
        )
    points = operating_points(model)
    if name not in points:
        raise ConfigurationError(
            f"the model {model} has no calibrated operating point {name}; run "
            "`portique eval lfw --root DIR --calibrate` (see the README)."
        )
    return points[name]


def threshold_at_fmr(impostor_scores: npt.NDArray[np.floating], target_fmr: float) -> float:
    """The lowest threshold whose false match rate on these impostor scores is <= target.

    A comparison matches when its score is >= the threshold.
    """
    scores = np.sort(np.asarray(impostor_scores, dtype=np.float64))[::-1]
    allowed = math.floor(target_fmr * scores.size)
    if allowed >= scores.size:
        return float(scores[-1])
    return float(np.nextafter(scores[allowed], np.inf))


def measurable_fmrs(impostor_comparisons: int) -> dict[str, float]:
    """The target FMRs that this many impostor comparisons can measure: the standard
    ones always, the strict ones when at least 10 false matches are expected."""
    return {
        **TARGET_FMRS,
        **{n: f for n, f in STRICT_FMRS.items() if impostor_comparisons * f >= 10},
    }


def binomial_interval(hits: int, trials: int, level_z: float = 1.96) -> tuple[float, float]:
    """Wilson's 95 % interval of a rate of ``hits`` in ``trials``. It treats comparisons
    as independent, which they are not quite (they share people): a lower bound on the
    uncertainty."""
    if trials <= 0:
        return (float("nan"), float("nan"))
    rate, z2 = hits / trials, level_z * level_z
    centre = (rate + z2 / (2 * trials)) / (1 + z2 / trials)
    half = level_z * math.sqrt(rate * (1 - rate) / trials + z2 / (4 * trials * trials))
    half /= 1 + z2 / trials
    return (max(0.0, centre - half), min(1.0, centre + half))


def calibrate(
    impostor_scores: npt.NDArray[np.floating],
) -> dict[str, OperatingPoint]:
    """Thresholds for every target FMR from impostor (different-person) scores."""
    scores = np.asarray(impostor_scores, dtype=np.float64)
    minimum = min(TARGET_FMRS.values())
    if scores.size * minimum < 10:
        raise ConfigurationError(
            f"{scores.size} impostor comparisons are too few to measure an FMR of {minimum:g}: "
            f"at least {math.ceil(10 / minimum):,} are needed."
        )
    points = {}
    for name, target in measurable_fmrs(scores.size).items():
        threshold = threshold_at_fmr(scores, target)
        points[name] = OperatingPoint(
            name=name,
            threshold=threshold,
            target_fmr=target,
            measured_fmr=float(np.mean(scores >= threshold)),
            impostor_comparisons=int(scores.size),
        )
    return points


def _fmr_interval(point: OperatingPoint) -> dict[str, list[float]]:
    """The 95 % interval of a strict point's measured FMR (few false matches behind it)."""
    if point.name not in STRICT_FMRS:
        return {}
    hits = round(point.measured_fmr * point.impostor_comparisons)
    low, high = binomial_interval(hits, point.impostor_comparisons)
    return {"measured_fmr_ci95": [low, high]}


def save_operating_points(
    model: str,
    points: dict[str, OperatingPoint],
    source: str,
    path: Path | None = None,
    fnmr: dict[str, float] | None = None,
) -> Path:
    """Record ``points`` for ``model`` in the operating points file, keeping other models;
    ``fnmr`` gives each point's measured FNMR on the genuine comparisons, when known."""
    target = path or package_data_path()
    data = _read(target)
    impostors = max((p.impostor_comparisons for p in points.values()), default=0)
    data[model] = {
        "source": source,
        "impostor_comparisons": impostors,
        "points": {
            name: {
                "threshold": math.ceil(p.threshold * 1e6) / 1e6,
                "target_fmr": p.target_fmr,
                "measured_fmr": p.measured_fmr,
                **({"measured_fnmr": fnmr[name]} if fnmr and name in fnmr else {}),
                **_fmr_interval(p),
            }
            for name, p in sorted(points.items())
        },
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return target
