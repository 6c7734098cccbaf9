"""The living code of a phone pass: the credential, a time, and the phone's signature of both.

A phone pass is a credential of kind ``phone`` that carries the public key of the phone
it lives on (``Claims.holder_key``). The phone never shows the credential alone: every
few seconds it shows a new code, the credential wrapped with the current time and the
signature, by the key that never leaves the phone, of (site, credential id, time). A lane
checks, with no network: the site's signature of the credential, the phone's signature
of the code, that the time is within :data:`CODE_WINDOW` of the lane's clock, and that
the same (credential, time) was not already used (``credentials.replay``). A screenshot
is therefore good for the window, once, and a copied credential without the phone's key
is good for nothing.

Layout (all integers big-endian; see docs/credential-format.md)::

    0xFC | version 0x01 | time (uint32, Unix seconds) | signature (64 bytes) | credential

The signed message, not transmitted::

    "portique-phone-code" || 0x01 || len(site_id) || site_id
                          || len(credential_id) || credential_id || time (uint32)
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from portique.credentials.claims import Claims, CredentialKind
from portique.credentials.errors import CredentialError, CredentialFault
from portique.credentials.holder import HOLDER_SIGNATURE_BYTES, HolderAlgorithm, HolderKey
from portique.credentials.payload import MAX_PAYLOAD_BYTES

CODE_MAGIC = 0xFC
"""First byte of a living code (a credential starts with 0xFB): never UTF-8 text either."""
CODE_VERSION = 1
CODE_CONTEXT = b"portique-phone-code"
"""Prefixed to the message the phone signs, so its key signs nothing else by mistake."""

CODE_REFRESH = timedelta(seconds=5)
"""How often the phone shows a new code."""
CLOCK_TOLERANCE = timedelta(seconds=25)
"""How far apart a phone's clock and a lane's may be (phones and lanes set their clocks
from the network; 25 s leaves room for a phone that has been offline for weeks)."""
CODE_WINDOW = CODE_REFRESH + CLOCK_TOLERANCE
"""A code is accepted from this long before to this long after the time it carries
(±30 s): the few seconds it is shown, plus the clock tolerance."""

_HEADER = struct.Struct(">BBI")  # magic, version, time
HEADER_BYTES = _HEADER.size + HOLDER_SIGNATURE_BYTES
MAX_CODE_BYTES = HEADER_BYTES + MAX_PAYLOAD_BYTES


class CodeCheck(enum.Enum):
    """What the lane makes of a phone pass's living code."""

    VALID = "valid"
    FORGED = "forged"
    """No code, a code the holder key did not sign, or a pass without a holder key."""
    STALE = "stale"
    """Signed by the phone, but its time is outside the window of the lane's clock."""


@dataclass(frozen=True, slots=True)
class LivingCode:
    """A living code taken apart (not yet checked): its time, the phone's signature and
    the credential payload it wraps."""

    time: datetime
    signature: bytes
    payload: bytes

    def to_bytes(self) -> bytes:
        """The code as the phone's QR code holds it."""
        return (
            _HEADER.pack(CODE_MAGIC, CODE_VERSION, int(self.time.timestamp()))
            + self.signature
            + self.payload
        )


def is_living_code(data: bytes) -> bool:
    """Whether ``data`` claims to be a living code (by its first byte)."""
    return bool(data) and data[0] == CODE_MAGIC


