"""What the console and the API read from a site (lanes, passages, alerts, who is on
site) and what the agents write back (alerts acknowledged, referrals decided).

Everything here returns frozen records built from the passage events: ids, outcomes
and reasons, never an image, a template or a score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from portique.access import ConsentGiver, Outcome, Reason, Timetable, TimetableException
from portique.access import Role as PersonRole
from portique.access.codec import calendar_from_json, timetable_from_json
from portique.errors import BadInputError
from portique.i18n import text
from portique.server.errors import ConflictError, NotFoundError
from portique.services.live import announce
from portique.services.rows import site_row
from portique.services.settings import site_settings
from portique.store import (
    LaneRow,
    PassageRow,
    People,
    PersonRow,
    Sites,
    record_from,
    row_at_site,
)
from portique.store.models import LaneStatusRow, PassageReviewRow
from portique.visitors import on_site_visitors, visit_passes

MAX_COMMENT = 500
WAITING_LISTED = 20
"""The newest waiting passages listed with the count (the console sounds each new one)."""


@dataclass(frozen=True)
class LaneView:
    lane_id: str
    name: str
    zone_id: str
    direction: str
    face_enabled: bool


@dataclass(frozen=True)
class OfflineLane:
    """An "offline lane" alert: a lane heard from once, silent since ``last_seen_at`` or
    gone (``left``: it closed, or the broker delivered its last will)."""

    lane_id: str
    name: str
    last_seen_at: datetime
    left: bool


@dataclass(frozen=True)
class ReviewView:
    """An agent's answer: ``outcome`` None for an acknowledged alert."""

    reviewed_at: datetime
    reviewed_by: str
    outcome: Outcome | None
    comment: str | None


@dataclass(frozen=True)
class PassageView:
    passage_id: str
    lane_id: str
    direction: str | None
    time: datetime
    outcome: Outcome
    reasons: tuple[Reason, ...]
    alert: bool
    person_id: str | None
    person_name: str | None
    credential_id: str | None
    review: ReviewView | None

    @property
    def needs_review(self) -> bool:
        """An alert or a referral no agent has answered yet."""
        return self.review is None and (self.alert or self.outcome is Outcome.REFER)


@dataclass(frozen=True)
class LockdownView:
    in_force: bool
    since: datetime | None
    declared_by: str | None


@dataclass(frozen=True)
class OnSite:
    """Someone inside now: their last passage allowed today was an entry, or a visitor
    checked in and not out. ``zone_id`` is the zone of the lane that let them in last
    (None: a visitor still at reception); ``lane_id`` that lane, or ``accueil``."""

    person_id: str
    name: str
    role: str
    since: datetime
    lane_id: str
    zone_id: str | None = None
    visit_id: str | None = None


@dataclass(frozen=True)
class ZoneCount:
    """How many people are on site in a zone (``zone_id`` None: at reception)."""

    zone_id: str | None
    name: str
    count: int


@dataclass(frozen=True)
class ZoneView:
    zone_id: str
    name: str


@dataclass(frozen=True)
class ClassTimetable:
    """A class (group) and its weekly timetable with its own exceptions."""

    group_id: str
    name: str
    timetable: Timetable


@dataclass(frozen=True)
class SiteSetup:
    """The set-up the lanes decide by: zones and lanes, whether the site offers face
    comparison at all, its opening hours and calendar, and each class's timetable."""

    name: str
    timezone: str
    face_offered: bool
    zones: tuple[ZoneView, ...]
    lanes: tuple[LaneView, ...]
    opening_hours: Timetable
    calendar: tuple[TimetableException, ...]
    classes: tuple[ClassTimetable, ...]


@dataclass(frozen=True)
class ConsentView:
    """A person's latest consent, in force or not: who gave it (a person id), when, and
    its withdrawal if any."""

    giver: ConsentGiver
    given_by: str
    given_at: datetime
    withdrawn_at: datetime | None
    withdrawn_by: str | None


def site_setup(session: Session, site_id: str) -> SiteSetup:
    """The site's set-up as stored (read-only).

    Raises:
        PolicyError: a stored timetable or calendar is malformed.
    """
    site = site_row(session, site_id)
    sites = Sites(session)
    classes = sorted(
        (
            ClassTimetable(
                row.group_id, row.name or row.group_id, timetable_from_json(row.timetable)
            )
            for row in sites.groups(site_id)
        ),
        key=lambda group: (group.name.casefold(), group.group_id),
    )
    return SiteSetup(
        name=site.name,
        timezone=site.timezone,
        face_offered=site_settings(site).face_enabled,
        zones=tuple(ZoneView(row.zone_id, row.name) for row in sites.zones(site_id)),
        lanes=tuple(lanes(session, site_id)),
        opening_hours=timetable_from_json(site.opening_hours),
        calendar=calendar_from_json(site.calendar),
        classes=tuple(classes),
    )


