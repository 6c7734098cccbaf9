"""Who is who on the link: a lane device's own keys, and the server's record of its lanes.

A lane device holds (``portique lane provision`` writes them, mode 0600): its own
Ed25519 key, which signs its events and heartbeats; its own link key (AES-256), which
seals what it exchanges with the server so that no other lane can open it; and the
server's public snapshot key, with which it checks the snapshots and receipts it gets.
The server holds the snapshot key itself (never on a lane) and, in its keys folder, the
record of each lane (:class:`LaneRegistry`): the lane's public key, its link key, the
hash of its broker password, and when it was revoked. Losing a lane device costs one
revocation: its key, link key and broker login are then refused.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from portique.files import KEYS_DIR, write_private
from portique.lane.comms.link import load_link_key, new_link_key, read_secret
from portique.lane.errors import LinkError

LANE_KEY_FILE = "lane.key"
"""The lane's own signing key, in its keys folder."""
LANE_LINK_KEY_FILE = "lane-link.key"
"""The lane's own link key, in its keys folder."""
SERVER_KEY_FILE = "snapshot.pub"
"""The server's public snapshot key, in a lane's keys folder."""
SNAPSHOT_KEY_FILE = "snapshot-signing.key"
"""The server's snapshot signing key, in the site's keys folder (never on a lane)."""
LANES_FILE = "lanes.json"
"""The server's record of its lane devices, in the site's keys folder."""
REGISTRY_FORMAT = 1


def new_signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public_text(key: Ed25519PublicKey) -> str:
    """A public key as 64 hex digits."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def public_from_text(value: str) -> Ed25519PublicKey:
    """The public key of 64 hex digits.

    Raises:
        LinkError: not a public key.
    """
    try:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(value.strip()))
    except ValueError:
        raise LinkError("Not an Ed25519 public key (64 hex digits).") from None


def write_signing_key(path: Path, key: Ed25519PrivateKey) -> None:
    """Stores a signing key (64 hex digits) in an owner-only file."""
    raw = key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    _write(path, raw.hex().encode("ascii") + b"\n")


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """The signing key in ``path``, refused if other users can read it."""
    text = read_secret(path, "signing key")
    try:
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(text))
    except ValueError:
        raise LinkError(f"{path} does not hold an Ed25519 key (64 hex digits).") from None


def write_public_key(path: Path, key: Ed25519PublicKey) -> None:
    _write(path, public_text(key).encode("ascii") + b"\n")


def load_public_key(path: Path) -> Ed25519PublicKey:
    return public_from_text(read_secret(path, "public key"))


def _write(path: Path, data: bytes) -> None:
    try:
        write_private(path, data)
    except OSError as exc:
        raise LinkError(f"Cannot write {path}: {exc.strerror or exc}.") from None


def snapshot_key(keys_dir: Path) -> Ed25519PrivateKey:
    """The site's snapshot signing key in ``keys_dir``, created (mode 600) on first use."""
    path = Path(keys_dir) / SNAPSHOT_KEY_FILE
    if not path.exists():
        write_signing_key(path, new_signing_key())
    return load_signing_key(path)


@dataclass(frozen=True)
class LaneIdentity:
    """What a lane device holds to talk to its server."""

    site_id: str
    lane_id: str
    signing_key: Ed25519PrivateKey = field(repr=False)
    link_key: bytes = field(repr=False)
    server_key: Ed25519PublicKey = field(repr=False)

    @classmethod
    def load(cls, directory: Path, site_id: str, lane_id: str) -> LaneIdentity:
        """The identity provisioned in ``directory/keys``.

        Raises:
            LinkError: a file is missing, exposed or malformed (provision the lane again).
        """
        keys = Path(directory) / KEYS_DIR
        return cls(
            site_id=site_id,
            lane_id=lane_id,
            signing_key=load_signing_key(keys / LANE_KEY_FILE),
            link_key=load_link_key(keys / LANE_LINK_KEY_FILE),
            server_key=load_public_key(keys / SERVER_KEY_FILE),
        )


def new_lane_identity(
    site_id: str, lane_id: str, server_key: Ed25519PublicKey, now: datetime
) -> tuple[LaneIdentity, LaneRecord]:
    """A fresh identity for lane ``lane_id`` (its own signing and link keys) and the
    server's record of it."""
    signing, link = new_signing_key(), new_link_key()
    identity = LaneIdentity(site_id, lane_id, signing, link, server_key)
    return identity, LaneRecord(lane_id, signing.public_key(), link, now)


