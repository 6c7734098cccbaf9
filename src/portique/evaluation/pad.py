"""Presentation-attack detection measured the ISO/IEC 30107-3 way: APCER per attack
species, the worst of them, BPCER, BPCER at a fixed APCER, and a DET curve.

A presentation is classified an attack when its liveness score is below the threshold.
APCER (attack presentation classification error rate): the share of one species'
attacks classified bona fide. BPCER (bona fide presentation classification error rate):
the share of bona fide presentations classified attacks. A sample in which no face is
found is not scored; it is counted apart (``unscored``), as 30107-3 asks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from portique.biometrics import BiometricInputError, FaceBackend, PadDetector, load_image
from portique.biometrics.pipeline import choose_face
from portique.errors import BadInputError
from portique.evaluation.metrics import det_curve
from portique.evaluation.plots import write_det_plot

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
APCER_TARGETS: dict[str, float] = {"0.05": 0.05, "0.10": 0.10}


class PadDatasetError(BadInputError):
    """A folder of presentations is missing, empty or laid out wrongly."""

    code = "dataset"


@dataclass(frozen=True)
class ScoredFolder:
    """The liveness scores of the images of one folder, and how many gave no face."""

    scores: npt.NDArray[np.float64]
    unscored: int


@dataclass(frozen=True)
class PadResult:
    """Everything one run of ``eval pad`` measured."""

    threshold: float
    bona_fide: ScoredFolder
    attacks: dict[str, ScoredFolder]
    ms_per_face: float = 0.0
    synthetic: bool = field(default=False)

    def apcer(self, threshold: float | None = None) -> dict[str, float]:
        """Per species: the share of its attacks scored at or above ``threshold``."""
        at = self.threshold if threshold is None else threshold
        return {
            species: float(np.mean(folder.scores >= at)) if folder.scores.size else float("nan")
            for species, folder in self.attacks.items()
        }

    def bpcer(self, threshold: float | None = None) -> float:
        """The share of bona fide presentations scored below ``threshold``."""
        at = self.threshold if threshold is None else threshold
        return float(np.mean(self.bona_fide.scores < at))

    def threshold_at_apcer(self, target: float) -> float:
        """The lowest threshold at which every species' APCER is at most ``target``."""
        return max(_threshold_for_rate(f.scores, target) for f in self.attacks.values())

    def threshold_for_bpcer(self, target: float) -> float:
        """The highest threshold whose BPCER is at most ``target`` (the strictest check a
        site can run while referring at most that share of live faces)."""
        scores = np.sort(self.bona_fide.scores)
        allowed = int(np.floor(target * scores.size))
        return float(scores[min(allowed, scores.size - 1)])

    def summary(self) -> dict[str, object]:
        """The JSON ``eval pad --json`` prints."""
        apcer = self.apcer()
        result: dict[str, object] = {
            "threshold": round(self.threshold, 6),
            "apcer": {species: round(value, 6) for species, value in apcer.items()},
            "apcer_max": round(max(apcer.values()), 6),
            "bpcer": round(self.bpcer(), 6),
        }
        for name, target in APCER_TARGETS.items():
            result[f"bpcer_at_apcer_{name}"] = round(self.bpcer(self.threshold_at_apcer(target)), 6)
        result["bona_fide"] = int(self.bona_fide.scores.size)
        result["attacks_per_species"] = {s: int(f.scores.size) for s, f in self.attacks.items()}
        result["unscored"] = {
            "bona_fide": self.bona_fide.unscored,
            **{species: folder.unscored for species, folder in self.attacks.items()},
        }
        result["ms_per_face"] = round(self.ms_per_face, 2)
        result["synthetic"] = self.synthetic
        return result


def _threshold_for_rate(attack_scores: npt.NDArray[np.float64], target: float) -> float:
    """The lowest threshold at which at most ``target`` of these attacks score at or above."""
    if attack_scores.size == 0:
        return 0.0
    ordered = np.sort(attack_scores)[::-1]
    allowed = int(np.floor(target * ordered.size))
    if allowed >= ordered.size:
        return float(ordered[-1])
    return float(np.nextafter(ordered[allowed], np.inf))


