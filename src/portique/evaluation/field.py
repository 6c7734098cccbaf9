"""Field outcomes of a site from its own records: passages, agents' reviews, lane status."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portique.access.reasons import LANE_ALARMS, Outcome, Reason
from portique.evaluation.metrics import Interval, bootstrap_rate
from portique.evaluation.simulate import Distribution, Mode, default_modes
from portique.services.settings import StoredSettings, site_settings
from portique.store.models import (
    ConsentRow,
    CredentialRow,
    LaneRow,
    LaneStatusChangeRow,
    PassageReviewRow,
    PassageRow,
    PersonRow,
    SiteRow,
    TemplateVaultRow,
)

AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("moins de 15 ans", 0, 15),
    ("15-17 ans", 15, 18),
    ("18 ans et plus", 18, 200),
)
"""Age bands (French labels, ages [low, high)): minors under and over 15, adults."""
UNKNOWN_GROUP = "inconnu"
MIN_ATTEMPTS = 30
"""A group needs this many face attempts..."""
MIN_PEOPLE = 5
"""...by this many different people before its rates are reported."""

FACE_REASONS = (
    Reason.FACE_MATCH,
    Reason.FACE_MISMATCH,
    Reason.FACE_QUALITY_TOO_LOW,
    Reason.NO_FACE_CAPTURED,
)
"""Reasons that say a face comparison was attempted (FACE_NOT_CHECKED says it was not)."""
CAPTURE_FAILURES = (Reason.FACE_QUALITY_TOO_LOW, Reason.NO_FACE_CAPTURED)
INTRUSION_REASONS = (Reason.REVOKED, Reason.EXPIRED)
"""A revoked or expired credential refused: an intrusion attempt stopped."""


@dataclass(frozen=True)
class Period:
    """The observed dates, both included, on the site's clock."""

    first: date | None = None
    last: date | None = None

    def bounds(self, timezone: str) -> tuple[datetime | None, datetime | None]:
        zone = ZoneInfo(timezone)
        low = datetime.combine(self.first, time(0), zone) if self.first else None
        high = datetime.combine(self.last + timedelta(days=1), time(0), zone) if self.last else None
        return low, high


@dataclass(frozen=True)
class Passage:
    """One passage as the assessment sees it: no name, only role and age band."""

    passage_id: str
    time: datetime
    lane_id: str
    outcome: Outcome
    reasons: tuple[str, ...]
    alert: bool
    person_id: str | None
    role: str
    age_band: str
    latency_ms: float

    @property
    def face_attempted(self) -> bool:
        return any(reason in self.reasons for reason in FACE_REASONS)


@dataclass(frozen=True)
class Review:
    """An agent's answer to a passage."""

    passage_id: str
    outcome: str | None
    comment: str


@dataclass(frozen=True)
class LaneChange:
    lane_id: str
    at: datetime
    online: bool


@dataclass(frozen=True)
class OfflinePeriod:
    """A lane offline from ``start`` to ``end`` (None: still offline at the end)."""

    lane_id: str
    start: datetime
    end: datetime | None

    def seconds(self, until: datetime) -> float:
        return ((self.end or until) - self.start).total_seconds()


@dataclass(frozen=True)
class FieldData:
    """Everything the field outcomes are computed from."""

    site_id: str
    site_name: str
    timezone: str
    settings: StoredSettings
    lanes: tuple[tuple[str, str, bool], ...]
    """(lane id, direction, face enabled)."""
    passages: tuple[Passage, ...]
    reviews: tuple[Review, ...]
    changes: tuple[LaneChange, ...]
    people_by_role: dict[str, int]
    consents_in_force: int
    consents_withdrawn: int
    credentials_with_template: int
    vault_templates: int
    period: Period = field(default_factory=Period)


def age_band(birth: date | None, on: date) -> str:
    """The age band of someone born on ``birth`` at the date ``on``."""
    if birth is None:
        return UNKNOWN_GROUP
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    for label, low, high in AGE_BANDS:
        if low <= age < high:
            return label
    return UNKNOWN_GROUP


