"""QR codes for credentials: encoding with segno, decoding camera frames with zxing-cpp."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import segno
import zxingcpp
from PIL import Image

from portique.credentials.errors import QrImageError, QrImageTooLargeError, UnreadableQrImageError
from portique.credentials.text import TEXT_PREFIX, payload_from_text, payload_to_text
from portique.files import FileProblem, InputFileError, read_input_file
from portique.images import ImageProblem, ImageRefused, decode_image

QrMode: TypeAlias = Literal["binary", "text"]
"""``binary``: the payload bytes in QR byte mode, the smallest symbol. ``text``: the
``PQ:`` Base45 text form in alphanumeric mode (about 3% larger), for handheld scanners
that type what they read."""

ERROR_CORRECTION = "m"
"""The minimum error correction level (15% of the symbol recoverable); segno raises it
when the symbol has room to spare."""

MAX_IMAGE_PIXELS = 40_000_000
"""Larger images are refused before decoding (a decompression bomb guard)."""
MAX_IMAGE_BYTES = 25_000_000
"""Larger files are refused before they are read."""

BoolArray: TypeAlias = npt.NDArray[np.bool_]

_QR_FORMATS = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def qr_symbol(payload: bytes, mode: QrMode = "binary") -> Any:
    """The segno QR code of ``payload`` (error correction M or better)."""
    if mode == "text":
        return segno.make_qr(payload_to_text(payload), error=ERROR_CORRECTION, mode="alphanumeric")
    return segno.make_qr(bytes(payload), error=ERROR_CORRECTION, mode="byte")


def qr_version(payload: bytes, mode: QrMode = "binary") -> int:
    """The QR version (1 to 40) needed for ``payload`` at error correction M."""
    return int(qr_symbol(payload, mode).version)


def qr_modules(payload: bytes, mode: QrMode = "binary", border: int = 4) -> BoolArray:
    """The QR code of ``payload`` as a square boolean array, True for dark modules,
    with ``border`` light modules of quiet zone around it."""
    matrix = np.array(qr_symbol(payload, mode).matrix, dtype=np.uint8) != 0
    padded: BoolArray = np.pad(matrix, border, constant_values=False)
    return padded


def render_qr_png(
    payload: bytes, *, scale: int = 8, border: int = 4, mode: QrMode = "binary"
) -> bytes:
    """A PNG of the QR code of ``payload``: ``scale`` pixels per module, 1-bit, black on white."""
    if scale < 1 or border < 0:
        raise ValueError("scale must be at least 1 and border at least 0.")
    image = modules_to_image(qr_modules(payload, mode, border), scale)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def modules_to_image(modules: BoolArray, scale: int) -> Image.Image:
    """A 1-bit image of QR ``modules``, each drawn as ``scale`` x ``scale`` pixels."""
    pixels = np.where(modules, 0, 255).astype(np.uint8)
    pixels = np.repeat(np.repeat(pixels, scale, axis=0), scale, axis=1)
    return Image.fromarray(pixels, mode="L").convert("1")


def decode_qr(image: npt.NDArray[Any] | bytes) -> bytes:
    """The credential payload in the first QR code found in ``image``.

    ``image`` is an encoded image (PNG, JPEG: bytes) or a camera frame as a uint8 numpy
    array: H x W grey, or H x W x 3 (RGB or BGR, the order does not matter for a
    black-and-white code) or x 4. Binary QR content comes back byte for byte; a QR in
    the ``PQ:`` text form comes back as the payload it encodes. Raises
    :class:`QrImageError` when the image cannot be read or holds no QR code.
    """
    grey = _grey(image)
    results = zxingcpp.read_barcodes(grey, formats=_QR_FORMATS)
    if not results:
        raise QrImageError("No readable QR code in the image: hold the code flat and closer.")
    content = bytes(results[0].bytes)
    if content.startswith(TEXT_PREFIX.encode("ascii")):
        return payload_from_text(content.decode("ascii", errors="replace"))
    return content


def _grey(image: npt.NDArray[Any] | bytes) -> npt.NDArray[np.uint8]:
    if isinstance(image, bytes | bytearray | memoryview):
        return _grey_from_file(bytes(image))
    if not isinstance(image, np.ndarray):
        raise QrImageError(f"Cannot read a QR code from a {type(image).__name__}.")
    frame: npt.NDArray[Any] = image
    if frame.dtype != np.uint8:
        raise QrImageError(f"A camera frame must be uint8, not {frame.dtype}.")
    if frame.ndim == 3 and frame.shape[2] == 1:
        frame = frame[:, :, 0]
    elif frame.ndim == 3 and frame.shape[2] in (3, 4):
        # Equal weights: the channel order (RGB or BGR) does not matter then.
        frame = frame[:, :, :3].mean(axis=2).astype(np.uint8)
    if frame.ndim != 2 or frame.size == 0:
        raise QrImageError(f"A camera frame must be H x W or H x W x 3, not {frame.shape}.")
    if frame.size > MAX_IMAGE_PIXELS:
        raise QrImageError(f"The image is too large ({frame.size} pixels).")
    grey: npt.NDArray[np.uint8] = np.ascontiguousarray(frame)
    return grey


def _grey_from_file(data: bytes) -> npt.NDArray[np.uint8]:
    """The grey pixels of an encoded image: JPEG, PNG or WebP, dimensions checked before
    decoding, every decoder error an :class:`UnreadableQrImageError` (see
    :mod:`portique.images`)."""
    try:
        grey_image = decode_image(data, max_pixels=MAX_IMAGE_PIXELS, mode="L", upright=False)
    except ImageRefused as refused:
        kind = QrImageTooLargeError if refused.problem is ImageProblem.TOO_LARGE else None
        raise (kind or UnreadableQrImageError)(f"The image {refused.detail}.") from None
    grey: npt.NDArray[np.uint8] = np.asarray(grey_image, dtype=np.uint8)
    return grey


def decode_qr_file(path: Path, *, max_bytes: int = MAX_IMAGE_BYTES) -> bytes:
    """The credential payload in the QR code of the image file ``path`` (a regular file
    of at most ``max_bytes``; see :func:`decode_qr`).

    Raises:
        UnreadableQrImageError: the file cannot be read or decoded.
        QrImageTooLargeError: too many bytes or pixels. QrImageError: no QR code in it.
    """
    try:
        data = read_input_file(path, max_bytes=max_bytes)
    except InputFileError as error:
        kind = QrImageTooLargeError if error.problem is FileProblem.TOO_LARGE else None
        raise (kind or UnreadableQrImageError)(error.message) from None
    return decode_qr(data)
