"""Finding 7: every hostile image is refused as bad input, before any large allocation,
by the face loader and the QR reader alike; only regular files are read."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from hostile_support import HOSTILE_IMAGES, hostile_paths, png_declaring
from PIL import EpsImagePlugin

from portique.biometrics import BiometricInputError, ImageTooLargeError, load_image
from portique.credentials import QrImageError
from portique.credentials.qr import decode_qr, decode_qr_file

DECODER_ERRORS = ("ppm-bad-header", "png-short-ihdr", "garbage", "truncated-png-signature")


@pytest.mark.parametrize("name", DECODER_ERRORS)
def test_every_decoder_error_is_an_unreadable_image(name: str) -> None:
    with pytest.raises(BiometricInputError) as face:
        load_image(HOSTILE_IMAGES[name]())
    assert face.value.code == "unreadable_image"
    with pytest.raises(QrImageError) as qr:
        decode_qr(HOSTILE_IMAGES[name]())
    assert qr.value.code == "unreadable_image"


def test_a_png_declaring_1_by_40_million_pixels_is_refused_before_decoding() -> None:
    bomb = png_declaring(1, 40_000_000)
    assert len(bomb) < 70
    with pytest.raises(ImageTooLargeError, match="1x40000000"):
        load_image(bomb, max_pixels=40_000_000)
    with pytest.raises(QrImageError) as qr:
        decode_qr(bomb)
    assert qr.value.code == "image_too_large"


def test_an_image_declaring_more_pixels_than_its_bytes_can_hold_is_refused() -> None:
    with pytest.raises(BiometricInputError, match="truncated or forged") as refused:
        load_image(png_declaring(6000, 6000))
    assert refused.value.code == "unreadable_image"


@pytest.mark.parametrize("name", ["eps", "gif"])
def test_only_jpeg_png_and_webp_reach_a_decoder(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def ghostscript_reached(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("an EPS file reached Ghostscript")

    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", ghostscript_reached)
    with pytest.raises(BiometricInputError, match="format is not supported") as face:
        load_image(HOSTILE_IMAGES[name]())
    assert face.value.code == "unreadable_image"
    with pytest.raises(QrImageError) as qr:
        decode_qr(HOSTILE_IMAGES[name]())
    assert qr.value.code == "unreadable_image"


@pytest.mark.parametrize("name", ["dev-zero", "fifo", "folder"])
def test_only_regular_files_are_read(name: str, tmp_path: Path) -> None:
    path = hostile_paths(tmp_path)[name]
    outcomes: list[BaseException] = []

    def attempt() -> None:
        for read in (load_image, decode_qr_file):
            try:
                read(path)
            except BaseException as error:
                outcomes.append(error)

    # A FIFO opened for reading blocks until a writer comes: run it aside, give it time.
    reader = threading.Thread(target=attempt, daemon=True)
    reader.start()
    reader.join(timeout=30)
    if reader.is_alive():
        with open(path, "wb"):  # release the blocked open so the thread can end
            pass
        pytest.fail(f"reading {path} blocked")
    assert [error.code for error in outcomes] == ["unreadable_image", "unreadable_image"]  # type: ignore[attr-defined]


def test_a_symbolic_link_to_a_device_is_not_followed_into_it(tmp_path: Path) -> None:
    link = tmp_path / "photo.jpg"
    os.symlink("/dev/zero", link)
    with pytest.raises(BiometricInputError, match="regular file"):
        load_image(link)