def read_living_code(data: bytes) -> LivingCode | None:
    """The living code in ``data``, taken apart; None when ``data`` is not one (a card's
    credential, or anything else, which the credential decoder then judges).

    Raises:
        CredentialError: ``data`` starts as a living code but is cut short, too long or
        of an unknown version. Nothing is verified here.
    """
    if not is_living_code(data):
        return None
    if len(data) > MAX_CODE_BYTES:
        raise CredentialError(
            CredentialFault.GARBAGE, "The code is longer than a phone pass can be."
        )
    if len(data) < 2:
        raise CredentialError(CredentialFault.TRUNCATED, "The phone pass code is cut short.")
    if data[1] != CODE_VERSION:
        raise CredentialError(
            CredentialFault.UNSUPPORTED_VERSION,
            f"The phone pass code uses version {data[1]}; this version of Portique reads "
            f"version {CODE_VERSION}. Update the lane.",
        )
    if len(data) <= HEADER_BYTES:
        raise CredentialError(CredentialFault.TRUNCATED, "The phone pass code is cut short.")
    _magic, _version, seconds = _HEADER.unpack_from(data)
    signature = bytes(data[_HEADER.size : HEADER_BYTES])
    return LivingCode(datetime.fromtimestamp(seconds, UTC), signature, bytes(data[HEADER_BYTES:]))


def credential_payload(data: bytes) -> bytes:
    """The credential payload presented in ``data``: the one a living code wraps, or
    ``data`` itself. Anything unreadable comes back as it is, for the decoder to refuse."""
    try:
        code = read_living_code(data)
    except CredentialError:
        return data
    return data if code is None else code.payload


def code_message(site_id: str, credential_id: str, at: datetime) -> bytes:
    """The bytes a phone signs for its code at ``at`` (whole seconds)."""
    site, credential = site_id.encode("ascii"), credential_id.encode("ascii")
    return b"".join(
        (
            CODE_CONTEXT,
            bytes([CODE_VERSION, len(site)]),
            site,
            bytes([len(credential)]),
            credential,
            struct.pack(">I", int(at.timestamp())),
        )
    )


def check_living_code(
    code: LivingCode | None, claims: Claims, now: datetime, window: timedelta = CODE_WINDOW
) -> CodeCheck:
    """Whether ``code`` proves that the phone of the verified ``claims`` showed it near
    ``now``. A pure function: the replay check is the caller's (``ReplayMemory``).

    A phone pass presented without a living code, or a living code around a credential
    without a holder key, is ``FORGED``: only the phone can make a code.
    """
    holder = claims.holder_key
    if code is None or holder is None or claims.kind is not CredentialKind.PHONE:
        return CodeCheck.FORGED
    message = code_message(claims.site_id, claims.credential_id, code.time)
    if not holder.verifies(code.signature, message):
        return CodeCheck.FORGED
    if abs(now - code.time) > window:
        return CodeCheck.STALE
    return CodeCheck.VALID


class PhoneKey:
    """A phone's key pair made in Python: what the browser app does, for tests, the
    benchmark and the demo. The real app's private key never leaves the phone."""

    def __init__(self, algorithm: HolderAlgorithm = HolderAlgorithm.ED25519) -> None:
        self.algorithm = algorithm
        ed25519 = algorithm is HolderAlgorithm.ED25519
        self._ed25519 = Ed25519PrivateKey.generate() if ed25519 else None
        self._p256 = None if ed25519 else ec.generate_private_key(ec.SECP256R1())

    @property
    def holder_key(self) -> HolderKey:
        """The public half, as the phone sends it at enrolment."""
        if self._ed25519 is not None:
            raw = self._ed25519.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        else:
            assert self._p256 is not None
            raw = self._p256.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
        return HolderKey.of(self.algorithm, raw)

    def sign(self, message: bytes) -> bytes:
        """A raw 64-byte signature, as WebCrypto makes it."""
        if self._ed25519 is not None:
            return self._ed25519.sign(message)
        assert self._p256 is not None
        r, s = decode_dss_signature(self._p256.sign(message, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def living_code(
        self, payload: bytes, *, site_id: str, credential_id: str, at: datetime
    ) -> bytes:
        """The code this phone shows at ``at`` (to the second) for its pass ``payload``, the
        credential ``credential_id`` of ``site_id``."""
        moment = datetime.fromtimestamp(int(at.timestamp()), UTC)
        signature = self.sign(code_message(site_id, credential_id, moment))
        return LivingCode(moment, signature, payload).to_bytes()
