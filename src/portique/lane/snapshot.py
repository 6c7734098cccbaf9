"""The lane's policy snapshot: what it decides from when alone, its JSON form and its file.

A :class:`LaneSnapshot` is the engine's :class:`~portique.access.PolicySnapshot` plus
what a lane needs beyond it: the template keys that open the templates sealed in
credentials, the face model those templates come from, and, for a site that keeps
templates in its central store, those sealed templates by credential id (each opens only
with the key its own credential carries, so the lane holds nothing it can open alone),
and the first names of the people of the policy, for the lane display's greeting ("Bonjour
Léa"): a first name and nothing more (never a last name), by pseudonymous person id.
The face threshold is policy and stays in the snapshot's settings. Its version is the
site's snapshot version: a lane takes a newer one and ignores an older or equal one, so
a late or replayed message never rolls a revocation back.

The JSON form is deterministic (sorted keys and lists), so the same snapshot always
gives the same bytes. It carries the site's template keys: the file is owner-only and
the MQTT link seals it (see ``portique.lane.comms.link``).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from portique.access import (
    BadgeBinding,
    Consent,
    ConsentGiver,
    Direction,
    ExitPermission,
    Group,
    Lane,
    LastPassage,
    Lockdown,
    Person,
    PolicyError,
    PolicySnapshot,
    Role,
    Site,
    SiteSettings,
    VisitorPass,
    Zone,
)
from portique.access.codec import (
    calendar_from_json,
    exception_to_json,
    exit_rule,
    settings_from_json,
    timetable_from_json,
    timetable_to_json,
)
from portique.credentials import (
    KeyringError,
    Revocation,
    RevocationList,
    decode_verifiers,
    encode_verifiers,
)
from portique.files import exposed_mode, write_private
from portique.lane.errors import SnapshotError

SNAPSHOT_FORMAT = 1
SNAPSHOT_FILE = "snapshot.json"
TEMPLATE_KEY_BYTES = 32

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class LaneSnapshot:
    """Everything a lane decides from, at one version of the site's policy.

    ``template_keys`` (key id → 32-byte AES key) open the templates sealed in the
    credentials; ``face_model`` names the model those templates come from (None while
    nobody is enrolled). ``issued_at`` is when the server built it. ``sealed_templates``
    (credential id → sealed bytes) is the site's central template store, empty for a
    site that keeps templates on the cards; it is only ever read by credential id.
    During a change of the site's model, the credentials whose templates are still of
    the previous one are named, so that the lane keeps opening them with that model.
    ``first_names`` (person id → first name) greet the people granted on the lane display;
    a data minimisation choice: the first name only, none for a person not in the policy.
    ``lane_ids`` are the lanes it is for (empty: any lane of the site, for lanes in the
    server's process); its expiry is the policy's ``expires_at``. The server signs each
    lane's snapshot (``portique.lane.comms.envelope``).
    """

    policy: PolicySnapshot
    template_keys: Mapping[str, bytes] = field(default_factory=dict, repr=False)
    face_model: str | None = None
    issued_at: datetime | None = None
    sealed_templates: Mapping[str, bytes] = field(default_factory=dict, repr=False)
    first_names: Mapping[str, str] = field(default_factory=dict, repr=False)
    lane_ids: tuple[str, ...] = ()
    previous_face_model: str | None = None
    previous_model_credentials: frozenset[str] = field(default_factory=frozenset, repr=False)

    def template_model(self, credential_id: str) -> str | None:
        """The model of a credential's template: during a change of the site's model
        (``previous_face_model``), the credentials issued before it
        (``previous_model_credentials``) keep the previous one; all others the site's."""
        if credential_id in self.previous_model_credentials:
            return self.previous_face_model
        return self.face_model

    def __post_init__(self) -> None:
        for key_id, key in self.template_keys.items():
            if not isinstance(key, bytes) or len(key) != TEMPLATE_KEY_BYTES:
                raise SnapshotError(f"Template key {key_id!r} is not a 32-byte key.")
        object.__setattr__(self, "template_keys", dict(self.template_keys))
        object.__setattr__(self, "sealed_templates", dict(self.sealed_templates))
        people = self.policy.people
        names = {pid: name for pid, name in self.first_names.items() if pid in people and name}
        object.__setattr__(self, "first_names", names)

    def first_name(self, person_id: str | None) -> str | None:
        """The first name of a person of the policy, for the display's greeting."""
        return None if person_id is None else self.first_names.get(person_id)

    def sealed_template(self, credential_id: str) -> bytes | None:
        """The central store's sealed template of one credential, if it has one."""
        return self.sealed_templates.get(credential_id)

    @property
    def version(self) -> int:
        return self.policy.version

    @property
    def site_id(self) -> str:
        return self.policy.site.site_id

    @property
    def face_threshold(self) -> float | None:
        """The similarity at or above which a face matches (the site's operating point)."""
        return self.policy.settings.face_threshold

    @property
    def expires_at(self) -> datetime | None:
        return self.policy.expires_at

    def is_newer_than(self, other: LaneSnapshot | None) -> bool:
        """Whether this snapshot should replace ``other``: a greater version, or the same
        version issued later (the server renews a snapshot before it expires)."""
        if other is None or self.version > other.version:
            return True
        if self.version < other.version or self.issued_at is None:
            return False
        return other.issued_at is None or self.issued_at > other.issued_at

    def is_for(self, lane_id: str) -> bool:
        """Whether this snapshot may be used by ``lane_id``."""
        return not self.lane_ids or lane_id in self.lane_ids

    def for_lane(
        self, lane_id: str, *, issued_at: datetime, expires_at: datetime | None
    ) -> LaneSnapshot:
        """This snapshot as lane ``lane_id`` gets it: for that lane only, with an issue
        time and an expiry, and with the template keys (and the central store's sealed
        templates) only when that lane compares faces: a lane holds no key it does not
        need."""
        lane = self.policy.lanes.get(lane_id)
        faces = lane is not None and lane.face_enabled and self.policy.settings.face_enabled
        return replace(
            self,
            policy=replace(self.policy, expires_at=expires_at),
            template_keys=self.template_keys if faces else {},
            sealed_templates=self.sealed_templates if faces else {},
            issued_at=issued_at,
            lane_ids=(lane_id,),
        )

    def to_json(self) -> dict[str, Any]:
        """The snapshot as a JSON-ready object (see the module docstring)."""
        return snapshot_to_json(self)

    def to_bytes(self) -> bytes:
        """The snapshot as deterministic JSON bytes."""
        text = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return text.encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> LaneSnapshot:
        """The snapshot of bytes made by :meth:`to_bytes`.

        Raises:
            SnapshotError: not a snapshot, or of a format this version does not read.
        """
        try:
            body = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SnapshotError(f"The policy snapshot is not JSON: {exc}.") from None
        return snapshot_from_json(body)


# Encoding -------------------------------------------------------------------------------


def snapshot_to_json(snapshot: LaneSnapshot) -> dict[str, Any]:
    """The JSON-ready form of ``snapshot``."""
    policy = snapshot.policy
    for permission in policy.exit_permissions.values():
        exit_rule(permission.rule.code)  # only standard rules travel (PolicyError otherwise)
    exit_rule(policy.settings.default_exit_rule.code)
    revocations = sorted(
        (_revocation_to_json(revocation) for revocation in policy.revocations.entries),
        key=lambda item: (item["credential_id"], item["revoked_at"], item["reason"]),
    )
    return {
        "format": SNAPSHOT_FORMAT,
        "version": policy.version,
        "issued_at": _time(snapshot.issued_at),
        "expires_at": _time(policy.expires_at),
        "for_lanes": sorted(snapshot.lane_ids),
        "face_model": snapshot.face_model,
        "previous_face_model": snapshot.previous_face_model,
        "previous_model_credentials": sorted(snapshot.previous_model_credentials),
        "template_keys": _base64_map(snapshot.template_keys),
        "sealed_templates": _base64_map(snapshot.sealed_templates),
        "first_names": dict(sorted(snapshot.first_names.items())),
        "site": _site_to_json(policy.site),
        "verifiers": encode_verifiers(policy.verifiers),
        "revocations": revocations,
        "settings": _settings_to_json(policy.settings),
        "zones": [{"zone_id": z.zone_id, "name": z.name} for z in _sorted(policy.zones)],
        "lanes": [_lane_to_json(lane) for lane in _sorted(policy.lanes)],
        "people": [_person_to_json(p) for p in _sorted(policy.people)],
        "groups": [
            {"group_id": g.group_id, "name": g.name, "timetable": timetable_to_json(g.timetable)}
            for g in _sorted(policy.groups)
        ],
        "exit_permissions": [_permission_to_json(p) for p in _sorted(policy.exit_permissions)],
        "consents": [_consent_to_json(c) for c in _sorted(policy.consents)],
        "badge_bindings": [_binding_to_json(b) for b in _sorted(policy.badge_bindings)],
        "visitor_passes": [
            {"credential_id": v.credential_id, "zones": sorted(v.zones), "host_id": v.host_id}
            for v in _sorted(policy.visitor_passes)
        ],
        "last_passages": {
            person_id: {"direction": last.direction.value, "time": last.time.isoformat()}
            for person_id, last in sorted(policy.last_passages.items())
        },
        "lockdown": None if policy.lockdown is None else _lockdown_to_json(policy.lockdown),
    }


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _sorted(mapping: Mapping[str, Any]) -> list[Any]:
    return [mapping[key] for key in sorted(mapping)]


def _base64_map(items: Mapping[str, bytes]) -> dict[str, str]:
    return {key: base64.b64encode(value).decode("ascii") for key, value in sorted(items.items())}


def _site_to_json(site: Site) -> dict[str, Any]:
    return {
        "site_id": site.site_id,
        "name": site.name,
        "timezone": site.timezone,
        "opening_hours": timetable_to_json(site.opening_hours),
        "calendar": [exception_to_json(e) for e in site.calendar],
    }


def _revocation_to_json(revocation: Revocation) -> dict[str, Any]:
    return {
        "credential_id": revocation.credential_id,
        "revoked_at": revocation.revoked_at.isoformat(),
        "reason": revocation.reason,
    }


def _settings_to_json(settings: SiteSettings) -> dict[str, Any]:
    window = settings.anti_passback_window
    return {
        "face_enabled": settings.face_enabled,
        "face_threshold": settings.face_threshold,
        "face_mismatch_action": settings.face_mismatch_action.value,
        "poor_capture_action": settings.poor_capture_action.value,
        "outside_hours_action": settings.outside_hours_action.value,
        "anti_passback_minutes": None if window is None else window.total_seconds() / 60.0,
        "arrival_margin_minutes": settings.arrival_margin.total_seconds() / 60.0,
        "default_exit_rule": settings.default_exit_rule.code,
        "pad_enabled": settings.pad_threshold is not None,
        "pad_threshold": settings.pad_threshold,
    }


def _lane_to_json(lane: Lane) -> dict[str, Any]:
    return {
        "lane_id": lane.lane_id,
        "zone_id": lane.zone_id,
        "direction": lane.direction.value,
        "face_enabled": lane.face_enabled,
        "name": lane.name,
    }


def _person_to_json(person: Person) -> dict[str, Any]:
    return {
        "person_id": person.person_id,
        "role": person.role.value,
        "birth_date": person.birth_date.isoformat(),
        "group_ids": sorted(person.group_ids),
        "guardian_ids": sorted(person.guardian_ids),
        "zones": None if person.zones is None else sorted(person.zones),
        "active": person.active,
    }


def _permission_to_json(permission: ExitPermission) -> dict[str, Any]:
    return {
        "person_id": permission.person_id,
        "rule": permission.rule.code,
        "granted_by": permission.granted_by,
        "granted_on": permission.granted_on.isoformat(),
    }


def _consent_to_json(consent: Consent) -> dict[str, Any]:
    return {
        "person_id": consent.person_id,
        "giver": consent.giver.value,
        "given_by": consent.given_by,
        "given_at": consent.given_at.isoformat(),
        "withdrawn_at": _time(consent.withdrawn_at),
    }


def _binding_to_json(binding: BadgeBinding) -> dict[str, Any]:
    return {
        "badge_uid": binding.badge_uid,
        "credential_id": binding.credential_id,
        "person_id": binding.person_id,
        "valid_from": binding.valid_from.isoformat(),
        "valid_until": binding.valid_until.isoformat(),
    }


def _lockdown_to_json(lockdown: Lockdown) -> dict[str, Any]:
    return {"since": lockdown.since.isoformat(), "declared_by": lockdown.declared_by}


# Decoding -------------------------------------------------------------------------------


def snapshot_from_json(data: Any) -> LaneSnapshot:
    """The snapshot of a JSON object made by :func:`snapshot_to_json`.

    Raises:
        SnapshotError: malformed, inconsistent, or of an unknown format.
    """
    if not isinstance(data, dict):
        raise SnapshotError("The policy snapshot is not a JSON object.")
    if data.get("format") != SNAPSHOT_FORMAT:
        raise SnapshotError(
            f"The policy snapshot has format {data.get('format')!r}; this lane reads format "
            f"{SNAPSHOT_FORMAT}. Update the lane or the server so they match."
        )
    try:
        return LaneSnapshot(
            policy=_policy_from_json(data),
            template_keys=_bytes_map(data["template_keys"], "a template key"),
            face_model=data["face_model"],
            issued_at=_optional_aware(data["issued_at"]),
            # Absent from the snapshots of a site that keeps templates on the cards.
            sealed_templates=_bytes_map(
                data.get("sealed_templates", {}), "a sealed template of the central store"
            ),
            # Absent from the snapshots of servers older than the lane display.
            first_names=_text_map(data.get("first_names", {})),
            # Absent from the snapshots of servers that did not sign them per lane.
            lane_ids=tuple(_text_list(data.get("for_lanes", []))),
            # Absent from the snapshots of servers older than changes of face model.
            previous_face_model=_optional_text(data.get("previous_face_model")),
            previous_model_credentials=frozenset(
                _text_list(data.get("previous_model_credentials", []))
            ),
        )
    except SnapshotError:
        raise
    except (PolicyError, KeyringError) as exc:
        raise SnapshotError(f"The policy snapshot is inconsistent: {exc.message}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SnapshotError(f"The policy snapshot is malformed: {exc!r}.") from None


def _policy_from_json(data: dict[str, Any]) -> PolicySnapshot:
    lockdown = data["lockdown"]
    return PolicySnapshot.build(
        version=int(data["version"]),
        site=_site_from_json(data["site"]),
        verifiers=decode_verifiers(data["verifiers"]),
        revocations=RevocationList.of(
            Revocation(r["credential_id"], _aware(r["revoked_at"]), r["reason"])
            for r in data["revocations"]
        ),
        settings=_settings_from_json(data["settings"]),
        zones=(Zone(z["zone_id"], z["name"]) for z in data["zones"]),
        lanes=(_lane_from_json(lane) for lane in data["lanes"]),
        people=(_person_from_json(p) for p in data["people"]),
        groups=(
            Group(g["group_id"], timetable_from_json(g["timetable"]), g["name"])
            for g in data["groups"]
        ),
        exit_permissions=(_permission_from_json(p) for p in data["exit_permissions"]),
        consents=(_consent_from_json(c) for c in data["consents"]),
        badge_bindings=(_binding_from_json(b) for b in data["badge_bindings"]),
        visitor_passes=(
            VisitorPass(v["credential_id"], frozenset(v["zones"]), v["host_id"])
            for v in data["visitor_passes"]
        ),
        last_passages={
            person_id: LastPassage(Direction(last["direction"]), _aware(last["time"]))
            for person_id, last in data["last_passages"].items()
        },
        lockdown=None
        if lockdown is None
        else Lockdown(_aware(lockdown["since"]), lockdown["declared_by"]),
        expires_at=_optional_aware(data.get("expires_at")),
    )


def _aware(text: Any) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"time {text!r} has no time zone")
    return moment


def _optional_aware(text: Any) -> datetime | None:
    return None if text is None else _aware(text)


def _optional_text(data: Any) -> str | None:
    if data is not None and not isinstance(data, str):
        raise ValueError("a model is named by text")
    return data


def _text_list(data: Any) -> list[str]:
    if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
        raise ValueError("the lanes of a snapshot are a list of ids")
    return list(data)


def _text_map(data: Any) -> dict[str, str]:
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise ValueError("first names map person ids to text")
    return dict(data)


def _bytes_map(data: dict[str, Any], what: str) -> dict[str, bytes]:
    try:
        return {key: base64.b64decode(text, validate=True) for key, text in data.items()}
    except (binascii.Error, TypeError, ValueError) as exc:
        raise ValueError(f"{what} is not base64: {exc}") from None


def _site_from_json(data: dict[str, Any]) -> Site:
    return Site(
        site_id=data["site_id"],
        opening_hours=timetable_from_json(data["opening_hours"]),
        calendar=calendar_from_json(data["calendar"]),
        timezone=data["timezone"],
        name=data["name"],
    )


def _settings_from_json(data: dict[str, Any]) -> SiteSettings:
    # Every key is read: a snapshot that forgot one never falls back to a default.
    threshold = data["face_threshold"]
    return settings_from_json(data, None if threshold is None else float(threshold))


def _lane_from_json(data: dict[str, Any]) -> Lane:
    direction = Direction(data["direction"])
    return Lane(
        data["lane_id"], data["zone_id"], direction, bool(data["face_enabled"]), data["name"]
    )


def _person_from_json(data: dict[str, Any]) -> Person:
    zones = data["zones"]
    return Person(
        person_id=data["person_id"],
        role=Role(data["role"]),
        birth_date=date.fromisoformat(data["birth_date"]),
        group_ids=frozenset(data["group_ids"]),
        guardian_ids=frozenset(data["guardian_ids"]),
        zones=None if zones is None else frozenset(zones),
        active=bool(data["active"]),
    )


def _permission_from_json(data: dict[str, Any]) -> ExitPermission:
    return ExitPermission(
        data["person_id"],
        exit_rule(data["rule"]),
        data["granted_by"],
        date.fromisoformat(data["granted_on"]),
    )


def _consent_from_json(data: dict[str, Any]) -> Consent:
    return Consent(
        data["person_id"],
        ConsentGiver(data["giver"]),
        data["given_by"],
        _aware(data["given_at"]),
        _optional_aware(data["withdrawn_at"]),
    )


def _binding_from_json(data: dict[str, Any]) -> BadgeBinding:
    return BadgeBinding(
        data["badge_uid"],
        data["credential_id"],
        data["person_id"],
        _aware(data["valid_from"]),
        _aware(data["valid_until"]),
    )


# The file -------------------------------------------------------------------------------


class SnapshotFile:
    """The lane's snapshot on disk (mode 0600: it may carry template keys).

    :meth:`save` writes a snapshot only when it is newer than the one on disk (a greater
    version, or the same one renewed), so the file never goes back to an older version,
    even with two writers in the process.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, str] | None = None

    def load(self) -> LaneSnapshot | None:
        """The snapshot on disk, or None when the lane never received one.

        Raises:
            SnapshotError: the file is unreadable, malformed, or readable by other users.
        """
        with self._lock:
            try:
                mode = exposed_mode(self.path)
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise SnapshotError(f"Cannot read {self.path}: {exc.strerror or exc}.") from None
            if mode is not None:
                raise SnapshotError(
                    f"{self.path} is accessible to other users (mode {mode:04o}) and carries "
                    f"the site's template keys: fix it with `chmod 600 {self.path}` and ask "
                    "the site to rotate its keys if others could read it."
                )
            try:
                data = self.path.read_bytes()
            except OSError as exc:
                raise SnapshotError(f"Cannot read {self.path}: {exc.strerror or exc}.") from None
            snapshot = LaneSnapshot.from_bytes(data)
            self._stamp = _stamp(snapshot.version, snapshot.issued_at)
            return snapshot

    def save(self, snapshot: LaneSnapshot) -> bool:
        """Writes ``snapshot`` if it is newer than the file's; whether it was written.

        Raises:
            SnapshotError: the file cannot be written.
        """
        stamp = _stamp(snapshot.version, snapshot.issued_at)
        with self._lock:
            if self._stamp is None:
                self._stamp = self._stamp_on_disk()
            if self._stamp is not None and stamp <= self._stamp:
                return False
            try:
                write_private(self.path, snapshot.to_bytes())
            except OSError as exc:
                raise SnapshotError(f"Cannot write {self.path}: {exc.strerror or exc}.") from None
            self._stamp = stamp
            log.info("policy snapshot version %d saved", snapshot.version)
            return True

    def _stamp_on_disk(self) -> tuple[int, str] | None:
        """The version and issue time of the file's snapshot, or None when there is none
        to keep."""
        try:
            body = json.loads(self.path.read_bytes())
            version, issued = body.get("version"), body.get("issued_at")
            return _stamp(version, None if issued is None else _aware(issued))
        except (OSError, ValueError, AttributeError, TypeError):
            return None


def _stamp(version: int, issued_at: datetime | None) -> tuple[int, str]:
    """What orders two snapshots on disk: the version, then the issue time (UTC, ISO)."""
    if not isinstance(version, int):
        raise TypeError("a snapshot version is an integer")
    issued = "" if issued_at is None else issued_at.astimezone(UTC).isoformat()
    return version, issued
