"""Printable cards: ID-1 at 300 dpi, PNG and PDF, with a QR code that scans back."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import numpy as np
import pytest
from PIL import Image

from portique.credentials import (
    CardPhotoError,
    decode_qr,
    render_card,
    sign_credential,
)
from portique.credentials.card import CARD_SIZE

VALID_UNTIL = datetime(2026, 8, 31, 21, 59, 59, tzinfo=UTC)


@pytest.fixture
def payload(templated_claims, signing_key) -> bytes:
    return sign_credential(templated_claims, signing_key)


def _photo_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (360, 480), (176, 132, 110)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_card_png_is_id1_at_300_dpi_and_its_qr_decodes_to_the_payload(payload):
    png = render_card(payload, "Élodie Martin", "Lycée Thiers", VALID_UNTIL)
    with Image.open(io.BytesIO(png)) as card:
        assert card.format == "PNG"
        assert card.size == CARD_SIZE == (1011, 638)
        assert tuple(round(value) for value in card.info["dpi"]) == (300, 300)
    assert decode_qr(png) == payload


def test_card_pdf_page_is_the_size_of_an_id1_card(payload):
    pdf = render_card(payload, "Élodie Martin", "Lycée Thiers", VALID_UNTIL, fmt="pdf")
    assert pdf.startswith(b"%PDF")
    match = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert match is not None
    width_mm, height_mm = (float(value) / 72 * 25.4 for value in match.groups())
    assert width_mm == pytest.approx(85.6, abs=0.2)
    assert height_mm == pytest.approx(53.98, abs=0.2)


def test_card_with_a_photo_still_scans(payload):
    png = render_card(payload, "Élodie Martin", "Lycée Thiers", VALID_UNTIL, photo=_photo_jpeg())
    assert decode_qr(png) == payload


def test_card_shows_a_photo_only_when_given(payload):
    def skin_pixels(png: bytes) -> int:
        pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)
        return int(np.sum(np.all(np.abs(pixels - (176, 132, 110)) < 12, axis=2)))

    without = render_card(payload, "Élodie Martin", "Lycée Thiers", VALID_UNTIL)
    with_photo = render_card(
        payload, "Élodie Martin", "Lycée Thiers", VALID_UNTIL, photo=_photo_jpeg()
    )
    assert skin_pixels(without) == 0
    assert skin_pixels(with_photo) > 150 * 150


def test_long_names_are_fitted_and_the_card_still_scans(payload):
    png = render_card(
        payload,
        "Marie-Thérèse Anne-Sophie de La Tour d'Auvergne-Lauraguais",
        "Lycée polyvalent régional Marie Curie de Marseille, site annexe",
        date(2026, 8, 31),
        photo=_photo_jpeg(),
        lang="en",
    )
    assert decode_qr(png) == payload


def test_text_mode_card_scans_to_the_payload(payload):
    png = render_card(payload, "Élodie Martin", "Lycée Thiers", VALID_UNTIL, qr_mode="text")
    assert decode_qr(png) == payload


def test_unreadable_photo_is_refused(payload):
    with pytest.raises(CardPhotoError):
        render_card(payload, "Élodie Martin", "Lycée Thiers", VALID_UNTIL, photo=b"not a photo")


def test_unknown_format_is_refused(payload):
    with pytest.raises(ValueError, match="fmt"):
        render_card(payload, "Élodie Martin", "Lycée Thiers", VALID_UNTIL, fmt="svg")  # type: ignore[arg-type]
