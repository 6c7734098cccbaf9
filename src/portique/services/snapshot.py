"""From the store to the engine and back: the policy snapshot, and decisions as passage events."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from portique.access import (
    BadgeBinding,
    Consent,
    ConsentGiver,
    Decision,
    Direction,
    ExitPermission,
    Group,
    Lane,
    LastPassage,
    Lockdown,
    Person,
    PolicySnapshot,
    Role,
    Site,
    SiteSettings,
    VisitorPass,
    Zone,
)
from portique.credentials import Revocation, RevocationList
from portique.dates import check_moment
from portique.i18n import text
from portique.services.errors import SiteNotFoundError
from portique.services.policy_json import (
    calendar_from_json,
    exit_rule,
    face_choice,
    settings_from_json,
    timetable_from_json,
)
from portique.store import (
    ConsentRow,
    CredentialRow,
    Credentials,
    PassageRow,
    Passages,
    People,
    PersonRow,
    SiteRow,
    Sites,
    VisitRow,
)

UNKNOWN_REVOCATION_REASON = "revoked"


def site_row(session: Session, site_id: str) -> SiteRow:
    """The site's row; raises SiteNotFoundError when the database does not hold it."""
    site = Sites(session).get(site_id)
    if site is None:
        raise SiteNotFoundError(
            text(
                f"La base ne contient pas l'établissement {site_id!r} : créez-le avec "
                "`portique init`.",
                f"The database holds no site {site_id!r}: create it with `portique init`.",
            )
        )
    return site


def person_from_row(
    row: PersonRow, group_ids: Iterable[str] = (), guardian_ids: Iterable[str] = ()
) -> Person:
    """The domain person of a stored row."""
    return Person(
        person_id=row.person_id,
        role=Role(row.role),
        birth_date=row.birth_date,
        group_ids=frozenset(group_ids),
        guardian_ids=frozenset(guardian_ids),
        zones=None if row.zones is None else frozenset(str(zone) for zone in row.zones),
        active=row.active,
    )


def consent_from_row(row: ConsentRow) -> Consent:
    return Consent(
        person_id=row.person_id,
        giver=ConsentGiver(row.giver),
        given_by=row.given_by,
        given_at=row.given_at,
        withdrawn_at=row.withdrawn_at,
    )


def site_from_row(row: SiteRow) -> Site:
    return Site(
        site_id=row.site_id,
        opening_hours=timetable_from_json(row.opening_hours),
        calendar=calendar_from_json(row.calendar),
        timezone=row.timezone,
        name=row.name,
    )


def local_date(site: SiteRow, moment: datetime) -> date:
    """The date on the site's wall clock at ``moment``.

    Raises:
        DateRangeError: ``moment`` cannot be moved to the site's zone (year 1 or 9999).
    """
    try:
        return moment.astimezone(ZoneInfo(site.timezone)).date()
    except OverflowError:
        check_moment(moment, text("heure", "time"))
        raise  # unreachable: check_moment refuses what overflows


def face_threshold(site: SiteRow) -> float | None:
    """The similarity threshold of the site's face model at its operating point, or None
    while face comparison is off or no one has been enrolled yet.

    Raises:
        ConfigurationError: the site's model has no calibrated operating point.
    """
    choice = face_choice(site.settings)
    if not choice.enabled or choice.model is None:
        return None
    from portique.biometrics.operating_points import operating_point

    return operating_point(choice.model, choice.operating_point).threshold


@dataclass(frozen=True)
class SitePolicy:
    """What every person's snapshot shares: the site, its settings, zones, lanes, groups
    and lockdown, at one snapshot version."""

    version: int
    site: Site
    settings: SiteSettings
    zones: tuple[Zone, ...]
    lanes: tuple[Lane, ...]
    groups: tuple[Group, ...]
    lockdown: Lockdown | None


