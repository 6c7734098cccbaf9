"""Known model files: where they come from, their licence and sha256, and checking them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from portique.biometrics.errors import ModelError


@dataclass(frozen=True)
class KnownModel:
    """A published model file Portique knows how to use.

    ``preprocessing`` says what the file expects (its input, crop and scaling);
    ``licence_note`` is shown wherever a site chooses the model, when its licence
    needs more than its name.
    """

    filename: str
    role: str
    sha256: str
    licence: str
    upstream: str
    preprocessing: str = ""
    licence_note: str = ""

    @property
    def name(self) -> str:
        """The model's name as templates and settings record it (the file's stem)."""
        return Path(self.filename).stem


EDGEFACE_LICENCE_NOTE = (
    "EdgeFace-XS: the LICENSE of its repositories (otroshi/edgeface, Idiap "
    "bob.paper.tbiom2023_edgeface) is BSD-3-Clause, while Idiap's model cards on the "
    "Hugging Face hub label the same weights CC BY-NC-SA 4.0 (non-commercial). Record this "
    "conflict in the DPIA and the procurement file, and ask Idiap to confirm before use."
)

KNOWN_MODELS: tuple[KnownModel, ...] = (
    KnownModel(
        "face_detection_yunet_2023mar.onnx",
        "detector",
        "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4",
        "MIT",
        "OpenCV Zoo, models/face_detection_yunet (github.com/opencv/opencv_zoo)",
        "BGR image; boxes, scores and 5 landmarks (cv2.FaceDetectorYN)",
    ),
    KnownModel(
        "yunet_s_dynamic.onnx",
        "detector",
        "daede24002cc8590f457998cc5e6c9e8b82f45f6bd969506a8913cd4ed10a2d3",
        "Apache-2.0",
        "libfacedetection.train, onnx/yunet_s (github.com/ShiqiYu/libfacedetection.train)",
        "Nx3xHxW BGR; YuNet outputs",
    ),
    KnownModel(
        "mobilefacenet_foamliu.onnx",
        "embedder",
        "b7120c095d60094f28a4a54ba6a8bf51b297a6273fb40ef6350dfec1f63d9507",
        "Apache-2.0",
        "foamliu/MobileFaceNet, release v1.0 (github.com/foamliu/MobileFaceNet)",
        "1x3x112x112 RGB, (x-127.5)/128, ArcFace 5-point alignment; 128-d",
    ),
    KnownModel(
        "edgeface_xs_q.onnx",
        "embedder",
        "d148486cde9d3077674b782c713a812d175bc20095507117650a3ce1d2117ebc",
        "BSD-3-Clause (repository) / CC BY-NC-SA 4.0 (model card)",
        "EdgeFace-XS, edgeface_xs_q.pt (github.com/otroshi/edgeface, Idiap), exported to ONNX",
        "Nx3x112x112 RGB, (x-127.5)/127.5, ArcFace 5-point alignment; 512-d",
        EDGEFACE_LICENCE_NOTE,
    ),
    KnownModel(
        "minifasnet_v2_2.7_80x80.onnx",
        "pad",
        "0c32e2d404ea1633d067ba7b76ca833b2112d72f8db138db07fbaa15ea513274",
        "Apache-2.0",
        "minivision-ai/Silent-Face-Anti-Spoofing b6d5f04a, 2.7_80x80_MiniFASNetV2.pth, "
        "exported to ONNX",
        "Nx3x80x80 BGR 0-255, face box enlarged 2.7x; softmax, class 1 = bona fide",
    ),
    KnownModel(
        "minifasnet_v1se_4.0_80x80.onnx",
        "pad",
        "2e0d5767456ec4282cf2c02e3aee46ca2f1f63ac8a14fc7117730ddbaba507e5",
        "Apache-2.0",
        "minivision-ai/Silent-Face-Anti-Spoofing b6d5f04a, 4_0_0_80x80_MiniFASNetV1SE.pth, "
        "exported to ONNX",
        "Nx3x80x80 BGR 0-255, face box enlarged 4.0x; softmax, class 1 = bona fide",
    ),
)


def known_model(filename: str) -> KnownModel:
    """The known model stored as ``filename``.

    Raises:
        ModelError: Portique does not know that file name.
    """
    for known in KNOWN_MODELS:
        if filename in (known.filename, known.name):
            return known
    raise ModelError(f"{filename} is not a model Portique knows; see `portique models list`.")


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


# --- Installing known model files in the user's data directory ---------------------------

MAX_MODEL_BYTES = 200_000_000
"""A download larger than this is not a model Portique knows: it is stopped."""


def installed_dir() -> Path:
    """Where ``portique models install`` puts model files: ``DATA_DIR/models``."""
    from portique.config import get_settings

    return get_settings().data_dir / "models"


def find_model(filename: str) -> Path | None:
    """The file called ``filename`` in the configured models folder, else among the
    installed ones; None when neither has it. Nothing is ever downloaded here."""
    from portique.config import get_settings

    folders = [get_settings().models_dir, installed_dir()]
    for folder in folders:
        if folder is not None and (folder / filename).is_file():
            return folder / filename
    return None


def installed_models() -> list[tuple[KnownModel, Path | None]]:
    """Every known model with the file that provides it here (None when absent)."""
    return [(known, find_model(known.filename)) for known in KNOWN_MODELS]


def _known_by_checksum(path: Path) -> KnownModel:
    actual = sha256_file(path)
    for known in KNOWN_MODELS:
        if known.sha256 == actual:
            return known
    raise ModelError(
        f"{path.name} (sha256 {actual}) is not a model Portique knows; nothing was installed. "
        "See `portique models list` for the expected files and checksums."
    )


def _download(url: str, folder: Path) -> Path:
    """``url`` saved in ``folder`` (the user asked for it by name: never implicit)."""
    import urllib.error
    import urllib.request

    target = folder / (url.rstrip("/").rsplit("/", 1)[-1] or "model.onnx")
    try:
        with urllib.request.urlopen(url, timeout=60) as response, target.open("wb") as handle:
            size = 0
            while block := response.read(1 << 20):
                size += len(block)
                if size > MAX_MODEL_BYTES:
                    raise ModelError(f"{url} is larger than any known model; stopped.")
                handle.write(block)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ModelError(f"cannot download {url}: {exc}") from None
    return target


def install_model(source: str | Path) -> tuple[KnownModel, Path]:
    """Copy a known model file (a path, or an http(s) address given on purpose) into
    :func:`installed_dir`, after checking its sha256 against the known list.

    Raises:
        ModelError: the file is missing, unreadable, or not a known model.
    """
    import shutil
    import tempfile

    folder = installed_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".install-") as staging:
        text = str(source)
        if text.startswith(("https://", "http://")):
            candidate = _download(text, Path(staging))
        else:
            path = Path(source)
            if not path.is_file():
                raise ModelError(f"the model file {path} does not exist.")
            candidate = Path(staging) / path.name
            shutil.copyfile(path, candidate)
        known = _known_by_checksum(candidate)
        target = folder / known.filename
        candidate.chmod(0o644)
        candidate.replace(target)
    return known, target


def install_folder(folder: Path) -> list[tuple[KnownModel, Path]]:
    """Install every known model found in ``folder`` (files of other names are ignored).

    Raises:
        ModelError: the folder holds none, or a known name with the wrong checksum.
    """
    found = [folder / m.filename for m in KNOWN_MODELS if (folder / m.filename).is_file()]
    if not found:
        raise ModelError(f"{folder} holds none of the known model files.")
    return [install_model(path) for path in found]
