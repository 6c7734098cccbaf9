"""Helpers the tests share: real data locations and camera-like frames built from LFW faces."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def lfw_face(images: Path, name: str, number: int = 1) -> Path:
    """The path of one LFW image."""
    return images / name / f"{name}_{number:04d}.jpg"


def compose_frame(
    faces: list[tuple[np.ndarray, float, tuple[int, int]]],
    size: tuple[int, int] = (640, 480),
    background: int = 90,
) -> np.ndarray:
    """A camera-like frame: each (RGB image, scale, top-left corner) pasted on a plain wall."""
    width, height = size
    frame = np.full((height, width, 3), background, dtype=np.uint8)
    for image, scale, (x, y) in faces:
        resized = cv2.resize(
            image,
            None,
            fx=scale,
            fy=scale,
            interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
        )
        h = min(resized.shape[0], height - y)
        w = min(resized.shape[1], width - x)
        frame[y : y + h, x : x + w] = resized[:h, :w]
    return frame


def small_pairs(lfw_root: Path, path: Path, folds: int, per_kind: int) -> Path:
    """A View 2 pairs file with the first ``per_kind`` same and different pairs of the first
    ``folds`` folds of LFW's own, written at ``path``: the protocol in seconds."""
    lines = (lfw_root / "pairs.txt").read_text().splitlines()
    _, real_per_kind = (int(v) for v in lines[0].split())
    chosen = [f"{folds} {per_kind}"]
    for fold in range(folds):
        start = 1 + fold * 2 * real_per_kind
        chosen += lines[start : start + per_kind]
        chosen += lines[start + real_per_kind : start + real_per_kind + per_kind]
    path.write_text("\n".join(chosen) + "\n")
    return path