@dataclass(frozen=True)
class ClassView:
    group_id: str
    name: str


def classes(session: Session, site_id: str) -> list[ClassView]:
    """The site's classes (groups), by name."""
    rows = Sites(session).groups(site_id)
    found = (ClassView(row.group_id, row.name or row.group_id) for row in rows)
    return sorted(found, key=lambda group: (group.name.casefold(), group.group_id))


@dataclass(frozen=True)
class NameView:
    person_id: str
    last_name: str
    first_name: str


def parents(session: Session, site_id: str, *, limit: int) -> list[NameView]:
    """Up to ``limit`` active parents of the site, by name (to choose a guardian from)."""
    query = (
        select(PersonRow.person_id, PersonRow.last_name, PersonRow.first_name)
        .where(
            PersonRow.site_id == site_id,
            PersonRow.role == PersonRole.PARENT.value,
            PersonRow.active.is_(True),
        )
        .order_by(PersonRow.last_name, PersonRow.first_name, PersonRow.person_id)
        .limit(limit)
    )
    return [NameView(*row) for row in session.execute(query)]


def latest_consent(session: Session, person_id: str) -> ConsentView | None:
    """The person's latest consent, withdrawn or not; None if they never gave one."""
    row = People(session).consent(person_id)
    if row is None:
        return None
    return ConsentView(
        ConsentGiver(row.giver), row.given_by, row.given_at, row.withdrawn_at, row.withdrawn_by
    )


def lanes(session: Session, site_id: str) -> list[LaneView]:
    return [_lane(row) for row in Sites(session).lanes(site_id)]


def _lane(row: LaneRow) -> LaneView:
    return LaneView(row.lane_id, row.name, row.zone_id, row.direction, row.face_enabled)


def offline_lanes(
    session: Session, site_id: str, *, now: datetime, after: timedelta
) -> list[OfflineLane]:
    """The lanes silent for longer than ``after`` at ``now``, or gone, longest silent
    first. A lane never heard from is no alert: it may not be installed yet."""
    names = {row.lane_id: row.name for row in Sites(session).lanes(site_id)}
    query = (
        select(LaneStatusRow)
        .where(LaneStatusRow.site_id == site_id)
        .where(or_(LaneStatusRow.online.is_(False), LaneStatusRow.last_seen_at < now - after))
        .order_by(LaneStatusRow.last_seen_at, LaneStatusRow.lane_id)
    )
    return [
        OfflineLane(row.lane_id, names.get(row.lane_id, ""), row.last_seen_at, not row.online)
        for row in session.scalars(query)
    ]


def lane_exists(session: Session, site_id: str, lane_id: str) -> bool:
    return Sites(session).lane(site_id, lane_id) is not None


def lockdown(session: Session, site_id: str) -> LockdownView:
    current = Sites(session).lockdown(site_id)
    if current is None:
        return LockdownView(False, None, None)
    return LockdownView(True, current.since, current.declared_by)


def _reasons(codes: Sequence[object]) -> tuple[Reason, ...]:
    # A reason a newer lane knows and this server does not is left out, not fatal.
    known = {reason.value for reason in Reason}
    return tuple(Reason(code) for code in codes if isinstance(code, str) and code in known)


def _views(session: Session, site_id: str, rows: Sequence[PassageRow]) -> list[PassageView]:
    ids = [row.passage_id for row in rows]
    reviews = {
        review.passage_id: review
        for review in session.scalars(
            select(PassageReviewRow).where(PassageReviewRow.passage_id.in_(ids))
        )
    }
    person_ids = {row.person_id for row in rows if row.person_id}
    names = {
        person.person_id: f"{person.first_name} {person.last_name}"
        for person in People(session).of_site(site_id, person_ids)
    }
    return [_view(row, reviews.get(row.passage_id), names) for row in rows]


def _view(row: PassageRow, review: PassageReviewRow | None, names: dict[str, str]) -> PassageView:
    return record_from(
        PassageView,
        row,
        outcome=Outcome(row.outcome),
        reasons=_reasons(row.reasons),
        person_name=None if row.person_id is None else names.get(row.person_id),
        review=None if review is None else _review(review),
    )


