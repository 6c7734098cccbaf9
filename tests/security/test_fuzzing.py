"""Fuzzing with a bounded budget (Hypothesis, a fixed number of examples, no deadline):
the image loader, the CSV reader and the QR / credential codec answer any input with
their own error, never another exception."""

from __future__ import annotations

import contextlib
import io
from datetime import date

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hostile_support import HOSTILE_IMAGES, png_declaring
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from portique.biometrics import BiometricInputError, load_image
from portique.credentials import CredentialError, QrImageError, payload_from_text
from portique.credentials.payload import verify_credential
from portique.credentials.qr import decode_qr, render_qr_png
from portique.services import RosterFormatError, read_roster

BUDGET = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
"""A fixed, reproducible budget: the suite's time stays bounded."""

TODAY = date(2026, 11, 24)


def _seed_images() -> list[bytes]:
    seeds = []
    for fmt in ("PNG", "JPEG", "WEBP"):
        buffer = io.BytesIO()
        Image.new("RGB", (24, 16), (200, 40, 90)).save(buffer, fmt)
        seeds.append(buffer.getvalue())
    seeds.append(render_qr_png(b"portique fuzzing seed", scale=2))
    seeds.append(png_declaring(64, 64))
    seeds.extend(make() for make in HOSTILE_IMAGES.values())
    return seeds


SEEDS = _seed_images()


@st.composite
def mutated_images(draw: st.DrawFn) -> bytes:
    """A real image with bytes flipped, cut or inserted: the decoders' soft spots."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        action = draw(st.sampled_from(["flip", "cut", "insert"]))
        at = draw(st.integers(0, len(data) - 1))
        if action == "flip":
            data[at] ^= draw(st.integers(1, 255))
        elif action == "cut":
            del data[at : at + draw(st.integers(1, 64))]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
    return bytes(data)


@BUDGET
@given(st.one_of(mutated_images(), st.binary(max_size=2048)))
def test_the_image_loader_answers_any_bytes_with_its_own_error(data: bytes) -> None:
    try:
        image = load_image(data, max_pixels=4_000_000)
    except BiometricInputError as error:
        assert error.code in {"unreadable_image", "image_too_large"}
        return
    assert image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8


@BUDGET
@given(st.one_of(mutated_images(), st.binary(max_size=2048)))
def test_the_qr_reader_answers_any_bytes_with_its_own_error(data: bytes) -> None:
    with contextlib.suppress(QrImageError):
        decode_qr(data)


_CSV_HEADER = "Nom;Prénom;Né(e) le;Classe;Rôle\n"
_cells = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=24)


@st.composite
def rosters(draw: st.DrawFn) -> bytes:
    rows = draw(st.lists(st.lists(_cells, min_size=0, max_size=7), max_size=12))
    delimiter = draw(st.sampled_from([";", ",", "\t", "|"]))
    body = "\n".join(delimiter.join(row) for row in rows)
    header = draw(st.sampled_from([_CSV_HEADER, "", "sep=;\n" + _CSV_HEADER]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    return (header + body).encode(encoding, errors="replace")


@BUDGET
@given(st.one_of(rosters(), st.binary(max_size=4096)))
def test_the_csv_reader_answers_any_file_with_lines_or_its_own_error(data: bytes) -> None:
    try:
        roster = read_roster(data, today=TODAY)
    except RosterFormatError:
        return
    for row in roster.rows:
        assert row.last_name.strip() and row.first_name.strip()
        assert date(1900, 1, 1) <= row.birth_date <= TODAY
        assert "\x00" not in row.last_name + row.first_name


_KEYS = {"k1": Ed25519PrivateKey.generate().public_key()}


@BUDGET
@given(st.one_of(st.text(max_size=600), st.text(max_size=600).map(lambda text: "PQ:" + text)))
def test_the_credential_text_decoder_answers_any_text_with_a_credential_error(
    text: str,
) -> None:
    try:
        payload = payload_from_text(text)
    except CredentialError:
        return
    with contextlib.suppress(CredentialError):
        verify_credential(payload, _KEYS)


@BUDGET
@given(st.binary(max_size=1024))
def test_the_credential_verifier_answers_any_payload_with_a_credential_error(
    payload: bytes,
) -> None:
    with contextlib.suppress(CredentialError):
        verify_credential(payload, _KEYS)
