"""The errors a credential, a keyring, a badge UID or a QR image can raise."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TypeVar

from portique.errors import BadInputError, ConfigurationError, PortiqueError


class CredentialFault(enum.Enum):
    """Why a credential payload was refused; the decision engine turns it into a reason."""

    GARBAGE = "garbage"
    TRUNCATED = "truncated"
    UNSUPPORTED_VERSION = "unsupported_version"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    WRONG_SITE = "wrong_site"


class CredentialError(PortiqueError):
    """A presented credential cannot be trusted; ``fault`` says why.

    Decoding raises nothing else, whatever the bytes, so a lane can treat any
    input from a camera or a scanner the same way.
    """

    code = "credential"

    def __init__(self, fault: CredentialFault, message: str) -> None:
        super().__init__(message)
        self.fault = fault

    def __repr__(self) -> str:
        return f"CredentialError({self.fault}, {self.message!r})"


_Key = TypeVar("_Key")


def known_key(keys: Mapping[str, _Key], key_id: str, unknown: str) -> _Key:
    """The key ``key_id`` of ``keys``; when there is none, a :class:`CredentialError`
    (``UNKNOWN_KEY``) whose message is ``unknown``."""
    key = keys.get(key_id)
    if key is None:
        raise CredentialError(CredentialFault.UNKNOWN_KEY, unknown)
    return key


class InvalidClaimsError(BadInputError):
    """Claims given to build a credential are out of range or malformed."""

    code = "bad_claims"


class InvalidTemplateError(BadInputError):
    """A face template to seal is not a finite 1-D vector of a supported size."""

    code = "bad_template"


class InvalidHolderKeyError(BadInputError):
    """A phone's public key, as the phone sent it, is not a key of a supported algorithm."""

    code = "bad_holder_key"


class InvalidBadgeUidError(BadInputError):
    """A badge UID, as typed by a reader or a person, is not a UID."""

    code = "bad_badge_uid"


class QrImageError(BadInputError):
    """An image given to the QR decoder cannot be read or holds no readable QR code."""

    code = "bad_qr_image"


class UnreadableQrImageError(QrImageError):
    """The image file itself cannot be read or decoded (not merely without a QR code)."""

    code = "unreadable_image"


class QrImageTooLargeError(QrImageError):
    """The image file has more bytes or pixels than the limits allow."""

    code = "image_too_large"


class KeyringError(ConfigurationError):
    """The keyring directory is missing, inconsistent or cannot be written."""

    code = "keyring"


class InsecureKeyringError(KeyringError):
    """A keyring file or directory is readable or writable by other users."""

    code = "keyring_permissions"


class UnknownKeyIdError(BadInputError):
    """A key id given by the user is not in the keyring."""

    code = "unknown_key_id"


class CardPhotoError(BadInputError):
    """The photo given for a printed card cannot be read as an image."""

    code = "bad_photo"