@dataclass(frozen=True)
class Holders:
    """What a snapshot holds about some people: themselves, their exit permissions,
    consents, badges, revoked credentials and visitor passes, at one snapshot version."""

    people: tuple[Person, ...]
    exit_permissions: tuple[ExitPermission, ...]
    consents: tuple[Consent, ...]
    badge_bindings: tuple[BadgeBinding, ...]
    revocations: tuple[Revocation, ...]
    visitor_passes: tuple[VisitorPass, ...] = ()


class SnapshotCache:
    """Parts of snapshots read at one snapshot version, used again while it holds.

    Every change a snapshot depends on bumps the site's snapshot version in the same
    transaction, so a part read at the current version is current; only the last
    passages (anti-passback) are read at every passage. One cache per gate; not
    shared between threads.
    """

    def __init__(self, max_scopes: int = 4096) -> None:
        self.max_scopes = max_scopes
        self._key: tuple[str, int] | None = None
        self.policy: SitePolicy | None = None
        self.holders: dict[frozenset[str] | None, Holders] = {}

    def use(self, site_id: str, version: int) -> None:
        """Forgets everything read at another site or version."""
        if self._key != (site_id, version) or len(self.holders) >= self.max_scopes:
            self._key = (site_id, version)
            self.policy = None
            self.holders = {}


def _site_policy(session: Session, site: SiteRow) -> SitePolicy:
    sites = Sites(session)
    lockdown = sites.lockdown(site.site_id)
    return SitePolicy(
        version=site.snapshot_version,
        site=site_from_row(site),
        settings=settings_from_json(site.settings, face_threshold(site)),
        zones=tuple(Zone(row.zone_id, row.name) for row in sites.zones(site.site_id)),
        lanes=tuple(
            Lane(row.lane_id, row.zone_id, Direction(row.direction), row.face_enabled, row.name)
            for row in sites.lanes(site.site_id)
        ),
        groups=tuple(
            Group(row.group_id, timetable_from_json(row.timetable), row.name)
            for row in sites.groups(site.site_id)
        ),
        lockdown=None if lockdown is None else Lockdown(lockdown.since, lockdown.declared_by),
    )


def _holders(session: Session, site_id: str, person_ids: Collection[str] | None) -> Holders:
    people_repo, credentials = People(session), Credentials(session)
    rows = people_repo.of_site(site_id, person_ids)
    scope = [row.person_id for row in rows] if person_ids is not None else None
    groups_of = people_repo.group_ids(site_id, scope)
    guardians_of = people_repo.guardian_ids(site_id, scope)
    people = []
    for row in rows:
        groups, guardians = groups_of.get(row.person_id, ()), guardians_of.get(row.person_id, ())
        people.append(person_from_row(row, groups, guardians))
    return Holders(
        people=tuple(people),
        exit_permissions=tuple(
            ExitPermission(row.person_id, exit_rule(row.rule), row.granted_by, row.granted_on)
            for row in people_repo.exit_permissions(site_id, scope)
        ),
        consents=tuple(consent_from_row(row) for row in people_repo.consents(site_id, scope)),
        badge_bindings=tuple(
            BadgeBinding(
                binding.badge_uid,
                binding.credential_id,
                binding.person_id,
                credential.valid_from,
                credential.valid_until,
            )
            for binding, credential in credentials.bindings(site_id, scope)
        ),
        revocations=tuple(_revocation(row) for row in credentials.revoked(site_id, scope)),
        visitor_passes=_visitor_passes(session, site_id, scope),
    )


def _visitor_passes(
    session: Session, site_id: str, person_ids: Collection[str] | None
) -> tuple[VisitorPass, ...]:
    """The passes of visits still to come or under way; a pass whose visit ended or was
    cancelled is left out, so lanes refuse it as unknown."""
    # portique.visitors.PASS_IN_FORCE (that package is built on this one).
    query = select(VisitRow).where(
        VisitRow.site_id == site_id,
        VisitRow.status.in_(("expected", "on_site")),
        VisitRow.credential_id.is_not(None),
    )
    if person_ids is not None:
        query = query.where(VisitRow.person_id.in_(list(person_ids)))
    return tuple(
        VisitorPass(row.credential_id, frozenset(str(zone) for zone in row.zones), row.host_id)
        for row in session.scalars(query)
        if row.credential_id is not None
    )


