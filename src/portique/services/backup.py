"""Backing a site up and restoring it: the database in one file, the keys in another,
sealed with a passphrase.

``backup(directory, out)`` writes two files:

- ``out``, a tar archive: ``manifest.json`` (format, database kind, schema revision,
  site, time) and the database copy (``database.sqlite3``, or ``database.pgdump`` in
  ``pg_dump``'s custom format). It holds personal data: it is written owner-only and
  must be kept like the database itself.
- ``out.keys`` (or ``keys_out``), the site's folder without its database: ``site.json``,
  the keyring, the audit key and checkpoint, the register key. Without it the restored
  database cannot sign a card, open a sealed template or verify its audit chain; it is
  sealed with AES-256-GCM under a key derived from a passphrase by scrypt, so a copy of
  the backups alone opens nothing.

``restore(copy, keys, directory)`` puts both back: the keys into the folder, the
database into the site's database (SQLite in the folder, or the configured PostgreSQL),
then brings its schema to this version's head.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from portique import __version__
from portique.errors import BadInputError
from portique.files import (
    AUDIT_CHECKPOINT_FILE,
    KEYS_DIR,
    SITE_FILE,
    private_directory,
    read_input_file,
    write_private,
    writing_private,
)
from portique.i18n import text
from portique.services.errors import SiteExistsError
from portique.services.site import SQLITE_COMPANIONS, database_for, read_site_id
from portique.store.backup import dump_database, load_database
from portique.store.database import SCHEMA_REVISION, SQLITE_FILE, Database

BACKUP_FORMAT = 1
MANIFEST = "manifest.json"
KEYS_SUFFIX = ".keys"
KEYS_MAGIC = b"PORTIQUE-KEYS-1\n"
SALT_BYTES = 16
NONCE_BYTES = 12
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
MIN_PASSPHRASE = 12
MAX_KEYS_BYTES = 16 * 1024 * 1024
"""A site's keys weigh kilobytes; anything this large is not a keys file."""


class BackupError(BadInputError):
    """A backup cannot be read or restored: not a backup, a wrong passphrase, a folder
    that already holds a site."""

    code = "backup"


@dataclass(frozen=True)
class BackupRecord:
    """What a backup holds, as its manifest says."""

    database: str
    keys: str
    backend: str
    revision: str
    site_id: str
    created_at: datetime


def keys_path(out: Path) -> Path:
    """Where the keys of the backup ``out`` go by default: beside it, ``.keys`` added."""
    return out.with_name(out.name + KEYS_SUFFIX)


def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise BadInputError(
            text(
                f"La phrase de passe des clés doit compter au moins {MIN_PASSPHRASE} caractères.",
                f"The keys' passphrase must be at least {MIN_PASSPHRASE} characters long.",
            )
        )


def _key(passphrase: str, salt: bytes) -> bytes:
    kdf = Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return kdf.derive(passphrase.encode("utf-8"))


def seal_keys(content: bytes, passphrase: str) -> bytes:
    """``content`` sealed under ``passphrase``: magic, salt, nonce, AES-GCM ciphertext."""
    check_passphrase(passphrase)
    salt = secrets.token_bytes(SALT_BYTES)
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(_key(passphrase, salt)).encrypt(nonce, content, KEYS_MAGIC)
    return KEYS_MAGIC + salt + nonce + sealed


def open_keys(sealed: bytes, passphrase: str) -> bytes:
    """The content sealed by :func:`seal_keys`.

    Raises:
        BackupError: not a keys file, or a wrong passphrase (or a damaged file).
    """
    if not sealed.startswith(KEYS_MAGIC):
        raise BackupError(
            text(
                "Ce fichier n'est pas une sauvegarde de clés Portique.",
                "This file is not a Portique keys backup.",
            )
        )
    body = sealed[len(KEYS_MAGIC) :]
    salt, nonce, ciphertext = (
        body[:SALT_BYTES],
        body[SALT_BYTES : SALT_BYTES + NONCE_BYTES],
        body[SALT_BYTES + NONCE_BYTES :],
    )
    try:
        return AESGCM(_key(passphrase, salt)).decrypt(nonce, ciphertext, KEYS_MAGIC)
    except InvalidTag:
        raise BackupError(
            text(
                "Phrase de passe erronée, ou fichier de clés abîmé.",
                "Wrong passphrase, or a damaged keys file.",
            )
        ) from None


def _site_files(directory: Path) -> list[Path]:
    """The files of a site's folder that are not its database: what the keys file keeps."""
    files = [directory / SITE_FILE, directory / AUDIT_CHECKPOINT_FILE]
    keys = directory / KEYS_DIR
    if keys.is_dir():
        files.extend(sorted(path for path in keys.rglob("*") if path.is_file()))
    return [path for path in files if path.is_file()]


def _tar(members: dict[str, bytes], *, now: datetime) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o600
            info.mtime = int(now.timestamp())
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _write_archive(
    out: Path, manifest: dict[str, object], copy: Path, name: str, *, now: datetime
) -> None:
    """The backup archive, streamed (a region's database does not fit in memory) to
    ``out``, owner-only, whole or not at all."""
    with writing_private(out) as stream, tarfile.open(fileobj=stream, mode="w") as archive:
        data = json.dumps(manifest, indent=2).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode, info.mtime = len(data), 0o600, int(now.timestamp())
        archive.addfile(info, io.BytesIO(data))
        archive.add(copy, arcname=name, recursive=False)


