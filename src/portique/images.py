"""Decoding images that come from outside (face photos, QR codes, card photos) without
trusting them: JPEG, PNG and WebP only, dimensions checked from the header before any
pixel is decoded, and every decoder failure turned into one error.

Why each rule:

- **An allow-list of formats**, given to Pillow itself (``Image.open(formats=...)``):
  no other decoder ever sees the bytes, so an EPS file never reaches Ghostscript and the
  rarely used decoders (their bugs) are out of reach.
- **Dimensions before decoding**: each side at most :data:`MAX_SIDE` pixels and the
  total under the caller's limit; a 69-byte PNG declaring 1 x 40,000,000 pixels took
  3.5 GB and 18 s to fail before this check. An image may also not declare more pixels
  than its bytes could hold (:data:`MAX_PIXELS_PER_BYTE`, the best case of deflate on a
  one-bit image): such a file is truncated or forged, and is refused without allocating.
- **One error**: Pillow raises ``OSError``, ``ValueError``, ``SyntaxError``,
  ``struct.error``, ``EOFError``, ``MemoryError``... depending on the plugin and the
  damage; all of them become :class:`ImageRefused`.
"""

from __future__ import annotations

import enum
import io
import warnings
from typing import Literal

from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
"""The formats a face photo, a QR code image or a card photo may be in."""

MAX_SIDE = 16_384
"""The longest side of an image, in pixels (WebP's own limit is 16,383)."""

MAX_PIXELS_PER_BYTE = 8 * 1032
"""The most pixels a byte of a file can describe: deflate's best ratio (1032:1) on a
one-bit image (8 pixels per byte); JPEG and WebP stay far below it."""


class ImageProblem(enum.Enum):
    """Why an image was refused."""

    UNSUPPORTED = "unsupported"
    UNREADABLE = "unreadable"
    TOO_LARGE = "too_large"


class ImageRefused(Exception):
    """An image that cannot be decoded safely; ``problem`` says why, ``detail`` in English
    words that follow the file's name ("is empty", "is truncated or corrupt (...)")."""

    def __init__(self, problem: ImageProblem, detail: str) -> None:
        super().__init__(detail)
        self.problem = problem
        self.detail = detail


def _sniffed_format(data: bytes) -> str | None:
    """The format Pillow would take ``data`` for, from its first bytes only (no plugin
    opens or decodes anything): named in the message when it is refused."""
    Image.init()
    prefix = data[:16]
    for format_id in Image.ID:
        accept = Image.OPEN[format_id][1]
        try:
            if accept is not None and accept(prefix):
                return format_id
        except Exception:  # an accept function is a plugin's code: it may fail on junk
            continue
    return None


def _open(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Pillow's bomb warning is superseded by the explicit limits checked next.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except UnidentifiedImageError:
        found = _sniffed_format(data)
        if found is not None and found not in ALLOWED_FORMATS:
            raise ImageRefused(
                ImageProblem.UNSUPPORTED,
                f"is refused: the {found} format is not supported (use JPEG, PNG or WebP)",
            ) from None
        raise ImageRefused(
            ImageProblem.UNREADABLE, "is not an image in a supported format (JPEG, PNG, WebP)"
        ) from None
    except Image.DecompressionBombError:
        raise ImageRefused(
            ImageProblem.TOO_LARGE, "declares too many pixels to be decoded safely"
        ) from None
    except Exception as exc:  # every decoder error: see the module's docstring
        raise ImageRefused(ImageProblem.UNREADABLE, f"cannot be decoded ({_why(exc)})") from None


def _why(error: BaseException) -> str:
    """A decoder's message, short and without the bytes it may quote."""
    words = str(error).encode("ascii", "replace").decode("ascii")
    return (words or type(error).__name__)[:120]


def check_dimensions(width: int, height: int, size: int, max_pixels: int) -> None:
    """Refuses declared dimensions before anything is decoded (see the module docstring)."""
    if width < 1 or height < 1:
        raise ImageRefused(ImageProblem.UNREADABLE, "has no pixels")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > max_pixels:
        raise ImageRefused(
            ImageProblem.TOO_LARGE,
            f"is {width}x{height} pixels; the limit is {max_pixels:,} pixels and "
            f"{MAX_SIDE:,} per side (PORTIQUE_MAX_IMAGE_PIXELS)",
        )
    if width * height > size * MAX_PIXELS_PER_BYTE:
        raise ImageRefused(
            ImageProblem.UNREADABLE,
            f"declares {width}x{height} pixels in {size:,} bytes, more than they can hold: "
            "the file is truncated or forged",
        )


def decode_image(
    data: bytes, *, max_pixels: int, mode: Literal["RGB", "L"] = "RGB", upright: bool = True
) -> Image.Image:
    """``data`` decoded into a Pillow image of ``mode``, turned upright by its EXIF
    orientation when ``upright``.

    Raises:
        ImageRefused: not JPEG, PNG or WebP; larger than ``max_pixels`` or
            :data:`MAX_SIDE`; truncated, corrupt or forged.
    """
    if not data:
        raise ImageRefused(ImageProblem.UNREADABLE, "is empty")
    opened = _open(data)
    with opened:
        width, height = opened.size
        check_dimensions(width, height, len(data), max_pixels)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                opened.load()
                turned = ImageOps.exif_transpose(opened) if upright else opened
                return turned.convert(mode)
        except MemoryError:
            raise ImageRefused(
                ImageProblem.TOO_LARGE, "needs more memory than is available to decode"
            ) from None
        except Exception as exc:  # every decoder error: see the module's docstring
            raise ImageRefused(
                ImageProblem.UNREADABLE, f"is truncated or corrupt ({_why(exc)})"
            ) from None
