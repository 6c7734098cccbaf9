"""Decoding: every way an image file can be bad gets its own clear error."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from portique.biometrics import ImageTooLargeError, UnreadableImageError, load_image


def _jpeg_bytes(size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 80, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_decodes_a_jpeg_into_rgb_array(tmp_path: Path) -> None:
    path = tmp_path / "a.jpg"
    path.write_bytes(_jpeg_bytes())
    image = load_image(path)
    assert image.shape == (48, 64, 3)
    assert image.dtype == np.uint8


def test_grayscale_and_rgba_images_become_rgb(tmp_path: Path) -> None:
    for mode in ("L", "RGBA", "P"):
        path = tmp_path / f"{mode}.png"
        Image.new(mode, (10, 12)).save(path)
        assert load_image(path).shape == (12, 10, 3)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    path = tmp_path / "rotated.jpg"
    Image.new("RGB", (40, 20)).save(path, exif=exif.tobytes())
    assert load_image(path).shape == (40, 20, 3)


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableImageError, match="no such file"):
        load_image(tmp_path / "absent.jpg")


def test_folder_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableImageError, match="folder"):
        load_image(tmp_path)


def test_empty_file_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(UnreadableImageError, match="empty"):
        load_image(path)


def test_text_file_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("this is not an image")
    with pytest.raises(UnreadableImageError, match="not an image"):
        load_image(path)


def test_truncated_jpeg_is_unreadable(tmp_path: Path) -> None:
    data = _jpeg_bytes((400, 300))
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(UnreadableImageError, match="truncated or corrupt"):
        load_image(path)


def test_unsupported_format_is_named(tmp_path: Path) -> None:
    path = tmp_path / "icon.ico"
    Image.new("RGB", (16, 16)).save(path, "ICO")
    with pytest.raises(UnreadableImageError, match="ICO format is not supported"):
        load_image(path)


def test_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    # 10,000 x 10,000 one-bit pixels compress to a few kilobytes.
    path = tmp_path / "bomb.png"
    Image.new("1", (10_000, 10_000)).save(path, optimize=True)
    assert path.stat().st_size < 100_000
    with pytest.raises(ImageTooLargeError, match="10000x10000"):
        load_image(path, max_pixels=40_000_000)


def test_file_over_the_byte_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    path.write_bytes(_jpeg_bytes())
    with pytest.raises(ImageTooLargeError, match="bytes"):
        load_image(path, max_bytes=100)


def test_error_messages_carry_no_image_bytes(tmp_path: Path) -> None:
    data = _jpeg_bytes((400, 300))
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[:300])
    with pytest.raises(UnreadableImageError) as caught:
        load_image(path)
    assert len(caught.value.message) < 300
    assert "\\x" not in caught.value.message