def load_field(session: Session, site_id: str, period: Period = Period()) -> FieldData:
    """Read the site's records for ``period`` (all of them when unbounded)."""
    site = session.get(SiteRow, site_id)
    if site is None:
        raise LookupError(site_id)
    zone = ZoneInfo(site.timezone)
    low, high = period.bounds(site.timezone)
    passages = _passages(session, site_id, zone, low, high)
    ids = {p.passage_id for p in passages}
    reviews = tuple(
        Review(r.passage_id, r.outcome, r.comment or "")
        for r in session.scalars(
            select(PassageReviewRow).where(PassageReviewRow.site_id == site_id)
        )
        if r.passage_id in ids
    )
    lanes = tuple(
        (lane.lane_id, lane.direction, lane.face_enabled)
        for lane in session.scalars(
            select(LaneRow).where(LaneRow.site_id == site_id).order_by(LaneRow.lane_id)
        )
    )
    return FieldData(
        site_id=site_id,
        site_name=site.name,
        timezone=site.timezone,
        settings=site_settings(site),
        lanes=lanes,
        passages=passages,
        reviews=reviews,
        changes=_lane_changes(session, site_id, zone, high),
        people_by_role=_people_by_role(session, site_id),
        period=period,
        **_biometric_counts(session, site_id),
    )


def _passages(
    session: Session, site_id: str, zone: ZoneInfo, low: datetime | None, high: datetime | None
) -> tuple[Passage, ...]:
    """The site's passages from ``low`` to ``high``, by time, with the role and the age
    band of the person (never their name). A lane's door or reader alarm is an alert,
    not a passage: it is left out."""
    query = select(PassageRow, PersonRow.role, PersonRow.birth_date).outerjoin(
        PersonRow, PersonRow.person_id == PassageRow.person_id
    )
    query = query.where(PassageRow.site_id == site_id).order_by(PassageRow.time)
    if low is not None:
        query = query.where(PassageRow.time >= low)
    if high is not None:
        query = query.where(PassageRow.time < high)
    return tuple(
        Passage(
            passage_id=row.passage_id,
            time=row.time.astimezone(zone),
            lane_id=row.lane_id,
            outcome=Outcome(row.outcome),
            reasons=tuple(str(r) for r in row.reasons),
            alert=row.alert,
            person_id=row.person_id,
            role=role or UNKNOWN_GROUP,
            age_band=age_band(birth, row.time.astimezone(zone).date()),
            latency_ms=float(row.latency_ms),
        )
        for row, role, birth in session.execute(query)
        if not _ALARMS.intersection(row.reasons)
    )


_ALARMS = frozenset(reason.value for reason in LANE_ALARMS)


def _lane_changes(
    session: Session, site_id: str, zone: ZoneInfo, high: datetime | None
) -> tuple[LaneChange, ...]:
    """Every lane going offline or online before ``high``, in order."""
    query = (
        select(LaneStatusChangeRow)
        .where(LaneStatusChangeRow.site_id == site_id)
        .order_by(LaneStatusChangeRow.at, LaneStatusChangeRow.change_id)
    )
    if high is not None:
        query = query.where(LaneStatusChangeRow.at < high)
    return tuple(
        LaneChange(c.lane_id, c.at.astimezone(zone), c.online) for c in session.scalars(query)
    )


def _people_by_role(session: Session, site_id: str) -> dict[str, int]:
    query = (
        select(PersonRow.role, func.count())
        .where(PersonRow.site_id == site_id, PersonRow.active.is_(True))
        .group_by(PersonRow.role)
    )
    return {str(role): int(count) for role, count in session.execute(query)}


def _biometric_counts(session: Session, site_id: str) -> dict[str, int]:
    """How many consents are in force and withdrawn, active credentials carry a template,
    and templates wait in the central store."""
    people = select(PersonRow.person_id).where(PersonRow.site_id == site_id)
    consents = select(func.count(func.distinct(ConsentRow.person_id))).where(
        ConsentRow.person_id.in_(people)
    )
    with_template = select(func.count()).where(
        CredentialRow.site_id == site_id,
        CredentialRow.has_template.is_(True),
        CredentialRow.status == "active",
    )
    vault = select(func.count()).where(TemplateVaultRow.site_id == site_id)
    return {
        "consents_in_force": int(
            session.scalar(consents.where(ConsentRow.withdrawn_at.is_(None))) or 0
        ),
        "consents_withdrawn": int(
            session.scalar(consents.where(ConsentRow.withdrawn_at.is_not(None))) or 0
        ),
        "credentials_with_template": int(session.scalar(with_template) or 0),
        "vault_templates": int(session.scalar(vault) or 0),
    }


# --- Outcomes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Latency:
    count: int
    p50: float
    p95: float
    maximum: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Latency | None:
        if not values:
            return None
        array = np.asarray(values, dtype=np.float64)
        return cls(
            len(values),
            float(np.percentile(array, 50)),
            float(np.percentile(array, 95)),
            float(array.max()),
        )

    def as_json(self) -> dict[str, float]:
        return {
            "count": self.count,
            "p50_ms": round(self.p50, 3),
            "p95_ms": round(self.p95, 3),
            "max_ms": round(self.maximum, 3),
        }


