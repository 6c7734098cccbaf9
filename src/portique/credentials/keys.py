"""The site keyring: Ed25519 signing keys and AES template keys, on disk, owner-only.

A keyring is a directory (mode 0700) holding::

    keyring.json            key ids, public keys, dates, which key is active (0600)
    signing-<key_id>.pem    the active Ed25519 private key, PKCS#8 (0600)
    template-<key_id>.key   the 32-byte AES-256 template key of each unretired key (0600)

Each key id names a pair: the Ed25519 key that signs credentials and the AES key that
seals the templates inside them. ``rotate`` makes a new active pair; the previous
signing key is deleted (only the active key signs) but its public key keeps verifying
and its template key keeps opening templates until ``retire``. Retiring deletes the
template key, which makes every template sealed under it unreadable for good.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import json
import os
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from portique import clock
from portique.credentials.errors import InsecureKeyringError, KeyringError, UnknownKeyIdError
from portique.credentials.template import TEMPLATE_KEY_BYTES, new_template_key
from portique.files import (
    PRIVATE_DIRECTORY_MODE,
    PRIVATE_FILE_MODE,
    private_directory,
    write_private,
)

KEYRING_FORMAT = 1
METADATA_FILE = "keyring.json"
KEY_ID_BYTES = 4  # 8 hex characters: ample for the handful of keys a site ever holds

_POSIX = os.name == "posix"


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key and the id credentials name it by."""

    key_id: str
    private_key: Ed25519PrivateKey = field(repr=False)

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()


class KeyStatus(enum.Enum):
    """Where a key stands in its life."""

    ACTIVE = "active"  # signs new credentials, verifies
    VERIFYING = "verifying"  # replaced by a newer key; still verifies and opens templates
    RETIRED = "retired"  # verifies nothing; its template key is destroyed


@dataclass(frozen=True)
class KeyInfo:
    """What ``portique keys list`` shows about one key; no secret in it."""

    key_id: str
    status: KeyStatus
    created_at: datetime
    retired_at: datetime | None
    public_key: Ed25519PublicKey = field(repr=False, compare=False)


def key_id_for(public_key: Ed25519PublicKey) -> str:
    """The id of a key: the first bytes of the SHA-256 of its raw public key, in hex."""
    digest = hashlib.sha256(_raw_public(public_key)).digest()
    return digest[:KEY_ID_BYTES].hex()


def encode_verifiers(verifiers: Mapping[str, Ed25519PublicKey]) -> dict[str, str]:
    """Public keys as text (key id → base64 raw key), to ship to lanes in a snapshot."""
    return {
        key_id: base64.b64encode(_raw_public(key)).decode("ascii")
        for key_id, key in verifiers.items()
    }


def decode_verifiers(encoded: Mapping[str, str]) -> dict[str, Ed25519PublicKey]:
    """The inverse of :func:`encode_verifiers`; refuses a key whose id does not match it."""
    verifiers = {}
    for key_id, text in encoded.items():
        public_key = _public_from_text(text, f"public key {key_id!r}")
        if key_id_for(public_key) != key_id:
            raise KeyringError(f"Public key {key_id!r} does not match its id.")
        verifiers[key_id] = public_key
    return verifiers


