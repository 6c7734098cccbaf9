"""The policy snapshot: everything a lane needs to decide, frozen at one version."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from portique.access.domain import (
    BadgeBinding,
    Consent,
    Group,
    Lane,
    LastPassage,
    Lockdown,
    Person,
    PolicyError,
    Site,
    VisitorPass,
    Zone,
)
from portique.access.exits import AfterLastLesson, ExitPermission, ExitRule
from portique.access.reasons import Action
from portique.credentials import CodeStamp, RevocationList, normalize_badge_uid

_T = TypeVar("_T")


@dataclass(frozen=True)
class SiteSettings:
    """A site's choices for the engine.

    - ``face_enabled``: the site offers face comparison at all (off by default).
    - ``face_threshold``: similarity at or above which a face matches (the site's
      calibrated operating point); required when ``face_enabled``.
    - ``face_mismatch_action`` / ``poor_capture_action``: what a mismatch, or a
      capture that could not be compared, leads to (REFER by default: the agent checks).
    - ``outside_hours_action``: what an entry outside the site's opening hours or
      a student's timetable leads to (REFER by default).
    - ``anti_passback_window``: how long a recorded passage blocks another in the
      same direction (None: no anti-passback).
    - ``arrival_margin``: how early before a timetable range a student may enter.
    - ``default_exit_rule``: the exit rule of a minor student with no recorded
      permission (after the last lesson by default).
    - ``pad_threshold``: the lanes check each compared face for presentation attacks
      (prints, screens) and refer below this liveness score; None: no check.
    """

    face_enabled: bool = False
    face_threshold: float | None = None
    face_mismatch_action: Action = Action.REFER
    poor_capture_action: Action = Action.REFER
    outside_hours_action: Action = Action.REFER
    anti_passback_window: timedelta | None = timedelta(hours=4)
    arrival_margin: timedelta = timedelta(minutes=15)
    default_exit_rule: ExitRule = field(default_factory=AfterLastLesson)
    pad_threshold: float | None = None

    def __post_init__(self) -> None:
        if self.face_threshold is not None and not math.isfinite(self.face_threshold):
            raise PolicyError(f"The face threshold must be a finite number: {self.face_threshold}")
        if self.face_enabled and self.face_threshold is None:
            raise PolicyError(
                "Face comparison is enabled but no face threshold is set: set the operating "
                "point's threshold, or disable face comparison."
            )
        if self.anti_passback_window is not None and self.anti_passback_window <= timedelta(0):
            raise PolicyError("The anti-passback window must be positive (or None to disable it).")
        if self.pad_threshold is not None and not 0.0 <= self.pad_threshold <= 1.0:
            raise PolicyError(f"The PAD threshold must be between 0 and 1: {self.pad_threshold}")
        if self.arrival_margin < timedelta(0):
            raise PolicyError("The arrival margin cannot be negative.")


def _frozen(mapping: Mapping[str, _T]) -> Mapping[str, _T]:
    return MappingProxyType(dict(mapping))


def _check_keys(name: str, mapping: Mapping[str, _T], key_of: Callable[[_T], str]) -> None:
    for key, item in mapping.items():
        if key != key_of(item):
            raise PolicyError(f"{name}: entry {key!r} holds the item of {key_of(item)!r}.")


def _index(name: str, items: Iterable[_T], key_of: Callable[[_T], str]) -> dict[str, _T]:
    indexed: dict[str, _T] = {}
    for item in items:
        key = key_of(item)
        if key in indexed:
            raise PolicyError(f"{name}: {key!r} appears twice.")
        indexed[key] = item
    return indexed


@dataclass(frozen=True, eq=False)
class PolicySnapshot:
    """What the engine decides from, keyed by id; read-only once built.

    Mappings are keyed by the id of what they hold: ``people``, ``consents``,
    ``exit_permissions`` and ``last_passages`` by person id; ``badge_bindings`` by
    normalized badge UID; ``visitor_passes`` by credential id; ``verifiers`` by key id.
    References between entries (a person's groups, a binding's person) need not all
    resolve: the engine treats a missing entry as absent and decides accordingly.
    ``seen_codes`` are the phone pass codes already used within their window: the lane's
    replay memory, kept current by the lane like ``last_passages``, never shipped.
    ``expires_at``: past this time the snapshot is stale (a lane cut off from its
    server for too long, or handed an old snapshot): the engine refers every passage it
    would grant, with an alert. None for the server's own snapshots (always current).
    Use :meth:`build` to index plain sequences.
    """

    version: int
    site: Site
    verifiers: Mapping[str, Ed25519PublicKey]
    revocations: RevocationList
    settings: SiteSettings = field(default_factory=SiteSettings)
    zones: Mapping[str, Zone] = field(default_factory=dict)
    lanes: Mapping[str, Lane] = field(default_factory=dict)
    people: Mapping[str, Person] = field(default_factory=dict)
    groups: Mapping[str, Group] = field(default_factory=dict)
    exit_permissions: Mapping[str, ExitPermission] = field(default_factory=dict)
    consents: Mapping[str, Consent] = field(default_factory=dict)
    badge_bindings: Mapping[str, BadgeBinding] = field(default_factory=dict)
    visitor_passes: Mapping[str, VisitorPass] = field(default_factory=dict)
    last_passages: Mapping[str, LastPassage] = field(default_factory=dict)
    lockdown: Lockdown | None = None
    seen_codes: frozenset[CodeStamp] = frozenset()
    expires_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.version < 0:
            raise PolicyError(f"A snapshot version is a non-negative integer, not {self.version}.")
        try:
            ZoneInfo(self.site.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise PolicyError(f"Unknown time zone {self.site.timezone!r} for the site.") from None
        _check_keys("zones", self.zones, lambda zone: zone.zone_id)
        _check_keys("lanes", self.lanes, lambda lane: lane.lane_id)
        _check_keys("people", self.people, lambda person: person.person_id)
        _check_keys("groups", self.groups, lambda group: group.group_id)
        _check_keys("exit_permissions", self.exit_permissions, lambda grant: grant.person_id)
        _check_keys("consents", self.consents, lambda consent: consent.person_id)
        _check_keys("badge_bindings", self.badge_bindings, lambda binding: binding.badge_uid)
        _check_keys("visitor_passes", self.visitor_passes, lambda grant: grant.credential_id)
        for lane in self.lanes.values():
            if lane.zone_id not in self.zones:
                raise PolicyError(f"Lane {lane.lane_id!r} leads to unknown zone {lane.zone_id!r}.")
        for name in (
            "verifiers",
            "zones",
            "lanes",
            "people",
            "groups",
            "exit_permissions",
            "consents",
            "badge_bindings",
            "visitor_passes",
            "last_passages",
        ):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    @classmethod
    def build(
        cls,
        *,
        version: int,
        site: Site,
        verifiers: Mapping[str, Ed25519PublicKey],
        revocations: RevocationList,
        settings: SiteSettings | None = None,
        zones: Iterable[Zone] = (),
        lanes: Iterable[Lane] = (),
        people: Iterable[Person] = (),
        groups: Iterable[Group] = (),
        exit_permissions: Iterable[ExitPermission] = (),
        consents: Iterable[Consent] = (),
        badge_bindings: Iterable[BadgeBinding] = (),
        visitor_passes: Iterable[VisitorPass] = (),
        last_passages: Mapping[str, LastPassage] | None = None,
        lockdown: Lockdown | None = None,
        seen_codes: Iterable[CodeStamp] = (),
        expires_at: datetime | None = None,
    ) -> PolicySnapshot:
        """A snapshot from plain sequences, indexed by id; an id given twice is an error."""
        return cls(
            version=version,
            site=site,
            verifiers=verifiers,
            revocations=revocations,
            settings=settings or SiteSettings(),
            zones=_index("zones", zones, lambda zone: zone.zone_id),
            lanes=_index("lanes", lanes, lambda lane: lane.lane_id),
            people=_index("people", people, lambda person: person.person_id),
            groups=_index("groups", groups, lambda group: group.group_id),
            exit_permissions=_index(
                "exit_permissions", exit_permissions, lambda grant: grant.person_id
            ),
            consents=_index("consents", consents, lambda consent: consent.person_id),
            badge_bindings=_index(
                "badge_bindings", badge_bindings, lambda binding: binding.badge_uid
            ),
            visitor_passes=_index(
                "visitor_passes", visitor_passes, lambda grant: grant.credential_id
            ),
            last_passages=dict(last_passages or {}),
            lockdown=lockdown,
            seen_codes=frozenset(seen_codes),
            expires_at=expires_at,
        )

    @property
    def zone_info(self) -> ZoneInfo:
        """The site's wall-clock time zone."""
        return ZoneInfo(self.site.timezone)

    def binding_for(self, badge_uid: str) -> BadgeBinding | None:
        """The binding of a badge UID as a reader gives it (normalized here)."""
        return self.badge_bindings.get(normalize_badge_uid(badge_uid))
