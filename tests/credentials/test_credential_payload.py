"""The signed payload: round trips, every fault, and the claims it accepts."""

from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from credential_samples import OTHER_SITE_ID, SITE_ID, VALID_FROM, VALID_UNTIL

from portique.credentials import (
    MAX_PAYLOAD_BYTES,
    Claims,
    CredentialError,
    CredentialFault,
    CredentialKind,
    InvalidClaimsError,
    SigningKey,
    new_credential_id,
    qr_version,
    sign_credential,
    verify_credential,
)
from portique.credentials.payload import (
    FORMAT_VERSION,
    MAGIC,
    PHONE_FORMAT_VERSION,
    SIGNATURE_BYTES,
)


def _fault(payload: bytes, verifiers: dict, site_id: str | None = None) -> CredentialFault:
    with pytest.raises(CredentialError) as caught:
        verify_credential(payload, verifiers, site_id)
    assert caught.value.message  # every refusal explains itself
    return caught.value.fault


def test_credential_without_template_round_trips(make_claims, signing_key, verifiers):
    claims = make_claims()
    assert verify_credential(sign_credential(claims, signing_key), verifiers) == claims


def test_credential_with_template_round_trips(templated_claims, signing_key, verifiers):
    decoded = verify_credential(sign_credential(templated_claims, signing_key), verifiers)
    assert decoded == templated_claims
    assert decoded.has_template


@pytest.mark.parametrize("kind", list(CredentialKind))
def test_every_kind_round_trips(kind, make_claims, signing_key, verifiers):
    claims = make_claims(kind=kind)
    assert verify_credential(sign_credential(claims, signing_key), verifiers).kind is kind


def test_payload_starts_with_magic_version_and_fixed_header(make_claims, signing_key):
    claims = make_claims(kind=CredentialKind.PHONE)
    payload = sign_credential(claims, signing_key)
    magic, version, kind, flags, valid_from, valid_until = struct.unpack(">BBBBII", payload[:12])
    assert (magic, version, kind, flags) == (MAGIC, FORMAT_VERSION, 2, 0)
    assert valid_from == int(VALID_FROM.timestamp())
    assert valid_until == int(VALID_UNTIL.timestamp())
    assert payload[12] == len(signing_key.key_id)
    assert payload[13 : 13 + len(signing_key.key_id)] == signing_key.key_id.encode()


def test_forged_signature_is_refused(make_claims, signing_key, other_signing_key, verifiers):
    # A forger who knows the key id but not the key signs with a key of their own.
    forger = SigningKey(signing_key.key_id, other_signing_key.private_key)
    payload = sign_credential(make_claims(), forger)
    assert _fault(payload, verifiers) is CredentialFault.BAD_SIGNATURE


def test_altered_person_id_is_refused(make_claims, signing_key, verifiers):
    payload = sign_credential(make_claims(person_id="p-1111111111"), signing_key)
    altered = payload.replace(b"p-1111111111", b"p-2222222222")
    assert altered != payload
    assert _fault(altered, verifiers) is CredentialFault.BAD_SIGNATURE


def test_extended_validity_is_refused(make_claims, signing_key, verifiers):
    payload = bytearray(sign_credential(make_claims(), signing_key))
    struct.pack_into(">I", payload, 8, int((VALID_UNTIL + timedelta(days=365)).timestamp()))
    assert _fault(bytes(payload), verifiers) is CredentialFault.BAD_SIGNATURE


def test_truncated_payload_is_refused(templated_claims, signing_key, verifiers):
    payload = sign_credential(templated_claims, signing_key)
    for length in (
        0,
        1,
        2,
        20,
        len(payload) // 2,
        len(payload) - SIGNATURE_BYTES,
        len(payload) - 1,
    ):
        assert _fault(payload[:length], verifiers) is CredentialFault.TRUNCATED, length


@pytest.mark.parametrize(
    "garbage",
    [
        b"https://example.org/inscription",
        b"\x00" * 100,
        bytes(range(256)),
        "Élève".encode(),
    ],
)
def test_garbage_is_refused(garbage, verifiers):
    assert _fault(garbage, verifiers) is CredentialFault.GARBAGE


def test_non_bytes_input_is_refused(verifiers):
    assert _fault("not bytes", verifiers) is CredentialFault.GARBAGE  # type: ignore[arg-type]


def test_oversized_payload_is_refused(make_claims, signing_key, verifiers):
    payload = sign_credential(make_claims(), signing_key)
    oversized = payload + b"\x00" * (MAX_PAYLOAD_BYTES + 1 - len(payload))
    with pytest.raises(CredentialError, match="bytes") as caught:
        verify_credential(oversized, verifiers)
    assert caught.value.fault is CredentialFault.GARBAGE


def test_trailing_bytes_are_refused(make_claims, signing_key, verifiers):
    payload = sign_credential(make_claims(), signing_key)
    assert _fault(payload + b"\x00", verifiers) is CredentialFault.GARBAGE