@dataclass(frozen=True)
class LaneThroughput:
    """A lane's busiest minute: how many passages it decided in it."""

    lane_id: str
    passages: int
    peak_per_minute: int
    peak_minute: datetime | None


@dataclass(frozen=True)
class FaceGroup:
    """Face outcomes of one role or age band; rates only when the group is large enough."""

    group: str
    attempts: int
    people: int
    counts: dict[str, int]
    frr: Interval | None
    fta: Interval | None

    @property
    def enough(self) -> bool:
        return self.frr is not None


@dataclass(frozen=True)
class FieldOutcomes:
    """The field outcomes the report shows."""

    passages: int
    outcomes: dict[str, int]
    reasons: dict[str, int]
    latency_all: Latency | None
    latency_face: Latency | None
    latency_no_face: Latency | None
    throughput: tuple[LaneThroughput, ...]
    referral_rate: float
    referrals: int
    overrides: dict[str, int]
    override_comments: dict[str, int]
    acknowledged: int
    refused_by_reason: dict[str, int]
    intrusions_presented: int
    intrusions_stopped: int
    intrusions_granted: int
    intrusions_alerted: int
    face_attempts: int
    face_overall: FaceGroup | None
    face_by_role: tuple[FaceGroup, ...]
    face_by_age: tuple[FaceGroup, ...]
    mismatches_granted_by_agent: int
    impostors_confirmed: int
    """Face mismatches the agent then refused: impostor attempts, left out of the FRR."""
    offline: tuple[OfflinePeriod, ...]
    observed_from: datetime | None
    observed_until: datetime | None
    lane_seconds: float = 0.0
    """Lane time covered by the status history: from each lane's first heartbeat on."""

    @property
    def offline_seconds(self) -> float:
        if self.observed_until is None:
            return 0.0
        return sum(period.seconds(self.observed_until) for period in self.offline)

    def as_json(self) -> dict[str, object]:
        def group(g: FaceGroup) -> dict[str, object]:
            return {
                "group": g.group,
                "attempts": g.attempts,
                "people": g.people,
                "counts": g.counts,
                "frr": g.frr.as_json() if g.frr else None,
                "fta": g.fta.as_json() if g.fta else None,
            }

        return {
            "passages": self.passages,
            "outcomes": self.outcomes,
            "reasons": self.reasons,
            "latency": {
                "all": self.latency_all.as_json() if self.latency_all else None,
                "with_face": self.latency_face.as_json() if self.latency_face else None,
                "without_face": self.latency_no_face.as_json() if self.latency_no_face else None,
            },
            "throughput": [
                {
                    "lane": t.lane_id,
                    "passages": t.passages,
                    "peak_per_minute": t.peak_per_minute,
                    "peak_minute": t.peak_minute.isoformat() if t.peak_minute else None,
                }
                for t in self.throughput
            ],
            "referral_rate": round(self.referral_rate, 6),
            "overrides": self.overrides,
            "override_comments": self.override_comments,
            "acknowledged": self.acknowledged,
            "refused_by_reason": self.refused_by_reason,
            "intrusions_presented": self.intrusions_presented,
            "intrusions_stopped": self.intrusions_stopped,
            "intrusions_granted": self.intrusions_granted,
            "intrusions_alerted": self.intrusions_alerted,
            "face_attempts": self.face_attempts,
            "impostors_confirmed": self.impostors_confirmed,
            "mismatches_granted_by_agent": self.mismatches_granted_by_agent,
            "face_overall": group(self.face_overall) if self.face_overall else None,
            "face_by_role": [group(g) for g in self.face_by_role],
            "face_by_age_band": [group(g) for g in self.face_by_age],
            "offline_periods": [
                {
                    "lane": p.lane_id,
                    "start": p.start.isoformat(),
                    "end": p.end.isoformat() if p.end else None,
                }
                for p in self.offline
            ],
            "offline_seconds": round(self.offline_seconds, 1),
            "lane_seconds_observed": round(self.lane_seconds, 1),
        }