def _review(row: PassageReviewRow) -> ReviewView:
    return ReviewView(
        row.reviewed_at,
        row.reviewed_by,
        None if row.outcome is None else Outcome(row.outcome),
        row.comment,
    )


def recent_passages(
    session: Session, site_id: str, *, limit: int, lane_id: str | None = None
) -> list[PassageView]:
    """The latest passages, newest first, of the site or of one lane."""
    query = select(PassageRow).where(PassageRow.site_id == site_id)
    if lane_id is not None:
        query = query.where(PassageRow.lane_id == lane_id)
    query = query.order_by(PassageRow.time.desc(), PassageRow.passage_id).limit(limit)
    return _views(session, site_id, session.scalars(query).all())


def passage(session: Session, site_id: str, passage_id: str) -> PassageView:
    missing = NotFoundError(text(f"Aucun passage {passage_id!r}.", f"No passage {passage_id!r}."))
    row = row_at_site(session, PassageRow, passage_id, site_id, missing)
    return _views(session, site_id, [row])[0]


def open_alerts(session: Session, site_id: str, *, limit: int = 100) -> list[PassageView]:
    """Alerts and referrals no agent has answered yet, newest first."""
    query = (
        select(PassageRow)
        .outerjoin(PassageReviewRow, PassageReviewRow.passage_id == PassageRow.passage_id)
        .where(
            PassageRow.site_id == site_id,
            PassageReviewRow.passage_id.is_(None),
            or_(PassageRow.alert.is_(True), PassageRow.outcome == Outcome.REFER.value),
        )
        .order_by(PassageRow.time.desc(), PassageRow.passage_id)
        .limit(limit)
    )
    return _views(session, site_id, session.scalars(query).all())


@dataclass(frozen=True)
class WaitingItem:
    """A passage waiting for an agent: ``kind`` ``referral`` (to decide) or ``alert``."""

    passage_id: str
    kind: str


@dataclass(frozen=True)
class Waiting:
    """What waits for the agents now: the count of unanswered referrals and alerts (the
    newest of them listed), the lanes offline, and whether a lockdown is in force."""

    referrals: int
    alerts: int
    latest: tuple[WaitingItem, ...]
    offline_lanes: tuple[str, ...]
    lockdown: bool

    @property
    def count(self) -> int:
        return self.referrals + self.alerts + len(self.offline_lanes)


def waiting(session: Session, site_id: str, *, now: datetime, after: timedelta) -> Waiting:
    """What waits for the agents (see :class:`Waiting`); cheap enough to ask every second."""
    unanswered = (
        select(PassageRow.outcome, func.count())
        .outerjoin(PassageReviewRow, PassageReviewRow.passage_id == PassageRow.passage_id)
        .where(
            PassageRow.site_id == site_id,
            PassageReviewRow.passage_id.is_(None),
            or_(PassageRow.alert.is_(True), PassageRow.outcome == Outcome.REFER.value),
        )
        .group_by(PassageRow.outcome)
    )
    counts = {outcome: int(count) for outcome, count in session.execute(unanswered)}
    referrals = counts.pop(Outcome.REFER.value, 0)
    latest = tuple(
        WaitingItem(view.passage_id, "referral" if view.outcome is Outcome.REFER else "alert")
        for view in open_alerts(session, site_id, limit=WAITING_LISTED)
    )
    offline = offline_lanes(session, site_id, now=now, after=after)
    return Waiting(
        referrals=referrals,
        alerts=sum(counts.values()),
        latest=latest,
        offline_lanes=tuple(lane.lane_id for lane in offline),
        lockdown=Sites(session).lockdown(site_id) is not None,
    )


