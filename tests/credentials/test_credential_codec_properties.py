"""Properties of the payload codec: any claims round-trip, any damage is refused cleanly."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from portique.credentials import (
    Claims,
    CredentialError,
    CredentialFault,
    CredentialKind,
    HolderAlgorithm,
    HolderKey,
    SigningKey,
    payload_from_text,
    payload_to_text,
    sign_credential,
    verify_credential,
)
from portique.credentials.claims import MAX_ID_LENGTH, MAX_SEALED_TEMPLATE_BYTES
from portique.credentials.payload import FORMAT_VERSION, MAGIC
from portique.credentials.text import base45_decode, base45_encode

ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-"
ids = st.text(ID_ALPHABET, min_size=1, max_size=MAX_ID_LENGTH)
seconds = st.integers(min_value=0, max_value=2**32 - 1)
holder_keys = st.sampled_from(HolderAlgorithm).flatmap(
    lambda algorithm: st.binary(min_size=algorithm.key_bytes, max_size=algorithm.key_bytes).map(
        lambda raw: HolderKey(algorithm, raw)
    )
)


@st.composite
def claims_signed_by(draw: st.DrawFn, key: SigningKey) -> Claims:
    start, end = sorted((draw(seconds), draw(seconds)))
    kind = draw(st.sampled_from(CredentialKind))
    return Claims(
        credential_id=draw(ids),
        person_id=draw(ids),
        site_id=draw(ids),
        kind=kind,
        holder_key=draw(st.none() | holder_keys) if kind is CredentialKind.PHONE else None,
        valid_from=datetime.fromtimestamp(start, UTC),
        valid_until=datetime.fromtimestamp(end, UTC),
        key_id=key.key_id,
        sealed_template=draw(st.none() | st.binary(min_size=1, max_size=MAX_SEALED_TEMPLATE_BYTES)),
    )


@given(data=st.data())
def test_any_claims_round_trip(data, signing_key, verifiers):
    claims = data.draw(claims_signed_by(signing_key))
    payload = sign_credential(claims, signing_key)
    assert verify_credential(payload, verifiers, site_id=claims.site_id) == claims
    assert verify_credential(payload_from_text(payload_to_text(payload)), verifiers) == claims


@settings(max_examples=300)
@given(data=st.data())
def test_any_single_byte_change_is_refused(data, signing_key, verifiers):
    payload = sign_credential(data.draw(claims_signed_by(signing_key)), signing_key)
    position = data.draw(st.integers(0, len(payload) - 1), label="position")
    value = data.draw(st.integers(0, 255).filter(lambda v: v != payload[position]), label="value")
    damaged = payload[:position] + bytes([value]) + payload[position + 1 :]
    try:
        verify_credential(damaged, verifiers)
    except CredentialError:
        pass
    else:
        raise AssertionError(f"a change at byte {position} was accepted")


@given(data=st.data())
def test_any_truncation_is_refused_as_truncated(data, signing_key, verifiers):
    payload = sign_credential(data.draw(claims_signed_by(signing_key)), signing_key)
    length = data.draw(st.integers(0, len(payload) - 1), label="length")
    try:
        verify_credential(payload[:length], verifiers)
    except CredentialError as error:
        assert error.fault is CredentialFault.TRUNCATED
    else:
        raise AssertionError(f"a payload cut to {length} bytes was accepted")


@settings(max_examples=300)
@given(
    junk=st.binary(max_size=1200)
    | st.binary(max_size=400).map(lambda b: bytes([MAGIC, FORMAT_VERSION]) + b)
)
def test_arbitrary_bytes_raise_only_credential_error(junk, verifiers):
    try:
        verify_credential(junk, verifiers)
    except CredentialError as error:
        assert isinstance(error.fault, CredentialFault)
    else:
        raise AssertionError("random bytes were accepted as a credential")


@given(text=st.text(max_size=300) | st.text(max_size=300).map(lambda t: "PQ:" + t))
def test_arbitrary_text_raises_only_credential_error(text):
    try:
        payload_from_text(text)
    except CredentialError as error:
        assert error.fault is CredentialFault.GARBAGE


@given(data=st.binary(max_size=600))
def test_base45_round_trips_any_bytes(data):
    assert base45_decode(base45_encode(data)) == data
