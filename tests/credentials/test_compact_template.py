"""The compact template (sealed format 2): an EdgeFace template from a real LFW face is
stored as its 192 coordinates in the model's subspace, fits a QR code of version 15 or
below, and compares as the whole template did; format 1 cards still open."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from credential_samples import CREDENTIAL_ID, PERSON_ID
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from portique import biometrics as bio
from portique.credentials import open_template, qr_version, seal_template, sign_credential
from portique.credentials.template import (
    COMPACT_SEAL_VERSION,
    SEAL_VERSION,
    _associated_data,
    _quantise,
    sealed_template_size,
)
from support import lfw_face


@pytest.fixture
def edgeface_template(installed_models_dir: Path, lfw_images: Path) -> np.ndarray[Any, Any]:
    engine = bio.FaceEngine(bio.create_backend("edgeface"))
    image = bio.load_image(lfw_face(lfw_images, "Colin_Powell", 1))
    return engine.acquire(image).template.vector


def test_an_edgeface_template_is_sealed_compact_and_opens_whole(
    edgeface_template: np.ndarray[Any, Any], template_key: bytes
) -> None:
    sealed = seal_template(edgeface_template, template_key, CREDENTIAL_ID, PERSON_ID)
    assert sealed[0] == COMPACT_SEAL_VERSION
    assert len(sealed) == sealed_template_size(192, compact=True) == 226
    opened = open_template(sealed, template_key, CREDENTIAL_ID, PERSON_ID)
    assert opened.shape == (512,)
    cosine = float(opened @ edgeface_template) / float(np.linalg.norm(opened))
    assert cosine > 0.999


def test_a_card_with_an_edgeface_template_fits_qr_version_15(
    edgeface_template: np.ndarray[Any, Any],
    template_key: bytes,
    make_claims: Callable[..., Any],
    signing_key: Any,
) -> None:
    sealed = seal_template(edgeface_template, template_key, CREDENTIAL_ID, PERSON_ID)
    payload = sign_credential(make_claims(sealed_template=sealed), signing_key)
    assert qr_version(payload) <= 15


def test_a_template_sealed_whole_before_the_change_still_opens(
    edgeface_template: np.ndarray[Any, Any], template_key: bytes
) -> None:
    nonce = os.urandom(12)
    plaintext = _quantise(edgeface_template.astype(np.float64))
    associated = _associated_data(CREDENTIAL_ID, PERSON_ID, SEAL_VERSION)
    old = bytes([SEAL_VERSION]) + nonce + AESGCM(template_key).encrypt(nonce, plaintext, associated)
    opened = open_template(old, template_key, CREDENTIAL_ID, PERSON_ID)
    assert float(opened @ edgeface_template) / float(np.linalg.norm(opened)) > 0.999


def test_a_vector_outside_every_subspace_is_sealed_whole(template_key: bytes) -> None:
    vector = np.random.default_rng(1).normal(size=512).astype(np.float32)
    sealed = seal_template(vector, template_key, CREDENTIAL_ID, PERSON_ID)
    assert sealed[0] == SEAL_VERSION
    assert len(sealed) == sealed_template_size(512)
