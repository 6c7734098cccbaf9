"""Credential format version 2: the central template store key, and version 1 intact."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from portique.credentials import (
    Claims,
    CredentialError,
    CredentialFault,
    CredentialKind,
    init_keyring,
    sign_credential,
    verify_credential,
)
from portique.credentials.errors import InvalidClaimsError
from portique.credentials.payload import (
    FLAG_TEMPLATE,
    FLAG_VAULT_KEY,
    FORMAT_VERSION,
    VAULT_FORMAT_VERSION,
)


def _claims(key_id: str, **extra: object) -> Claims:
    return Claims(
        credential_id="c0ffee00c0ffee00",
        person_id="p-7f3a9c2e41",
        site_id="0130001A",
        kind=CredentialKind.CARD,
        valid_from=datetime(2026, 9, 1, tzinfo=UTC),
        valid_until=datetime(2027, 8, 31, 21, 59, 59, tzinfo=UTC),
        key_id=key_id,
        **extra,  # type: ignore[arg-type]
    )


def test_a_template_store_key_round_trips_in_version_2(tmp_path: Path) -> None:
    keyring = init_keyring(tmp_path / "keys")
    key = os.urandom(32)
    payload = sign_credential(_claims(keyring.active_key_id, vault_key=key), keyring.signing_key())
    assert payload[1] == VAULT_FORMAT_VERSION and payload[3] == FLAG_VAULT_KEY
    claims = verify_credential(payload, keyring.verifiers(), "0130001A")
    assert claims.vault_key == key and claims.sealed_template is None and claims.has_template
    assert "vault_key" not in repr(claims) and str(key) not in repr(claims)

    plain = sign_credential(_claims(keyring.active_key_id), keyring.signing_key())
    assert plain[1] == FORMAT_VERSION  # credentials without a store key stay version 1


@pytest.mark.parametrize(
    "version, flags", [(1, FLAG_VAULT_KEY), (2, FLAG_TEMPLATE | FLAG_VAULT_KEY)]
)
def test_a_store_key_flag_out_of_place_is_garbage(tmp_path: Path, version: int, flags: int) -> None:
    keyring = init_keyring(tmp_path / "keys")
    payload = bytearray(
        sign_credential(
            _claims(keyring.active_key_id, vault_key=os.urandom(32)), keyring.signing_key()
        )
    )
    payload[1], payload[3] = version, flags
    with pytest.raises(CredentialError) as caught:
        verify_credential(bytes(payload), keyring.verifiers())
    assert caught.value.fault in (CredentialFault.GARBAGE, CredentialFault.TRUNCATED)


def test_claims_carry_a_template_or_a_store_key_never_both() -> None:
    with pytest.raises(InvalidClaimsError):
        _claims("k1", vault_key=os.urandom(32), sealed_template=b"\x01" * 161)
    with pytest.raises(InvalidClaimsError):
        _claims("k1", vault_key=os.urandom(16))
