"""A reproducible presentation-attack test set made from LFW: bona fide lane-like frames,
and SYNTHETIC attacks (a printed photo held up to the camera, a phone screen showing the
face). Every figure measured on it is labelled synthetic: it says how the detector reacts
to these renderings, not how it resists real prints or screens.

Print-like: the photo's contrast and gamut are reduced, it is halftoned (an ink dot
screen with dot gain), laid on paper with a texture and a white margin, then held at a
slight angle. Screen-like: a bluish, brighter image crossed by a moiré of the pixel grid,
inside a black bezel and a phone body, with a glare spot. Bona fide frames are the same
faces placed straight into the frame. All frames get the same sensor noise.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from portique.biometrics import load_image
from portique.biometrics.types import RGBImage
from portique.evaluation.bench import FRAME_SIZE, lfw_sample

SPECIES = ("print", "screen")
MARKER = "SYNTHETIC"
FloatImage = npt.NDArray[np.float32]


def _wall(rng: np.random.Generator) -> FloatImage:
    """A plain lane background with a gentle lighting gradient."""
    width, height = FRAME_SIZE
    base = rng.uniform(80, 120)
    ramp = np.linspace(-12, 12, width, dtype=np.float32)[None, :, None]
    return np.broadcast_to(base + ramp, (height, width, 3)).astype(np.float32).copy()


def _paste(
    wall: FloatImage, item: FloatImage, rng: np.random.Generator, scale: float
) -> FloatImage:
    """``item`` held up in front of the camera: scaled, turned a little, near the centre."""
    height, width = wall.shape[:2]
    h, w = item.shape[:2]
    angle = rng.uniform(-8, 8)
    cx = width / 2 + rng.uniform(-60, 60)
    cy = height / 2 + rng.uniform(-30, 10)
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    matrix[0, 2] += cx - w / 2
    matrix[1, 2] += cy - h / 2
    warped = cv2.warpAffine(item, matrix, (width, height), flags=cv2.INTER_LINEAR)
    mask = cv2.warpAffine(np.ones((h, w), np.float32), matrix, (width, height))[:, :, None]
    return wall * (1 - mask) + warped * mask


def _finish(frame: FloatImage, rng: np.random.Generator) -> RGBImage:
    """Sensor noise, then 8 bits."""
    noisy = frame + rng.normal(0, 2.0, frame.shape).astype(np.float32)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def lane_scene(face: RGBImage, index: int) -> FloatImage:
    """An LFW photo enlarged to the frame's height (about 1.9 to 2.2 times: a face of 190
    to 220 pixels, a person at about 60 cm), its scene continued to the frame's edges by
    reflection: a frame with no pasted rectangle in it."""
    width, height = FRAME_SIZE
    scale = height / face.shape[0] * (1.0 + 0.15 * ((index * 7) % 10) / 10.0)
    grown = cv2.resize(face, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    h, w = grown.shape[:2]
    shift = ((index * 37) % 81) - 40
    left = max(0, (width - w) // 2 + shift)
    right = max(0, width - w - left)
    top, bottom = max(0, (height - h) // 2), max(0, height - h - max(0, (height - h) // 2))
    scene = cv2.copyMakeBorder(grown, top, bottom, left, right, cv2.BORDER_REFLECT_101)
    y0, x0 = (scene.shape[0] - height) // 2, (scene.shape[1] - width) // 2
    return scene[y0 : y0 + height, x0 : x0 + width].astype(np.float32)


def bona_fide_frame(face: RGBImage, index: int, seed: int = 0) -> RGBImage:
    """A live face as the lane camera sees it, with sensor noise."""
    rng = np.random.default_rng(seed * 100_003 + index)
    return _finish(lane_scene(face, index), rng)


def print_attack(face: RGBImage, index: int, seed: int = 0) -> RGBImage:
    """A frame showing a printed photo of ``face`` held up to the camera (synthetic)."""
    rng = np.random.default_rng(seed * 100_003 + index + 50_000)
    photo = face.astype(np.float32) * 0.78 + 28.0
    h, w = photo.shape[:2]
    period = rng.uniform(3.0, 4.5)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    theta = np.deg2rad(rng.choice([15.0, 45.0, 75.0]))
    u = xx * np.cos(theta) + yy * np.sin(theta)
    v = -xx * np.sin(theta) + yy * np.cos(theta)
    screen = 0.5 + 0.25 * (np.cos(2 * np.pi * u / period) + np.cos(2 * np.pi * v / period))
    inked = np.where(photo / 255.0 > screen[:, :, None], 255.0, 40.0).astype(np.float32)
    halftoned = cv2.GaussianBlur(0.3 * inked + 0.7 * photo, (0, 0), 0.7)
    margin = int(rng.integers(12, 24))
    paper_colour = np.array([236, 232, 222], np.float32)
    sheet = np.empty((h + 2 * margin, w + 2 * margin, 3), np.float32)
    sheet[:] = paper_colour
    sheet[margin : margin + h, margin : margin + w] = halftoned
    grain = cv2.GaussianBlur(rng.normal(0, 1, sheet.shape[:2]).astype(np.float32), (0, 0), 6)
    sheet += (grain * 40 + rng.normal(0, 3, sheet.shape[:2]))[:, :, None].astype(np.float32)
    frame = _paste(_wall(rng), sheet, rng, scale=1.0 + 0.6 * ((index * 7) % 10) / 10.0)
    return _finish(frame, rng)


def screen_attack(face: RGBImage, index: int, seed: int = 0) -> RGBImage:
    """A frame showing ``face`` on a phone screen held up to the camera (synthetic)."""
    rng = np.random.default_rng(seed * 100_003 + index + 90_000)
    shown = face.astype(np.float32) * np.array([0.94, 1.0, 1.1], np.float32) + 14.0
    h, w = shown.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    theta = np.deg2rad(rng.uniform(0, 180))
    period = rng.uniform(3.0, 7.0)
    moire = 1.0 + 0.12 * np.sin(2 * np.pi * (xx * np.cos(theta) + yy * np.sin(theta)) / period)
    stripes = np.stack([(xx % 3 == c).astype(np.float32) for c in range(3)], axis=-1)
    shown = shown * moire[:, :, None] * (0.9 + 0.15 * stripes)
    gx, gy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.1, 0.6) * h
    sigma = rng.uniform(25, 60)
    glare = np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * sigma**2)) * rng.uniform(60, 130)
    shown = shown + glare[:, :, None]
    bezel = int(rng.integers(10, 18))
    body = np.full((h + 2 * bezel + 40, w + 2 * bezel, 3), 18.0, np.float32)
    body[20 + bezel : 20 + bezel + h, bezel : bezel + w] = shown
    frame = _paste(_wall(rng), body, rng, scale=1.0 + 0.5 * ((index * 3) % 10) / 10.0)
    return _finish(frame, rng)


def write_pad_set(lfw_root: Path, out: Path, count: int, *, seed: int = 0) -> dict[str, int]:
    """``count`` bona fide frames and ``count`` attacks of each species, from distinct LFW
    images, as PNG files: ``out/bona-fide/`` and ``out/attacks/{print,screen}/``, each
    folder marked SYNTHETIC. The same arguments always give the same files."""
    paths = lfw_sample(lfw_root, count * (1 + len(SPECIES)))
    folders = {"bona-fide": out / "bona-fide"} | {s: out / "attacks" / s for s in SPECIES}
    for folder in (*folders.values(), out / "attacks"):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MARKER).write_text(
            "Synthetic presentation-attack test set made by portique from LFW: not real attacks.\n",
            encoding="utf-8",
        )
    makers = {"bona-fide": bona_fide_frame, "print": print_attack, "screen": screen_attack}
    for index, path in enumerate(paths):
        kind = ("bona-fide", *SPECIES)[index % (1 + len(SPECIES))]
        frame = makers[kind](load_image(path), index, seed)
        target = folders[kind] / f"{index:05d}.png"
        cv2.imwrite(str(target), np.ascontiguousarray(frame[:, :, ::-1]))
    return {kind: len(list(folder.glob("*.png"))) for kind, folder in folders.items()}
