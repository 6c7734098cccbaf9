"""Decoding images from files or bytes into RGB arrays, with size limits and clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from portique.biometrics.errors import ImageTooLargeError, UnreadableImageError
from portique.biometrics.types import RGBImage
from portique.files import FileProblem, InputFileError, read_input_file
from portique.images import ALLOWED_FORMATS, ImageProblem, ImageRefused, decode_image

DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_MAX_BYTES = 25_000_000
SUPPORTED_FORMATS = frozenset(ALLOWED_FORMATS)
"""JPEG, PNG and WebP: the only decoders a photo from outside ever reaches."""


def _file_error(source: Path, error: InputFileError, max_bytes: int) -> Exception:
    if error.problem is FileProblem.TOO_LARGE:
        return ImageTooLargeError(
            f"{source.name} is too large; the limit is {max_bytes:,} bytes "
            "(PORTIQUE_MAX_IMAGE_BYTES)."
        )
    reasons = {
        FileProblem.MISSING: "no such file",
        FileProblem.FOLDER: "is a folder, not an image file",
        FileProblem.NOT_REGULAR: "is not a regular file (a device, a pipe...): refused",
    }
    return UnreadableImageError(f"{source}: {reasons.get(error.problem, 'cannot be read')}.")


def _read_bytes(source: Path | bytes, max_bytes: int) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        data, name = source, "image"
    else:
        name = source.name
        try:
            data = read_input_file(source, max_bytes=max_bytes)
        except InputFileError as error:
            raise _file_error(source, error, max_bytes) from None
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

    Only regular files are read, JPEG, PNG and WebP only. The dimensions are checked
    from the header before anything is decoded (see :mod:`portique.images`), so a
    decompression bomb is refused without using memory. EXIF orientation is applied.

    Raises:
        UnreadableImageError: missing, not a regular file, empty, truncated, corrupt or
            in another format (every decoder error).
        ImageTooLargeError: more bytes, pixels or pixels per side than the limits allow.
    """
    data, name = _read_bytes(Path(source) if isinstance(source, str) else source, max_bytes)
    try:
        rgb = decode_image(data, max_pixels=max_pixels, mode="RGB")
    except ImageRefused as refused:
        kind = ImageTooLargeError if refused.problem is ImageProblem.TOO_LARGE else None
        raise (kind or UnreadableImageError)(f"{name} {refused.detail}.") from None
    return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))


def as_rgb(image: RGBImage) -> RGBImage:
    """Check that an in-memory array is an H x W x 3 uint8 image and make it contiguous."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise UnreadableImageError(
            f"expected an H x W x 3 uint8 RGB array, got shape {image.shape} of {image.dtype}."
        )
    return np.ascontiguousarray(image)
