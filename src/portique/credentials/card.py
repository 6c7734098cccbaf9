"""Printable credential cards: ID-1 size (85.60 x 53.98 mm) at 300 dpi, PNG or PDF."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Literal, TypeAlias

from PIL import Image, ImageDraw, ImageFont, ImageOps

from portique.credentials.errors import CardPhotoError
from portique.credentials.qr import QrMode, modules_to_image, qr_modules
from portique.credentials.validity import SCHOOL_TIMEZONE
from portique.images import ImageRefused, decode_image

CardFormat: TypeAlias = Literal["png", "pdf"]
Font: TypeAlias = ImageFont.FreeTypeFont | ImageFont.ImageFont

DPI = 300
CARD_SIZE = (1011, 638)  # ID-1, 85.60 x 53.98 mm, at 300 dpi
MARGIN = 40
QR_INSET = 16  # the QR image carries its own white quiet zone, so it sits near the edge
TEXT_GAP = 12
QR_QUIET_MODULES = 4
MAX_PHOTO_PIXELS = 40_000_000
PHOTO_SIZE = (150, 193)  # 12.7 x 16.3 mm, the 35:45 ratio of an identity photo
ACCENT = (31, 58, 95)
INK = (20, 20, 20)
MUTED = (90, 90, 90)
CUT_GUIDE = (205, 205, 205)
CORNER_RADIUS = 38  # 3.18 mm, the ID-1 corner

_LABELS = {
    "fr": {"title": "Titre d'accès", "valid_until": "Valable jusqu'au"},
    "en": {"title": "Access credential", "valid_until": "Valid until"},
}
_BOLD_FONTS = ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf", "Arial Bold.ttf")
_REGULAR_FONTS = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf")


def render_card(
    payload: bytes,
    display_name: str,
    site_name: str,
    valid_until: datetime | date,
    photo: bytes | None = None,
    fmt: CardFormat = "png",
    *,
    lang: str = "fr",
    qr_mode: QrMode = "binary",
    title: str | None = None,
    details: Sequence[str] = (),
    with_time: bool = False,
) -> bytes:
    """A printable card: the credential's QR code, the site, the name, the end of validity.

    ``title`` replaces "Titre d'accès"; ``details`` are short lines printed under the
    name (a visitor badge's host and zones); ``with_time`` prints the hour of the end of
    validity too (a visitor's pass ends within the day).

    The QR code fills the card's height on the left, at a whole number of pixels per
    module. ``photo`` (encoded image bytes) is printed only when given. ``valid_until``
    is shown as a date in the school's time zone. Returns PNG or PDF bytes; both are
    300 dpi, the PDF page being the card itself.
    """
    if fmt not in ("png", "pdf"):
        raise ValueError(f"fmt must be 'png' or 'pdf', not {fmt!r}.")
    if lang not in _LABELS:
        raise ValueError(f"lang must be one of {sorted(_LABELS)}, not {lang!r}.")
    labels = _LABELS[lang]
    width, height = CARD_SIZE
    card = Image.new("RGB", CARD_SIZE, "white")
    draw = ImageDraw.Draw(card)
    draw.rounded_rectangle(
        (0, 0, width - 1, height - 1), radius=CORNER_RADIUS, outline=CUT_GUIDE, width=2
    )
    # Text starts after the whole quiet zone: print near a QR code confuses readers.
    left = _paste_qr(card, payload, qr_mode) + TEXT_GAP
    column = (left, width - MARGIN - left)
    draw.rectangle((left, MARGIN, width - MARGIN, MARGIN + 8), fill=ACCENT)
    y = _draw_lines(
        draw, site_name, (left, MARGIN + 24), column[1], bold=True, size=34, lines=2, fill=ACCENT
    )
    y = _draw_lines(draw, title or labels["title"], (left, y + 4), column[1], bold=False,
                    size=24, lines=1, fill=MUTED)  # fmt: skip
    if photo is not None:
        portrait = _photo(photo)
        card.paste(portrait, (left, y + 16))
        y += 16 + portrait.height
    _draw_holder(draw, display_name, details, column, y)
    _draw_validity(draw, labels["valid_until"], _shown_end(valid_until, lang, with_time), column)

    buffer = io.BytesIO()
    if fmt == "pdf":
        card.save(buffer, format="PDF", resolution=DPI, title=f"{site_name} — {display_name}")
    else:
        card.save(buffer, format="PNG", dpi=(DPI, DPI), optimize=True)
    return buffer.getvalue()


_FOOTER = 2 * 30 + 8
"""The height of the validity lines at the bottom of the card."""


def _paste_qr(card: Image.Image, payload: bytes, qr_mode: QrMode) -> int:
    """Pastes the QR code on the left, filling the card's height at a whole number of
    pixels per module; where its quiet zone ends."""
    height = card.height
    modules = qr_modules(payload, qr_mode, border=QR_QUIET_MODULES)
    module_px = max(1, (height - 2 * QR_INSET) // modules.shape[0])
    qr_image = modules_to_image(modules, module_px).convert("RGB")
    card.paste(qr_image, (QR_INSET, (height - qr_image.height) // 2))
    return QR_INSET + qr_image.width


def _draw_holder(
    draw: ImageDraw.ImageDraw,
    display_name: str,
    details: Sequence[str],
    column: tuple[int, int],
    y: int,
) -> None:
    """The holder's name, as large as the room left allows, and the detail lines."""
    left, text_width = column
    name_top = y + 20
    name_room = CARD_SIZE[1] - MARGIN - _FOOTER - name_top
    name_size = 44 if name_room >= 2 * 52 and not details else 36
    y = _draw_lines(draw, display_name, (left, name_top), text_width, bold=True,
                    size=name_size, lines=1 if details else 2, fill=INK)  # fmt: skip
    for line in details:
        y = _draw_lines(
            draw, line, (left, y + 2), text_width, bold=False, size=24, lines=1, fill=INK
        )


def _shown_end(valid_until: datetime | date, lang: str, with_time: bool) -> str:
    """The end of validity as printed: a date on the school's clock, and its hour."""
    until = _local_date(valid_until)
    shown = until.strftime("%d/%m/%Y") if lang == "fr" else until.isoformat()
    if with_time and isinstance(valid_until, datetime):
        shown += valid_until.astimezone(SCHOOL_TIMEZONE).strftime(" %H:%M")
    return shown


def _draw_validity(
    draw: ImageDraw.ImageDraw, label: str, shown: str, column: tuple[int, int]
) -> None:
    left, text_width = column
    top = CARD_SIZE[1] - MARGIN - _FOOTER
    top = _draw_lines(draw, label, (left, top), text_width, bold=False, size=26, lines=1,
                      fill=MUTED)  # fmt: skip
    _draw_lines(draw, shown, (left, top), text_width, bold=True, size=30, lines=1, fill=INK)


def _local_date(valid_until: datetime | date) -> date:
    if isinstance(valid_until, datetime):
        if valid_until.tzinfo is None or valid_until.utcoffset() is None:
            raise ValueError("valid_until must be timezone-aware.")
        return valid_until.astimezone(SCHOOL_TIMEZONE).date()
    return valid_until


def _photo(data: bytes) -> Image.Image:
    try:
        upright = decode_image(data, max_pixels=MAX_PHOTO_PIXELS, mode="RGB")
    except ImageRefused as refused:
        raise CardPhotoError(f"The photo {refused.detail}.") from None
    return ImageOps.fit(upright, PHOTO_SIZE, method=Image.Resampling.LANCZOS)


def _draw_lines(
    draw: ImageDraw.ImageDraw,
    text: str,
    origin: tuple[int, int],
    max_width: int,
    *,
    bold: bool,
    size: int,
    lines: int,
    fill: tuple[int, int, int],
) -> int:
    """Draw ``text`` wrapped in at most ``lines`` lines, shrinking it to fit; the y after."""
    x, y = origin
    font, wrapped = _fit(draw, " ".join(text.split()), max_width, bold, size, lines)
    line_height = int(font.size * 1.22) if isinstance(font, ImageFont.FreeTypeFont) else size
    for line in wrapped:
        draw.text((x, y), line, font=font, fill=fill)
        y += line_height
    return y


def _fit(
    draw: ImageDraw.ImageDraw, text: str, max_width: int, bold: bool, size: int, lines: int
) -> tuple[Font, list[str]]:
    smallest = max(12, size * 2 // 3)
    for candidate in range(size, smallest - 1, -2):
        font = _font(bold, candidate)
        wrapped = _wrap(draw, text, font, max_width)
        if len(wrapped) <= lines and all(
            draw.textlength(line, font=font) <= max_width for line in wrapped
        ):
            return font, wrapped
    font = _font(bold, smallest)
    wrapped = _wrap(draw, text, font, max_width)
    kept = wrapped[:lines]
    if len(wrapped) > lines:
        kept[-1] += "…"
    return font, [_ellipsize(draw, line, font, max_width) for line in kept]


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Font, max_width: int) -> list[str]:
    wrapped: list[str] = []
    for word in text.split(" "):
        if wrapped and draw.textlength(f"{wrapped[-1]} {word}", font=font) <= max_width:
            wrapped[-1] = f"{wrapped[-1]} {word}"
        else:
            wrapped.append(word)
    return wrapped or [""]


def _ellipsize(draw: ImageDraw.ImageDraw, line: str, font: Font, max_width: int) -> str:
    if draw.textlength(line, font=font) <= max_width:
        return line
    line = line.removesuffix("…")
    while line and draw.textlength(line + "…", font=font) > max_width:
        line = line[:-1]
    return line.rstrip() + "…"


@lru_cache(maxsize=32)
def _font(bold: bool, size: int) -> Font:
    for name in _BOLD_FONTS if bold else _REGULAR_FONTS:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)