def build_snapshot(
    session: Session,
    site_id: str,
    now: datetime,
    *,
    verifiers: Mapping[str, Ed25519PublicKey],
    person_ids: Collection[str] | None = None,
    cache: SnapshotCache | None = None,
) -> PolicySnapshot:
    """The policy snapshot of a site at ``now``, for ``decide``.

    ``verifiers`` are the site's public keys (``Keyring.verifiers()``): keys live in the
    keyring, not in the database. ``person_ids`` restricts the people, consents,
    permissions, badges, revocations and last passages to those people; a lane deciding
    for the holder of one credential needs nothing else, and the engine treats anyone
    left out as unknown. ``now`` bounds the last passages used for anti-passback.
    ``cache`` keeps what was read at the site's current snapshot version for the next
    call (see :class:`SnapshotCache`).
    """
    version = Sites(session).version(site_id)
    cache = cache if cache is not None else SnapshotCache()
    cache.use(site_id, -1 if version is None else version)
    if cache.policy is None:
        cache.policy = _site_policy(session, site_row(session, site_id))
    policy = cache.policy
    scope = None if person_ids is None else frozenset(person_ids)
    holders = cache.holders.get(scope)
    if holders is None:
        holders = cache.holders[scope] = _holders(session, site_id, scope)

    window = policy.settings.anti_passback_window
    known = [person.person_id for person in holders.people]
    last = (
        {}
        if window is None or not known
        else Passages(session).last_granted(
            site_id, None if scope is None else known, since=now - window, until=now
        )
    )
    return PolicySnapshot.build(
        version=policy.version,
        site=policy.site,
        verifiers=verifiers,
        revocations=RevocationList.of(holders.revocations),
        settings=policy.settings,
        zones=policy.zones,
        lanes=policy.lanes,
        people=holders.people,
        groups=policy.groups,
        exit_permissions=holders.exit_permissions,
        consents=holders.consents,
        badge_bindings=holders.badge_bindings,
        visitor_passes=holders.visitor_passes,
        last_passages={
            person_id: LastPassage(Direction(direction), when)
            for person_id, (direction, when) in last.items()
        },
        lockdown=policy.lockdown,
    )


def _revocation(row: CredentialRow) -> Revocation:
    return Revocation(
        row.credential_id,
        row.revoked_at or row.issued_at,
        row.revocation_reason or UNKNOWN_REVOCATION_REASON,
    )


def record_passage(
    session: Session,
    site_id: str,
    decision: Decision,
    *,
    latency_ms: float,
    direction: Direction | None = None,
) -> str:
    """Stores ``decision`` as a passage event and returns its id.

    The event holds the lane, its direction (read from the lane when not given; None
    for an unknown lane), the time, the outcome and reasons, the credential and person
    ids and the latency: never an image, a template or a score. A visitor's pass also
    adds a checkpoint to the visit's path.
    """
    if direction is None:
        lane = Sites(session).lane(site_id, decision.lane_id)
        direction = None if lane is None else Direction(lane.direction)
    passage_id = uuid.uuid4().hex
    Passages(session).add(
        PassageRow(
            passage_id=passage_id,
            site_id=site_id,
            lane_id=decision.lane_id,
            direction=None if direction is None else direction.value,
            time=decision.time,
            outcome=decision.outcome.value,
            reasons=[reason.value for reason in decision.reasons],
            alert=decision.alert,
            credential_id=decision.credential_id,
            person_id=decision.person_id,
            latency_ms=float(latency_ms),
            snapshot_version=decision.snapshot_version,
        )
    )
    # Imported here: the visitors' services are built on these ones.
    from portique.visitors.path import LanePassage, record_checkpoints

    passage = LanePassage(
        passage_id,
        decision.lane_id,
        decision.time,
        decision.outcome.value,
        tuple(reason.value for reason in decision.reasons),
        decision.credential_id,
    )
    record_checkpoints(session, site_id, [passage])
    return passage_id
