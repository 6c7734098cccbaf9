"""The policy snapshot of a site, built from the store for ``decide``, and its cache."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from portique.access import (
    BadgeBinding,
    Consent,
    Direction,
    ExitPermission,
    Group,
    Lane,
    LastPassage,
    Lockdown,
    Person,
    PolicySnapshot,
    Site,
    SiteSettings,
    VisitorPass,
    Zone,
)
from portique.access.codec import exit_rule, timetable_from_json
from portique.credentials import CodeStamp, Revocation, RevocationList
from portique.services.rows import consent_from_row, person_from_row, site_from_row, site_row
from portique.services.settings import site_settings
from portique.store import CredentialRow, Credentials, Passages, People, SiteRow, Sites, VisitRow

UNKNOWN_REVOCATION_REASON = "revoked"


def face_threshold(site: SiteRow) -> float | None:
    """The similarity threshold of the site's face model at its operating point, or None
    while face comparison is off or no one has been enrolled yet.

    Raises:
        ConfigurationError: the site's model has no calibrated operating point.
    """
    settings = site_settings(site)
    if not settings.face_enabled or settings.face_model is None:
        return None
    from portique.biometrics.operating_points import operating_point

    return operating_point(settings.face_model, settings.face_operating_point).threshold


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
        settings=site_settings(site).policy(face_threshold(site)),
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
    seen_codes: Collection[CodeStamp] = (),
) -> PolicySnapshot:
    """The policy snapshot of a site at ``now``, for ``decide``.

    ``verifiers`` are the site's public keys (``Keyring.verifiers()``): keys live in the
    keyring, not in the database. ``person_ids`` restricts the people, consents,
    permissions, badges, revocations and last passages to those people; a lane deciding
    for the holder of one credential needs nothing else, and the engine treats anyone
    left out as unknown. ``now`` bounds the last passages used for anti-passback.
    ``cache`` keeps what was read at the site's current snapshot version for the next
    call (see :class:`SnapshotCache`). ``seen_codes``: the phone pass codes already used
    (``services.phone.used_codes``).
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
        seen_codes=seen_codes,
    )


def _revocation(row: CredentialRow) -> Revocation:
    return Revocation(
        row.credential_id,
        row.revoked_at or row.issued_at,
        row.revocation_reason or UNKNOWN_REVOCATION_REASON,
    )
