"""The audit log's key and checkpoints: kept in the site folder, never in the database.

A hash chain alone tells only whether the entries still follow each other: whoever can
write to the database can rewrite an entry and compute every hash after it again, or
delete the last entries. Two things the database does not hold close those doors:

- **a key** (HMAC-SHA-256, 32 random bytes) in ``keys/audit-keys.json`` (0600, in the
  owner-only ``keys/`` folder): each entry carries the MAC of its hash under that key
  (``mac_key_id``, ``entry_mac``), so an entry rewritten without the key no longer
  authenticates, however well it is chained;
- **a checkpoint** in ``audit-checkpoint.json`` in the site folder (0600): the last seq
  and hash of the chain with their MAC, written at every purge (daily in the server) and
  by ``portique audit checkpoint``; a chain that ends before it was truncated.

The key is made with the site, or for a site made before keys existed at its first
opening: the file then records ``keyed_from_seq``, the first seq written with the key.
Entries before it (the legacy prefix) are checked by their hashes only, and they stay
anchored by the first keyed entry, whose MAC covers the hash of the entry before it; an
entry from ``keyed_from_seq`` on without a MAC is a forgery, never a legacy entry.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portique.errors import ConfigurationError
from portique.files import (
    AUDIT_CHECKPOINT_FILE,
    AUDIT_KEYS_FILE,
    PRIVATE_FILE_MODE,
    private_folder,
    write_private,
)
from portique.i18n import text
from portique.store import AuditEntryRow, Database

FORMAT = 1
SECRET_BYTES = 32
SESSION_INFO = "portique.audit.keys"
"""Where a session finds the keys of its site (``Database.session_info``)."""


class AuditKeyError(ConfigurationError):
    """The audit key file is missing, unreadable, open to others or for another site."""

    code = "audit_key"


@dataclass(frozen=True)
class AuditKey:
    """One HMAC key of the audit log."""

    key_id: str
    secret: bytes = field(repr=False)
    created_at: datetime


@dataclass(frozen=True)
class Checkpoint:
    """The head of a site's chain as it was seen at ``at``, authenticated by ``mac``."""

    site_id: str
    seq: int
    entry_hash: str
    at: datetime
    key_id: str
    mac: str

    def signed_fields(self) -> dict[str, Any]:
        return {
            "site_id": self.site_id,
            "seq": self.seq,
            "entry_hash": self.entry_hash,
            "at": self.at.isoformat(),
        }

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "entry_hash": self.entry_hash, "at": self.at.isoformat()}


def _mac(secret: bytes, purpose: str, message: str) -> str:
    # The purpose keeps an entry's MAC from ever passing for a checkpoint's, and back.
    return hmac.new(secret, f"{purpose}\x00{message}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class AuditKeys:
    """The audit keys of one site, where its checkpoint lives, and where keying began."""

    site_id: str
    keys: Mapping[str, AuditKey]
    active_id: str
    keyed_from_seq: int
    checkpoint_path: Path

    def seal(self, entry_hash: str) -> tuple[str, str]:
        """The (key id, MAC) of an entry's hash under the active key."""
        key = self.keys[self.active_id]
        return key.key_id, _mac(key.secret, "entry", entry_hash)

    def authentic(self, key_id: str | None, entry_hash: str, mac: str | None) -> bool:
        """Whether ``mac`` is the MAC of ``entry_hash`` under the key ``key_id``."""
        key = self.keys.get(key_id or "")
        if key is None or mac is None:
            return False
        return hmac.compare_digest(_mac(key.secret, "entry", entry_hash), mac)

    def sign_checkpoint(self, seq: int, entry_hash: str, at: datetime) -> Checkpoint:
        key = self.keys[self.active_id]
        unsigned = Checkpoint(self.site_id, seq, entry_hash, at, key.key_id, "")
        canonical = json.dumps(unsigned.signed_fields(), sort_keys=True)
        return Checkpoint(
            self.site_id, seq, entry_hash, at, key.key_id, _mac(key.secret, "checkpoint", canonical)
        )

    def checkpoint_is_authentic(self, checkpoint: Checkpoint) -> bool:
        key = self.keys.get(checkpoint.key_id)
        if key is None or checkpoint.site_id != self.site_id:
            return False
        canonical = json.dumps(checkpoint.signed_fields(), sort_keys=True)
        return hmac.compare_digest(_mac(key.secret, "checkpoint", canonical), checkpoint.mac)


# -- the key file ----------------------------------------------------------------------


def _key_file_text(site_id: str, keyed_from_seq: int, key: AuditKey) -> bytes:
    data = {
        "format": FORMAT,
        "site_id": site_id,
        "keyed_from_seq": keyed_from_seq,
        "active": key.key_id,
        "keys": [
            {
                "key_id": key.key_id,
                "secret": base64.b64encode(key.secret).decode("ascii"),
                "created_at": key.created_at.isoformat(),
            }
        ],
    }
    return (json.dumps(data, indent=2) + "\n").encode("utf-8")


def _bad_file(path: Path, why: str) -> AuditKeyError:
    return AuditKeyError(
        text(
            f"Clé du journal d'audit illisible ({path}) : {why}.",
            f"The audit log's key cannot be used ({path}): {why}.",
        )
    )


def _read_key_file(path: Path) -> dict[str, Any]:
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode):
            raise _bad_file(path, text("pas un fichier ordinaire", "not a regular file"))
        if os.name == "posix" and info.st_mode & 0o077:
            raise _bad_file(
                path,
                text(
                    f"lisible par d'autres (mode {stat.S_IMODE(info.st_mode):04o}) ; "
                    f"corrigez avec chmod 600 {path}",
                    f"readable by others (mode {stat.S_IMODE(info.st_mode):04o}); "
                    f"fix it with chmod 600 {path}",
                ),
            )
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _bad_file(path, str(exc.strerror or exc)) from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _bad_file(path, text("JSON invalide", "not valid JSON")) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _bad_file(path, text("format inconnu", "unknown format"))
    return data