class Keyring:
    """A site's keys, loaded from their directory; use :func:`init_keyring` or
    :func:`load_keyring` to get one."""

    def __init__(
        self,
        directory: Path,
        records: list[KeyInfo],
        active: SigningKey,
        template_keys: dict[str, bytes],
    ) -> None:
        self._directory = directory
        self._records = records
        self._active = active
        self._template_keys = template_keys

    def __repr__(self) -> str:
        return f"Keyring({str(self._directory)!r}, active={self._active.key_id!r})"

    @property
    def directory(self) -> Path:
        return self._directory

    @property
    def active_key_id(self) -> str:
        return self._active.key_id

    def signing_key(self) -> SigningKey:
        """The active key, the only one that signs new credentials."""
        return self._active

    def verifiers(self) -> dict[str, Ed25519PublicKey]:
        """Public keys of every unretired key, by id: all a lane needs to verify."""
        return {
            info.key_id: info.public_key
            for info in self._records
            if info.status is not KeyStatus.RETIRED
        }

    def template_key(self, key_id: str | None = None) -> bytes:
        """The template key paired with ``key_id`` (the active key by default)."""
        wanted = self._active.key_id if key_id is None else key_id
        try:
            return self._template_keys[wanted]
        except KeyError:
            raise UnknownKeyIdError(
                f"No template key {wanted!r} in the keyring (known: {self._known()})."
            ) from None

    def template_keys(self) -> dict[str, bytes]:
        """Template keys of every unretired key, by id: what a lane needs to open templates."""
        return dict(self._template_keys)

    def list_keys(self) -> list[KeyInfo]:
        """Every key ever made here, oldest first, retired ones included."""
        return list(self._records)

    def rotate(self, now: datetime | None = None) -> KeyInfo:
        """Make a new active key pair; the previous one keeps verifying until retired."""
        created = _now(now)
        taken = {info.key_id for info in self._records}
        new_key, template_key = _generate(taken)
        new_info = KeyInfo(new_key.key_id, KeyStatus.ACTIVE, created, None, new_key.public_key)
        records = [
            replace(info, status=KeyStatus.VERIFYING) if info.status is KeyStatus.ACTIVE else info
            for info in self._records
        ] + [new_info]
        _write_private(self._directory / _template_file(new_key.key_id), template_key)
        _write_private(self._directory / _signing_file(new_key.key_id), _pem(new_key))
        _write_metadata(self._directory, records, new_key.key_id)
        old_active = self._active.key_id
        self._records = records
        self._active = new_key
        self._template_keys[new_key.key_id] = template_key
        _remove(self._directory / _signing_file(old_active))
        return new_info

    def retire(self, key_id: str, now: datetime | None = None) -> KeyInfo:
        """Stop trusting ``key_id``: credentials it signed are refused, its templates lost.

        The active key cannot be retired; rotate first. Retiring twice is harmless.
        """
        index = next((i for i, info in enumerate(self._records) if info.key_id == key_id), None)
        if index is None:
            raise UnknownKeyIdError(f"No key {key_id!r} in the keyring (known: {self._known()}).")
        info = self._records[index]
        if info.status is KeyStatus.ACTIVE:
            raise KeyringError(
                f"Key {key_id!r} is the active key and cannot be retired: rotate first, "
                "then retire it once its credentials have been reissued."
            )
        if info.status is KeyStatus.RETIRED:
            return info
        retired = replace(info, status=KeyStatus.RETIRED, retired_at=_now(now))
        records = list(self._records)
        records[index] = retired
        _write_metadata(self._directory, records, self._active.key_id)
        self._records = records
        self._template_keys.pop(key_id, None)
        _remove(self._directory / _template_file(key_id))
        return retired

    def _known(self) -> str:
        return ", ".join(info.key_id for info in self._records) or "none"


def init_keyring(directory: Path, now: datetime | None = None) -> Keyring:
    """Create a keyring with one active key in ``directory`` (made 0700 if needed).

    Refuses to overwrite an existing keyring.
    """
    directory = Path(directory)
    if (directory / METADATA_FILE).exists():
        raise KeyringError(
            f"A keyring already exists in {directory}; use rotate to make a new key."
        )
    try:
        private_directory(directory)
    except OSError as exc:
        raise KeyringError(f"Cannot create the keyring directory {directory}: {exc}") from None
    key, template_key = _generate(set())
    info = KeyInfo(key.key_id, KeyStatus.ACTIVE, _now(now), None, key.public_key)
    _write_private(directory / _template_file(key.key_id), template_key)
    _write_private(directory / _signing_file(key.key_id), _pem(key))
    _write_metadata(directory, [info], key.key_id)
    return Keyring(directory, [info], key, {key.key_id: template_key})


def load_keyring(directory: Path) -> Keyring:
    """Load the keyring in ``directory``, refusing files other users can read or write."""
    directory = Path(directory)
    metadata_path = directory / METADATA_FILE
    if not metadata_path.exists():
        raise KeyringError(f"No keyring in {directory}: create one with `portique keys init`.")
    _check_private(directory, is_directory=True)
    data = _load_json(metadata_path)
    records, active_id = _parse_metadata(data, metadata_path)

    template_keys = {}
    for info in records:
        if info.status is KeyStatus.RETIRED:
            continue
        path = directory / _template_file(info.key_id)
        template_key = _read_private(path)
        if len(template_key) != TEMPLATE_KEY_BYTES:
            raise KeyringError(f"{path} is not a {TEMPLATE_KEY_BYTES}-byte template key.")
        template_keys[info.key_id] = template_key

    signing_path = directory / _signing_file(active_id)
    try:
        private_key = serialization.load_pem_private_key(_read_private(signing_path), None)
    except (ValueError, TypeError) as exc:
        raise KeyringError(f"{signing_path} is not a readable private key: {exc}") from None
    if not isinstance(private_key, Ed25519PrivateKey):
        raise KeyringError(f"{signing_path} is not an Ed25519 private key.")
    active = SigningKey(active_id, private_key)
    if key_id_for(active.public_key) != active_id:
        raise KeyringError(f"{signing_path} does not hold key {active_id!r}.")
    return Keyring(directory, records, active, template_keys)


