"""Shared fixtures for the credential tests: keys made once, claims made to order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from credential_samples import CREDENTIAL_ID, PERSON_ID, SITE_ID, VALID_FROM, VALID_UNTIL
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from portique.credentials import (
    Claims,
    CredentialKind,
    SigningKey,
    new_template_key,
    seal_template,
)
from portique.credentials.keys import key_id_for


def _signing_key() -> SigningKey:
    private_key = Ed25519PrivateKey.generate()
    return SigningKey(key_id_for(private_key.public_key()), private_key)


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return _signing_key()


@pytest.fixture(scope="session")
def other_signing_key() -> SigningKey:
    return _signing_key()


@pytest.fixture(scope="session")
def verifiers(signing_key: SigningKey) -> dict[str, Ed25519PublicKey]:
    return {signing_key.key_id: signing_key.public_key}


@pytest.fixture(scope="session")
def template_key() -> bytes:
    return new_template_key()


@pytest.fixture(scope="session")
def face_template() -> np.ndarray[Any, np.dtype[np.float32]]:
    vector = np.random.default_rng(7).normal(size=128).astype(np.float32)
    normalised: np.ndarray[Any, np.dtype[np.float32]] = vector / np.linalg.norm(vector)
    return normalised


@pytest.fixture
def make_claims(signing_key: SigningKey) -> Callable[..., Claims]:
    """Claims with sensible defaults; keyword arguments override any field."""

    def make(**overrides: Any) -> Claims:
        fields: dict[str, Any] = {
            "credential_id": CREDENTIAL_ID,
            "person_id": PERSON_ID,
            "site_id": SITE_ID,
            "kind": CredentialKind.CARD,
            "valid_from": VALID_FROM,
            "valid_until": VALID_UNTIL,
            "key_id": signing_key.key_id,
            "sealed_template": None,
        }
        fields.update(overrides)
        return Claims(**fields)

    return make


@pytest.fixture
def templated_claims(
    make_claims: Callable[..., Claims],
    template_key: bytes,
    face_template: np.ndarray[Any, np.dtype[np.float32]],
) -> Claims:
    """Claims carrying a 128-d template sealed for their credential and person."""
    sealed = seal_template(face_template, template_key, CREDENTIAL_ID, PERSON_ID)
    return make_claims(sealed_template=sealed)
