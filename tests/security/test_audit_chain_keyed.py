"""Finding 5: the audit chain is keyed with a secret the database does not hold, and
pinned by signed checkpoints outside it, so whoever can write to the database can no
longer re-chain the log or cut its end unnoticed."""

from __future__ import annotations

import json
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from cli_support import Cli
from portique.bootstrap import open_site
from portique.files import AUDIT_CHECKPOINT_FILE, AUDIT_KEYS_FILE
from portique.privacy import audit
from portique.privacy.audit import Breach
from portique.services import SiteHandle
from school_support import School

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def _fill(school: School, count: int) -> None:
    """``count`` explicit entries, written as the product writes them."""
    with school.site.session() as session:
        for index in range(count):
            audit.record(
                session,
                site_id=school.site_id,
                action="test.action",
                target=f"things:{index}",
                details={"index": index},
                at=NOW + timedelta(seconds=index),
            )


def _verify(site: SiteHandle) -> audit.ChainReport:
    with site.session() as session:
        return audit.verify(session, site.site_id)


def _checkpoint(school: School) -> audit.Checkpoint:
    with school.site.session() as session:
        return audit.checkpoint(session, school.site_id, now=NOW)


def _rechain_from(site: SiteHandle, seq: int, *, actor: str) -> None:
    """Rewrites entry ``seq`` and recomputes every hash after it, as an attacker with
    write access to the database (and the hashing code, which is public) would."""
    with site.session() as session:
        rows = session.execute(
            text(
                "SELECT entry_id, seq, at, actor, action, target, details, prev_hash "
                "FROM audit_log WHERE site_id = :site AND seq >= :seq ORDER BY seq"
            ),
            {"site": site.site_id, "seq": seq},
        ).all()
        prev_hash = rows[0].prev_hash
        for row in rows:
            at = row.at if isinstance(row.at, datetime) else datetime.fromisoformat(row.at)
            at = at if at.tzinfo else at.replace(tzinfo=UTC)
            details = row.details if isinstance(row.details, dict) else json.loads(row.details)
            who = actor if row.seq == seq else row.actor
            new_hash = audit.entry_hash(
                site_id=site.site_id,
                seq=row.seq,
                at=at,
                actor=who,
                action=row.action,
                target=row.target,
                details=details,
                prev_hash=prev_hash,
            )
            session.execute(
                text(
                    "UPDATE audit_log SET actor = :actor, prev_hash = :prev, entry_hash = :hash "
                    "WHERE entry_id = :id"
                ),
                {"actor": who, "prev": prev_hash, "hash": new_hash, "id": row.entry_id},
            )
            prev_hash = new_hash


def test_a_rewritten_and_rechained_entry_is_named(school: School) -> None:
    _fill(school, 1010)
    _rechain_from(school.site, 1000, actor="account:nobody")
    report = _verify(school.site)
    assert (report.breach, report.seq) == (Breach.UNAUTHENTICATED, 1000)
    assert "HMAC" in report.explanation


def test_a_truncated_tail_is_found_against_the_last_checkpoint(school: School) -> None:
    _fill(school, 20)
    signed = _checkpoint(school)
    with school.site.session() as session:
        session.execute(
            text("DELETE FROM audit_log WHERE site_id = :site AND seq > :seq"),
            {"site": school.site_id, "seq": signed.seq - 5},
        )
    report = _verify(school.site)
    assert report.breach is Breach.TRUNCATED
    assert report.seq == signed.seq - 4
    assert str(signed.seq) in report.explanation


def test_a_checkpoint_is_never_written_over_a_tampered_chain(school: School) -> None:
    _fill(school, 10)
    signed = _checkpoint(school)
    with school.site.session() as session:
        session.execute(
            text("DELETE FROM audit_log WHERE site_id = :site AND seq = :seq"),
            {"site": school.site_id, "seq": signed.seq},
        )
    with pytest.raises(audit.AuditChainBrokenError):
        _checkpoint(school)
    assert _verify(school.site).breach is Breach.TRUNCATED


def test_entries_stripped_of_their_mac_do_not_pass_for_legacy_ones(school: School) -> None:
    _fill(school, 5)
    last = _verify(school.site).last_seq
    with school.site.session() as session:
        session.execute(
            text(
                "UPDATE audit_log SET entry_mac = NULL, mac_key_id = NULL "
                "WHERE site_id = :site AND seq = :seq"
            ),
            {"site": school.site_id, "seq": last},
        )
    report = _verify(school.site)
    assert (report.breach, report.seq) == (Breach.UNAUTHENTICATED, last)


