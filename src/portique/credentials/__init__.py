"""Credentials: compact signed payloads, templates sealed inside them, keys, badges, QR codes.

A credential is a small binary payload signed with the site's Ed25519 key. It names a
credential, a pseudonymous person, a site, a kind and a validity window, and may carry
the person's face template, sealed with AES-256-GCM so it lives only in the credential::

    from portique import credentials as cred
    keyring = cred.init_keyring(path)
    start, end = cred.default_validity(date.today())
    claims = cred.Claims(cred.new_credential_id(), "p-4f2a", "lycee-0130001A",
                         cred.CredentialKind.CARD, start, end, keyring.active_key_id)
    payload = cred.sign_credential(claims, keyring.signing_key())
    png = cred.render_qr_png(payload)
    ...
    claims = cred.verify_credential(cred.decode_qr(frame), keyring.verifiers(), site_id)
    cred.check_validity(claims, now), revocations.is_revoked(claims.credential_id)

A phone pass (kind ``phone``) also carries the public key of its phone; the phone shows
it as a living code, signed anew every few seconds, that the lane checks against that key
(``check_living_code``) and remembers so it opens once (``ReplayMemory``).

See docs/credential-format.md for the format byte by byte.
"""

from __future__ import annotations

from portique.credentials.badge import normalize_badge_uid
from portique.credentials.card import render_card
from portique.credentials.claims import Claims, CredentialKind, new_credential_id
from portique.credentials.errors import (
    CardPhotoError,
    CredentialError,
    CredentialFault,
    InsecureKeyringError,
    InvalidBadgeUidError,
    InvalidClaimsError,
    InvalidHolderKeyError,
    InvalidTemplateError,
    KeyringError,
    QrImageError,
    UnknownKeyIdError,
)
from portique.credentials.holder import HolderAlgorithm, HolderKey
from portique.credentials.keys import (
    KeyInfo,
    Keyring,
    KeyStatus,
    SigningKey,
    decode_verifiers,
    encode_verifiers,
    init_keyring,
    load_keyring,
)
from portique.credentials.payload import (
    MAX_PAYLOAD_BYTES,
    claimed_person_id,
    sign_credential,
    verify_credential,
)
from portique.credentials.phone import (
    CODE_WINDOW,
    CodeCheck,
    LivingCode,
    PhoneKey,
    check_living_code,
    credential_payload,
    is_living_code,
    read_living_code,
)
from portique.credentials.qr import decode_qr, qr_version, render_qr_png
from portique.credentials.replay import CodeStamp, ReplayMemory
from portique.credentials.revocation import Revocation, RevocationList, check_revocation
from portique.credentials.template import (
    VaultLookup,
    new_template_key,
    open_credential_template,
    open_template,
    seal_template,
)
from portique.credentials.text import payload_from_text, payload_to_text
from portique.credentials.validity import Validity, check_validity, default_validity

__all__ = [
    "CODE_WINDOW",
    "MAX_PAYLOAD_BYTES",
    "CardPhotoError",
    "Claims",
    "CodeCheck",
    "CodeStamp",
    "CredentialError",
    "CredentialFault",
    "CredentialKind",
    "HolderAlgorithm",
    "HolderKey",
    "InsecureKeyringError",
    "InvalidBadgeUidError",
    "InvalidClaimsError",
    "InvalidHolderKeyError",
    "InvalidTemplateError",
    "KeyInfo",
    "KeyStatus",
    "Keyring",
    "KeyringError",
    "LivingCode",
    "PhoneKey",
    "QrImageError",
    "ReplayMemory",
    "Revocation",
    "RevocationList",
    "SigningKey",
    "UnknownKeyIdError",
    "Validity",
    "VaultLookup",
    "check_living_code",
    "check_revocation",
    "check_validity",
    "claimed_person_id",
    "credential_payload",
    "decode_qr",
    "decode_verifiers",
    "default_validity",
    "encode_verifiers",
    "init_keyring",
    "is_living_code",
    "load_keyring",
    "new_credential_id",
    "new_template_key",
    "normalize_badge_uid",
    "open_credential_template",
    "open_template",
    "payload_from_text",
    "payload_to_text",
    "qr_version",
    "read_living_code",
    "render_card",
    "render_qr_png",
    "seal_template",
    "sign_credential",
    "verify_credential",
]
