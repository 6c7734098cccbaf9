"""A school's records for the assessment: passages, agents' reviews and lane status, stored
as the server stores them, with counts known by construction."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from portique.access import Role
from portique.store.models import LaneStatusChangeRow, PassageReviewRow, PassageRow
from school_support import School


@dataclass
class Morning:
    """What was stored, to compare the computed outcomes with."""

    students: list[str] = field(default_factory=list)
    staff: str = ""
    mismatch_granted: str = ""
    mismatch_denied: str = ""
    start: datetime | None = None


def _passage(
    school: School,
    at: datetime,
    outcome: str,
    reasons: list[str],
    person: str | None,
    latency_ms: float,
    lane: str = "entree",
) -> PassageRow:
    return PassageRow(
        passage_id=secrets.token_hex(8),
        site_id=school.site_id,
        lane_id=lane,
        direction="in",
        time=at,
        outcome=outcome,
        reasons=reasons,
        alert=outcome != "grant",
        credential_id=None,
        person_id=person,
        latency_ms=latency_ms,
        snapshot_version=1,
    )


def fill_morning(school: School) -> Morning:
    """One morning at the entrance, on the school day.

    - 6 students (15 years old) make 40 face attempts: 36 matches, 2 mismatches (one the
      agent then grants, "photo ancienne"; one the agent refuses: an impostor) and 2
      captures too poor; latencies 20 to 59 ms.
    - 1 staff member makes 3 face attempts, all matches: too few for a rate.
    - 10 badge entries at 0.5 ms, 2 revoked and 1 expired card refused, 1 unknown card.
    - 5 of the badge entries fall in the minute 07:50 (the peak).
    - The entrance lane goes offline 09:00-09:10; the exit lane at 11:00, for good.
    """
    morning = Morning()
    morning.students = [school.student() for _ in range(6)]
    morning.staff = school.person(Role.STAFF, born=date(1975, 3, 3))
    rows: list[PassageRow] = []
    start = school.at(7, 30)
    morning.start = start
    for index in range(40):
        person = morning.students[index % 6]
        at = start + timedelta(seconds=30 * index)
        if index in (3, 9):
            reasons, outcome = ["credential_valid", "face_mismatch"], "refer"
        elif index in (5, 11):
            reasons, outcome = ["credential_valid", "face_quality_too_low"], "refer"
        else:
            reasons, outcome = ["credential_valid", "face_match"], "grant"
        rows.append(_passage(school, at, outcome, reasons, person, 20.0 + index))
    morning.mismatch_granted, morning.mismatch_denied = rows[3].passage_id, rows[9].passage_id
    for index in range(3):
        at = school.at(7, 56) + timedelta(seconds=index)
        rows.append(
            _passage(school, at, "grant", ["credential_valid", "face_match"], morning.staff, 25.0)
        )
    peak = school.at(7, 50)
    for index in range(10):
        at = peak + timedelta(seconds=10 * index) if index < 5 else peak + timedelta(minutes=index)
        person = morning.students[index % 6]
        rows.append(_passage(school, at, "grant", ["credential_valid"], person, 0.5))
    for index, reason in enumerate(("revoked", "revoked", "expired", "unknown_credential")):
        at = school.at(8, 10) + timedelta(minutes=index)
        rows.append(_passage(school, at, "deny", [reason], None, 1.0))
    with school.site.session() as session:
        session.add_all(rows)
        session.add_all(
            [
                PassageReviewRow(
                    passage_id=morning.mismatch_granted,
                    site_id=school.site_id,
                    reviewed_at=start + timedelta(minutes=5),
                    reviewed_by="agent",
                    outcome="grant",
                    comment="photo ancienne",
                ),
                PassageReviewRow(
                    passage_id=morning.mismatch_denied,
                    site_id=school.site_id,
                    reviewed_at=start + timedelta(minutes=6),
                    reviewed_by="agent",
                    outcome="deny",
                    comment="carte prêtée",
                ),
                PassageReviewRow(
                    passage_id=rows[-4].passage_id,
                    site_id=school.site_id,
                    reviewed_at=school.at(8, 12),
                    reviewed_by="agent",
                    outcome=None,
                    comment=None,
                ),
            ]
        )
        for lane, hour, minute, online in (
            ("entree", 7, 0, True),
            ("sortie", 7, 0, True),
            ("entree", 9, 0, False),
            ("entree", 9, 10, True),
            ("sortie", 11, 0, False),
        ):
            session.add(
                LaneStatusChangeRow(
                    site_id=school.site_id,
                    lane_id=lane,
                    at=school.at(hour, minute),
                    online=online,
                )
            )
    return morning