def review_passage(
    session: Session,
    site_id: str,
    passage_id: str,
    *,
    by: str,
    now: datetime,
    outcome: Outcome | None = None,
    comment: str | None = None,
) -> PassageView:
    """Records an agent's answer to a passage: an acknowledgement (``outcome`` None) of
    an alert or a referral, or the manual decision (grant or deny, with a comment) on a
    referral. A passage is answered once.

    Raises:
        NotFoundError: no such passage. ConflictError: answered already, nothing to
            acknowledge, or a decision on a passage that was not referred.
        BadInputError: a decision without a comment.
    """
    current = passage(session, site_id, passage_id)
    if current.review is not None:
        raise ConflictError(
            text(
                f"Le passage {passage_id} a déjà été traité par {current.review.reviewed_by}.",
                f"Passage {passage_id} was handled already by {current.review.reviewed_by}.",
            )
        )
    cleaned = " ".join((comment or "").split())[:MAX_COMMENT] or None
    if outcome is None:
        if not current.needs_review:
            raise ConflictError(
                text(
                    "Ce passage n'a levé aucune alerte.",
                    "This passage raised no alert.",
                )
            )
    else:
        if outcome is Outcome.REFER:
            raise ConflictError(text("Décidez : autoriser ou refuser.", "Decide: grant or deny."))
        if current.outcome is not Outcome.REFER:
            raise ConflictError(
                text(
                    "Seul un passage à vérifier par l'agent peut être décidé à la main.",
                    "Only a passage referred to the agent can be decided by hand.",
                )
            )
        if cleaned is None:
            raise BadInputError(
                text("Indiquez le motif de la décision.", "Give the reason for the decision.")
            )
    session.add(
        PassageReviewRow(
            passage_id=passage_id,
            site_id=site_id,
            reviewed_at=now,
            reviewed_by=by,
            outcome=None if outcome is None else outcome.value,
            comment=cleaned,
        )
    )
    session.flush()
    announce(session, site_id)
    return passage(session, site_id, passage_id)


def on_site(session: Session, site_id: str, *, now: datetime) -> list[OnSite]:
    """Who is inside now, for an evacuation: everyone whose last passage allowed today
    (by the lane, or by an agent deciding a referral) was an entry, and the visitors
    checked in and not out (for a visitor's pass, the visit says so, not the passages);
    by name."""
    site = site_row(session, site_id)
    zone = ZoneInfo(site.timezone)
    midnight = datetime.combine(now.astimezone(zone).date(), time.min, tzinfo=zone)
    query = (
        select(PassageRow)
        .outerjoin(PassageReviewRow, PassageReviewRow.passage_id == PassageRow.passage_id)
        .where(
            PassageRow.site_id == site_id,
            PassageRow.time >= midnight,
            PassageRow.time <= now,
            PassageRow.person_id.is_not(None),
            PassageRow.direction.is_not(None),
            or_(
                PassageRow.outcome == Outcome.GRANT.value,
                PassageReviewRow.outcome == Outcome.GRANT.value,
            ),
        )
        .order_by(PassageRow.time, PassageRow.passage_id)
    )
    last: dict[str, PassageRow] = {}
    for row in session.scalars(query):
        assert row.person_id is not None
        last[row.person_id] = row
    inside = {person_id: row for person_id, row in last.items() if row.direction == "in"}
    people: dict[str, PersonRow] = {
        person.person_id: person for person in People(session).of_site(site_id, inside)
    }
    zones = {lane.lane_id: lane.zone_id for lane in Sites(session).lanes(site_id)}
    visitors = on_site_visitors(session, site_id)
    # A visitor's pass says nothing once the visit ended: the visit, not the pass, counts.
    passes = visit_passes(session, site_id, {row.credential_id or "" for row in inside.values()})
    on_visit = {visitor.person_id for visitor in visitors}
    entries = [
        OnSite(
            person_id=person_id,
            name=f"{people[person_id].last_name} {people[person_id].first_name}",
            role=people[person_id].role,
            since=row.time,
            lane_id=row.lane_id,
            zone_id=zones.get(row.lane_id),
        )
        for person_id, row in inside.items()
        if person_id in people and person_id not in on_visit and row.credential_id not in passes
    ]
    entries.extend(
        OnSite(
            person_id=visitor.person_id,
            name=visitor.name,
            role=PersonRole.VISITOR.value,
            since=visitor.since,
            lane_id=visitor.checkpoint,
            zone_id=visitor.zone_id,
            visit_id=visitor.visit_id,
        )
        for visitor in visitors
    )
    return sorted(entries, key=lambda entry: (entry.name.casefold(), entry.person_id))


def zone_counts(session: Session, site_id: str, entries: Sequence[OnSite]) -> list[ZoneCount]:
    """How many of ``entries`` are in each zone of the site (every zone, even empty),
    then at reception when any visitor is still there."""
    counts: dict[str | None, int] = {}
    for entry in entries:
        counts[entry.zone_id] = counts.get(entry.zone_id, 0) + 1
    result = [
        ZoneCount(zone.zone_id, zone.name or zone.zone_id, counts.pop(zone.zone_id, 0))
        for zone in Sites(session).zones(site_id)
    ]
    result.extend(
        ZoneCount(zone_id, zone_id or "", count)
        for zone_id, count in sorted(counts.items(), key=lambda item: item[0] or "")
    )
    return result
