"""Properties of decide() that hold whatever else is true of the site, person and passage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from hypothesis import given
from hypothesis import strategies as st

from portique.access import (
    STANDARD_EXIT_RULES,
    Action,
    CaptureFailure,
    ConsentGiver,
    Direction,
    ExitRule,
    FaceOutcome,
    Outcome,
    Passage,
    PolicySnapshot,
    Reason,
    Role,
    decide,
    needs_face,
)
from portique.credentials import CredentialKind

if TYPE_CHECKING:
    from conftest import World

LANE_IDS = ("in-main", "out-main", "in-workshop", "in-reception")
ZONE_IDS = ("main", "workshop", "reception")


@dataclass(frozen=True)
class Case:
    """Everything a property test varies about one passage."""

    role: Role
    age: int
    active: bool
    known_person: bool
    when: datetime
    lane_id: str
    medium: str  # "card", "phone", "visitor_pass", "badge"
    valid_from: datetime
    valid_until: datetime
    template: bool
    revoked: bool
    lockdown: bool
    consent: str  # "none", "given", "withdrawn"
    face: FaceOutcome | None
    zones: frozenset[str] | None
    exit_rule: ExitRule | None
    last_passage: tuple[Direction, timedelta] | None
    mismatch_action: Action
    capture_action: Action
    hours_action: Action
    face_enabled: bool

    @property
    def expired(self) -> bool:
        return self.when > self.valid_until

    @property
    def entering(self) -> bool:
        return self.lane_id.startswith("in-")


_WHEN = st.datetimes(
    min_value=datetime(2024, 9, 2), max_value=datetime(2025, 8, 30), timezones=st.just(UTC)
)
_FACES = st.one_of(
    st.none(),
    st.floats(-1.0, 1.0, allow_nan=False).map(FaceOutcome.compared),
    st.sampled_from(CaptureFailure).map(FaceOutcome.failed),
)


@st.composite
def cases(draw: st.DrawFn, **fixed: object) -> Case:
    when = fixed.get("when") or draw(_WHEN)
    assert isinstance(when, datetime)
    valid_from = when + timedelta(hours=draw(st.integers(-9_000, 48)))
    valid_until = valid_from + timedelta(hours=draw(st.integers(0, 10_000)))
    values: dict[str, object] = {
        "role": draw(st.sampled_from(Role)),
        "age": draw(st.integers(3, 80)),
        "active": draw(st.booleans()),
        "known_person": draw(st.booleans()),
        "when": when,
        "lane_id": draw(st.sampled_from((*LANE_IDS, "in-nowhere"))),
        "medium": draw(st.sampled_from(("card", "phone", "visitor_pass", "badge"))),
        "valid_from": valid_from,
        "valid_until": valid_until,
        "template": draw(st.booleans()),
        "revoked": draw(st.booleans()),
        "lockdown": draw(st.booleans()),
        "consent": draw(st.sampled_from(("none", "given", "withdrawn"))),
        "face": draw(_FACES),
        "zones": draw(st.none() | st.frozensets(st.sampled_from(ZONE_IDS))),
        "exit_rule": draw(st.none() | st.sampled_from(list(STANDARD_EXIT_RULES.values()))),
        "last_passage": draw(
            st.none()
            | st.tuples(
                st.sampled_from(Direction), st.integers(0, 600).map(lambda m: timedelta(minutes=m))
            )
        ),
        "mismatch_action": draw(st.sampled_from(Action)),
        "capture_action": draw(st.sampled_from(Action)),
        "hours_action": draw(st.sampled_from(Action)),
        "face_enabled": draw(st.booleans()),
    }
    values.update(fixed)
    return Case(**values)  # type: ignore[arg-type]


def build(world: World, case: Case) -> tuple[PolicySnapshot, Passage]:
    """The snapshot and passage ``case`` describes."""
    world.configure(
        face_enabled=case.face_enabled,
        face_mismatch_action=case.mismatch_action,
        poor_capture_action=case.capture_action,
        outside_hours_action=case.hours_action,
    )
    if case.known_person:
        if case.role is Role.STUDENT:
            world.student("p1", age=case.age, active=case.active, zones=case.zones)
        else:
            world.person("p1", case.role, age=case.age, active=case.active, zones=case.zones)
        if case.consent != "none":
            world.consent(
                "p1",
                giver=ConsentGiver.PARENT if case.role is Role.STUDENT else ConsentGiver.SELF,
                given_by="parent-p1" if case.role is Role.STUDENT else "p1",
                withdrawn_at=world.year_start if case.consent == "withdrawn" else None,
            )
        if case.exit_rule is not None:
            world.permit_exit("p1", case.exit_rule)
        if case.last_passage is not None:
            direction, ago = case.last_passage
            world.passed("p1", direction, case.when - ago)
    if case.lockdown:
        world.lock_down()

    credential: bytes | str
    if case.medium == "badge":
        credential = world.badge("p1", valid_from=case.valid_from, valid_until=case.valid_until)
        credential_id = "badge-p1"
    else:
        credential_id = f"{case.medium}-p1"
        kind = {
            "card": CredentialKind.CARD,
            "phone": CredentialKind.PHONE,
            "visitor_pass": CredentialKind.VISITOR_PASS,
        }[case.medium]
        if kind is CredentialKind.VISITOR_PASS:
            world.visitor_pass("p1", ("reception",))
            credential_id = "pass-p1"
        validity = {"valid_from": case.valid_from, "valid_until": case.valid_until}
        if kind is CredentialKind.PHONE:
            # The phone shows a fresh code: the living check passes, the rest is the same.
            credential = world.phone(
                "p1", case.when, credential_id=credential_id, template=case.template, **validity
            )
        else:
            credential = world.card(
                "p1", credential_id=credential_id, kind=kind, template=case.template, **validity
            )
    if case.revoked:
        world.revoke(credential_id)
    return world.snapshot(), world.passage(case.lane_id, credential, case.when, case.face)


NewWorld = Callable[[], "World"]


@given(case=cases(revoked=True))
def test_revoked_credential_is_never_granted(new_world: NewWorld, case: Case) -> None:
    snapshot, passage = build(new_world(), case)
    decision = decide(snapshot, passage)
    assert decision.outcome is Outcome.DENY
    assert decision.alert
    if case.lane_id in LANE_IDS:
        assert Reason.REVOKED in decision.reasons


@given(case=cases(lockdown=True))
def test_lockdown_never_grants_an_entry(new_world: NewWorld, case: Case) -> None:
    snapshot, passage = build(new_world(), case)
    decision = decide(snapshot, passage)
    assert decision.outcome is not Outcome.GRANT
    if case.entering:
        assert decision.outcome is Outcome.DENY
    assert decision.alert


@given(case=cases())
def test_expired_credential_is_never_granted(new_world: NewWorld, case: Case) -> None:
    snapshot, passage = build(new_world(), case)
    decision = decide(snapshot, passage)
    if case.expired:
        assert decision.outcome is Outcome.DENY
        assert decision.alert


@given(case=cases())
def test_decision_always_has_a_reason_and_is_consistent(new_world: NewWorld, case: Case) -> None:
    snapshot, passage = build(new_world(), case)
    decision = decide(snapshot, passage)
    assert decision.reasons
    assert len(set(decision.reasons)) == len(decision.reasons)
    positive = {Reason.CREDENTIAL_VALID, Reason.FACE_MATCH}
    if decision.outcome is Outcome.GRANT:
        assert set(decision.reasons) <= positive
        assert not decision.alert
    else:
        assert not set(decision.reasons) & positive
    assert decision.lane_id == case.lane_id
    assert decision.time == case.when
    assert decision.snapshot_version == snapshot.version


@given(case=cases())
def test_decide_is_deterministic(new_world: NewWorld, case: Case) -> None:
    snapshot, passage = build(new_world(), case)
    first = decide(snapshot, passage)
    assert decide(snapshot, passage) == first
    rebuilt, same_passage = build(new_world(), case)
    assert decide(rebuilt, same_passage) == first


@given(case=cases(consent="none"))
def test_without_consent_no_face_is_asked_or_used(new_world: NewWorld, case: Case) -> None:
    snapshot, passage = build(new_world(), case)
    assert not needs_face(snapshot, passage)
    with_face = decide(snapshot, passage)
    without_face = decide(snapshot, Passage(passage.lane_id, passage.time, passage.credential))
    assert with_face == without_face


@given(case=cases())
def test_face_is_only_asked_when_the_rest_grants(new_world: NewWorld, case: Case) -> None:
    snapshot, passage = build(new_world(), case)
    if needs_face(snapshot, passage):
        match = passage.with_face(FaceOutcome.compared(1.0))
        assert decide(snapshot, match).reasons == (Reason.CREDENTIAL_VALID, Reason.FACE_MATCH)


@given(
    payload=st.binary(max_size=1200),
    uid=st.text(max_size=40),
    when=_WHEN,
    lane_id=st.sampled_from(LANE_IDS),
)
def test_anything_presented_gets_a_decision(
    new_world: NewWorld, payload: bytes, uid: str, when: datetime, lane_id: str
) -> None:
    snapshot = new_world().snapshot()
    for passage in (Passage.qr(lane_id, when, payload), Passage.badge(lane_id, when, uid)):
        decision = decide(snapshot, passage)
        assert decision.outcome is Outcome.DENY
        assert decision.reasons
