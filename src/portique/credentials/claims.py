"""What a credential says: the claims signed into its payload, and credential ids."""

from __future__ import annotations

import base64
import enum
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

from portique.credentials.errors import InvalidClaimsError
from portique.credentials.holder import HolderKey

MAX_ID_LENGTH = 64
"""Longest credential, person, site or key id, in characters (all ids are ASCII)."""

MAX_SEALED_TEMPLATE_BYTES = 768
"""Largest sealed template a credential carries (a 512-d template seals to 545 bytes)."""

VAULT_KEY_BYTES = 32
"""The AES-256 key of a template kept in the central template store (format version 2)."""

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2106, 2, 7, 6, 28, 15, tzinfo=UTC)
"""Validity bounds: the payload stores times as unsigned 32-bit Unix seconds."""

_ID_PATTERN = re.compile(rf"[A-Za-z0-9._~-]{{1,{MAX_ID_LENGTH}}}")
_CREDENTIAL_ID_BYTES = 10


class CredentialKind(enum.Enum):
    """The medium a credential is presented on."""

    CARD = "card"
    PHONE = "phone"
    BADGE = "badge"
    VISITOR_PASS = "visitor_pass"


def new_credential_id() -> str:
    """A fresh random credential id: 16 lowercase base32 characters (80 random bits).

    Base32 keeps the id readable aloud and easy to type when an agent revokes a card
    by hand; 80 bits make a collision across a region's credentials negligible.
    """
    raw = secrets.token_bytes(_CREDENTIAL_ID_BYTES)
    return base64.b32encode(raw).decode("ascii").lower()


def is_valid_id(value: str) -> bool:
    """Whether ``value`` can be a credential, person, site or key id.

    Ids are 1 to 64 URL-safe ASCII characters (letters, digits, ``. _ ~ -``), so they
    travel unescaped in URLs, logs and file names.
    """
    return isinstance(value, str) and _ID_PATTERN.fullmatch(value) is not None


def _utc_seconds(name: str, value: datetime) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidClaimsError(f"{name} must be a datetime, not {type(value).__name__}.")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidClaimsError(f"{name} must be timezone-aware (give it a tzinfo, e.g. UTC).")
    utc = value.astimezone(UTC).replace(microsecond=0)
    if not EARLIEST <= utc <= LATEST:
        raise InvalidClaimsError(
            f"{name} {utc.isoformat()} is outside {EARLIEST.year}-{LATEST.year}, "
            "the range a credential can carry."
        )
    return utc


@dataclass(frozen=True)
class Claims:
    """The signed content of a credential.

    Times are normalised to UTC and truncated to the second, the precision the payload
    carries, so claims compare equal after a round trip. ``valid_until`` is the last
    instant of validity. ``person_id`` is a pseudonymous id: never a name.
    """

    credential_id: str
    person_id: str
    site_id: str
    kind: CredentialKind
    valid_from: datetime
    valid_until: datetime
    key_id: str
    sealed_template: bytes | None = None
    vault_key: bytes | None = field(default=None, repr=False)
    """The key of the person's template in the central template store: carried only
    here, never stored by the server (a credential carries this or a sealed template)."""
    holder_key: HolderKey | None = None
    """The public key of the phone a phone pass lives on (format version 3): the lane
    accepts the pass only with a fresh code this key signed (``credentials.phone``)."""

    def __post_init__(self) -> None:
        for name in ("credential_id", "person_id", "site_id", "key_id"):
            value = getattr(self, name)
            if not is_valid_id(value):
                raise InvalidClaimsError(
                    f"{name} {value!r} is not a valid id: use 1 to {MAX_ID_LENGTH} characters "
                    "among letters, digits and . _ ~ -"
                )
        if not isinstance(self.kind, CredentialKind):
            raise InvalidClaimsError(f"kind must be a CredentialKind, not {self.kind!r}.")
        valid_from = _utc_seconds("valid_from", self.valid_from)
        valid_until = _utc_seconds("valid_until", self.valid_until)
        if valid_until < valid_from:
            raise InvalidClaimsError(
                f"valid_until ({valid_until.isoformat()}) is before "
                f"valid_from ({valid_from.isoformat()})."
            )
        # Frozen dataclass: normalising in place is the documented way.
        object.__setattr__(self, "valid_from", valid_from)
        object.__setattr__(self, "valid_until", valid_until)
        if self.sealed_template is not None:
            if not isinstance(self.sealed_template, bytes | bytearray | memoryview):
                raise InvalidClaimsError("sealed_template must be bytes or None.")
            sealed = bytes(self.sealed_template)
            if not 0 < len(sealed) <= MAX_SEALED_TEMPLATE_BYTES:
                raise InvalidClaimsError(
                    f"sealed_template is {len(sealed)} bytes; a credential carries 1 to "
                    f"{MAX_SEALED_TEMPLATE_BYTES} bytes (use None for no template)."
                )
            object.__setattr__(self, "sealed_template", sealed)
        if self.vault_key is not None:
            if not isinstance(self.vault_key, bytes | bytearray | memoryview):
                raise InvalidClaimsError("vault_key must be bytes or None.")
            key = bytes(self.vault_key)
            if len(key) != VAULT_KEY_BYTES:
                raise InvalidClaimsError(
                    f"vault_key is {len(key)} bytes; a template store key is {VAULT_KEY_BYTES}."
                )
            if self.sealed_template is not None:
                raise InvalidClaimsError(
                    "A credential carries its sealed template or the key of the template "
                    "store, not both."
                )
            object.__setattr__(self, "vault_key", key)
        if self.holder_key is not None:
            if not isinstance(self.holder_key, HolderKey):
                raise InvalidClaimsError("holder_key must be a HolderKey or None.")
            if self.kind is not CredentialKind.PHONE:
                raise InvalidClaimsError("Only a phone pass carries a holder key.")

    @property
    def has_template(self) -> bool:
        """Whether a face template goes with the credential: sealed inside it, or in the
        central template store under the key it carries."""
        return self.sealed_template is not None or self.vault_key is not None
