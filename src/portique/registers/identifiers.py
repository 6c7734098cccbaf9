"""Register identifiers kept as keyed hashes, and the site's establishment code (UAI).

The INE is a national identifier that follows a pupil through every school; SIECLE and
STS-Web numbers identify a person in the administration's bases. Portique needs them only
to recognise a person at the next import, so it keeps ``HMAC-SHA256(register key,
kind:value)``: equal numbers give equal hashes, and without the key (``keys/register.key``
in the site folder, owner-only, never shown nor exported) a hash says nothing, not even
whether two sites hold the same pupil.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from sqlalchemy.orm import Session

from portique.errors import ConfigurationError
from portique.i18n import text
from portique.services.rows import site_row
from portique.services.settings import change_settings, site_settings
from portique.services.site import UAI_PATTERN, normalize_uai

REGISTER_KEY_FILE = "register.key"
KEY_BYTES = 32


class RegisterIdKind(enum.StrEnum):
    """Which register number a hash is of."""

    INE = "ine"
    SIECLE_PUPIL = "siecle_eleve"
    SIECLE_PERSON = "siecle_personne"
    STS_INDIVIDUAL = "sts_individu"


class RegisterKey:
    """The site's register key: hashes register numbers, never leaves the keys folder."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) != KEY_BYTES:
            raise ConfigurationError(
                text(
                    "La clé des registres est corrompue (taille inattendue).",
                    "The register key is corrupt (unexpected size).",
                )
            )
        self._secret = secret

    def __repr__(self) -> str:
        return "RegisterKey(<secret>)"

    @classmethod
    def ephemeral(cls) -> RegisterKey:
        """A throw-away key: a dry run on a site that never imported a register matches
        nobody, so it need not create the real key."""
        return cls(secrets.token_bytes(KEY_BYTES))

    def digest(self, kind: RegisterIdKind, value: str) -> str:
        """The hex HMAC of one register number (compared without case or spaces)."""
        normalized = "".join(value.split()).upper()
        message = f"{kind.value}:{normalized}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()


def register_key_path(keys_dir: Path) -> Path:
    return keys_dir / REGISTER_KEY_FILE


def load_register_key(keys_dir: Path, *, create: bool) -> RegisterKey | None:
    """The site's register key; made (mode 600) when ``create`` and missing, else None
    when missing.

    Raises:
        ConfigurationError: the key file is readable by others or cannot be read.
    """
    path = register_key_path(keys_dir)
    if not path.exists():
        if not create:
            return None
        _write_new_key(path)
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigurationError(
                text(
                    f"{path} est lisible par d'autres que son propriétaire : chmod 600.",
                    f"{path} is readable by others than its owner: chmod 600.",
                )
            )
        return RegisterKey(path.read_bytes())
    except OSError as exc:
        raise ConfigurationError(
            text(f"{path} illisible : {exc.strerror}.", f"{path} cannot be read: {exc.strerror}.")
        ) from None


def _write_new_key(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process made it first: use theirs
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(secrets.token_bytes(KEY_BYTES))


def site_uai(session: Session, site_id: str) -> str | None:
    """The establishment code of the site: its ``uai`` setting, else its id when the id
    is a UAI (``portique init --site-id 0130001A``), else None."""
    site = site_row(session, site_id)
    configured = site_settings(site).uai
    if configured:
        return configured
    return site.site_id.upper() if UAI_PATTERN.fullmatch(site.site_id.upper()) else None


def set_site_uai(session: Session, site_id: str, uai: str) -> str:
    """Records the site's establishment code; returns it normalized."""
    site = site_row(session, site_id)
    code = normalize_uai(uai)
    change_settings(site, uai=code)
    return code
