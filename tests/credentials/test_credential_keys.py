"""The keyring on disk: owner-only files, rotation, retirement and refusing loose permissions."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from portique.credentials import (
    CredentialError,
    CredentialFault,
    InsecureKeyringError,
    KeyringError,
    KeyStatus,
    UnknownKeyIdError,
    decode_verifiers,
    encode_verifiers,
    init_keyring,
    load_keyring,
    sign_credential,
    verify_credential,
)

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")

T0 = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _issue(keyring, make_claims) -> bytes:
    key = keyring.signing_key()
    return sign_credential(make_claims(key_id=key.key_id), key)


def test_init_writes_owner_only_files(tmp_path):
    directory = tmp_path / "site" / "keys"
    keyring = init_keyring(directory, now=T0)
    assert _mode(directory) == 0o700
    names = sorted(path.name for path in directory.iterdir())
    key_id = keyring.active_key_id
    assert names == sorted(["keyring.json", f"signing-{key_id}.pem", f"template-{key_id}.key"])
    for path in directory.iterdir():
        assert _mode(path) == 0o600, path


def test_files_are_owner_only_even_with_a_permissive_umask(tmp_path):
    previous = os.umask(0)
    try:
        init_keyring(tmp_path / "keys")
    finally:
        os.umask(previous)
    for path in (tmp_path / "keys").iterdir():
        assert _mode(path) == 0o600


def test_init_refuses_to_overwrite_a_keyring(tmp_path):
    init_keyring(tmp_path)
    with pytest.raises(KeyringError, match="already exists"):
        init_keyring(tmp_path)


def test_loaded_keyring_verifies_what_the_original_signed(tmp_path, make_claims):
    keyring = init_keyring(tmp_path, now=T0)
    payload = _issue(keyring, make_claims)
    loaded = load_keyring(tmp_path)
    assert loaded.active_key_id == keyring.active_key_id
    assert loaded.template_key() == keyring.template_key()
    assert verify_credential(payload, loaded.verifiers()).key_id == keyring.active_key_id
    assert loaded.list_keys() == keyring.list_keys()


def test_rotated_out_key_still_verifies(tmp_path, make_claims):
    keyring = init_keyring(tmp_path, now=T0)
    old_id = keyring.active_key_id
    old_payload = _issue(keyring, make_claims)
    new_info = keyring.rotate(now=T1)
    assert new_info.key_id != old_id
    assert keyring.active_key_id == new_info.key_id
    reloaded = load_keyring(tmp_path)
    for ring in (keyring, reloaded):
        assert verify_credential(old_payload, ring.verifiers()).key_id == old_id
        assert (
            verify_credential(_issue(ring, make_claims), ring.verifiers()).key_id == new_info.key_id
        )
        assert set(ring.template_keys()) == {old_id, new_info.key_id}


def test_rotation_deletes_the_previous_signing_key(tmp_path):
    keyring = init_keyring(tmp_path)
    old_id = keyring.active_key_id
    keyring.rotate()
    assert not (tmp_path / f"signing-{old_id}.pem").exists()
    assert (tmp_path / f"template-{old_id}.key").exists()


def test_retired_key_no_longer_verifies(tmp_path, make_claims):
    keyring = init_keyring(tmp_path, now=T0)
    old_id = keyring.active_key_id
    old_payload = _issue(keyring, make_claims)
    keyring.rotate(now=T1)
    retired = keyring.retire(old_id, now=T2)
    assert retired.status is KeyStatus.RETIRED
    assert retired.retired_at == T2
    for ring in (keyring, load_keyring(tmp_path)):
        with pytest.raises(CredentialError) as caught:
            verify_credential(old_payload, ring.verifiers())
        assert caught.value.fault is CredentialFault.UNKNOWN_KEY


def test_retiring_destroys_the_template_key(tmp_path):
    keyring = init_keyring(tmp_path)
    old_id = keyring.active_key_id
    keyring.rotate()
    keyring.retire(old_id)
    assert not (tmp_path / f"template-{old_id}.key").exists()
    with pytest.raises(UnknownKeyIdError):
        load_keyring(tmp_path).template_key(old_id)


def test_active_key_cannot_be_retired(tmp_path):
    keyring = init_keyring(tmp_path)
    with pytest.raises(KeyringError, match="rotate first"):
        keyring.retire(keyring.active_key_id)


def test_retiring_an_unknown_key_is_refused(tmp_path):
    keyring = init_keyring(tmp_path)
    with pytest.raises(UnknownKeyIdError, match=keyring.active_key_id):
        keyring.retire("deadbeef")


def test_retiring_twice_is_harmless(tmp_path):
    keyring = init_keyring(tmp_path)
    old_id = keyring.active_key_id
    keyring.rotate()
    first = keyring.retire(old_id, now=T1)
    assert keyring.retire(old_id, now=T2) == first


def test_key_list_shows_each_key_and_its_status(tmp_path):
    keyring = init_keyring(tmp_path, now=T0)
    first = keyring.active_key_id
    second = keyring.rotate(now=T1).key_id
    third = keyring.rotate(now=T2).key_id
    keyring.retire(first, now=T2)
    listed = [
        (info.key_id, info.status, info.created_at) for info in load_keyring(tmp_path).list_keys()
    ]
    assert listed == [
        (first, KeyStatus.RETIRED, T0),
        (second, KeyStatus.VERIFYING, T1),
        (third, KeyStatus.ACTIVE, T2),
    ]


def test_verifiers_hold_public_keys_only(tmp_path):
    keyring = init_keyring(tmp_path)
    keyring.rotate()
    verifiers = keyring.verifiers()
    assert len(verifiers) == 2
    assert all(isinstance(key, Ed25519PublicKey) for key in verifiers.values())


def test_verifiers_survive_encoding_for_a_lane_snapshot(tmp_path):
    keyring = init_keyring(tmp_path)
    encoded = encode_verifiers(keyring.verifiers())
    json.dumps(encoded)
    decoded = decode_verifiers(encoded)
    assert encode_verifiers(decoded) == encoded


def test_verifier_under_a_wrong_id_is_refused(tmp_path):
    encoded = encode_verifiers(init_keyring(tmp_path).verifiers())
    (public_key,) = encoded.values()
    with pytest.raises(KeyringError, match="does not match"):
        decode_verifiers({"00000000": public_key})


@pytest.mark.parametrize("mode", [0o644, 0o604, 0o640])
def test_readable_private_key_file_is_refused(tmp_path, mode):
    keyring = init_keyring(tmp_path)
    path = tmp_path / f"signing-{keyring.active_key_id}.pem"
    path.chmod(mode)
    with pytest.raises(InsecureKeyringError, match=r"chmod 600") as caught:
        load_keyring(tmp_path)
    assert str(path) in caught.value.message


def test_readable_template_key_file_is_refused(tmp_path):
    keyring = init_keyring(tmp_path)
    (tmp_path / f"template-{keyring.active_key_id}.key").chmod(0o644)
    with pytest.raises(InsecureKeyringError):
        load_keyring(tmp_path)


def test_open_keyring_directory_is_refused(tmp_path):
    directory = tmp_path / "keys"
    init_keyring(directory)
    directory.chmod(0o755)
    with pytest.raises(InsecureKeyringError, match=r"chmod 700"):
        load_keyring(directory)


def test_linked_key_file_is_refused(tmp_path):
    keyring = init_keyring(tmp_path / "keys")
    path = tmp_path / "keys" / f"template-{keyring.active_key_id}.key"
    moved = tmp_path / "elsewhere.key"
    path.rename(moved)
    path.symlink_to(moved)
    with pytest.raises(KeyringError, match="links are refused"):
        load_keyring(tmp_path / "keys")


def test_missing_keyring_says_how_to_create_one(tmp_path):
    with pytest.raises(KeyringError, match="portique keys init"):
        load_keyring(tmp_path / "nowhere")


def test_corrupt_keyring_file_is_a_keyring_error(tmp_path):
    init_keyring(tmp_path)
    (tmp_path / "keyring.json").write_text('{"format": 1, "keys": []}')
    with pytest.raises(KeyringError):
        load_keyring(tmp_path)


def test_swapped_signing_key_is_detected(tmp_path):
    first = init_keyring(tmp_path / "a")
    second = init_keyring(tmp_path / "b")
    stolen = (tmp_path / "b" / f"signing-{second.active_key_id}.pem").read_bytes()
    (tmp_path / "a" / f"signing-{first.active_key_id}.pem").write_bytes(stolen)
    with pytest.raises(KeyringError, match="does not hold key"):
        load_keyring(tmp_path / "a")


def test_keyring_repr_shows_no_secret(tmp_path):
    keyring = init_keyring(tmp_path)
    text = repr(keyring) + repr(keyring.signing_key()) + repr(keyring.list_keys())
    assert "PRIVATE" not in text
    assert keyring.template_key().hex() not in text