def test_unsupported_version_is_refused(make_claims, signing_key, verifiers):
    payload = bytearray(sign_credential(make_claims(), signing_key))
    payload[1] = PHONE_FORMAT_VERSION + 1
    with pytest.raises(CredentialError, match="version 4") as caught:
        verify_credential(bytes(payload), verifiers)
    assert caught.value.fault is CredentialFault.UNSUPPORTED_VERSION


def test_unknown_kind_or_flags_are_refused(make_claims, signing_key, verifiers):
    payload = sign_credential(make_claims(), signing_key)
    for offset, value in ((2, 9), (3, 0x80)):
        altered = bytearray(payload)
        altered[offset] = value
        assert _fault(bytes(altered), verifiers) is CredentialFault.GARBAGE


def test_unknown_key_is_refused(make_claims, other_signing_key, verifiers):
    claims = make_claims(key_id=other_signing_key.key_id)
    payload = sign_credential(claims, other_signing_key)
    with pytest.raises(CredentialError, match=other_signing_key.key_id) as caught:
        verify_credential(payload, verifiers)
    assert caught.value.fault is CredentialFault.UNKNOWN_KEY


def test_credential_of_another_site_is_refused(make_claims, signing_key, verifiers):
    payload = sign_credential(make_claims(site_id=OTHER_SITE_ID), signing_key)
    assert _fault(payload, verifiers, site_id=SITE_ID) is CredentialFault.WRONG_SITE


def test_credential_of_this_site_is_accepted(make_claims, signing_key, verifiers):
    payload = sign_credential(make_claims(), signing_key)
    assert verify_credential(payload, verifiers, site_id=SITE_ID).site_id == SITE_ID


def test_forged_credential_of_another_site_is_a_bad_signature_not_a_wrong_site(
    make_claims, signing_key, other_signing_key, verifiers
):
    forger = SigningKey(signing_key.key_id, other_signing_key.private_key)
    payload = sign_credential(make_claims(site_id=OTHER_SITE_ID), forger)
    assert _fault(payload, verifiers, site_id=SITE_ID) is CredentialFault.BAD_SIGNATURE


def test_claims_must_name_the_signing_key(make_claims, other_signing_key):
    with pytest.raises(InvalidClaimsError, match="signed with key"):
        sign_credential(make_claims(), other_signing_key)


def test_credential_error_is_a_portique_error_with_a_code(verifiers):
    from portique.errors import PortiqueError

    with pytest.raises(PortiqueError) as caught:
        verify_credential(b"", verifiers)
    assert caught.value.code == "credential"


def test_times_are_normalised_to_utc_whole_seconds(make_claims):
    paris_summer = timezone(timedelta(hours=2))
    claims = make_claims(
        valid_from=datetime(2025, 9, 1, 0, 0, 0, 999_999, tzinfo=paris_summer),
        valid_until=datetime(2026, 8, 31, 23, 59, 59, 500_000, tzinfo=paris_summer),
    )
    assert claims.valid_from == datetime(2025, 8, 31, 22, 0, tzinfo=UTC)
    assert claims.valid_from.tzinfo is UTC
    assert claims.valid_until == datetime(2026, 8, 31, 21, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    "overrides",
    [
        {"valid_from": datetime(2025, 9, 1)},
        {"valid_until": datetime(2026, 8, 31)},
        {"valid_from": VALID_UNTIL, "valid_until": VALID_FROM},
        {"valid_until": datetime(2200, 1, 1, tzinfo=UTC)},
        {"valid_from": datetime(1960, 1, 1, tzinfo=UTC)},
        {"person_id": "Jeanne Dupont"},
        {"person_id": ""},
        {"site_id": "x" * 65},
        {"credential_id": "élève"},
        {"key_id": "a/b"},
        {"kind": "card"},
        {"sealed_template": b""},
        {"sealed_template": b"\x01" * 769},
    ],
)
def test_malformed_claims_are_refused(make_claims, overrides):
    with pytest.raises(InvalidClaimsError):
        make_claims(**overrides)


def test_new_credential_ids_are_short_url_safe_and_distinct():
    ids = {new_credential_id() for _ in range(1000)}
    assert len(ids) == 1000
    for credential_id in ids:
        assert len(credential_id) == 16
        assert set(credential_id) <= set("abcdefghijklmnopqrstuvwxyz234567")


def test_payload_sizes_fit_a_qr_code_a_phone_can_show(
    make_claims: Callable[..., Claims], templated_claims, signing_key
):
    plain = sign_credential(make_claims(), signing_key)
    with_template = sign_credential(templated_claims, signing_key)
    # Sizes documented in docs/credential-format.md (8-character key id, 16-character
    # credential id, 12-character person id, 8-character site id, 128-d template).
    assert len(plain) == 124
    assert len(with_template) == 124 + 2 + 161
    assert qr_version(plain) == 8
    assert qr_version(with_template) == 12
    assert qr_version(with_template, mode="text") == 13


def test_every_byte_of_a_templated_payload_is_protected(templated_claims, signing_key, verifiers):
    payload = sign_credential(templated_claims, signing_key)
    for position in range(len(payload)):
        for mask in (0x01, 0x80, 0xFF):
            damaged = bytearray(payload)
            damaged[position] ^= mask
            with pytest.raises(CredentialError):
                verify_credential(bytes(damaged), verifiers)
