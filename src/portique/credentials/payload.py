"""The binary credential payload: layout, Ed25519 signing and defensive decoding.

See docs/credential-format.md for the layout byte by byte.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from portique.credentials.claims import (
    MAX_ID_LENGTH,
    MAX_SEALED_TEMPLATE_BYTES,
    VAULT_KEY_BYTES,
    Claims,
    CredentialKind,
)
from portique.credentials.errors import (
    CredentialError,
    CredentialFault,
    InvalidClaimsError,
    known_key,
)
from portique.credentials.holder import HolderAlgorithm, HolderKey
from portique.credentials.keys import SigningKey

MAGIC = 0xFB
"""First byte of every payload; never found in UTF-8 text, so a text QR is told apart."""

FORMAT_VERSION = 1
"""The version of a credential without a template store key (every credential before
the central template store): what lanes of every age read."""
VAULT_FORMAT_VERSION = 2
"""Version 2 adds the template store key (flag bit 1); written only when one is carried."""
PHONE_FORMAT_VERSION = 3
"""Version 3 adds the holder key of a phone pass (flag bit 2); written only when one is
carried, so cards and badges stay versions 1 and 2, byte for byte."""
READABLE_VERSIONS = (FORMAT_VERSION, VAULT_FORMAT_VERSION, PHONE_FORMAT_VERSION)
SIGNATURE_BYTES = 64
SIGNATURE_CONTEXT = b"portique-credential"
"""Prefixed to the signed bytes (not transmitted) so a credential key signs nothing else."""

FLAG_TEMPLATE = 0x01
FLAG_VAULT_KEY = 0x02
FLAG_HOLDER_KEY = 0x04
_FLAGS_BY_VERSION = {
    FORMAT_VERSION: FLAG_TEMPLATE,
    VAULT_FORMAT_VERSION: FLAG_TEMPLATE | FLAG_VAULT_KEY,
    PHONE_FORMAT_VERSION: FLAG_TEMPLATE | FLAG_VAULT_KEY | FLAG_HOLDER_KEY,
}

_HEADER = struct.Struct(">BBBBII")  # magic, version, kind, flags, valid_from, valid_until
_ID_FIELDS = 4  # key_id, credential_id, person_id, site_id
_TEMPLATE_LENGTH = struct.Struct(">H")
_HOLDER_KEY_MAX = 1 + max(algorithm.key_bytes for algorithm in HolderAlgorithm)

MIN_PAYLOAD_BYTES = _HEADER.size + _ID_FIELDS * 2 + SIGNATURE_BYTES
MAX_PAYLOAD_BYTES = (
    _HEADER.size
    + _ID_FIELDS * (1 + MAX_ID_LENGTH)
    + _TEMPLATE_LENGTH.size
    + MAX_SEALED_TEMPLATE_BYTES
    + _HOLDER_KEY_MAX
    + SIGNATURE_BYTES
)
"""Largest payload the format allows (1140 bytes); anything longer is refused unread."""

_KIND_CODES: dict[CredentialKind, int] = {
    CredentialKind.CARD: 1,
    CredentialKind.PHONE: 2,
    CredentialKind.BADGE: 3,
    CredentialKind.VISITOR_PASS: 4,
}
_KINDS_BY_CODE = {code: kind for kind, code in _KIND_CODES.items()}


def sign_credential(claims: Claims, key: SigningKey) -> bytes:
    """The signed binary payload of ``claims``, to print in a QR code.

    ``claims.key_id`` must name ``key``: the id travels in the payload so a lane knows
    which public key verifies it.
    """
    if claims.key_id != key.key_id:
        raise InvalidClaimsError(
            f"The claims name key {claims.key_id!r} but are signed with key {key.key_id!r}."
        )
    flags = FLAG_TEMPLATE if claims.sealed_template is not None else 0
    if claims.vault_key is not None:
        flags |= FLAG_VAULT_KEY
    if claims.holder_key is not None:
        flags |= FLAG_HOLDER_KEY
    parts = [
        _HEADER.pack(
            MAGIC,
            _version_for(claims),
            _KIND_CODES[claims.kind],
            flags,
            int(claims.valid_from.timestamp()),
            int(claims.valid_until.timestamp()),
        )
    ]
    for value in (claims.key_id, claims.credential_id, claims.person_id, claims.site_id):
        encoded = value.encode("ascii")
        parts.append(bytes([len(encoded)]) + encoded)
    if claims.sealed_template is not None:
        parts.append(_TEMPLATE_LENGTH.pack(len(claims.sealed_template)))
        parts.append(claims.sealed_template)
    if claims.vault_key is not None:
        parts.append(claims.vault_key)
    if claims.holder_key is not None:
        parts.append(bytes([claims.holder_key.algorithm]) + claims.holder_key.raw)
    body = b"".join(parts)
    signature = key.private_key.sign(SIGNATURE_CONTEXT + body)
    return body + signature


def _version_for(claims: Claims) -> int:
    """The oldest version that can carry ``claims``, so older lanes read what they can."""
    if claims.holder_key is not None:
        return PHONE_FORMAT_VERSION
    return VAULT_FORMAT_VERSION if claims.vault_key is not None else FORMAT_VERSION


def verify_credential(
    payload: bytes,
    verifiers: Mapping[str, Ed25519PublicKey],
    site_id: str | None = None,
) -> Claims:
    """The claims of ``payload`` once its signature is checked against ``verifiers``.

    ``verifiers`` maps key ids to public keys (``Keyring.verifiers()``). With
    ``site_id``, a credential of another site is refused (``WRONG_SITE``). The validity
    window and revocation are not checked here: see ``check_validity`` and
    ``RevocationList``. Whatever the input, the only exception raised is
    :class:`CredentialError`.
    """
    body, signature, fields = _split(payload)

    public_key = known_key(
        verifiers,
        fields.key_id,
        f"The credential was signed with key {fields.key_id!r}, unknown here: the key "
        "was retired, belongs to another site, or this lane's keys are out of date.",
    )
    try:
        public_key.verify(signature, SIGNATURE_CONTEXT + body)
    except InvalidSignature:
        raise CredentialError(
            CredentialFault.BAD_SIGNATURE,
            "The credential's signature does not match: it was altered or forged.",
        ) from None

    try:
        claims = Claims(
            credential_id=fields.credential_id,
            person_id=fields.person_id,
            site_id=fields.site_id,
            kind=fields.kind,
            valid_from=datetime.fromtimestamp(fields.valid_from, UTC),
            valid_until=datetime.fromtimestamp(fields.valid_until, UTC),
            key_id=fields.key_id,
            sealed_template=fields.sealed_template,
            vault_key=fields.vault_key,
            holder_key=fields.holder_key,
        )
    except InvalidClaimsError as exc:
        # Only a faulty signer can get here: the signature is good but the content is not.
        raise CredentialError(
            CredentialFault.GARBAGE, f"The credential is signed but malformed: {exc.message}"
        ) from None
    if site_id is not None and claims.site_id != site_id:
        raise CredentialError(
            CredentialFault.WRONG_SITE,
            f"The credential belongs to site {claims.site_id!r}, not to this site ({site_id!r}).",
        )
    return claims


def claimed_person_id(payload: bytes) -> str | None:
    """The person id ``payload`` names, read WITHOUT checking its signature; None when it
    is not a well-formed credential.

    Only for choosing which records to load before :func:`verify_credential` decides: a
    forged payload may name anyone, so nothing it says may be trusted from here.
    """
    try:
        return _split(payload)[2].person_id
    except CredentialError:
        return None


def _split(payload: bytes) -> tuple[bytes, bytes, _Fields]:
    """The signed body, the signature and the fields of a well-formed payload (its
    signature not checked)."""
    if not isinstance(payload, bytes | bytearray | memoryview):
        raise CredentialError(CredentialFault.GARBAGE, "A credential payload must be bytes.")
    payload = bytes(payload)
    if not payload:
        raise CredentialError(CredentialFault.TRUNCATED, "The credential payload is empty.")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise CredentialError(
            CredentialFault.GARBAGE,
            f"The payload is {len(payload)} bytes, more than a credential can be "
            f"({MAX_PAYLOAD_BYTES} bytes): this is not a Portique credential.",
        )
    if payload[0] != MAGIC:
        raise CredentialError(
            CredentialFault.GARBAGE, "This code does not hold a Portique credential."
        )
    if len(payload) < 2:
        raise CredentialError(CredentialFault.TRUNCATED, "The credential payload is cut short.")
    if payload[1] not in READABLE_VERSIONS:
        raise CredentialError(
            CredentialFault.UNSUPPORTED_VERSION,
            f"The credential uses format version {payload[1]}; this version of Portique "
            f"reads versions {', '.join(map(str, READABLE_VERSIONS))}. Update the lane or "
            "reissue the credential.",
        )
    if len(payload) < MIN_PAYLOAD_BYTES:
        raise CredentialError(
            CredentialFault.TRUNCATED,
            f"The credential payload is cut short ({len(payload)} bytes).",
        )
    body, signature = payload[:-SIGNATURE_BYTES], payload[-SIGNATURE_BYTES:]
    return body, signature, _parse_body(body)


@dataclass(frozen=True, slots=True)
class _Fields:
    """The raw fields of a payload body, before the signature is checked."""

    kind: CredentialKind
    valid_from: int
    valid_until: int
    key_id: str
    credential_id: str
    person_id: str
    site_id: str
    sealed_template: bytes | None
    vault_key: bytes | None
    holder_key: HolderKey | None


class _Reader:
    """Reads a body front to back; running out of bytes means the payload was truncated."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def take(self, count: int) -> bytes:
        end = self._pos + count
        if end > len(self._data):
            raise CredentialError(CredentialFault.TRUNCATED, "The credential payload is cut short.")
        chunk = self._data[self._pos : end]
        self._pos = end
        return chunk

    @property
    def remaining(self) -> int:
        return len(self._data) - self._pos


