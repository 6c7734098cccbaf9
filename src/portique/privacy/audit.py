"""The audit log: every administrative action, hash-chained per site, and its verification.

Two ways in:

- row changes of the administrative tables are recorded by themselves:
  :func:`record_changes`, a ``before_flush`` listener that the composition root
  (``portique.bootstrap``) gives every site's database it opens, writes one entry per
  created, updated or deleted row (``people.update`` on ``people:P123``, with the changed
  columns before and after), attributed to ``session.info["actor"]``;
- actions that are not row changes (a purge and its counts, a subject export, a DPIA)
  call :func:`record`.

Each entry's ``entry_hash`` is the SHA-256 of its canonical JSON, which includes the hash
of the entry before it (``prev_hash``), so :func:`verify` finds the first entry that was
modified, deleted or put out of order. Each entry is also authenticated (``entry_mac``)
with the site's audit key, which the database does not hold, and :func:`checkpoint`
writes the head of the chain, signed, to the site folder: a log re-chained or cut at its
end by someone who can only write to the database is found too (see
:mod:`portique.privacy.audit_keys`). Details never hold face data, secrets or direct
identifiers: sealed templates, password and token hashes are redacted, names and birth
dates are marked as changed without their values (the log names people by their
pseudonymous id, so it stays true after an erasure).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy import text as sql
from sqlalchemy.orm import Session, UOWTransaction

from portique import clock
from portique.actors import current_actor
from portique.errors import PortiqueError
from portique.files import AUDIT_KEYS_FILE
from portique.i18n import text
from portique.privacy.audit_keys import (
    AuditKeyError,
    AuditKeys,
    Checkpoint,
    attach,
    keys_of,
    open_audit_keys,
    read_checkpoint,
    write_checkpoint_file,
)
from portique.store import AuditEntryRow, Database, PersonRow, record_from

log = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of a site's first entry."""

CHECKPOINT_ACTION = "audit.purge"
"""The entry a purge of the log leaves: it anchors the chain that remains."""

REDACTED = "[redacted]"
PERSONAL = "[personal data]"

LONG_TEXT = 512
"""Text this long in details is taken for an encoded blob and redacted."""
LONG_NUMBERS = 32
"""A list of this many numbers in details is taken for an embedding and redacted."""