def _face_group(name: str, passages: Sequence[Passage], seed: int) -> FaceGroup:
    counts = Counter(
        reason for p in passages for reason in p.reasons if reason in set(FACE_REASONS)
    )
    people = sorted({p.person_id or p.passage_id for p in passages})
    enough = len(passages) >= MIN_ATTEMPTS and len(people) >= MIN_PEOPLE
    frr = fta = None
    if enough:
        index = {person: i for i, person in enumerate(people)}
        tries = np.zeros(len(people))
        rejected = np.zeros(len(people))
        not_acquired = np.zeros(len(people))
        for p in passages:
            i = index[p.person_id or p.passage_id]
            tries[i] += 1
            rejected[i] += Reason.FACE_MATCH not in p.reasons
            not_acquired[i] += any(r in p.reasons for r in CAPTURE_FAILURES)
        frr = bootstrap_rate(rejected, tries, seed=seed)
        fta = bootstrap_rate(not_acquired, tries, seed=seed)
    return FaceGroup(name, len(passages), len(people), dict(sorted(counts.items())), frr, fta)


def _groups(
    passages: Sequence[Passage], key: str, order: Iterable[str], seed: int
) -> tuple[FaceGroup, ...]:
    by: dict[str, list[Passage]] = defaultdict(list)
    for p in passages:
        by[str(getattr(p, key))].append(p)
    names = [name for name in order if name in by] + sorted(set(by) - set(order))
    return tuple(_face_group(name, by[name], seed) for name in names)


def offline_periods(
    changes: Sequence[LaneChange], since: datetime | None
) -> tuple[OfflinePeriod, ...]:
    """Periods between a lane going offline and its next sign of life."""
    periods: list[OfflinePeriod] = []
    down: dict[str, datetime] = {}
    for change in changes:
        if not change.online:
            down.setdefault(change.lane_id, change.at)
        elif change.lane_id in down:
            periods.append(OfflinePeriod(change.lane_id, down.pop(change.lane_id), change.at))
    periods += [OfflinePeriod(lane, start, None) for lane, start in down.items()]
    if since is not None:
        periods = [p for p in periods if p.end is None or p.end > since]
    return tuple(sorted(periods, key=lambda p: (p.start, p.lane_id)))


def field_outcomes(data: FieldData, *, seed: int = 0, now: datetime | None = None) -> FieldOutcomes:
    """Compute every field outcome from ``data``."""
    passages = data.passages
    outcomes = Counter(p.outcome.value for p in passages)
    reasons = Counter(r for p in passages for r in p.reasons)
    face = [p for p in passages if p.face_attempted]
    confirmed = {r.passage_id for r in data.reviews if r.outcome == Outcome.DENY.value}
    genuine = [
        p for p in face if not (p.passage_id in confirmed and Reason.FACE_MISMATCH in p.reasons)
    ]
    overrides = _Overrides.of(data)
    refused = Counter(r for p in passages if p.outcome is Outcome.DENY for r in p.reasons)
    intrusions = [p for p in passages if any(r in p.reasons for r in INTRUSION_REASONS)]
    observed_from, observed_until, lane_seconds = _observed(data, now)
    referrals = outcomes.get(Outcome.REFER.value, 0)
    return FieldOutcomes(
        passages=len(passages),
        outcomes=dict(sorted(outcomes.items())),
        reasons=dict(reasons.most_common()),
        latency_all=Latency.of([p.latency_ms for p in passages]),
        latency_face=Latency.of([p.latency_ms for p in face]),
        latency_no_face=Latency.of([p.latency_ms for p in passages if not p.face_attempted]),
        throughput=_throughput(passages),
        referral_rate=referrals / len(passages) if passages else math.nan,
        referrals=referrals,
        overrides=dict(sorted(overrides.outcomes.items())),
        override_comments=dict(overrides.comments.most_common()),
        acknowledged=sum(1 for r in data.reviews if r.outcome is None),
        refused_by_reason=dict(refused.most_common()),
        intrusions_presented=len(intrusions),
        intrusions_stopped=sum(1 for p in intrusions if p.outcome is Outcome.DENY),
        intrusions_granted=sum(1 for p in intrusions if p.outcome is Outcome.GRANT),
        intrusions_alerted=sum(1 for p in intrusions if p.alert),
        face_attempts=len(face),
        face_overall=_face_group("tous", genuine, seed) if genuine else None,
        face_by_role=_groups(genuine, "role", ("student", "staff", "parent", "contractor"), seed),
        face_by_age=_groups(genuine, "age_band", [band for band, _, _ in AGE_BANDS], seed),
        mismatches_granted_by_agent=overrides.mismatches_granted,
        impostors_confirmed=len(face) - len(genuine),
        offline=offline_periods(data.changes, data.period.bounds(data.timezone)[0]),
        observed_from=observed_from,
        observed_until=observed_until,
        lane_seconds=lane_seconds,
    )


