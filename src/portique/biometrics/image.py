"""Decoding images from files or bytes into RGB arrays, with size limits and clear errors."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from portique.biometrics.errors import ImageTooLargeError, UnreadableImageError
from portique.biometrics.types import RGBImage

DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_MAX_BYTES = 25_000_000
SUPPORTED_FORMATS = frozenset({"JPEG", "PNG", "BMP", "WEBP", "TIFF", "PPM", "GIF"})


def _read_bytes(source: Path | bytes, max_bytes: int) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        data, name = source, "image"
    else:
        name = source.name
        try:
            size = source.stat().st_size
        except FileNotFoundError:
            raise UnreadableImageError(f"{source}: no such file.") from None
        except OSError as exc:
            raise UnreadableImageError(f"{source}: cannot be read ({exc.strerror}).") from None
        if source.is_dir():
            raise UnreadableImageError(f"{source} is a folder, not an image file.")
        if size > max_bytes:
            raise ImageTooLargeError(
                f"{name} is {size:,} bytes; the limit is {max_bytes:,} (PORTIQUE_MAX_IMAGE_BYTES)."
            )
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise UnreadableImageError(f"{source}: cannot be read ({exc.strerror}).") from None
    if len(data) > max_bytes:
        raise ImageTooLargeError(
            f"{name} is {len(data):,} bytes; the limit is {max_bytes:,} (PORTIQUE_MAX_IMAGE_BYTES)."
        )
    if not data:
        raise UnreadableImageError(f"{name} is empty.")
    return data, name


def load_image(
    source: Path | str | bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> RGBImage:
    """Decode an image file (or its bytes) into an H x W x 3 RGB uint8 array.

    The pixel count is checked from the header before anything is decoded, so a
    decompression bomb is refused without using memory. EXIF orientation is applied.

    Raises:
        UnreadableImageError: missing, empty, truncated, corrupt or unsupported file.
        ImageTooLargeError: more bytes or pixels than the limits allow.
    """
    data, name = _read_bytes(Path(source) if isinstance(source, str) else source, max_bytes)
    try:
        # Pillow's own bomb warning is superseded by the explicit limit checked below.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise UnreadableImageError(f"{name} is not an image in a supported format.") from None
    except Image.DecompressionBombError:
        raise ImageTooLargeError(f"{name} declares too many pixels to be decoded safely.") from None
    except OSError as exc:
        raise UnreadableImageError(f"{name} cannot be decoded ({exc}).") from None
    with opened:
        if opened.format not in SUPPORTED_FORMATS:
            raise UnreadableImageError(
                f"{name}: the {opened.format} format is not supported "
                f"(use one of {', '.join(sorted(SUPPORTED_FORMATS))})."
            )
        width, height = opened.size
        if width * height > max_pixels:
            raise ImageTooLargeError(
                f"{name} is {width}x{height} pixels; the limit is {max_pixels:,} pixels "
                "(PORTIQUE_MAX_IMAGE_PIXELS)."
            )
        if width < 1 or height < 1:
            raise UnreadableImageError(f"{name} has no pixels.")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                opened.load()
            oriented = ImageOps.exif_transpose(opened)
            rgb = oriented.convert("RGB")
        except (OSError, ValueError, SyntaxError) as exc:
            raise UnreadableImageError(f"{name} is truncated or corrupt ({exc}).") from None
    return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))


def as_rgb(image: RGBImage) -> RGBImage:
    """Check that an in-memory array is an H x W x 3 uint8 image and make it contiguous."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise UnreadableImageError(
            f"expected an H x W x 3 uint8 RGB array, got shape {image.shape} of {image.dtype}."
        )
    return np.ascontiguousarray(image)
