"""The template on a credential: quantisation accuracy and AES-GCM sealing bound to its owner."""

from __future__ import annotations

import numpy as np
import pytest
from credential_samples import CREDENTIAL_ID, PERSON_ID

from portique.credentials import (
    CredentialError,
    CredentialFault,
    InvalidClaimsError,
    InvalidTemplateError,
    KeyringError,
    new_template_key,
    open_credential_template,
    open_template,
    seal_template,
    sign_credential,
    verify_credential,
)
from portique.credentials.template import sealed_template_size


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_template_round_trip_keeps_cosine_similarity_above_0_999(template_key):
    rng = np.random.default_rng(2024)
    for _ in range(200):
        template = rng.normal(size=128).astype(np.float32)
        template /= np.linalg.norm(template)
        sealed = seal_template(template, template_key, CREDENTIAL_ID, PERSON_ID)
        opened = open_template(sealed, template_key, CREDENTIAL_ID, PERSON_ID)
        assert opened.dtype == np.float32
        assert opened.shape == (128,)
        assert _cosine(template, opened) >= 0.999


def test_template_with_a_dominant_value_keeps_cosine_similarity(template_key):
    # One large value sets the scale; the small ones lose precision, not the direction.
    template = np.full(128, 0.02, dtype=np.float32)
    template[5] = 1.0
    sealed = seal_template(template, template_key, CREDENTIAL_ID, PERSON_ID)
    assert _cosine(template, open_template(sealed, template_key, CREDENTIAL_ID, PERSON_ID)) >= 0.999


def test_template_magnitude_survives_for_euclidean_comparison(template_key, face_template):
    scaled = face_template * 0.6
    sealed = seal_template(scaled, template_key, CREDENTIAL_ID, PERSON_ID)
    opened = open_template(sealed, template_key, CREDENTIAL_ID, PERSON_ID)
    assert np.linalg.norm(opened - scaled) < 0.01


def test_zero_template_round_trips(template_key):
    sealed = seal_template(np.zeros(128), template_key, CREDENTIAL_ID, PERSON_ID)
    opened = open_template(sealed, template_key, CREDENTIAL_ID, PERSON_ID)
    assert not opened.any()


def test_sealed_128_d_template_is_161_bytes(template_key, face_template):
    sealed = seal_template(face_template, template_key, CREDENTIAL_ID, PERSON_ID)
    assert len(sealed) == sealed_template_size(128) == 161


def test_each_sealing_uses_a_fresh_nonce(template_key, face_template):
    first = seal_template(face_template, template_key, CREDENTIAL_ID, PERSON_ID)
    second = seal_template(face_template, template_key, CREDENTIAL_ID, PERSON_ID)
    assert first[1:13] != second[1:13]
    assert first != second


def test_template_copied_into_another_credential_does_not_open(
    make_claims, templated_claims, signing_key, verifiers, template_key
):
    # An issuer's mistake or an insider: the sealed bytes are signed into another credential.
    copied = make_claims(
        credential_id="zzzzzzzzzzzzzzzz", sealed_template=templated_claims.sealed_template
    )
    claims = verify_credential(sign_credential(copied, signing_key), verifiers)
    with pytest.raises(CredentialError) as caught:
        open_credential_template(claims, {signing_key.key_id: template_key})
    assert caught.value.fault is CredentialFault.BAD_SIGNATURE


def test_template_of_another_person_does_not_open(template_key, face_template):
    sealed = seal_template(face_template, template_key, CREDENTIAL_ID, PERSON_ID)
    with pytest.raises(CredentialError) as caught:
        open_template(sealed, template_key, CREDENTIAL_ID, "p-0000000000")
    assert caught.value.fault is CredentialFault.BAD_SIGNATURE


def test_template_under_another_site_key_does_not_open(template_key, face_template):
    sealed = seal_template(face_template, template_key, CREDENTIAL_ID, PERSON_ID)
    with pytest.raises(CredentialError) as caught:
        open_template(sealed, new_template_key(), CREDENTIAL_ID, PERSON_ID)
    assert caught.value.fault is CredentialFault.BAD_SIGNATURE


def test_any_altered_byte_of_a_sealed_template_is_refused(template_key, face_template):
    sealed = seal_template(face_template, template_key, CREDENTIAL_ID, PERSON_ID)
    for position in range(len(sealed)):
        damaged = bytearray(sealed)
        damaged[position] ^= 0x01
        with pytest.raises(CredentialError):
            open_template(bytes(damaged), template_key, CREDENTIAL_ID, PERSON_ID)


@pytest.mark.parametrize(
    ("sealed", "fault"),
    [
        (b"", CredentialFault.TRUNCATED),
        (b"\x01" + b"\x00" * 20, CredentialFault.TRUNCATED),
        (b"\x03" + b"\x00" * 200, CredentialFault.UNSUPPORTED_VERSION),
        (b"\x01" + b"\x00" * 2000, CredentialFault.GARBAGE),
    ],
)
def test_malformed_sealed_template_is_refused(sealed, fault, template_key):
    with pytest.raises(CredentialError) as caught:
        open_template(sealed, template_key, CREDENTIAL_ID, PERSON_ID)
    assert caught.value.fault is fault


@pytest.mark.parametrize(
    "template",
    [
        np.zeros((2, 64)),
        np.zeros(0),
        np.zeros(513),
        np.array([0.1, np.nan, 0.2]),
        np.array([0.1, np.inf]),
        np.array([1e300, 0.0]),
        ["a", "b"],
    ],
)
def test_unusable_templates_are_refused(template, template_key):
    with pytest.raises(InvalidTemplateError):
        seal_template(template, template_key, CREDENTIAL_ID, PERSON_ID)


def test_template_for_an_invalid_id_is_refused(template_key, face_template):
    with pytest.raises(InvalidClaimsError):
        seal_template(face_template, template_key, "Jeanne Dupont", PERSON_ID)


@pytest.mark.parametrize("key", [b"", b"\x00" * 16, b"\x00" * 33])
def test_template_key_must_be_256_bits(key, face_template):
    with pytest.raises(KeyringError):
        seal_template(face_template, key, CREDENTIAL_ID, PERSON_ID)


def test_credential_without_template_opens_to_none(make_claims, template_key, signing_key):
    assert open_credential_template(make_claims(), {signing_key.key_id: template_key}) is None


def test_template_under_a_retired_key_is_reported_as_unknown_key(templated_claims):
    with pytest.raises(CredentialError) as caught:
        open_credential_template(templated_claims, {})
    assert caught.value.fault is CredentialFault.UNKNOWN_KEY


def test_credential_template_opens_with_the_key_of_the_same_id(
    templated_claims, signing_key, verifiers, template_key, face_template
):
    claims = verify_credential(sign_credential(templated_claims, signing_key), verifiers)
    opened = open_credential_template(claims, {signing_key.key_id: template_key})
    assert opened is not None
    assert _cosine(face_template, opened) >= 0.999