def _throughput(passages: Sequence[Passage]) -> tuple[LaneThroughput, ...]:
    """Each lane's passages and its busiest minute."""
    by_lane: dict[str, list[Passage]] = defaultdict(list)
    for p in passages:
        by_lane[p.lane_id].append(p)
    throughput = []
    for lane, items in sorted(by_lane.items()):
        minutes = Counter(p.time.replace(second=0, microsecond=0) for p in items)
        minute, peak = max(minutes.items(), key=lambda kv: (kv[1], -kv[0].timestamp()))
        throughput.append(LaneThroughput(lane, len(items), peak, minute))
    return tuple(throughput)


@dataclass(frozen=True)
class _Overrides:
    """The agents' decisions on referrals: how many of each, their comments, and how
    many granted a person the face check had said was someone else."""

    outcomes: Counter[str]
    comments: Counter[str]
    mismatches_granted: int

    @classmethod
    def of(cls, data: FieldData) -> _Overrides:
        reviewed = {p.passage_id: p for p in data.passages}
        outcomes: Counter[str] = Counter()
        comments: Counter[str] = Counter()
        mismatches_granted = 0
        for review in data.reviews:
            if review.outcome is None:
                continue
            outcomes[review.outcome] += 1
            comments[review.comment.strip() or "(sans commentaire)"] += 1
            passage = reviewed.get(review.passage_id)
            if (
                review.outcome == Outcome.GRANT.value
                and passage is not None
                and Reason.FACE_MISMATCH in passage.reasons
            ):
                mismatches_granted += 1
        return cls(outcomes, comments, mismatches_granted)


def _observed(
    data: FieldData, now: datetime | None
) -> tuple[datetime | None, datetime | None, float]:
    """When the observation started and ended (passages and lane changes; ``now`` for an
    open period), and the seconds the lanes were watched in it, each from when it was
    first heard of."""
    passages = data.passages
    observed_from = passages[0].time if passages else None
    observed_until = passages[-1].time if passages else None
    if data.changes:
        first_change, last_change = data.changes[0].at, data.changes[-1].at
        observed_from = min(filter(None, (observed_from, first_change)))
        observed_until = max(filter(None, (observed_until, last_change)))
    if now is not None and data.period.last is None:
        observed_until = now
    low, _ = data.period.bounds(data.timezone)
    first_heard: dict[str, datetime] = {}
    for change in data.changes:
        first_heard.setdefault(change.lane_id, max(change.at, low) if low else change.at)
    lane_seconds = (
        sum(max(0.0, (observed_until - t).total_seconds()) for t in first_heard.values())
        if observed_until
        else 0.0
    )
    return observed_from, observed_until, lane_seconds


MIN_SAMPLES = 20
"""Measured latencies needed before they replace the benchmark figures in the simulator."""


def fitted_modes(data: FieldData) -> tuple[dict[str, Mode], str]:
    """The simulator's modes with what the site measured: decision times, the share of
    people asked for a face, and the share of face attempts referred to the agent.

    The face is taken from the frames of the approach, so a face passage's decision
    time is the whole face step (frames waited for after the read included). The
    badge presentation (a person's own gestures) is not in passage events: it stays
    the documented assumption.
    """
    face = [p for p in data.passages if p.face_attempted]
    plain = [p.latency_ms / 1000.0 for p in data.passages if not p.face_attempted]
    used: list[str] = []
    options: dict[str, Any] = {}
    if len(plain) >= MIN_SAMPLES:
        options["badge_compute"] = Distribution.empirical(plain)
        used.append(f"{len(plain)} décisions sans visage")
    if len(face) >= MIN_SAMPLES:
        options["face_compute"] = Distribution.empirical([p.latency_ms / 1000.0 for p in face])
        used.append(f"{len(face)} décisions avec visage")
    granted_or_referred = [p for p in data.passages if p.outcome is not Outcome.DENY]
    if granted_or_referred and any(enabled for _, _, enabled in data.lanes):
        options["face_share"] = sum(p.face_attempted for p in granted_or_referred) / len(
            granted_or_referred
        )
        used.append("part des personnes comparées")
    if len(face) >= MIN_ATTEMPTS:
        options["referral_probability"] = sum(p.outcome is Outcome.REFER for p in face) / len(face)
        used.append("taux de renvoi à l'agent")
    source = (
        f"établissement {data.site_id} : " + ", ".join(used)
        if used
        else f"établissement {data.site_id} : trop peu de données, valeurs par défaut"
    )
    return default_modes(**options), source