def _parse_body(body: bytes) -> _Fields:
    reader = _Reader(body)
    _magic, version, kind_code, flags, valid_from, valid_until = _HEADER.unpack(
        reader.take(_HEADER.size)
    )
    kind = _KINDS_BY_CODE.get(kind_code)
    if kind is None:
        raise CredentialError(
            CredentialFault.GARBAGE, f"The credential has an unknown kind code {kind_code}."
        )
    if flags & ~_FLAGS_BY_VERSION[version] or flags == FLAG_TEMPLATE | FLAG_VAULT_KEY:
        raise CredentialError(
            CredentialFault.GARBAGE, f"The credential has unknown flags {flags:#04x}."
        )
    ids = []
    for _ in range(_ID_FIELDS):
        length = reader.take(1)[0]
        if not 0 < length <= MAX_ID_LENGTH:
            raise CredentialError(
                CredentialFault.GARBAGE, f"The credential has an id of bad length {length}."
            )
        raw = reader.take(length)
        if not raw.isascii():
            raise CredentialError(CredentialFault.GARBAGE, "The credential has a non-ASCII id.")
        ids.append(raw.decode("ascii"))
    sealed_template = None
    if flags & FLAG_TEMPLATE:
        (length,) = _TEMPLATE_LENGTH.unpack(reader.take(_TEMPLATE_LENGTH.size))
        if not 0 < length <= MAX_SEALED_TEMPLATE_BYTES:
            raise CredentialError(
                CredentialFault.GARBAGE,
                f"The credential's template field has a bad length ({length} bytes).",
            )
        sealed_template = reader.take(length)
    vault_key = reader.take(VAULT_KEY_BYTES) if flags & FLAG_VAULT_KEY else None
    holder_key = _holder_key(reader) if flags & FLAG_HOLDER_KEY else None
    if reader.remaining:
        raise CredentialError(
            CredentialFault.GARBAGE,
            f"The credential has {reader.remaining} unexpected bytes after its fields.",
        )
    key_id, credential_id, person_id, site_id = ids
    return _Fields(
        kind,
        valid_from,
        valid_until,
        key_id,
        credential_id,
        person_id,
        site_id,
        sealed_template,
        vault_key,
        holder_key,
    )


def _holder_key(reader: _Reader) -> HolderKey:
    code = reader.take(1)[0]
    try:
        algorithm = HolderAlgorithm(code)
    except ValueError:
        raise CredentialError(
            CredentialFault.GARBAGE, f"The credential's holder key has an unknown algorithm {code}."
        ) from None
    return HolderKey(algorithm, reader.take(algorithm.key_bytes))