class ChangeKind(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


ALL_CHANGES = frozenset(ChangeKind)


@dataclass(frozen=True)
class AuditedTable:
    """How the row changes of one table are recorded."""

    changes: frozenset[ChangeKind] = ALL_CHANGES
    ignored: frozenset[str] = frozenset()
    """Columns whose changes are operational (counters, versions): never recorded."""
    redacted: frozenset[str] = frozenset()
    """Secrets and sealed data: recorded as changed, never with their value."""
    personal: frozenset[str] = frozenset()
    """Direct identifiers: recorded as changed, never with their value."""


_NAMES = frozenset({"last_name", "first_name", "birth_date"})

AUDITED_TABLES: Mapping[str, AuditedTable] = {
    "sites": AuditedTable(ignored=frozenset({"snapshot_version"})),
    "zones": AuditedTable(),
    "lanes": AuditedTable(),
    "groups": AuditedTable(),
    "people": AuditedTable(personal=_NAMES),
    "memberships": AuditedTable(),
    "guardianships": AuditedTable(),
    "consents": AuditedTable(),
    "exit_permissions": AuditedTable(),
    "credentials": AuditedTable(),
    "badge_bindings": AuditedTable(),
    "phone_enrolments": AuditedTable(redacted=frozenset({"token_hash"})),
    "lockdowns": AuditedTable(),
    "accounts": AuditedTable(
        ignored=frozenset({"failed_logins", "locked_until", "last_login_at"}),
        redacted=frozenset({"password_hash"}),
    ),
    "api_tokens": AuditedTable(redacted=frozenset({"token_hash"})),
    "passage_reviews": AuditedTable(),
    "template_vault": AuditedTable(redacted=frozenset({"sealed"})),
    "visits": AuditedTable(personal=frozenset({"email"})),
    "visit_alerts": AuditedTable(changes=frozenset({ChangeKind.UPDATE})),
    "refusals": AuditedTable(personal=_NAMES),
    "register_ids": AuditedTable(redacted=frozenset({"key_hash"})),
    "departures": AuditedTable(),
    "school_years": AuditedTable(),
    "archived_groups": AuditedTable(),
}
"""The administrative tables. Passages, lane status, visit events and the log itself are
operational records, not administrative actions."""


@dataclass(frozen=True)
class AuditEntry:
    """One entry of the log, as read back."""

    entry_id: int
    site_id: str
    seq: int
    at: datetime
    actor: str
    action: str
    target: str | None
    details: dict[str, Any]
    prev_hash: str
    entry_hash: str

    def as_json(self) -> dict[str, Any]:
        return {
            "entry_id": self.entry_id,
            "seq": self.seq,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "details": self.details,
            "entry_hash": self.entry_hash,
        }


class Breach(StrEnum):
    """How a chain is broken at an entry."""

    MODIFIED = "modified"
    DELETED = "deleted"
    REORDERED = "reordered"
    UNAUTHENTICATED = "unauthenticated"
    """Its MAC is missing or wrong: written or re-chained without the audit key."""
    TRUNCATED = "truncated"
    """The chain ends before the last checkpoint: its last entries were deleted."""


class AuditChainBrokenError(PortiqueError):
    """The audit chain is broken: a checkpoint would vouch for a tampered log."""

    code = "audit_chain_broken"
    exit_code = 1


@dataclass(frozen=True)
class ChainReport:
    """What :func:`verify` found: intact, or the first broken entry and how."""

    site_id: str
    entries: int
    first_seq: int | None
    last_seq: int | None
    last_hash: str | None
    breach: Breach | None = None
    seq: int | None = None
    entry_id: int | None = None
    explanation: str = ""
    keyed_from_seq: int | None = None
    """The first seq written with the audit key (None: the session holds no key)."""
    checkpoint: Checkpoint | None = None
    """The last checkpoint the chain was checked against, if any."""

    @property
    def intact(self) -> bool:
        return self.breach is None

    @property
    def authenticated(self) -> bool:
        """Whether the entries' MACs were checked (the audit key was at hand)."""
        return self.keyed_from_seq is not None

    def as_json(self) -> dict[str, Any]:
        return {
            "site_id": self.site_id,
            "intact": self.intact,
            "entries": self.entries,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "last_hash": self.last_hash,
            "breach": None if self.breach is None else self.breach.value,
            "seq": self.seq,
            "entry_id": self.entry_id,
            "explanation": self.explanation,
            "authenticated": self.authenticated,
            "keyed_from_seq": self.keyed_from_seq,
            "checkpoint": None if self.checkpoint is None else self.checkpoint.as_json(),
        }


# -- hashing ---------------------------------------------------------------------------


def _utc_text(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(
    *,
    site_id: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    target: str | None,
    details: Mapping[str, Any],
    prev_hash: str,
) -> str:
    """The SHA-256 (hex) of an entry's canonical JSON: sorted keys, no spaces, UTF-8."""
    canonical = json.dumps(
        {
            "site_id": site_id,
            "seq": seq,
            "at": _utc_text(at),
            "actor": actor,
            "action": action,
            "target": target,
            "details": details,
            "prev_hash": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _row_hash(row: AuditEntryRow, seq: int | None = None) -> str:
    return entry_hash(
        site_id=row.site_id,
        seq=row.seq if seq is None else seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        target=row.target,
        details=row.details,
        prev_hash=row.prev_hash,
    )


# -- redaction -------------------------------------------------------------------------


def _looks_like_embedding(value: list[Any] | tuple[Any, ...]) -> bool:
    return len(value) >= LONG_NUMBERS and all(
        isinstance(item, int | float) and not isinstance(item, bool) for item in value
    )


def safe_value(value: Any) -> Any:
    """``value`` as JSON that can hold no face data: bytes, long text (an encoded blob)
    and long lists of numbers (an embedding) become ``[redacted]``."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):
        return _utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, str):
        return REDACTED if len(value) >= LONG_TEXT else value
    if isinstance(value, bytes | bytearray | memoryview):
        return REDACTED
    if isinstance(value, Mapping):
        return {str(key): safe_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        if _looks_like_embedding(items):
            return REDACTED
        return [safe_value(item) for item in items]
    return str(value)


# -- appending -------------------------------------------------------------------------

_HEADS = "portique.audit.heads"


def _advisory_key(site_id: str) -> int:
    digest = hashlib.sha256(f"portique.audit:{site_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_chain(session: Session, site_id: str) -> tuple[int, str]:
    """The last (seq, hash) of the site's chain, under a lock held to the end of the
    transaction, so two writers can never give out the same seq."""
    heads: dict[str, tuple[int, str]] = session.info.setdefault(_HEADS, {})
    if site_id in heads:
        return heads[site_id]
    with session.no_autoflush:
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            session.execute(
                sql("SELECT pg_advisory_xact_lock(:key)"), {"key": _advisory_key(site_id)}
            )
        elif dialect == "sqlite":
            # A write that changes nothing takes SQLite's write lock now, before the read.
            session.execute(sql("UPDATE audit_log SET seq = seq WHERE 0"))
        last = session.execute(
            select(AuditEntryRow.seq, AuditEntryRow.entry_hash)
            .where(AuditEntryRow.site_id == site_id)
            .order_by(AuditEntryRow.seq.desc())
            .limit(1)
        ).first()
    heads[site_id] = (0, GENESIS_HASH) if last is None else (int(last[0]), str(last[1]))
    return heads[site_id]


def actor_of(session: Session) -> str:
    """The actor the session's writes are done for."""
    actor = session.info.get("actor")
    return actor if isinstance(actor, str) and actor else current_actor()


def record(
    session: Session,
    *,
    site_id: str,
    action: str,
    target: str | None = None,
    details: Mapping[str, Any] | None = None,
    actor: str | None = None,
    at: datetime | None = None,
) -> AuditEntryRow:
    """Appends one entry to the site's chain in the session's transaction.

    ``actor`` defaults to the session's (``session.info["actor"]``, else ``system``);
    ``details`` is made safe (:func:`safe_value`) before it is hashed.
    """
    seq, prev_hash = lock_chain(session, site_id)
    when = at or clock.now()
    row = AuditEntryRow(
        site_id=site_id,
        seq=seq + 1,
        at=when,
        actor=actor or actor_of(session),
        action=action,
        target=target,
        details=safe_value(dict(details or {})),
        prev_hash=prev_hash,
    )
    row.entry_hash = _row_hash(row)
    keys = keys_of(session, site_id)
    if keys is not None:
        row.mac_key_id, row.entry_mac = keys.seal(row.entry_hash)
    session.add(row)
    session.info[_HEADS][site_id] = (row.seq, row.entry_hash)
    return row


# -- row changes -----------------------------------------------------------------------


def _site_of(session: Session, row: Any) -> str | None:
    site_id = getattr(row, "site_id", None)
    if isinstance(site_id, str):
        return site_id
    person_id = getattr(row, "person_id", None)
    if isinstance(person_id, str):
        with session.no_autoflush:
            person = session.get(PersonRow, person_id)
        return None if person is None else person.site_id
    return None


def _shown(rules: AuditedTable, column: str, value: Any) -> Any:
    if column in rules.redacted:
        return REDACTED
    if column in rules.personal:
        return PERSONAL
    return safe_value(value)


def _target(table: str, row: Any) -> str:
    """``table:key``; a token is named by its name, a register identifier by its person
    and kind, never by their hash."""
    if table == "api_tokens":
        return f"{table}:{getattr(row, 'name', '')}"
    if table == "register_ids":
        return f"{table}:{getattr(row, 'person_id', '')}/{getattr(row, 'kind', '')}"
    state = inspect(row)
    keys = [str(state.attrs[column.key].value) for column in state.mapper.primary_key]
    return f"{table}:{'/'.join(keys)}"


def _columns(row: Any) -> Iterable[str]:
    return (column.key for column in inspect(row).mapper.column_attrs)


def _change(row: Any, kind: ChangeKind, rules: AuditedTable) -> dict[str, Any] | None:
    state = inspect(row)
    if kind is not ChangeKind.UPDATE:
        # A new row is recorded as it will be written, a deleted one as it was read.
        side, value = (
            ("after", "value") if kind is ChangeKind.CREATE else ("before", "loaded_value")
        )
        return {
            side: {
                name: _shown(rules, name, getattr(state.attrs[name], value))
                for name in _columns(row)
                if name not in rules.ignored
            }
        }
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name in _columns(row):
        if name in rules.ignored:
            continue
        history = state.attrs[name].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        before[name] = _shown(rules, name, old)
        after[name] = _shown(rules, name, new)
    if not after:
        return None
    return {"before": before, "after": after}


def record_changes(session: Session, _context: UOWTransaction, _instances: object) -> None:
    """Records the administrative row changes a session is about to flush (a
    ``before_flush`` listener: see :class:`portique.store.Database`)."""
    if "actor" not in session.info:
        return  # not a Portique session (a migration, a test's raw session)
    changes: list[tuple[Any, ChangeKind]] = [
        *((row, ChangeKind.CREATE) for row in session.new),
        *((row, ChangeKind.UPDATE) for row in session.dirty),
        *((row, ChangeKind.DELETE) for row in session.deleted),
    ]
    for row, kind in changes:
        table = getattr(row, "__tablename__", None)
        rules = AUDITED_TABLES.get(table) if isinstance(table, str) else None
        if rules is None or kind not in rules.changes:
            continue
        details = _change(row, kind, rules)
        site_id = _site_of(session, row)
        if details is None or site_id is None:
            continue
        record(
            session,
            site_id=site_id,
            action=f"{table}.{kind.value}",
            target=_target(str(table), row),
            details=details,
        )


# -- reading and verifying -------------------------------------------------------------


def _entry(row: AuditEntryRow) -> AuditEntry:
    return record_from(AuditEntry, row, details=dict(row.details))


def entries(
    session: Session, site_id: str, *, limit: int | None = None, newest_first: bool = False
) -> list[AuditEntry]:
    """The site's entries by seq (the newest ``limit`` when ``newest_first``)."""
    order = AuditEntryRow.seq.desc() if newest_first else AuditEntryRow.seq
    query = select(AuditEntryRow).where(AuditEntryRow.site_id == site_id).order_by(order)
    if limit is not None:
        query = query.limit(limit)
    return [_entry(row) for row in session.scalars(query)]


def _anchor(rows: list[AuditEntryRow], first_seq: int) -> str | None:
    """The hash the first kept entry must follow: GENESIS from seq 1, else the anchor left
    by the latest purge checkpoint that kept entries from ``first_seq``."""
    if first_seq == 1:
        return GENESIS_HASH
    for row in reversed(rows):
        if row.action == CHECKPOINT_ACTION and row.details.get("kept_from_seq") == first_seq:
            anchor = row.details.get("anchor_hash")
            return anchor if isinstance(anchor, str) else None
    return None


@dataclass(frozen=True)
class _Break:
    """Where and how a walk of the chain found it broken."""

    breach: Breach
    seq: int | None
    entry_id: int | None
    explanation: str


def _at(row: AuditEntryRow, breach: Breach, why: str) -> _Break:
    return _Break(breach, row.seq, row.entry_id, why)


def _gap(row: AuditEntryRow, expected_seq: int) -> _Break:
    if row.seq < expected_seq:
        return _at(
            row,
            Breach.REORDERED,
            text(f"seq {row.seq} apparaît deux fois", f"seq {row.seq} appears twice"),
        )
    missing = (
        f"seq {expected_seq}"
        if row.seq == expected_seq + 1
        else f"seq {expected_seq} – {row.seq - 1}"
    )
    return _at(
        row,
        Breach.DELETED,
        text(
            f"entrée(s) manquante(s) avant celle-ci ({missing})",
            f"entries missing before this one ({missing})",
        ),
    )


def _bad_hash(rows: list[AuditEntryRow], row: AuditEntryRow) -> _Break:
    # The seq is hashed: an entry moved elsewhere still matches its original seq.
    moved_from = next(
        (
            seq
            for seq in range(rows[0].seq, rows[-1].seq + 1)
            if seq != row.seq and _row_hash(row, seq) == row.entry_hash
        ),
        None,
    )
    if moved_from is not None:
        return _at(
            row,
            Breach.REORDERED,
            text(f"cette entrée était seq {moved_from}", f"this entry was seq {moved_from}"),
        )
    return _at(
        row,
        Breach.MODIFIED,
        text(
            "son contenu ne correspond plus à son empreinte",
            "its content no longer matches its hash",
        ),
    )


def _bad_link(rows: list[AuditEntryRow], index: int, known: dict[str, AuditEntryRow]) -> _Break:
    row = rows[index]
    if row.prev_hash in known and index > 0:
        other = known[row.prev_hash]
        return _at(
            row,
            Breach.REORDERED,
            text(
                f"elle suit l'entrée seq {other.seq} (id {other.entry_id}), "
                f"non seq {rows[index - 1].seq}",
                f"it follows entry seq {other.seq} (id {other.entry_id}), "
                f"not seq {rows[index - 1].seq}",
            ),
        )
    return _at(
        row,
        Breach.MODIFIED,
        text(
            "son lien vers l'entrée précédente a été changé",
            "its link to the entry before it was changed",
        ),
    )


def _authentic(keys: AuditKeys, row: AuditEntryRow) -> bool:
    """Whether the entry's MAC holds; an entry of the legacy prefix (before the log was
    keyed) has none and is vouched for by the keyed entries that follow it."""
    if row.seq < keys.keyed_from_seq and row.entry_mac is None and row.mac_key_id is None:
        return True
    return keys.authentic(row.mac_key_id, row.entry_hash, row.entry_mac)


def _unauthenticated(row: AuditEntryRow) -> _Break:
    return _at(
        row,
        Breach.UNAUTHENTICATED,
        text(
            "son authentifiant (HMAC) manque ou ne correspond pas : elle a été écrite ou "
            "réécrite sans la clé du journal (chaîne recalculée)",
            "its authenticator (HMAC) is missing or wrong: it was written or rewritten "
            "without the audit key (a re-chained log)",
        ),
    )


def _walk(rows: list[AuditEntryRow], keys: AuditKeys | None) -> _Break | None:
    """The first broken entry of ``rows`` (ordered by seq), or None when they hold."""
    known = {row.entry_hash: row for row in rows}
    expected_prev = _anchor(rows, rows[0].seq)
    expected_seq = rows[0].seq
    for index, row in enumerate(rows):
        if row.seq != expected_seq:
            return _gap(row, expected_seq)
        if expected_prev is None:
            return _at(
                row,
                Breach.DELETED,
                text(
                    f"la chaîne commence à seq {row.seq} sans point de contrôle de purge qui "
                    "l'ancre",
                    f"the chain starts at seq {row.seq} with no purge checkpoint anchoring it",
                ),
            )
        if _row_hash(row) != row.entry_hash:
            return _bad_hash(rows, row)
        if row.prev_hash != expected_prev:
            return _bad_link(rows, index, known)
        if keys is not None and not _authentic(keys, row):
            return _unauthenticated(row)
        expected_prev = row.entry_hash
        expected_seq = row.seq + 1
    return None


def _against_checkpoint(
    rows: list[AuditEntryRow], keys: AuditKeys, checkpoint: Checkpoint
) -> _Break | None:
    """Whether the chain still holds what the last checkpoint saw: its entry, unchanged,
    and nothing cut after it."""
    when = checkpoint.at.isoformat(timespec="seconds")
    if not keys.checkpoint_is_authentic(checkpoint):
        return _Break(
            Breach.UNAUTHENTICATED,
            None,
            None,
            text(
                f"le point de contrôle {keys.checkpoint_path} ne s'authentifie pas : il a "
                "été modifié",
                f"the checkpoint {keys.checkpoint_path} does not authenticate: it was altered",
            ),
        )
    last_seq = rows[-1].seq if rows else 0
    if checkpoint.seq > last_seq:
        return _Break(
            Breach.TRUNCATED,
            last_seq + 1,
            None,
            text(
                f"la chaîne s'arrête à seq {last_seq} alors que le point de contrôle du "
                f"{when} a vu seq {checkpoint.seq} : les dernières entrées ont été supprimées",
                f"the chain ends at seq {last_seq} but the checkpoint of {when} saw seq "
                f"{checkpoint.seq}: its last entries were deleted",
            ),
        )
    seen = next((row for row in rows if row.seq == checkpoint.seq), None)
    if seen is not None and seen.entry_hash != checkpoint.entry_hash:
        return _at(
            seen,
            Breach.MODIFIED,
            text(
                f"elle diffère de celle qu'a vue le point de contrôle du {when}",
                f"it differs from the one the checkpoint of {when} saw",
            ),
        )
    return None


def verify(session: Session, site_id: str) -> ChainReport:
    """Walks the site's chain and reports the first modified, deleted, reordered or
    unauthenticated entry, or a tail cut off since the last checkpoint.

    With the site's audit key at hand (sessions of an opened site), every entry from
    ``keyed_from_seq`` on must carry its MAC, and the chain is compared with the last
    checkpoint; without it only the hashes are checked (``authenticated`` is False).
    """
    rows = list(
        session.scalars(
            select(AuditEntryRow)
            .where(AuditEntryRow.site_id == site_id)
            .order_by(AuditEntryRow.seq, AuditEntryRow.entry_id)
        )
    )
    keys = keys_of(session, site_id)
    checkpoint = None if keys is None else read_checkpoint(keys)
    summary = ChainReport(
        site_id,
        len(rows),
        rows[0].seq if rows else None,
        rows[-1].seq if rows else None,
        rows[-1].entry_hash if rows else None,
        keyed_from_seq=None if keys is None else keys.keyed_from_seq,
        checkpoint=checkpoint,
    )
    found = _walk(rows, keys) if rows else None
    if found is None and keys is not None and checkpoint is not None:
        found = _against_checkpoint(rows, keys, checkpoint)
    if found is None:
        return summary
    return replace(
        summary,
        breach=found.breach,
        seq=found.seq,
        entry_id=found.entry_id,
        explanation=found.explanation,
    )


def checkpoint(session: Session, site_id: str, *, now: datetime) -> Checkpoint:
    """Verifies the site's chain, then writes its head (last seq and hash, signed with
    the audit key) to the checkpoint file in the site folder.

    The chain is locked meanwhile, so the head cannot move between the check and the
    file. A broken chain gets no checkpoint: it would vouch for the tampering.

    Raises:
        AuditKeyError: the session holds no audit key for the site.
        AuditChainBrokenError: the chain is broken (the error names the first breach).
    """
    keys = keys_of(session, site_id)
    if keys is None:
        raise AuditKeyError(
            text(
                "Pas de clé du journal d'audit pour cet établissement : ouvrez-le par son dossier.",
                "No audit key for this site: open it through its folder.",
            )
        )
    lock_chain(session, site_id)
    report = verify(session, site_id)
    if not report.intact:
        raise AuditChainBrokenError(
            text(
                f"Journal d'audit altéré (seq {report.seq}, {report.breach}) : "
                f"{report.explanation}. Aucun point de contrôle écrit.",
                f"Audit log tampered with (seq {report.seq}, {report.breach}): "
                f"{report.explanation}. No checkpoint written.",
            )
        )
    signed = keys.sign_checkpoint(report.last_seq or 0, report.last_hash or GENESIS_HASH, now)
    write_checkpoint_file(keys, signed)
    return signed


def open_keyed_log(
    database: Database, site_dir: Path, keys_dir: Path, site_id: str, *, now: datetime
) -> AuditKeys:
    """Gives every session of ``database`` the site's audit keys, made at first use.

    A site keyed now for the first time, whose log already holds entries, gets a
    checkpoint of that legacy chain at once, so its head is pinned from today.
    """
    fresh = not (keys_dir / AUDIT_KEYS_FILE).exists()
    keys = open_audit_keys(site_dir, keys_dir, site_id, database, now=now)
    attach(database, keys)
    if fresh and keys.keyed_from_seq > 1:
        try:
            with database.session(actor="system:audit") as session:
                checkpoint(session, site_id, now=now)
        except AuditChainBrokenError as error:
            log.warning("audit log of %s not checkpointed: %s", site_id, error.message)
    return keys