@dataclass(frozen=True)
class LaneRecord:
    """The server's record of one lane device."""

    lane_id: str
    public_key: Ed25519PublicKey = field(repr=False)
    link_key: bytes = field(repr=False)
    provisioned_at: datetime
    revoked_at: datetime | None = None
    broker_password_hash: str | None = field(default=None, repr=False)

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class LaneDirectory(Protocol):
    """Where a hub looks up the lane devices of a site (read at each message, so that a
    revocation holds at once)."""

    def lane(self, lane_id: str) -> LaneRecord | None:
        """The record of ``lane_id``, or None for a lane never provisioned."""

    def lanes(self) -> list[LaneRecord]:
        """Every lane record, revoked ones included."""


class MemoryLaneDirectory:
    """Lane records in memory (tests, benchmarks)."""

    def __init__(self, records: Iterable[LaneRecord] = ()) -> None:
        self._records = {record.lane_id: record for record in records}

    def lane(self, lane_id: str) -> LaneRecord | None:
        return self._records.get(lane_id)

    def lanes(self) -> list[LaneRecord]:
        return list(self._records.values())

    def put(self, record: LaneRecord) -> None:
        self._records[record.lane_id] = record


class LaneRegistry:
    """The lane records of a site in ``keys/lanes.json`` (owner-only), read again
    whenever the file changes: a revocation by another process (the console, the command
    line) reaches a running hub at its next message."""

    def __init__(self, keys_dir: Path) -> None:
        self.path = Path(keys_dir) / LANES_FILE
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._records: dict[str, LaneRecord] = {}

    def lane(self, lane_id: str) -> LaneRecord | None:
        return self._current().get(lane_id)

    def lanes(self) -> list[LaneRecord]:
        return list(self._current().values())

    def put(self, record: LaneRecord) -> None:
        """Adds or replaces the record of a lane."""
        with self._lock:
            records = dict(self._read())
            records[record.lane_id] = record
            self._write(records)

    def revoke(self, lane_id: str, at: datetime) -> LaneRecord:
        """Marks ``lane_id`` revoked at ``at`` (kept revoked if it already was).

        Raises:
            LinkError: no such lane was provisioned.
        """
        with self._lock:
            records = dict(self._read())
            record = records.get(lane_id)
            if record is None:
                raise LinkError(f"No lane {lane_id!r} was provisioned on this site.")
            if record.revoked_at is None:
                record = replace(record, revoked_at=at)
                records[lane_id] = record
                self._write(records)
            return record

    def _current(self) -> Mapping[str, LaneRecord]:
        with self._lock:
            return self._read()

    def _read(self) -> Mapping[str, LaneRecord]:
        try:
            status = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._records = None, {}
            return self._records
        except OSError as exc:
            raise LinkError(f"Cannot read {self.path}: {exc.strerror or exc}.") from None
        stamp = (status.st_mtime_ns, status.st_size)
        if stamp != self._stamp:
            self._records = _records_from_json(read_secret(self.path, "lane registry"), self.path)
            self._stamp = stamp
        return self._records

    def _write(self, records: Mapping[str, LaneRecord]) -> None:
        body = {
            "format": REGISTRY_FORMAT,
            "lanes": {lane_id: _record_to_json(r) for lane_id, r in sorted(records.items())},
        }
        _write(self.path, json.dumps(body, indent=2, sort_keys=True).encode("utf-8") + b"\n")
        self._stamp = None
        self._records = dict(records)


def _record_to_json(record: LaneRecord) -> dict[str, Any]:
    return {
        "public_key": public_text(record.public_key),
        "link_key": record.link_key.hex(),
        "provisioned_at": record.provisioned_at.isoformat(),
        "revoked_at": None if record.revoked_at is None else record.revoked_at.isoformat(),
        "broker_password_hash": record.broker_password_hash,
    }


def _records_from_json(text: str, path: Path) -> dict[str, LaneRecord]:
    try:
        body = json.loads(text)
        if body.get("format") != REGISTRY_FORMAT:
            raise ValueError(f"format {body.get('format')!r}")
        records = {}
        for lane_id, item in body["lanes"].items():
            revoked = item["revoked_at"]
            records[lane_id] = LaneRecord(
                lane_id=lane_id,
                public_key=public_from_text(item["public_key"]),
                link_key=bytes.fromhex(item["link_key"]),
                provisioned_at=datetime.fromisoformat(item["provisioned_at"]),
                revoked_at=None if revoked is None else datetime.fromisoformat(revoked),
                broker_password_hash=item.get("broker_password_hash"),
            )
        return records
    except (ValueError, KeyError, TypeError, AttributeError, LinkError) as exc:
        raise LinkError(f"{path} is not a lane registry: {exc}.") from None


@dataclass(frozen=True)
class SiteTrust:
    """What a hub needs to serve one site's lanes: the site's snapshot signing key and
    the record of its lane devices."""

    site_id: str
    signing_key: Ed25519PrivateKey = field(repr=False)
    lanes: LaneDirectory = field(repr=False)

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.signing_key.public_key()
