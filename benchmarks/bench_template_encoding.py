"""Benchmark: compact encodings of the EdgeFace template for the credential, against the
float template, on LFW View 2 (FNMR at FMR 1e-3 and 1e-4 over all impostor comparisons),
with the QR version each gives a card.

Encodings: int8 of the whole 512-d template (format 1), 4-bit, the shipped format 2 (int8
coordinates in EdgeFace's 192-d template subspace, `portique.biometrics.subspace`, whose
basis was fitted on the LFW identities that View 2 does not use), the same in 4-bit, and
a centred PCA to 128 dimensions fitted on those identities. The stored template is encoded;
the live one stays float (the lane compares a fresh capture with the card), both
projected where a projection is used. Thresholds are recalibrated per encoding.

    python benchmarks/bench_template_encoding.py --lfw ../shared/datasets/lfw \
        --cache out/vectors [--workers 2] [--json]

The first run embeds the images (edgeface back end) into --cache; later runs reuse it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import numpy.typing as npt

from portique.biometrics.operating_points import threshold_at_fmr
from portique.biometrics.subspace import basis
from portique.evaluation.lfw import EngineSpec, embed_images, images_dir, read_pairs

Vectors = npt.NDArray[np.float32]


def _embed(paths: list[Path], workers: int) -> Vectors:
    results = embed_images(EngineSpec(backend="edgeface"), paths, workers=workers)
    return np.stack(
        [r.vector if r.vector is not None else np.zeros(512, np.float32) for r in results]
    )


def load_vectors(lfw: Path, cache: Path, workers: int) -> tuple[Vectors, list[str], Vectors]:
    """View 2 vectors with their identities, and vectors of the identities outside View 2."""
    images = images_dir(lfw)
    refs = sorted(
        {r for p in read_pairs(lfw / "pairs.txt") for r in (p.first, p.second)},
        key=lambda r: (r.name, r.number),
    )
    names = [r.name for r in refs]
    cache.mkdir(parents=True, exist_ok=True)
    if not (cache / "view2.npy").is_file():
        np.save(cache / "view2.npy", _embed([r.path(images) for r in refs], workers))
    if not (cache / "others.npy").is_file():
        used = set(names)
        others = sorted(
            p
            for d in images.iterdir()
            if d.is_dir() and d.name not in used
            for p in d.glob("*.jpg")
        )
        np.save(cache / "others.npy", _embed(others, workers))
    return np.load(cache / "view2.npy"), names, np.load(cache / "others.npy")


def _normalise(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def quantise(x: npt.NDArray[np.float64], bits: int) -> npt.NDArray[np.float64]:
    """Symmetric uniform quantisation with one scale per vector (what the seal stores)."""
    if bits >= 32:
        return x
    levels = 2 ** (bits - 1) - 1
    scale = np.abs(x).max(axis=1, keepdims=True) / levels
    return np.round(x / scale) * scale


def scores(
    stored: npt.NDArray[np.float64], live: npt.NDArray[np.float64], ids: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Genuine and impostor scores of every pair i < j: i's stored template, j's live one."""
    stored, live = _normalise(stored).astype(np.float32), _normalise(live).astype(np.float32)
    genuine, impostor = [], []
    chunk = 1024
    for start in range(0, len(stored), chunk):
        block = stored[start : start + chunk] @ live.T
        rows = np.arange(start, min(start + chunk, len(stored)))[:, None]
        upper = np.arange(len(stored))[None, :] > rows
        same = ids[rows] == ids[None, :]
        genuine.append(block[upper & same])
        impostor.append(block[upper & ~same])
    return np.concatenate(genuine), np.concatenate(impostor)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lfw", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    view2, names, others = load_vectors(args.lfw, args.cache, args.workers)
    ids = np.unique(names, return_inverse=True)[1]
    fit = _normalise(others.astype(np.float64))
    mean = fit.mean(axis=0)
    _, _, components = np.linalg.svd(fit - mean, full_matrices=False)
    shipped = basis(1).astype(np.float64).T
    live64 = view2.astype(np.float64)
    encodings: list[tuple[str, npt.NDArray[np.float64] | None, bool, int]] = [
        ("float", None, False, 32),
        ("int8 512 (format 1)", None, False, 8),
        ("4-bit 512", None, False, 4),
        ("int8 subspace 192 (format 2, shipped)", shipped, False, 8),
        ("4-bit subspace 192", shipped, False, 4),
        ("int8 centred PCA 128", components[:128].T, True, 8),
    ]
    rows = {}
    for name, project, centred, bits in encodings:
        live = live64 if project is None else (live64 - (mean if centred else 0.0)) @ project
        stored = quantise(live, bits)
        genuine, impostor = scores(stored, live, ids)
        dims = live.shape[1]
        row: dict[str, object] = {"dims": dims, "bytes": dims * min(bits, 32) // 8}
        for label, fmr in (("1e-3", 1e-3), ("1e-4", 1e-4)):
            t = threshold_at_fmr(impostor, fmr)
            row[f"fnmr_at_fmr_{label}"] = round(float(np.mean(genuine < t)), 5)
            row[f"threshold_at_fmr_{label}"] = round(t, 6)
        rows[name] = row
        if not args.json:
            print(name, row, flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
