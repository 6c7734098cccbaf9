"""The holder key of a phone pass: the public key whose private half never leaves the phone.

A phone makes its key pair in the browser (WebCrypto, the private key not extractable)
and gives the site only the public key, which the site signs into the phone pass. The
lane checks each living code the phone shows against that key (``credentials.phone``).
Two algorithms, the ones browsers offer: Ed25519 where the browser has it, else ECDSA
on P-256 with SHA-256. A P-256 key is carried compressed (33 bytes); signatures travel
raw (64 bytes, r || s for ECDSA, as WebCrypto gives them), never DER.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from portique.credentials.errors import InvalidHolderKeyError

HOLDER_SIGNATURE_BYTES = 64
"""Ed25519 signatures and raw ECDSA P-256 signatures (r || s) alike."""

_P256_COORDINATE = 32


class HolderAlgorithm(enum.IntEnum):
    """How a holder key signs; the value is the byte that names it in a payload."""

    ED25519 = 1
    ECDSA_P256 = 2

    @property
    def key_bytes(self) -> int:
        """The size of the public key as a payload carries it."""
        return 32 if self is HolderAlgorithm.ED25519 else 33

    @property
    def label(self) -> str:
        """The name WebCrypto and the phone app use."""
        return "Ed25519" if self is HolderAlgorithm.ED25519 else "ECDSA-P256"

    @classmethod
    def from_label(cls, label: str) -> HolderAlgorithm:
        for algorithm in cls:
            if algorithm.label == label:
                return algorithm
        raise InvalidHolderKeyError(
            f"Unknown key algorithm {label!r}: use {' or '.join(a.label for a in cls)}."
        )


@dataclass(frozen=True, slots=True)
class HolderKey:
    """A phone's public key: its algorithm and its bytes as a phone pass carries them.

    Built with :meth:`of`, which checks that the bytes are a point of the curve (and
    compresses an uncompressed P-256 point, the form WebCrypto exports).
    """

    algorithm: HolderAlgorithm
    raw: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.algorithm, HolderAlgorithm):
            raise InvalidHolderKeyError(f"Unknown key algorithm {self.algorithm!r}.")
        if not isinstance(self.raw, bytes) or len(self.raw) != self.algorithm.key_bytes:
            raise InvalidHolderKeyError(
                f"A {self.algorithm.label} public key is {self.algorithm.key_bytes} bytes."
            )

    @classmethod
    def of(cls, algorithm: HolderAlgorithm, raw: bytes) -> HolderKey:
        """The holder key of ``raw`` public key bytes, checked to be a valid key.

        Raises:
            InvalidHolderKeyError: not a public key of ``algorithm``.
        """
        raw = bytes(raw)
        if algorithm is HolderAlgorithm.ECDSA_P256:
            try:
                point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
            except ValueError:
                raise InvalidHolderKeyError("The key is not a point of the P-256 curve.") from None
            raw = point.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
        key = cls(algorithm, raw)
        key.public_key()
        return key

    def public_key(self) -> Ed25519PublicKey | ec.EllipticCurvePublicKey:
        """The key, loaded for verifying.

        Raises:
            InvalidHolderKeyError: the bytes are not a key (only a faulty signer puts such
            bytes in a signed payload).
        """
        try:
            return _loaded(self.algorithm, self.raw)
        except ValueError:
            raise InvalidHolderKeyError(f"Not a {self.algorithm.label} public key.") from None

    def verifies(self, signature: bytes, message: bytes) -> bool:
        """Whether ``signature`` (raw, 64 bytes) is this key's signature of ``message``."""
        if len(signature) != HOLDER_SIGNATURE_BYTES:
            return False
        try:
            key = self.public_key()
        except InvalidHolderKeyError:
            return False
        try:
            if isinstance(key, Ed25519PublicKey):
                key.verify(signature, message)
            else:
                r = int.from_bytes(signature[:_P256_COORDINATE], "big")
                s = int.from_bytes(signature[_P256_COORDINATE:], "big")
                key.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError):
            return False
        return True


@functools.lru_cache(maxsize=4096)
def _loaded(algorithm: HolderAlgorithm, raw: bytes) -> Ed25519PublicKey | ec.EllipticCurvePublicKey:
    """A public key loaded once for the many codes a lane checks with it (decompressing a
    P-256 point costs more than the check itself); raises ValueError for a non-key."""
    if algorithm is HolderAlgorithm.ED25519:
        return Ed25519PublicKey.from_public_bytes(raw)
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
