"""The face template on a credential: int8 quantisation and AES-256-GCM sealing."""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Mapping
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from portique.biometrics.subspace import compact, expand
from portique.credentials.claims import MAX_SEALED_TEMPLATE_BYTES, Claims, is_valid_id
from portique.credentials.errors import (
    CredentialError,
    CredentialFault,
    InvalidClaimsError,
    InvalidTemplateError,
    KeyringError,
    known_key,
)
from portique.errors import ConfigurationError

FloatArray: TypeAlias = npt.NDArray[np.float32]

SEAL_VERSION = 1
"""Format 1: int8 values of the whole template. Still read, and still written for a
template that no compact codec holds (dlib's 128-d)."""
COMPACT_SEAL_VERSION = 2
"""Format 2: a codec byte, then int8 coordinates in that codec's subspace
(``portique.biometrics.subspace``): EdgeFace-XS's 512-d template in 192 bytes."""
TEMPLATE_KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
SCALE_BYTES = 4
MAX_TEMPLATE_DIMS = 512
SEAL_OVERHEAD = 1 + NONCE_BYTES + SCALE_BYTES + TAG_BYTES
"""Bytes a sealed template adds to its dimensions (one byte each): 33."""

_AAD_LABEL = b"portique-template"
_QUANT_LEVELS = 127  # symmetric int8 range, -127..127, so 0 stays exactly 0


def new_template_key() -> bytes:
    """A fresh random AES-256 key for sealing templates."""
    return AESGCM.generate_key(bit_length=TEMPLATE_KEY_BYTES * 8)


def seal_template(template: npt.ArrayLike, key: bytes, credential_id: str, person_id: str) -> bytes:
    """Quantise ``template`` to int8 and seal it for one credential of one person.

    ``template`` is a finite 1-D vector of 1 to 512 values (128-d dlib, 512-d EdgeFace).
    Each value is stored as a signed byte with one float32 scale for the whole vector;
    cosine similarity with the input stays above 0.999. A template that lies in a known
    model subspace is stored as its coordinates there (format 2, smaller). The
    ciphertext is bound to ``credential_id`` and ``person_id`` as AES-GCM associated
    data, so a sealed template copied into another credential does not open.
    """
    aesgcm = AESGCM(_checked_key(key))
    for name, value in (("credential_id", credential_id), ("person_id", person_id)):
        if not is_valid_id(value):
            raise InvalidClaimsError(f"{name} {value!r} is not a valid id.")
    vector = _checked_template(template)
    compacted = compact(vector)
    if compacted is None:
        version, plaintext = SEAL_VERSION, _quantise(vector)
    else:
        codec, coords = compacted
        version = COMPACT_SEAL_VERSION
        plaintext = bytes([codec]) + _quantise(coords.astype(np.float64))
    nonce = os.urandom(NONCE_BYTES)
    associated = _associated_data(credential_id, person_id, version)
    return bytes([version]) + nonce + aesgcm.encrypt(nonce, plaintext, associated)


def open_template(sealed: bytes, key: bytes, credential_id: str, person_id: str) -> FloatArray:
    """The float32 template sealed by :func:`seal_template` for this credential and person.

    Raises :class:`CredentialError` when the sealed bytes were altered, were sealed for
    another credential or person, or under another key (``BAD_SIGNATURE``), or are
    malformed (``TRUNCATED``, ``UNSUPPORTED_VERSION``, ``GARBAGE``).
    """
    aesgcm = AESGCM(_checked_key(key))
    if not isinstance(sealed, bytes | bytearray | memoryview):
        raise CredentialError(CredentialFault.GARBAGE, "The sealed template is not bytes.")
    sealed = bytes(sealed)
    if not sealed:
        raise CredentialError(CredentialFault.TRUNCATED, "The sealed template is empty.")
    version = sealed[0]
    if version not in (SEAL_VERSION, COMPACT_SEAL_VERSION):
        raise CredentialError(
            CredentialFault.UNSUPPORTED_VERSION,
            f"The face template is sealed with format {version}; "
            f"this version of Portique opens formats {SEAL_VERSION} and {COMPACT_SEAL_VERSION}.",
        )
    if len(sealed) < SEAL_OVERHEAD + 1:
        raise CredentialError(
            CredentialFault.TRUNCATED, f"The sealed template is only {len(sealed)} bytes long."
        )
    if len(sealed) > MAX_SEALED_TEMPLATE_BYTES:
        raise CredentialError(
            CredentialFault.GARBAGE, f"The sealed template is too large ({len(sealed)} bytes)."
        )
    if not (is_valid_id(credential_id) and is_valid_id(person_id)):
        raise CredentialError(
            CredentialFault.GARBAGE, "The credential id or person id is not a valid id."
        )
    nonce = sealed[1 : 1 + NONCE_BYTES]
    try:
        plaintext = aesgcm.decrypt(
            nonce, sealed[1 + NONCE_BYTES :], _associated_data(credential_id, person_id, version)
        )
    except InvalidTag:
        raise CredentialError(
            CredentialFault.BAD_SIGNATURE,
            "The face template does not open: it was altered, sealed for another credential "
            "or person, or sealed under another site key.",
        ) from None
    if version == SEAL_VERSION:
        return _dequantise(plaintext)
    try:
        return expand(plaintext[0], _dequantise(plaintext[1:]))
    except (ConfigurationError, IndexError):
        raise CredentialError(
            CredentialFault.GARBAGE, "The compact face template does not fit a known model."
        ) from None


