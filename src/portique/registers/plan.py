"""What a SIECLE import would do, worked out without touching anything: who is added,
who changed (name, class, groups, guardians), who left, who is unchanged.

A pure function of the exports, the site's state, the register key and today's date,
so the dry run shows exactly what applying does. People are matched by their register
numbers (INE, then SIECLE number) through their keyed hashes; a pupil first imported
from a CSV, who has none yet, is recognised once by name and birth date and linked.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from portique.access import Role
from portique.i18n import text
from portique.registers.departures import DepartureCause
from portique.registers.identifiers import RegisterIdKind, RegisterKey
from portique.registers.siecle import (
    GuardiansExport,
    LineError,
    PupilsExport,
    RegisterGuardian,
    RegisterPupil,
)
from portique.registers.state import KnownPerson, RegisterState, identity_of
from portique.services.roster import slug

PUPIL_KINDS = (RegisterIdKind.INE, RegisterIdKind.SIECLE_PUPIL)


class SyncOutcome(enum.StrEnum):
    ADDED = "added"
    UPDATED = "updated"
    LEFT = "left"
    UNCHANGED = "unchanged"


class Change(enum.StrEnum):
    """What changed for a pupil already at the site."""

    NAME = "name"
    BIRTH_DATE = "birth_date"
    CLASS = "class"
    GROUPS = "groups"
    GUARDIANS = "guardians"
    RETURNED = "returned"
    LEAVING_DATE = "leaving_date"
    REGISTER = "register"
    """First linked to the register (a pupil imported before from a CSV)."""


@dataclass(frozen=True)
class GuardianPlan:
    """A legal guardian to create (``person_id`` None) or to keep up to date."""

    key: str
    person_id: str | None
    last_name: str
    first_name: str
    renamed: bool


@dataclass(frozen=True)
class PupilPlan:
    """What happens to one pupil. ``keys`` are the register hashes the pupil must carry;
    ``guardian_keys`` the hashes of their legal guardians (None: guardians untouched)."""

    outcome: SyncOutcome
    person_id: str | None
    eleve_id: str | None
    last_name: str
    first_name: str
    birth_date: date
    class_name: str | None
    group_ids: tuple[str, ...] = ()
    keys: tuple[tuple[RegisterIdKind, str], ...] = ()
    guardian_keys: tuple[str, ...] | None = None
    changes: tuple[Change, ...] = ()
    left_on: date | None = None
    cause: DepartureCause | None = None
    credentials: int = 0

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class NewGroup:
    """A class (``division``) or teaching group the register names and the site lacks."""

    group_id: str
    name: str
    division: bool


@dataclass(frozen=True)
class SyncPlan:
    pupils: tuple[PupilPlan, ...]
    guardians: tuple[GuardianPlan, ...]
    groups: tuple[NewGroup, ...]
    errors: tuple[LineError, ...]
    register_pupils: int
    """Active pupils the site held from the register before this import."""

    def of(self, outcome: SyncOutcome) -> tuple[PupilPlan, ...]:
        return tuple(pupil for pupil in self.pupils if pupil.outcome is outcome)

    @property
    def revoked(self) -> int:
        """Credentials the departures revoke."""
        return sum(pupil.credentials for pupil in self.of(SyncOutcome.LEFT))

    @property
    def changes_anything(self) -> bool:
        """Whether applying the plan writes anything."""
        return bool(
            self.groups
            or any(g.person_id is None or g.renamed for g in self.guardians)
            or any(p.outcome is not SyncOutcome.UNCHANGED for p in self.pupils)
        )

    @property
    def absent(self) -> int:
        return sum(1 for p in self.of(SyncOutcome.LEFT) if p.cause is DepartureCause.ABSENT)


@dataclass
class _Planner:
    """The working state of one planning pass."""

    state: RegisterState
    key: RegisterKey
    today: date
    guardians_by_pupil: Mapping[str, tuple[str, ...]] | None
    renamed_guardians: frozenset[str]
    claimed: set[str] = field(default_factory=set)
    errors: list[LineError] = field(default_factory=list)
    new_groups: dict[str, NewGroup] = field(default_factory=dict)
    unlinked: dict[tuple[str, str, date], list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for person in self.state.people.values():
            if person.role == Role.STUDENT.value and not self.state.linked(
                person.person_id, *PUPIL_KINDS
            ):
                self.unlinked.setdefault(person.identity, []).append(person.person_id)


def plan_sync(
    pupils: PupilsExport,
    guardians: GuardiansExport | None,
    state: RegisterState,
    key: RegisterKey,
    *,
    today: date,
    complete: bool = True,
) -> SyncPlan:
    """What importing ``pupils`` (and ``guardians``) into a site in ``state`` does today.

    With ``complete`` (a whole export, as SIECLE makes them), a pupil of the register
    missing from the file has left; without it, absence means nothing.
    """
    guardian_plans, by_pupil, renamed = _guardians(guardians, pupils, state, key, today)
    planner = _Planner(state, key, today, by_pupil, renamed)
    plans = [plan for pupil in pupils.pupils if (plan := _pupil(planner, pupil)) is not None]
    if complete:
        left_on = min(pupils.exported_on or today, today)
        plans.extend(_absent(planner, left_on))
    register_pupils = sum(
        1
        for person in state.people.values()
        if person.active and state.linked(person.person_id, *PUPIL_KINDS)
    )
    errors = (*pupils.errors, *(guardians.errors if guardians else ()), *planner.errors)
    return SyncPlan(
        tuple(plans),
        guardian_plans,
        tuple(planner.new_groups.values()),
        errors,
        register_pupils,
    )


def _guardians(
    export: GuardiansExport | None,
    pupils: PupilsExport,
    state: RegisterState,
    key: RegisterKey,
    today: date,
) -> tuple[tuple[GuardianPlan, ...], dict[str, tuple[str, ...]] | None, frozenset[str]]:
    """The guardians to keep (those of a pupil still here), each pupil's guardian hashes,
    and the hashes of guardians whose name changed."""
    if export is None:
        return (), None, frozenset()
    staying = {
        pupil.eleve_id
        for pupil in pupils.pupils
        if pupil.leaving_date is None or pupil.leaving_date >= today
    }
    plans: list[GuardianPlan] = []
    by_pupil: dict[str, list[str]] = {}
    renamed: set[str] = set()
    for guardian in export.guardians:
        theirs = [eleve_id for eleve_id in guardian.pupils if eleve_id in staying]
        if not theirs:
            continue
        digest = key.digest(RegisterIdKind.SIECLE_PERSON, guardian.personne_id)
        plan = _guardian_plan(guardian, digest, state)
        if plan.renamed:
            renamed.add(digest)
        plans.append(plan)
        for eleve_id in theirs:
            by_pupil.setdefault(eleve_id, []).append(digest)
    return tuple(plans), {k: tuple(v) for k, v in by_pupil.items()}, frozenset(renamed)


def _guardian_plan(guardian: RegisterGuardian, digest: str, state: RegisterState) -> GuardianPlan:
    person_id = state.person_of.get((RegisterIdKind.SIECLE_PERSON.value, digest))
    known = state.people.get(person_id) if person_id else None
    renamed = known is not None and (
        (known.last_name, known.first_name) != (guardian.last_name, guardian.first_name)
    )
    return GuardianPlan(digest, person_id, guardian.last_name, guardian.first_name, renamed)


def _keys(planner: _Planner, pupil: RegisterPupil) -> tuple[tuple[RegisterIdKind, str], ...]:
    kinds = [(RegisterIdKind.SIECLE_PUPIL, pupil.eleve_id)]
    if pupil.ine is not None:
        kinds.insert(0, (RegisterIdKind.INE, pupil.ine))
    return tuple((kind, planner.key.digest(kind, value)) for kind, value in kinds)


def _match(
    planner: _Planner, pupil: RegisterPupil, keys: Sequence[tuple[RegisterIdKind, str]]
) -> KnownPerson | None:
    """The site's record of the pupil, by register hash, else (once) by identity.

    Raises:
        _Conflict: the hashes name two people, or a person already matched.
    """
    state = planner.state
    found = {state.person_of.get((kind.value, digest)) for kind, digest in keys} - {None}
    if len(found) > 1:
        raise _Conflict(
            text(
                "INE et numéro SIECLE désignent deux personnes différentes",
                "INE and SIECLE number name two different people",
            )
        )
    person_id = found.pop() if found else None
    if person_id is None:
        candidates = planner.unlinked.get(
            identity_of(pupil.last_name, pupil.first_name, pupil.birth_date), []
        )
        free = [candidate for candidate in candidates if candidate not in planner.claimed]
        person_id = free[0] if len(free) == 1 else None
    if person_id is None:
        return None
    if person_id in planner.claimed:
        raise _Conflict(
            text("élève déjà rapproché d'une autre ligne", "pupil already matched to another line")
        )
    return state.people.get(person_id)


class _Conflict(Exception):
    """A pupil cannot be matched safely; becomes a line error."""


def _group_id(planner: _Planner, code: str, division: bool) -> str | None:
    group_id = slug(code)
    if not group_id:
        return None
    if group_id not in planner.state.groups and group_id not in planner.new_groups:
        planner.new_groups[group_id] = NewGroup(group_id, code, division)
    return group_id


def _pupil(planner: _Planner, pupil: RegisterPupil) -> PupilPlan | None:
    keys = _keys(planner, pupil)
    try:
        known = _match(planner, pupil, keys)
    except _Conflict as conflict:
        planner.errors.append(LineError(f"ELEVE ELEVE_ID={pupil.eleve_id}", str(conflict)))
        return None
    if known is not None:
        planner.claimed.add(known.person_id)
    base = PupilPlan(
        SyncOutcome.UNCHANGED,
        None if known is None else known.person_id,
        pupil.eleve_id,
        pupil.last_name,
        pupil.first_name,
        pupil.birth_date,
        pupil.division,
    )
    if pupil.leaving_date is not None and pupil.leaving_date < planner.today:
        if known is None or not known.active:
            return None if known is None else base  # gone before: nothing to do
        return replace(
            base,
            outcome=SyncOutcome.LEFT,
            left_on=pupil.leaving_date,
            cause=DepartureCause.LEAVING_DATE,
            credentials=known.credentials,
        )
    groups = tuple(
        group_id
        for code, division in ((pupil.division, True), *((g, False) for g in pupil.groups))
        if code and (group_id := _group_id(planner, code, division)) is not None
    )
    guardian_keys = (
        None
        if planner.guardians_by_pupil is None
        else planner.guardians_by_pupil.get(pupil.eleve_id, ())
    )
    present = replace(
        base, group_ids=groups, keys=keys, guardian_keys=guardian_keys, left_on=pupil.leaving_date
    )
    if known is None:
        return replace(present, outcome=SyncOutcome.ADDED)
    changes = _changes(planner, pupil, known, groups, keys, guardian_keys)
    outcome = SyncOutcome.UPDATED if changes else SyncOutcome.UNCHANGED
    return replace(present, outcome=outcome, changes=changes)


def _changes(
    planner: _Planner,
    pupil: RegisterPupil,
    known: KnownPerson,
    groups: tuple[str, ...],
    keys: Sequence[tuple[RegisterIdKind, str]],
    guardian_keys: tuple[str, ...] | None,
) -> tuple[Change, ...]:
    state = planner.state
    changes: list[Change] = []
    if (known.last_name, known.first_name) != (pupil.last_name, pupil.first_name):
        changes.append(Change.NAME)
    if known.birth_date != pupil.birth_date:
        changes.append(Change.BIRTH_DATE)
    division = groups[0] if pupil.division and groups else None
    if division is not None and division not in known.groups:
        changes.append(Change.CLASS)
    elif set(groups) != known.groups:
        changes.append(Change.GROUPS)
    if guardian_keys is not None:
        held = state.hashes_of
        current = {
            held[g][RegisterIdKind.SIECLE_PERSON.value]
            for g in known.guardians
            if RegisterIdKind.SIECLE_PERSON.value in held.get(g, {})
        }
        if current != set(guardian_keys) or planner.renamed_guardians & set(guardian_keys):
            changes.append(Change.GUARDIANS)
    if not known.active:
        changes.append(Change.RETURNED)
    if known.left_on != pupil.leaving_date:
        changes.append(Change.LEAVING_DATE)
    have = state.hashes_of.get(known.person_id, {})
    if any(have.get(kind.value) != digest for kind, digest in keys):
        changes.append(Change.REGISTER)
    return tuple(changes)


def _absent(planner: _Planner, left_on: date) -> list[PupilPlan]:
    """Pupils of the register, still active, that the export no longer lists."""
    state = planner.state
    plans = []
    for person in state.people.values():
        if (
            person.person_id in planner.claimed
            or not person.active
            or not state.linked(person.person_id, *PUPIL_KINDS)
        ):
            continue
        names = sorted(state.groups.get(group, group) for group in person.groups)
        plans.append(
            PupilPlan(
                SyncOutcome.LEFT,
                person.person_id,
                None,
                person.last_name,
                person.first_name,
                person.birth_date,
                names[0] if names else None,
                left_on=left_on,
                cause=DepartureCause.ABSENT,
                credentials=person.credentials,
            )
        )
    return plans