def _generate(taken: set[str]) -> tuple[SigningKey, bytes]:
    while True:
        private_key = Ed25519PrivateKey.generate()
        key_id = key_id_for(private_key.public_key())
        if key_id not in taken:
            return SigningKey(key_id, private_key), new_template_key()


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _public_from_text(text: str, what: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except (ValueError, TypeError, binascii.Error):
        raise KeyringError(f"The {what} is not a base64 Ed25519 public key.") from None


def _pem(key: SigningKey) -> bytes:
    return key.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _signing_file(key_id: str) -> str:
    return f"signing-{key_id}.pem"


def _template_file(key_id: str) -> str:
    return f"template-{key_id}.key"


def _now(now: datetime | None) -> datetime:
    if now is None:
        return clock.now().replace(microsecond=0)
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware.")
    return now.astimezone(UTC)


@contextmanager
def _keyring_file_errors(action: str, path: Path) -> Iterator[None]:
    """An OSError in the block becomes a KeyringError: "Cannot <action> <path>: why"."""
    try:
        yield
    except OSError as exc:
        raise KeyringError(f"Cannot {action} {path}: {exc.strerror or exc}") from None


def _check_private(path: Path, *, is_directory: bool = False) -> None:
    """Refuse a keyring entry that is a link, the wrong type, or open to other users."""
    with _keyring_file_errors("read", path):
        info = path.lstat()
    expected = stat.S_ISDIR if is_directory else stat.S_ISREG
    if not expected(info.st_mode):
        kind = "directory" if is_directory else "regular file"
        raise KeyringError(f"{path} must be a {kind} (links are refused in a keyring).")
    if _POSIX and info.st_mode & 0o077:
        wanted = PRIVATE_DIRECTORY_MODE if is_directory else PRIVATE_FILE_MODE
        raise InsecureKeyringError(
            f"{path} is accessible to other users (mode {stat.S_IMODE(info.st_mode):04o}); "
            f"keys must be private to their owner. Fix it with `chmod {wanted:o} {path}`, "
            "and consider the keys exposed if others could read them: rotate and retire."
        )


def _read_private(path: Path) -> bytes:
    _check_private(path)
    with _keyring_file_errors("read", path):
        return path.read_bytes()


def _write_private(path: Path, data: bytes) -> None:
    with _keyring_file_errors("write", path):
        write_private(path, data)


def _remove(path: Path) -> None:
    with _keyring_file_errors("delete", path):
        path.unlink(missing_ok=True)


def _write_metadata(directory: Path, records: list[KeyInfo], active_id: str) -> None:
    data = {
        "format": KEYRING_FORMAT,
        "active": active_id,
        "keys": [
            {
                "key_id": info.key_id,
                "public_key": base64.b64encode(_raw_public(info.public_key)).decode("ascii"),
                "created_at": info.created_at.isoformat(),
                "retired_at": info.retired_at.isoformat() if info.retired_at else None,
            }
            for info in records
        ],
    }
    text = json.dumps(data, indent=2) + "\n"
    _write_private(directory / METADATA_FILE, text.encode("utf-8"))


def _load_json(path: Path) -> Any:
    try:
        return json.loads(_read_private(path))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KeyringError(f"{path} is not valid JSON: {exc}") from None


def _parse_metadata(data: Any, path: Path) -> tuple[list[KeyInfo], str]:
    try:
        if data["format"] != KEYRING_FORMAT:
            raise KeyringError(
                f"{path} has keyring format {data['format']!r}; "
                f"this version of Portique reads format {KEYRING_FORMAT}."
            )
        active_id = data["active"]
        records = []
        for entry in data["keys"]:
            key_id = entry["key_id"]
            public_key = _public_from_text(entry["public_key"], f"public key of {key_id!r}")
            if key_id_for(public_key) != key_id:
                raise KeyringError(f"{path}: the public key of {key_id!r} does not match its id.")
            retired_at = entry["retired_at"]
            if retired_at is not None:
                status = KeyStatus.RETIRED
            elif key_id == active_id:
                status = KeyStatus.ACTIVE
            else:
                status = KeyStatus.VERIFYING
            records.append(
                KeyInfo(
                    key_id=key_id,
                    status=status,
                    created_at=datetime.fromisoformat(entry["created_at"]),
                    retired_at=datetime.fromisoformat(retired_at) if retired_at else None,
                    public_key=public_key,
                )
            )
    except (KeyError, TypeError, ValueError) as exc:
        raise KeyringError(f"{path} is not a valid keyring file ({exc!r}).") from None
    if sum(info.status is KeyStatus.ACTIVE for info in records) != 1:
        raise KeyringError(f"{path} does not name exactly one active, unretired key.")
    return records, active_id
