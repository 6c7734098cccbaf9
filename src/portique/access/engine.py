"""The decision engine: ``decide(snapshot, passage)``, a pure function, and ``needs_face``.

A passage is assessed once (:func:`assess`): the credential's signature is checked
once, every rule but the face is applied, and the :class:`Assessment` says whether a
face is needed and carries the verified claims. Only then does a lane capture a face,
compare it 1:1 with the template those claims open, and finish the assessment with the
outcome (:meth:`Assessment.decide`). ``decide`` and ``needs_face`` are the same two
steps for callers that hold the whole passage at once. Checks run in a fixed order and
every failed check adds a reason:

1. the lane (unknown lane: DENY, alert);
2. lockdown: an entry is a DENY; an exit is a REFER, since during a lockdown
   (PPMS) people are kept inside or evacuated by the agents' decision; alert either way;
3. the credential: readable, signed by a known key, of this site, known (badge
   binding, visitor pass record), not revoked, within its validity window. Forged
   (bad signature, unknown key), revoked, expired, of another site or unknown: DENY
   with the agent alerted (the old-card intrusion). Unreadable, of an unsupported
   version, or not yet valid: DENY without alert. A phone pass also needs its living
   code: signed by the phone's key (else BAD_SIGNATURE, like a forgery), carrying a
   time within the window of the passage's (else STALE_CODE) and not already used
   (``snapshot.seen_codes``, else REPLAYED_CODE); each is a DENY with alert. Any failure
   here ends the checks: nothing the credential says can be relied on;
4. the person: known and active (else DENY, alert); a failure ends the checks;
5. the policy, every rule checked:
   - anti-passback: a passage in the same direction as the person's last one, within
     the window, is a DENY with alert at an entry (a shared credential) and a REFER at
     an exit (refusing an exit could trap someone whose entry went unrecorded);
   - at an entry: the zones of the person and of a visitor's pass (DENY, alert); the
     site's opening hours for everyone (SITE_CLOSED), then, for students only, their
     groups' timetable with an arrival margin (OUTSIDE_TIMETABLE); both follow the
     site's ``outside_hours_action`` (REFER by default). Staff, parents, contractors
     and visitors are bound by opening hours only; a visitor's time window is the
     validity of their pass;
   - at an exit: a minor student's exit rule (the permission their parents granted,
     else the site's default rule): DENY with EXIT_NOT_PERMITTED, or REFER with
     EXIT_REQUIRES_AGENT for a rule that refers (never unaccompanied). Adults and
     non-students leave freely;
6. the face, only when everything above grants and ``needs_face`` holds: a
   similarity at or above the snapshot's threshold grants (FACE_MATCH); below, it
   follows ``face_mismatch_action`` with an alert; a suspected presentation attack (a
   print or a screen) is a REFER with alert; a failed capture, or no outcome at all
   when one was needed, follows ``poor_capture_action``. Both default to REFER.
   The threshold is policy and lives in the snapshot, never in the passage.

The outcome is the most severe of the failed checks (DENY over REFER over GRANT).
A GRANT's reasons say what was verified; other outcomes list every reason against.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from portique.access.domain import Direction, Lane, Person
from portique.access.exits import ExitContext
from portique.access.passage import BadgeUid, CaptureFailure, Decision, FaceOutcome, Passage
from portique.access.policy import PolicySnapshot, SiteSettings
from portique.access.reasons import Action, Outcome, Reason
from portique.credentials import (
    Claims,
    CodeCheck,
    CodeStamp,
    CredentialError,
    CredentialFault,
    CredentialKind,
    InvalidBadgeUidError,
    LivingCode,
    Validity,
    check_living_code,
    check_validity,
    read_living_code,
    verify_credential,
)

_FAULT_REASONS: dict[CredentialFault, tuple[Reason, bool]] = {
    CredentialFault.GARBAGE: (Reason.MALFORMED_CREDENTIAL, False),
    CredentialFault.TRUNCATED: (Reason.MALFORMED_CREDENTIAL, False),
    CredentialFault.UNSUPPORTED_VERSION: (Reason.UNSUPPORTED_VERSION, False),
    CredentialFault.UNKNOWN_KEY: (Reason.UNKNOWN_KEY, True),
    CredentialFault.BAD_SIGNATURE: (Reason.BAD_SIGNATURE, True),
    CredentialFault.WRONG_SITE: (Reason.WRONG_SITE, True),
}

_CAPTURE_REASONS: dict[CaptureFailure, Reason] = {
    CaptureFailure.NO_FACE: Reason.NO_FACE_CAPTURED,
    CaptureFailure.LOW_QUALITY: Reason.FACE_QUALITY_TOO_LOW,
    CaptureFailure.PRESENTATION_ATTACK: Reason.FACE_PRESENTATION_ATTACK,
}


class _Verdict:
    """The reasons gathered so far and the outcome and alert they add up to."""

    __slots__ = ("alert", "outcome", "reasons")

    def __init__(
        self,
        outcome: Outcome = Outcome.GRANT,
        reasons: tuple[Reason, ...] = (),
        alert: bool = False,
    ) -> None:
        self.outcome = outcome
        self.reasons: list[Reason] = list(reasons)
        self.alert = alert

    def add(self, outcome: Outcome, reason: Reason, *, alert: bool = False) -> None:
        if outcome.severity > self.outcome.severity:
            self.outcome = outcome
        self.reasons.append(reason)
        self.alert = self.alert or alert

    def act(self, action: Action, reason: Reason, *, alert: bool = False) -> None:
        self.add(action.outcome, reason, alert=alert)

    @property
    def clear(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class _Identity:
    """Who a trusted credential names, whatever its kind."""

    credential_id: str
    person_id: str
    kind: CredentialKind
    has_template: bool
    validity: Validity
    claims: Claims | None = None
    proven: bool = True
    """False when the credential is authentic but its presentation is not (a phone
    pass's living code failed): it is named in the decision, and refused."""
    code_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class Assessment:
    """A passage assessed on a snapshot, all but its face: what :meth:`decide` finishes.

    ``needs_face``: every other check grants and the person opted in, so a face should
    be captured and compared before deciding. ``claims``: what the credential presented
    says, its signature checked (None for a badge or a credential that proves nothing):
    the lane opens the template to compare with from them, without checking again.
    ``code_time``: a phone pass's living code signed by its phone within the window (see
    :attr:`Decision.code_time`).
    """

    passage: Passage
    settings: SiteSettings
    snapshot_version: int
    outcome: Outcome
    reasons: tuple[Reason, ...]
    alert: bool
    needs_face: bool
    credential_id: str | None = None
    person_id: str | None = None
    claims: Claims | None = None
    code_time: datetime | None = None

    def decide(self, face: FaceOutcome | None = None) -> Decision:
        """The decision, with ``face`` the outcome of the comparison when one was needed
        (None: none could be made); ``face`` is ignored when no face was needed."""
        verdict = _Verdict(self.outcome, self.reasons, self.alert)
        if self.needs_face:
            _judge_face(self.settings, face, verdict)
        if verdict.clear:
            verdict.reasons.append(Reason.CREDENTIAL_VALID)
            if self.needs_face:
                verdict.reasons.append(Reason.FACE_MATCH)
        return Decision(
            outcome=verdict.outcome,
            reasons=tuple(verdict.reasons),
            lane_id=self.passage.lane_id,
            time=self.passage.time,
            snapshot_version=self.snapshot_version,
            alert=verdict.alert,
            credential_id=self.credential_id,
            person_id=self.person_id,
            code_time=self.code_time,
        )


def decide(snapshot: PolicySnapshot, passage: Passage) -> Decision:
    """GRANT, DENY or REFER for ``passage``, with its reasons; pure and deterministic.

    Never raises for anything a lane can present: unreadable credentials, unknown
    lanes or badges all become a DENY with a reason. ``passage.face`` is read only
    when :func:`needs_face` holds for the passage; it is ignored otherwise.
    """
    return assess(snapshot, passage).decide(passage.face)


def needs_face(snapshot: PolicySnapshot, passage: Passage) -> bool:
    """Whether the lane should capture and compare a face before :func:`decide`.

    True only when every other check grants, the site and the lane enable face
    comparison, the credential carries a template and the person's consent is in
    force. Otherwise no face is captured: those who did not opt in are never asked.
    ``passage.face`` is not read.
    """
    return assess(snapshot, passage).needs_face


def assess(snapshot: PolicySnapshot, passage: Passage) -> Assessment:
    """Every check of ``passage`` but the face, the credential's signature checked once;
    pure. ``passage.face`` is not read: give the face to :meth:`Assessment.decide`."""
    verdict = _Verdict()
    identity, wants_face = _check(snapshot, passage, verdict)
    return Assessment(
        passage=passage,
        settings=snapshot.settings,
        snapshot_version=snapshot.version,
        outcome=verdict.outcome,
        reasons=tuple(verdict.reasons),
        alert=verdict.alert,
        needs_face=wants_face,
        credential_id=None if identity is None else identity.credential_id,
        person_id=None if identity is None else identity.person_id,
        claims=None if identity is None else identity.claims,
        code_time=None if identity is None else identity.code_time,
    )


def _check(
    snapshot: PolicySnapshot, passage: Passage, verdict: _Verdict
) -> tuple[_Identity | None, bool]:
    """Applies every rule but the face to ``verdict``: who the credential names (None
    when it proves nothing) and whether a face is needed."""
    lane = snapshot.lanes.get(passage.lane_id)
    if lane is None:
        verdict.add(Outcome.DENY, Reason.UNKNOWN_LANE, alert=True)
        return None, False

    if snapshot.lockdown is not None:
        entering = lane.direction is Direction.IN
        verdict.add(Outcome.DENY if entering else Outcome.REFER, Reason.LOCKDOWN, alert=True)

    if snapshot.expires_at is not None and passage.time > snapshot.expires_at:
        # The lane decides on old data (a revocation or a lockdown may have been missed):
        # what it would grant goes to the agent.
        verdict.add(Outcome.REFER, Reason.STALE_SNAPSHOT, alert=True)

    identity = _identify(snapshot, passage, verdict)
    if (
        identity is None
        or not _credential_in_force(snapshot, identity, verdict)
        or not identity.proven
    ):
        return identity, False

    person = snapshot.people.get(identity.person_id)
    if person is None:
        verdict.add(Outcome.DENY, Reason.UNKNOWN_PERSON, alert=True)
        return identity, False
    if not person.active:
        verdict.add(Outcome.DENY, Reason.PERSON_INACTIVE, alert=True)
        return identity, False

    local = passage.time.astimezone(snapshot.zone_info)
    local_date, local_time = local.date(), local.time().replace(tzinfo=None)
    _check_passback(snapshot, lane, person, passage.time, verdict)
    if lane.direction is Direction.IN:
        _check_entry(snapshot, lane, person, identity, local_date, local_time, verdict)
    else:
        _check_exit(snapshot, person, local_date, local_time, verdict)

    wants_face = verdict.outcome is Outcome.GRANT and _face_applies(
        snapshot, lane, person, identity, passage.time, local_date
    )
    return identity, wants_face


def _identify(snapshot: PolicySnapshot, passage: Passage, verdict: _Verdict) -> _Identity | None:
    """The identity a credential proves, or None (with a reason) when it proves nothing."""
    presented = passage.credential
    if isinstance(presented, BadgeUid):
        try:
            binding = snapshot.binding_for(presented.uid)
        except InvalidBadgeUidError:
            verdict.add(Outcome.DENY, Reason.MALFORMED_CREDENTIAL)
            return None
        if binding is None:
            verdict.add(Outcome.DENY, Reason.UNKNOWN_CREDENTIAL, alert=True)
            return None
        return _Identity(
            binding.credential_id,
            binding.person_id,
            CredentialKind.BADGE,
            has_template=False,
            validity=binding.validity_at(passage.time),
        )

    try:
        code = read_living_code(presented.data)
        payload = presented.data if code is None else code.payload
        claims = verify_credential(payload, snapshot.verifiers, snapshot.site.site_id)
    except CredentialError as error:
        # A fault this engine does not know yet is treated as a forgery.
        reason, alert = _FAULT_REASONS.get(error.fault, (Reason.BAD_SIGNATURE, True))
        verdict.add(Outcome.DENY, reason, alert=alert)
        return None
    identity = _Identity(
        claims.credential_id,
        claims.person_id,
        claims.kind,
        has_template=claims.has_template,
        validity=check_validity(claims, passage.time),
        claims=claims,
    )
    if code is None and claims.kind is not CredentialKind.PHONE:
        return identity
    return _living(snapshot, claims, code, passage.time, identity, verdict)


def _living(
    snapshot: PolicySnapshot,
    claims: Claims,
    code: LivingCode | None,
    now: datetime,
    identity: _Identity,
    verdict: _Verdict,
) -> _Identity:
    """A phone pass's living code: signed by its phone, fresh, used once."""
    check = check_living_code(code, claims, now)
    if check is CodeCheck.FORGED or code is None:
        verdict.add(Outcome.DENY, Reason.BAD_SIGNATURE, alert=True)
    elif check is CodeCheck.STALE:
        verdict.add(Outcome.DENY, Reason.STALE_CODE, alert=True)
    elif CodeStamp(claims.credential_id, code.time) in snapshot.seen_codes:
        verdict.add(Outcome.DENY, Reason.REPLAYED_CODE, alert=True)
        return replace(identity, proven=False, code_time=code.time)
    else:
        return replace(identity, code_time=code.time)
    return replace(identity, proven=False)


def _credential_in_force(snapshot: PolicySnapshot, identity: _Identity, verdict: _Verdict) -> bool:
    """Revocation, validity window and visitor pass; False (with reasons) if any fails."""
    in_force = True
    if snapshot.revocations.is_revoked(identity.credential_id):
        verdict.add(Outcome.DENY, Reason.REVOKED, alert=True)
        in_force = False
    if identity.validity is Validity.EXPIRED:
        verdict.add(Outcome.DENY, Reason.EXPIRED, alert=True)
        in_force = False
    elif identity.validity is Validity.NOT_YET_VALID:
        verdict.add(Outcome.DENY, Reason.NOT_YET_VALID)
        in_force = False
    if (
        identity.kind is CredentialKind.VISITOR_PASS
        and identity.credential_id not in snapshot.visitor_passes
    ):
        # A signed pass whose record is gone was cancelled: treat it as unknown.
        verdict.add(Outcome.DENY, Reason.UNKNOWN_CREDENTIAL, alert=True)
        in_force = False
    return in_force


def _check_passback(
    snapshot: PolicySnapshot, lane: Lane, person: Person, now: datetime, verdict: _Verdict
) -> None:
    """A second passage the same way within the window: the credential may be shared."""
    window = snapshot.settings.anti_passback_window
    last = snapshot.last_passages.get(person.person_id)
    if window is None or last is None or last.direction is not lane.direction:
        return
    if max(now - last.time, timedelta(0)) < window:
        if lane.direction is Direction.IN:
            verdict.add(Outcome.DENY, Reason.ANTI_PASSBACK, alert=True)
        else:
            # Refusing an exit could trap someone who came in unrecorded: the agent checks.
            verdict.add(Outcome.REFER, Reason.ANTI_PASSBACK)


def _check_entry(
    snapshot: PolicySnapshot,
    lane: Lane,
    person: Person,
    identity: _Identity,
    local_date: date,
    local_time: time,
    verdict: _Verdict,
) -> None:
    visitor_pass = snapshot.visitor_passes.get(identity.credential_id)
    if (person.zones is not None and lane.zone_id not in person.zones) or (
        identity.kind is CredentialKind.VISITOR_PASS
        and visitor_pass is not None
        and lane.zone_id not in visitor_pass.zones
    ):
        verdict.add(Outcome.DENY, Reason.WRONG_ZONE, alert=True)

    settings = snapshot.settings
    site = snapshot.site
    if not site.opening_hours_on(local_date).contains(local_time):
        verdict.act(settings.outside_hours_action, Reason.SITE_CLOSED)
    elif person.role.bound_by_timetable:
        margin = int(settings.arrival_margin.total_seconds())
        expected = any(
            time_range.contains_with_margin(local_time, margin)
            for group_id in person.group_ids
            if (group := snapshot.groups.get(group_id)) is not None
            for time_range in site.lessons_on(group, local_date).ranges
        )
        if not expected:
            verdict.act(settings.outside_hours_action, Reason.OUTSIDE_TIMETABLE)


def _check_exit(
    snapshot: PolicySnapshot,
    person: Person,
    local_date: date,
    local_time: time,
    verdict: _Verdict,
) -> None:
    if not (person.role.bound_by_exit_permission and person.is_minor_on(local_date)):
        return
    permission = snapshot.exit_permissions.get(person.person_id)
    rule = permission.rule if permission is not None else snapshot.settings.default_exit_rule
    days = tuple(
        snapshot.site.lessons_on(group, local_date)
        for group_id in person.group_ids
        if (group := snapshot.groups.get(group_id)) is not None
    )
    outcome = rule.verdict(ExitContext(local_date, local_time, days))
    if outcome is Outcome.DENY:
        verdict.add(Outcome.DENY, Reason.EXIT_NOT_PERMITTED)
    elif outcome is Outcome.REFER:
        verdict.add(Outcome.REFER, Reason.EXIT_REQUIRES_AGENT)


def _face_applies(
    snapshot: PolicySnapshot,
    lane: Lane,
    person: Person,
    identity: _Identity,
    now: datetime,
    local_date: date,
) -> bool:
    if not (snapshot.settings.face_enabled and lane.face_enabled and identity.has_template):
        return False
    consent = snapshot.consents.get(person.person_id)
    return consent is not None and consent.is_effective(person, now, local_date)


def _judge_face(settings: SiteSettings, face: FaceOutcome | None, verdict: _Verdict) -> None:
    if face is None:
        verdict.act(settings.poor_capture_action, Reason.FACE_NOT_CHECKED)
    elif face.failure is CaptureFailure.PRESENTATION_ATTACK:
        # A suspected print or screen: the agent looks, whatever the capture policy says.
        verdict.act(Action.REFER, Reason.FACE_PRESENTATION_ATTACK, alert=True)
    elif face.failure is not None:
        verdict.act(settings.poor_capture_action, _CAPTURE_REASONS[face.failure])
    elif face.similarity is None or settings.face_threshold is None:
        verdict.act(settings.poor_capture_action, Reason.FACE_NOT_CHECKED)
    elif face.similarity < settings.face_threshold:
        verdict.act(settings.face_mismatch_action, Reason.FACE_MISMATCH, alert=True)
