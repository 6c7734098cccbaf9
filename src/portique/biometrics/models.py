"""Known model files: where they come from, their licence and sha256, and checking them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from portique.biometrics.errors import ModelError


@dataclass(frozen=True)
class KnownModel:
    """A published model file Portique knows how to use."""

    filename: str
    role: str
    sha256: str
    licence: str
    upstream: str


KNOWN_MODELS: tuple[KnownModel, ...] = (
    KnownModel(
        "face_detection_yunet_2023mar.onnx",
        "detector",
        "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4",
        "MIT",
        "OpenCV Zoo, models/face_detection_yunet (github.com/opencv/opencv_zoo)",
    ),
    KnownModel(
        "yunet_s_dynamic.onnx",
        "detector",
        "daede24002cc8590f457998cc5e6c9e8b82f45f6bd969506a8913cd4ed10a2d3",
        "Apache-2.0",
        "libfacedetection.train, onnx/yunet_s (github.com/ShiqiYu/libfacedetection.train)",
    ),
    KnownModel(
        "mobilefacenet_foamliu.onnx",
        "embedder",
        "b7120c095d60094f28a4a54ba6a8bf51b297a6273fb40ef6350dfec1f63d9507",
        "Apache-2.0",
        "foamliu/MobileFaceNet, release v1.0 (github.com/foamliu/MobileFaceNet)",
    ),
)


@lru_cache(maxsize=32)
def _sha256_of(path: Path, mtime_ns: int, size: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    """The sha256 of a file, hex; cached while the file is unchanged."""
    stat = path.stat()
    return _sha256_of(path.resolve(), stat.st_mtime_ns, stat.st_size)


def check_model_file(
    path: Path, role: str, expected_sha256: str | None = None
) -> KnownModel | None:
    """Make sure ``path`` is a model Portique trusts for ``role`` before it is loaded.

    A file is trusted when its sha256 equals ``expected_sha256`` (a checksum the
    operator pinned), or, with none pinned, one of the known published files.

    Raises:
        ModelError: the file is missing or its checksum matches nothing trusted.
    """
    if not path.is_file():
        raise ModelError(f"the {role} model file {path} does not exist.")
    actual = sha256_file(path)
    if expected_sha256 is not None:
        if actual != expected_sha256.lower():
            raise ModelError(
                f"{path} has sha256 {actual}, not the pinned {expected_sha256}: "
                "the file is corrupt or not the expected model."
            )
        return next((m for m in KNOWN_MODELS if m.sha256 == actual), None)
    for known in KNOWN_MODELS:
        if known.sha256 == actual:
            if known.role != role:
                raise ModelError(f"{path} is the {known.role} {known.filename}, not a {role}.")
            return known
    names = ", ".join(m.filename for m in KNOWN_MODELS if m.role == role)
    raise ModelError(
        f"{path} (sha256 {actual}) is not a known {role} model ({names}). "
        "Check the download, or pin its checksum in the configuration to use another file."
    )
