"""Latency of decide() without face, on a realistic lycée snapshot (target: p95 ≤ 1 ms).

The site has 1,500 people (students in 40 classes with their own timetables, staff,
contractors, visitors), holidays, exit permissions, consents, badges, revocations and
anti-passback state. 10,000 passages (QR codes and badges, entries and exits, across
a school day, a few revoked, expired or garbled credentials) are decided one by one
and timed with ``perf_counter_ns``.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_decide.py [--passages N] [--json]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from portique.access import (
    STANDARD_EXIT_RULES,
    BadgeBinding,
    Consent,
    ConsentGiver,
    DaySchedule,
    Direction,
    ExceptionKind,
    ExitPermission,
    Group,
    Lane,
    LastPassage,
    Passage,
    Person,
    PolicySnapshot,
    Role,
    Site,
    SiteSettings,
    Timetable,
    TimetableException,
    VisitorPass,
    Weekday,
    Zone,
    decide,
)
from portique.credentials import (
    Claims,
    CredentialKind,
    Revocation,
    RevocationList,
    SigningKey,
    sign_credential,
)
from portique.credentials.keys import key_id_for

PARIS = ZoneInfo("Europe/Paris")
SITE_ID = "lycee-0130001A"
DAY = date(2025, 3, 11)  # a Tuesday in term time
YEAR_START = datetime(2024, 9, 1, tzinfo=PARIS)
YEAR_END = datetime(2025, 8, 31, 23, 59, 59, tzinfo=PARIS)
PEOPLE = 1_500
GROUPS = 40
TARGET_P95_MS = 1.0


def _class_timetable(rng: random.Random) -> Timetable:
    """A class week: mornings from 8 or 9, afternoons ending between 15 and 18."""
    days: dict[Weekday, DaySchedule] = {}
    for weekday in Weekday:
        if weekday >= Weekday.SATURDAY:
            continue
        start = rng.choice(("08:00", "09:00"))
        if weekday is Weekday.WEDNESDAY:
            days[weekday] = DaySchedule.of(f"{start}-12:00")
            continue
        end = rng.choice(("15:00", "16:00", "17:00", "18:00"))
        lunch = rng.choice(("11:30-12:30", "12:00-13:00", "12:30-13:30"))
        morning_end, afternoon_start = lunch.split("-")
        days[weekday] = DaySchedule.of(
            f"{start}-{morning_end}", f"{afternoon_start}-{end}", lunch=lunch
        )
    return Timetable.weekly(days)


def build_site(rng: random.Random) -> tuple[PolicySnapshot, list[bytes | str], SigningKey]:
    """The snapshot, and one presentable credential per person (QR payload or badge UID)."""
    private_key = Ed25519PrivateKey.generate()
    key = SigningKey(key_id_for(private_key.public_key()), private_key)
    calendar = (
        TimetableException(date(2024, 10, 19), date(2024, 11, 3), ExceptionKind.HOLIDAY),
        TimetableException(date(2024, 12, 21), date(2025, 1, 5), ExceptionKind.HOLIDAY),
        TimetableException(date(2025, 2, 15), date(2025, 3, 2), ExceptionKind.HOLIDAY),
        TimetableException(date(2025, 4, 12), date(2025, 4, 27), ExceptionKind.HOLIDAY),
        TimetableException.on(date(2025, 5, 1), ExceptionKind.CLOSURE, label="1er mai"),
        TimetableException.on(date(2025, 5, 8), ExceptionKind.CLOSURE, label="8 mai"),
    )
    opening = Timetable.weekly(
        {
            **{day: DaySchedule.of("07:00-19:30") for day in Weekday if day < Weekday.SATURDAY},
            Weekday.SATURDAY: DaySchedule.of("08:00-12:30"),
        }
    )
    site = Site(SITE_ID, opening, calendar, name="Lycée de banc d'essai")
    zones = [Zone("main"), Zone("workshop"), Zone("reception"), Zone("gym")]
    lanes = [
        Lane("in-main", "main", Direction.IN, face_enabled=True),
        Lane("in-main-2", "main", Direction.IN, face_enabled=True),
        Lane("out-main", "main", Direction.OUT),
        Lane("in-workshop", "workshop", Direction.IN),
        Lane("in-reception", "reception", Direction.IN),
    ]
    groups = [Group(f"class-{n:02d}", _class_timetable(rng)) for n in range(GROUPS)]

    people: list[Person] = []
    consents: list[Consent] = []
    permissions: list[ExitPermission] = []
    bindings: list[BadgeBinding] = []
    passes: list[VisitorPass] = []
    credentials: list[bytes | str] = []
    rules = list(STANDARD_EXIT_RULES.values())
    for n in range(PEOPLE):
        person_id = f"p{n:05d}"
        if n < 1_300:
            role = Role.STUDENT
            age = rng.choice((15, 16, 17, 17, 18, 19))
            group_ids = frozenset({groups[n % GROUPS].group_id})
        else:
            role = rng.choice((Role.STAFF,) * 6 + (Role.CONTRACTOR, Role.PARENT, Role.VISITOR))
            age = rng.randint(22, 64)
            group_ids = frozenset()
        birth = DAY.replace(year=DAY.year - age) - timedelta(days=rng.randint(1, 360))
        guardians = frozenset({f"g{n:05d}"})
        zones_allowed = frozenset({"workshop"}) if role is Role.CONTRACTOR else None
        people.append(
            Person(person_id, role, birth, group_ids, guardians, zones_allowed, active=n % 97 != 0)
        )
        minor = age < 18
        if rng.random() < 0.3:
            giver = ConsentGiver.PARENT if minor else ConsentGiver.SELF
            given_by = f"g{n:05d}" if minor else person_id
            consents.append(Consent(person_id, giver, given_by, YEAR_START))
        if role is Role.STUDENT and minor:
            permissions.append(ExitPermission(person_id, rng.choice(rules), f"g{n:05d}", DAY))

        if role is Role.STAFF and rng.random() < 0.5:
            uid = f"04{n:06X}"
            bindings.append(BadgeBinding(uid, f"b-{person_id}", person_id, YEAR_START, YEAR_END))
            credentials.append(uid)
            continue
        kind = CredentialKind.VISITOR_PASS if role is Role.VISITOR else CredentialKind.CARD
        credential_id = f"c-{person_id}"
        if kind is CredentialKind.VISITOR_PASS:
            passes.append(VisitorPass(credential_id, frozenset({"reception"})))
        valid_until = YEAR_END if n % 113 else datetime(2025, 3, 1, tzinfo=PARIS)
        claims = Claims(
            credential_id, person_id, SITE_ID, kind, YEAR_START, valid_until, key.key_id
        )
        credentials.append(sign_credential(claims, key))

    revoked = [Revocation(f"c-p{n:05d}", YEAR_START, "left") for n in rng.sample(range(PEOPLE), 40)]
    revoked += [Revocation(f"old-{n}", YEAR_START, "lost") for n in range(500)]
    start_of_day = datetime.combine(DAY, datetime.min.time(), tzinfo=PARIS)
    last_passages = {
        person.person_id: LastPassage(
            rng.choice(tuple(Direction)),
            start_of_day + timedelta(hours=rng.uniform(6.5, 9.0)),
        )
        for person in people
        if rng.random() < 0.8
    }
    snapshot = PolicySnapshot.build(
        version=7,
        site=site,
        verifiers={key.key_id: key.public_key},
        revocations=RevocationList.of(revoked),
        settings=SiteSettings(face_enabled=False),
        zones=zones,
        lanes=lanes,
        people=people,
        groups=groups,
        exit_permissions=permissions,
        consents=consents,
        badge_bindings=bindings,
        visitor_passes=passes,
        last_passages=last_passages,
    )
    return snapshot, credentials, key


def build_passages(
    rng: random.Random, snapshot: PolicySnapshot, credentials: list[bytes | str], count: int
) -> list[Passage]:
    """``count`` passages across the school day; about 1 in 200 is a garbled read."""
    lane_ids = list(snapshot.lanes)
    start = datetime.combine(DAY, datetime.min.time(), tzinfo=PARIS)
    passages = []
    for _ in range(count):
        when = (start + timedelta(hours=rng.uniform(7.0, 18.5))).astimezone(UTC)
        lane_id = rng.choice(lane_ids)
        credential = rng.choice(credentials)
        if rng.random() < 0.005:
            credential = rng.randbytes(rng.randint(0, 200))
        if isinstance(credential, bytes):
            passages.append(Passage.qr(lane_id, when, credential))
        else:
            passages.append(Passage.badge(lane_id, when, credential))
    return passages


def _percentile(ordered: list[float], fraction: float) -> float:
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


@dataclass(frozen=True)
class Result:
    """Latency figures of one run, in milliseconds."""

    passages: int
    people: int
    groups: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    outcomes: dict[str, int]
    seed: int
    target_p95_ms: float = TARGET_P95_MS
    benchmark: str = "decide_without_face"
    python: str = field(default_factory=platform.python_version)
    machine: str = field(default_factory=platform.machine)

    @property
    def target_met(self) -> bool:
        return self.p95_ms <= self.target_p95_ms

    def as_json(self) -> str:
        return json.dumps({**asdict(self), "target_met": self.target_met}, indent=2)

    def as_table(self) -> str:
        lines = [
            f"decide() without face: {self.passages:,} passages, "
            f"{self.people:,} people, {self.groups} groups (Python {self.python})",
            f"{'statistic':<12}{'ms':>10}",
        ]
        for name, value in (
            ("p50", self.p50_ms),
            ("p95", self.p95_ms),
            ("p99", self.p99_ms),
            ("max", self.max_ms),
            ("mean", self.mean_ms),
        ):
            lines.append(f"{name:<12}{value:>10.3f}")
        lines.append(
            f"target p95 ≤ {self.target_p95_ms} ms: {'met' if self.target_met else 'MISSED'}"
        )
        lines.append("outcomes: " + ", ".join(f"{k} {v}" for k, v in self.outcomes.items()))
        return "\n".join(lines)


def run(count: int, seed: int) -> Result:
    rng = random.Random(seed)
    snapshot, credentials, _key = build_site(rng)
    passages = build_passages(rng, snapshot, credentials, count)
    for passage in passages[:500]:  # warm-up: first calls pay for lazy imports and caches
        decide(snapshot, passage)

    timings_ms: list[float] = []
    outcomes: Counter[str] = Counter()
    clock = time.perf_counter_ns
    for passage in passages:
        begin = clock()
        decision = decide(snapshot, passage)
        timings_ms.append((clock() - begin) / 1e6)
        outcomes[decision.outcome.value] += 1
    ordered = sorted(timings_ms)
    return Result(
        passages=len(passages),
        people=len(snapshot.people),
        groups=len(snapshot.groups),
        p50_ms=_percentile(ordered, 0.50),
        p95_ms=_percentile(ordered, 0.95),
        p99_ms=_percentile(ordered, 0.99),
        max_ms=ordered[-1],
        mean_ms=statistics.fmean(ordered),
        outcomes=dict(sorted(outcomes.items())),
        seed=seed,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--passages", type=int, default=10_000, help="passages to decide")
    parser.add_argument("--seed", type=int, default=2025, help="random seed of the site")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = run(args.passages, args.seed)
    print(result.as_json() if args.json else result.as_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