def images_in(folder: Path) -> list[Path]:
    """The images directly inside ``folder``, sorted by name."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def attack_species(attacks: Path) -> dict[str, list[Path]]:
    """The attack species: one sub-folder each (``print/``, ``screen/``...), or the folder
    itself as one species when it holds images directly.

    Raises:
        PadDatasetError: no image anywhere.
    """
    if not attacks.is_dir():
        raise PadDatasetError(f"{attacks} is not a folder of attack images.")
    found = {sub.name: images_in(sub) for sub in sorted(attacks.iterdir()) if sub.is_dir()}
    found = {name: paths for name, paths in found.items() if paths}
    if not found and images_in(attacks):
        found = {attacks.name: images_in(attacks)}
    if not found:
        raise PadDatasetError(f"{attacks} holds no attack image (one sub-folder per species).")
    return found


def score_images(
    paths: Sequence[Path],
    backend: FaceBackend,
    pad: PadDetector,
    on_progress: Callable[[int], None] | None = None,
    times: list[float] | None = None,
) -> ScoredFolder:
    """Liveness scores of the dominant face of each image (the lane's rule)."""
    import time

    scores: list[float] = []
    unscored = 0
    for path in paths:
        try:
            image = load_image(path)
            detection, _ = choose_face(
                backend.detect(image), 1.5, frame=(image.shape[1], image.shape[0])
            )
        except BiometricInputError:
            unscored += 1
        else:
            started = time.perf_counter()
            scores.append(pad.assess(image, detection.box).score)
            if times is not None:
                times.append((time.perf_counter() - started) * 1000.0)
        if on_progress:
            on_progress(1)
    return ScoredFolder(np.asarray(scores, dtype=np.float64), unscored)


def evaluate_pad(
    bona_fide: Path,
    attacks: Path,
    backend: FaceBackend,
    pad: PadDetector,
    *,
    threshold: float | None = None,
    on_start: Callable[[int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> PadResult:
    """Score every presentation and measure at ``threshold`` (the detector's if None).

    Raises:
        PadDatasetError: a folder is missing or holds no image, or no face was scored.
    """
    if not bona_fide.is_dir() or not images_in(bona_fide):
        raise PadDatasetError(f"{bona_fide} holds no bona fide image.")
    species = attack_species(attacks)
    if on_start:
        on_start(len(images_in(bona_fide)) + sum(len(p) for p in species.values()))
    times: list[float] = []
    live = score_images(images_in(bona_fide), backend, pad, on_progress, times)
    scored = {
        name: score_images(paths, backend, pad, on_progress, times)
        for name, paths in species.items()
    }
    if live.scores.size == 0 or any(f.scores.size == 0 for f in scored.values()):
        raise PadDatasetError("no face was found in a whole folder: nothing to measure.")
    synthetic = any((folder / "SYNTHETIC").exists() for folder in (bona_fide, attacks))
    return PadResult(
        threshold=pad.threshold if threshold is None else threshold,
        bona_fide=live,
        attacks=scored,
        ms_per_face=float(np.median(times)) if times else 0.0,
        synthetic=synthetic,
    )


def write_pad_det(result: PadResult, path: Path) -> Path:
    """The DET curve (APCER of each species against BPCER), the threshold marked."""
    curves = {
        species: det_curve(result.bona_fide.scores, folder.scores)
        for species, folder in result.attacks.items()
    }
    apcer = result.apcer()
    marks = {
        f"{species} @ {result.threshold:.3f}": (
            max(apcer[species], 1e-4),
            max(result.bpcer(), 1e-4),
        )
        for species in result.attacks
    }
    label = " (synthetic)" if result.synthetic else ""
    write_det_plot(
        curves,
        path,
        title=f"PAD — MiniFASNet V2 + V1SE{label}",
        marks=marks,
        xlabel="APCER",
        ylabel="BPCER",
    )
    return path