def test_an_altered_checkpoint_file_is_reported(school: School) -> None:
    _fill(school, 3)
    _checkpoint(school)
    path = school.site.directory / AUDIT_CHECKPOINT_FILE
    data = json.loads(path.read_text())
    data["seq"] = 1
    path.write_text(json.dumps(data))
    report = _verify(school.site)
    assert report.breach is Breach.UNAUTHENTICATED
    assert AUDIT_CHECKPOINT_FILE in report.explanation


def test_the_key_and_the_checkpoint_are_owner_only_and_outside_the_database(
    school: School,
) -> None:
    _checkpoint(school)
    key_file = school.site.keys_dir / AUDIT_KEYS_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(school.site.keys_dir.stat().st_mode) == 0o700
    checkpoint_file = school.site.directory / AUDIT_CHECKPOINT_FILE
    assert stat.S_IMODE(checkpoint_file.stat().st_mode) == 0o600
    secret = json.loads(key_file.read_text())["keys"][0]["secret"]
    with school.site.session() as session:
        dumped = session.execute(text("SELECT * FROM audit_log")).all()
    assert secret not in repr(dumped)


def test_a_purge_writes_a_checkpoint(school: School) -> None:
    from portique.privacy.retention import purge_site

    _fill(school, 3)
    purge_site(school.site.database, school.site_id, now=NOW)
    checkpoint = json.loads((school.site.directory / AUDIT_CHECKPOINT_FILE).read_text())
    assert checkpoint["seq"] == _verify(school.site).last_seq


def _downgrade_and_upgrade(site_dir: Path) -> None:
    """The database of a site made before the log was keyed: the schema taken back to
    0004 (the MACs go with their columns), then upgraded in place; the key forgotten."""
    from portique.store import Database, sqlite_url

    database = Database(sqlite_url(site_dir))
    database.downgrade("0004")
    database.upgrade()
    database.dispose()
    (site_dir / "keys" / AUDIT_KEYS_FILE).unlink()
    (site_dir / AUDIT_CHECKPOINT_FILE).unlink(missing_ok=True)


def test_a_legacy_log_upgraded_in_place_still_verifies_then_is_keyed(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "site")
    cli.json("init")
    cli.staff()
    _downgrade_and_upgrade(cli.directory)
    legacy = cli.json("audit", "verify")
    assert legacy["intact"] and legacy["keyed_from_seq"] == legacy["last_seq"] + 1
    assert legacy["checkpoint"]["seq"] == legacy["last_seq"]  # pinned at first keying
    cli.staff()
    keyed = cli.json("audit", "verify")
    assert keyed["intact"] and keyed["last_seq"] > legacy["last_seq"]
    with sqlite3.connect(cli.directory / "portique.db") as db:
        macs = db.execute("SELECT seq, entry_mac FROM audit_log ORDER BY seq").fetchall()
    assert all(mac is None for seq, mac in macs if seq < keyed["keyed_from_seq"])
    assert all(mac for seq, mac in macs if seq >= keyed["keyed_from_seq"])


def test_a_legacy_entry_rewritten_and_rechained_breaks_the_first_keyed_one(
    tmp_path: Path,
) -> None:
    cli = Cli(tmp_path / "site")
    cli.json("init")
    _downgrade_and_upgrade(cli.directory)
    cli.json("audit", "verify")  # keys the log from here on
    cli.staff()
    site = open_site(cli.directory)
    try:
        keyed_from = cli.json("audit", "verify")["keyed_from_seq"]
        _rechain_from(site, 1, actor="cli:someone-else")
        report = _verify(site)
    finally:
        site.close()
    # The legacy prefix re-chains cleanly; the first keyed entry's MAC covers its link.
    assert (report.breach, report.seq) == (Breach.UNAUTHENTICATED, keyed_from)


def test_the_cli_writes_a_checkpoint_then_names_a_cut_tail(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "site")
    cli.json("init")
    cli.staff()
    written = cli.json("audit", "checkpoint")
    assert set(written) >= {"site_id", "seq", "entry_hash", "at", "file"}
    with sqlite3.connect(cli.directory / "portique.db") as db:
        db.execute("DELETE FROM audit_log WHERE seq > ?", (written["seq"] - 2,))
    report = cli.json("audit", "verify", code=1)
    old_keys = {"site_id", "intact", "entries", "first_seq", "last_seq", "last_hash"}
    assert old_keys | {"breach", "seq", "entry_id", "explanation"} <= set(report)
    assert report["breach"] == "truncated" and report["intact"] is False
    plain = cli.run("audit", "verify")
    assert plain.exit_code == 1 and "Traceback" not in plain.output
    assert "tronquée" in plain.output or "truncated" in plain.output
    refused = cli.json("audit", "checkpoint", code=1)
    assert refused["error"] == "audit_chain_broken"