def _parse_keys(data: dict[str, Any], path: Path, site_id: str, site_dir: Path) -> AuditKeys:
    if data.get("site_id") != site_id:
        raise _bad_file(
            path,
            text(
                f"elle est celle de l'établissement {data.get('site_id')!r}",
                f"it belongs to site {data.get('site_id')!r}",
            ),
        )
    try:
        keys = {
            entry["key_id"]: AuditKey(
                str(entry["key_id"]),
                base64.b64decode(entry["secret"], validate=True),
                datetime.fromisoformat(entry["created_at"]),
            )
            for entry in data["keys"]
        }
        keyed_from = int(data["keyed_from_seq"])
        active = str(data["active"])
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise _bad_file(path, text("contenu incomplet", "incomplete content")) from None
    if active not in keys or any(len(key.secret) != SECRET_BYTES for key in keys.values()):
        raise _bad_file(path, text("clé active absente ou invalide", "no valid active key"))
    return AuditKeys(site_id, keys, active, keyed_from, site_dir / AUDIT_CHECKPOINT_FILE)


def _last_seq(session: Session, site_id: str) -> int:
    last = session.scalar(
        select(func.max(AuditEntryRow.seq)).where(AuditEntryRow.site_id == site_id)
    )
    return int(last or 0)


def open_audit_keys(
    site_dir: Path, keys_dir: Path, site_id: str, database: Database, *, now: datetime
) -> AuditKeys:
    """The site's audit keys, made now if the site has none yet (a new site, or a site
    made before the log was keyed: its entries so far become the legacy prefix).

    Raises:
        AuditKeyError: the key file is unreadable, open to others or another site's.
    """
    path = keys_dir / AUDIT_KEYS_FILE
    if not path.exists():
        with database.session() as session:
            keyed_from = _last_seq(session, site_id) + 1
        key = AuditKey(secrets.token_hex(4), secrets.token_bytes(SECRET_BYTES), now)
        private_folder(keys_dir)
        temporary = path.with_name(f".{AUDIT_KEYS_FILE}.{secrets.token_hex(4)}.tmp")
        try:
            write_private(temporary, _key_file_text(site_id, keyed_from, key))
            # link() fails if another process made the key first: theirs is kept.
            os.link(temporary, path)
        except FileExistsError:
            pass
        except OSError as exc:
            raise _bad_file(path, str(exc.strerror or exc)) from None
        finally:
            temporary.unlink(missing_ok=True)
    return _parse_keys(_read_key_file(path), path, site_id, site_dir)


def attach(database: Database, keys: AuditKeys) -> None:
    """Every session of ``database`` will write and check the site's entries with ``keys``."""
    found = database.session_info.setdefault(SESSION_INFO, {})
    found[keys.site_id] = keys


def keys_of(session: Session, site_id: str) -> AuditKeys | None:
    """The audit keys the session holds for ``site_id``, if any."""
    found = session.info.get(SESSION_INFO)
    keys = found.get(site_id) if isinstance(found, dict) else None
    return keys if isinstance(keys, AuditKeys) else None


# -- checkpoints -----------------------------------------------------------------------


def read_checkpoint(keys: AuditKeys) -> Checkpoint | None:
    """The last checkpoint written for the site, None if none was ever written.

    A file that cannot be parsed comes back as a checkpoint that does not authenticate
    (seq -1), so that :func:`portique.privacy.audit.verify` reports it.
    """
    path = keys.checkpoint_path
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Checkpoint(
            str(data["site_id"]),
            int(data["seq"]),
            str(data["entry_hash"]),
            datetime.fromisoformat(data["at"]),
            str(data["key_id"]),
            str(data["mac"]),
        )
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return Checkpoint(keys.site_id, -1, "", datetime.min, "", "")


def write_checkpoint_file(keys: AuditKeys, checkpoint: Checkpoint) -> Path:
    """Writes ``checkpoint`` in the site folder (0600), replacing the previous one."""
    data = {
        "format": FORMAT,
        **checkpoint.signed_fields(),
        "key_id": checkpoint.key_id,
        "mac": checkpoint.mac,
    }
    path = write_private(keys.checkpoint_path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))
    if os.name == "posix":
        path.chmod(PRIVATE_FILE_MODE)
    return path
