"""QR codes: payloads survive rendering and decoding exactly, from PNG files and camera frames."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageFilter

from portique.credentials import (
    CredentialError,
    CredentialFault,
    QrImageError,
    decode_qr,
    payload_from_text,
    payload_to_text,
    qr_version,
    render_qr_png,
    sign_credential,
)
from portique.credentials.qr import qr_modules
from portique.credentials.text import BASE45_ALPHABET, base45_decode, base45_encode


@pytest.fixture
def templated_claims_payload(templated_claims, signing_key) -> bytes:
    return sign_credential(templated_claims, signing_key)


def _camera_frame(payload: bytes, *, angle: float = 0.0, seed: int = 0) -> np.ndarray:
    """A 640x480 RGB frame: a QR code shown on a phone, dimmed, tilted, blurred and noisy."""
    rng = np.random.default_rng(seed)
    modules = qr_modules(payload)
    code = Image.fromarray(np.where(modules, 45, 215).astype(np.uint8)).resize(
        (modules.shape[1] * 4, modules.shape[0] * 4), Image.Resampling.NEAREST
    )
    code = code.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=215)
    background = rng.integers(60, 140, size=(48, 64), dtype=np.uint8)
    frame = Image.fromarray(background).resize((640, 480), Image.Resampling.BICUBIC)
    frame.paste(code, (170, (480 - code.height) // 2))
    frame = frame.filter(ImageFilter.GaussianBlur(0.8))
    pixels = np.asarray(frame, dtype=np.float32)
    pixels *= np.linspace(0.8, 1.1, 640, dtype=np.float32)[None, :]  # uneven lighting
    pixels += rng.normal(0, 6, size=pixels.shape)
    grey = np.clip(pixels, 0, 255).astype(np.uint8)
    tint = np.array([1.0, 0.95, 0.85], dtype=np.float32)  # a warm cast on the three channels
    return np.clip(grey[:, :, None] * tint, 0, 255).astype(np.uint8)


def test_qr_png_round_trips_a_payload_exactly(templated_claims_payload):
    png = render_qr_png(templated_claims_payload)
    assert png.startswith(b"\x89PNG")
    assert decode_qr(png) == templated_claims_payload


def test_qr_png_round_trips_every_byte_value():
    data = bytes(range(256))
    assert decode_qr(render_qr_png(data)) == data


def test_text_mode_qr_decodes_to_the_same_payload(templated_claims_payload):
    png = render_qr_png(templated_claims_payload, mode="text")
    assert decode_qr(png) == templated_claims_payload


def test_qr_in_a_camera_frame_decodes(templated_claims_payload):
    frame = _camera_frame(templated_claims_payload, angle=7.0)
    assert frame.shape == (480, 640, 3)
    assert decode_qr(frame) == templated_claims_payload


def test_qr_in_a_bgr_or_grey_frame_decodes(templated_claims_payload):
    rgb = _camera_frame(templated_claims_payload, seed=1)
    assert decode_qr(np.ascontiguousarray(rgb[:, :, ::-1])) == templated_claims_payload
    assert decode_qr(rgb[:, :, 0]) == templated_claims_payload


def test_frame_without_a_qr_code_raises_a_qr_image_error():
    frame = np.random.default_rng(3).integers(0, 255, size=(480, 640, 3), dtype=np.uint8)
    with pytest.raises(QrImageError, match="No readable QR code"):
        decode_qr(frame)


@pytest.mark.parametrize(
    "image",
    [
        b"not an image",
        b"",
        np.zeros((480, 640), dtype=np.float32),
        np.zeros((480, 640, 2), dtype=np.uint8),
        np.zeros((0, 0), dtype=np.uint8),
        "frame.png",
    ],
)
def test_unreadable_image_raises_a_qr_image_error(image):
    with pytest.raises(QrImageError):
        decode_qr(image)


def test_jpeg_photo_of_a_code_decodes(templated_claims_payload):
    buffer = io.BytesIO()
    Image.fromarray(_camera_frame(templated_claims_payload)).save(buffer, "JPEG", quality=80)
    assert decode_qr(buffer.getvalue()) == templated_claims_payload


def test_qr_versions_stay_small_enough_for_a_phone(make_claims, templated_claims, signing_key):
    assert qr_version(sign_credential(make_claims(), signing_key)) <= 8
    assert qr_version(sign_credential(templated_claims, signing_key)) <= 13


def test_text_form_uses_only_qr_alphanumeric_characters(templated_claims_payload):
    text = payload_to_text(templated_claims_payload)
    assert text.startswith("PQ:")
    assert set(text) <= set(BASE45_ALPHABET)
    assert text == text.strip()


def test_text_form_round_trips_through_a_scanner_that_adds_case_and_enter(
    templated_claims_payload,
):
    typed = payload_to_text(templated_claims_payload).lower() + "\r\n"
    assert payload_from_text(typed) == templated_claims_payload


@pytest.mark.parametrize("text", ["", "HC1:6BFOXN", "PQ:A", "PQ:abc!", "PQ:GGW"])
def test_damaged_text_form_is_garbage(text):
    with pytest.raises(CredentialError) as caught:
        payload_from_text(text)
    assert caught.value.fault is CredentialFault.GARBAGE


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"AB", "BB8"),
        (b"Hello!!", "%69 VD92EX0"),
        (b"base-45", "UJCLQE7W581"),
        (b"ietf!", "QED8WEX0"),
    ],
)
def test_base45_matches_rfc_9285_examples(data, text):
    assert base45_encode(data) == text
    assert base45_decode(text) == data