def _read_archive(copy: Path, work: Path) -> tuple[dict[str, object], Path]:
    """The manifest of the backup ``copy`` and its database copy, extracted into ``work``."""
    try:
        with tarfile.open(copy, mode="r:*") as archive:
            member = archive.extractfile(MANIFEST)
            manifest = _manifest(member.read() if member is not None else b"")
            name = "database.sqlite3" if manifest["backend"] == "sqlite" else "database.pgdump"
            stream = archive.extractfile(name)
            if stream is None:
                raise KeyError(name)
            target = work / name
            descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as written:
                while chunk := stream.read(1 << 20):
                    written.write(chunk)
    except (tarfile.TarError, KeyError, OSError):
        raise BackupError(
            text(
                "Ce fichier n'est pas une sauvegarde Portique lisible.",
                "This file is not a readable Portique backup.",
            )
        ) from None
    return manifest, target


def _untar(data: bytes) -> dict[str, bytes]:
    """The regular files of a tar archive; a member whose name climbs out or is absolute
    is refused, links and devices are skipped."""
    members: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            for info in archive.getmembers():
                parts = Path(info.name).parts
                if Path(info.name).is_absolute() or ".." in parts:
                    raise BackupError(f"Unsafe name in the archive: {info.name!r}")
                if not info.isfile():
                    continue
                extracted = archive.extractfile(info)
                if extracted is not None:
                    members[info.name] = extracted.read()
    except tarfile.TarError:
        raise BackupError(
            text(
                "Ce fichier n'est pas une sauvegarde Portique lisible.",
                "This file is not a readable Portique backup.",
            )
        ) from None
    return members


def backup(
    directory: Path,
    out: Path,
    *,
    passphrase: str,
    now: datetime,
    database_url: str | None = None,
    keys_out: Path | None = None,
) -> BackupRecord:
    """Backs up the site of ``directory``: its database to ``out``, its keys sealed
    under ``passphrase`` to ``keys_out`` (default: ``out`` + ``.keys``)."""
    check_passphrase(passphrase)
    directory = Path(directory).expanduser()
    site_id = read_site_id(directory)
    keys_file = keys_out or keys_path(out)
    database = database_for(directory, database_url)
    try:
        database.check_schema()
        backend = "sqlite" if database.is_sqlite else "postgresql"
        name = "database.sqlite3" if database.is_sqlite else "database.pgdump"
        with tempfile.TemporaryDirectory(prefix="portique-backup-") as work:
            copy = Path(work) / name
            dump_database(database, copy)
            manifest = {
                "format": BACKUP_FORMAT,
                "backend": backend,
                "revision": SCHEMA_REVISION,
                "site_id": site_id,
                "created_at": now.isoformat(),
                "portique": __version__,
            }
            _write_archive(out, manifest, copy, name, now=now)
    finally:
        database.dispose()
    keys = _tar(
        {
            path.relative_to(directory).as_posix(): path.read_bytes()
            for path in _site_files(directory)
        },
        now=now,
    )
    write_private(keys_file, seal_keys(keys, passphrase))
    return BackupRecord(str(out), str(keys_file), backend, SCHEMA_REVISION, site_id, now)


def _manifest(data: bytes) -> dict[str, object]:
    try:
        manifest = json.loads(data)
    except ValueError:
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != BACKUP_FORMAT:
        raise BackupError(
            text(
                "Ce fichier n'est pas une sauvegarde Portique (manifeste absent ou inconnu).",
                "This file is not a Portique backup (missing or unknown manifest).",
            )
        )
    return manifest


def restore(
    copy: Path,
    directory: Path,
    *,
    passphrase: str,
    database_url: str | None = None,
    keys: Path | None = None,
    replace: bool = False,
) -> BackupRecord:
    """Restores the backup ``copy`` (and its keys, default ``copy`` + ``.keys``) into
    the site folder ``directory`` and the site's database, then upgrades the schema to
    this version's head.

    Raises:
        BackupError: not a backup, a wrong passphrase, a backup of the other kind of
            database than the one configured.
        SiteExistsError: ``directory`` holds a site and ``replace`` is False.
    """
    directory = Path(directory).expanduser()
    keys_file = keys or keys_path(copy)
    site_files = _untar(open_keys(_read_limited(keys_file), passphrase))
    if (directory / SITE_FILE).exists() and not replace:
        raise SiteExistsError(
            text(
                f"{directory} contient déjà un établissement : choisissez un dossier vide, "
                "ou --replace pour l'écraser.",
                f"{directory} already holds a site: choose an empty folder, or --replace to "
                "overwrite it.",
            )
        )
    with tempfile.TemporaryDirectory(prefix="portique-restore-") as work:
        manifest, dumped = _read_archive(copy, Path(work))
        backend = str(manifest["backend"])
        wanted = (
            "sqlite" if database_url is None or database_url.startswith("sqlite") else "postgresql"
        )
        if backend != wanted:
            raise BackupError(
                text(
                    f"Cette sauvegarde est celle d'une base {backend}, la base configurée "
                    f"est {wanted}.",
                    f"This backup is of a {backend} database; the configured one is {wanted}.",
                )
            )
        private_directory(directory)
        for relative, data in site_files.items():
            write_private(directory / relative, data)
        if backend == "sqlite":
            for tail in ("", *SQLITE_COMPANIONS):
                (directory / (SQLITE_FILE + tail)).unlink(missing_ok=True)
        database: Database = database_for(directory, database_url)
        try:
            load_database(database, dumped)
            database.upgrade()
        finally:
            database.dispose()
    return BackupRecord(
        str(copy),
        str(keys_file),
        backend,
        str(manifest["revision"]),
        str(manifest["site_id"]),
        datetime.fromisoformat(str(manifest["created_at"])),
    )


def _read_limited(path: Path) -> bytes:
    return read_input_file(path, max_bytes=MAX_KEYS_BYTES)