VaultLookup: TypeAlias = Callable[[str], bytes | None]
"""The central template store seen from a lane: the sealed template of one credential id
(never a search), or None when it holds none."""


def open_credential_template(
    claims: Claims, template_keys: Mapping[str, bytes], vault: VaultLookup | None = None
) -> FloatArray | None:
    """The template of verified ``claims``, or None when there is none to open.

    A template sealed in the credential opens with the site's template key of the same id
    as the credential's signing key. A credential of a site with the central template
    store carries instead the key of its entry in the store: ``vault`` fetches that one
    entry by credential id, and only the presented credential's key opens it. None when
    no store is given or it holds no entry (deleted at withdrawal or by the purge).
    """
    if claims.vault_key is not None:
        sealed = None if vault is None else vault(claims.credential_id)
        if sealed is None:
            return None
        return open_template(sealed, claims.vault_key, claims.credential_id, claims.person_id)
    if claims.sealed_template is None:
        return None
    key = known_key(
        template_keys,
        claims.key_id,
        f"No template key {claims.key_id!r} here: it was retired, or this lane has an "
        "outdated copy of the site keys.",
    )
    return open_template(claims.sealed_template, key, claims.credential_id, claims.person_id)


def sealed_template_size(dims: int, *, compact: bool = False) -> int:
    """How many bytes a sealed template of ``dims`` values takes (161 for 128-d); with
    ``compact``, ``dims`` coordinates of a format-2 template (226 for EdgeFace's 192)."""
    return SEAL_OVERHEAD + dims + (1 if compact else 0)


def _checked_key(key: bytes) -> bytes:
    if not isinstance(key, bytes) or len(key) != TEMPLATE_KEY_BYTES:
        raise KeyringError(
            f"A template key must be {TEMPLATE_KEY_BYTES} bytes (AES-256); check the keyring."
        )
    return key


def _checked_template(template: npt.ArrayLike) -> npt.NDArray[np.float64]:
    try:
        vector = np.asarray(template, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidTemplateError(f"The template is not a numeric vector: {exc}") from None
    if vector.ndim != 1 or not 0 < vector.shape[0] <= MAX_TEMPLATE_DIMS:
        raise InvalidTemplateError(
            f"The template must be a 1-D vector of 1 to {MAX_TEMPLATE_DIMS} values, "
            f"not an array of shape {vector.shape}."
        )
    if not np.all(np.isfinite(vector)):
        raise InvalidTemplateError("The template holds NaN or infinite values.")
    return vector


def _associated_data(credential_id: str, person_id: str, version: int = SEAL_VERSION) -> bytes:
    cid = credential_id.encode("ascii")
    pid = person_id.encode("ascii")
    return _AAD_LABEL + bytes([version, len(cid)]) + cid + bytes([len(pid)]) + pid


def _quantise(vector: npt.NDArray[np.float64]) -> bytes:
    peak = float(np.max(np.abs(vector)))
    if peak > float(np.finfo(np.float32).max):
        raise InvalidTemplateError("The template holds values too large for float32.")
    scale = np.float32(peak / _QUANT_LEVELS)
    if scale == 0:
        # An all-zero vector, or values too small for float32: store zeros.
        levels = np.zeros(vector.shape, dtype=np.int8)
    else:
        levels = np.clip(np.rint(vector / float(scale)), -_QUANT_LEVELS, _QUANT_LEVELS).astype(
            np.int8
        )
    return struct.pack(">f", float(scale)) + levels.tobytes()


def _dequantise(plaintext: bytes) -> FloatArray:
    dims = len(plaintext) - SCALE_BYTES
    if not 0 < dims <= MAX_TEMPLATE_DIMS:
        raise CredentialError(
            CredentialFault.GARBAGE, f"The sealed template holds {dims} values, out of range."
        )
    (scale,) = struct.unpack(">f", plaintext[:SCALE_BYTES])
    if not (np.isfinite(scale) and scale >= 0):
        raise CredentialError(CredentialFault.GARBAGE, "The sealed template has a bad scale.")
    levels = np.frombuffer(plaintext, dtype=np.int8, offset=SCALE_BYTES)
    result: FloatArray = levels.astype(np.float32) * np.float32(scale)
    return result
