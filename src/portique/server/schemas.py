"""The API's request and response bodies (Pydantic), hence its OpenAPI schema.

No body ever carries a face image, a template or a score: a credential says only
whether a face was enrolled in it (``face_enrolled``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from portique.access import ConsentGiver, Outcome, Reason, Role, outcome_label, reason_label
from portique.access.names import plain_name
from portique.server.queries import (
    LaneView,
    LockdownView,
    OfflineLane,
    OnSite,
    PassageView,
    ReviewView,
    ZoneCount,
)
from portique.server.texts import TEXTS
from portique.services import (
    BadgeRecord,
    ConsentRecord,
    ImportReport,
    IssuedCredential,
    PersonRecord,
    RevocationRecord,
    Withdrawal,
)

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(plain_name),
]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Comment = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class Body(BaseModel):
    """A request body: unknown fields are refused, so a typo is not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class ErrorOut(BaseModel):
    error: str = Field(description="Stable machine-readable code.")
    message: str = Field(description="What went wrong and what to do, in plain words.")
    details: list[str] = Field(default_factory=list, description="One line per bad field.")


# People -------------------------------------------------------------------------------


class PersonIn(Body):
    last_name: Name
    first_name: Name
    birth_date: date
    role: Role = Role.STUDENT
    groups: list[Name] = Field(default_factory=list, max_length=20)
    guardian_ids: list[Id] = Field(default_factory=list, max_length=10)


class PersonOut(BaseModel):
    person_id: str
    last_name: str
    first_name: str
    birth_date: date
    role: Role
    group_ids: list[str]
    guardian_ids: list[str]
    active: bool
    minor: bool
    consent_in_force: bool
    credentials: int = Field(description="Active credentials.")

    @classmethod
    def of(cls, record: PersonRecord) -> PersonOut:
        return cls(
            person_id=record.person_id,
            last_name=record.last_name,
            first_name=record.first_name,
            birth_date=record.birth_date,
            role=record.role,
            group_ids=list(record.group_ids),
            guardian_ids=list(record.guardian_ids),
            active=record.active,
            minor=record.minor,
            consent_in_force=record.consent_in_force,
            credentials=record.credentials,
        )


class RejectedRowOut(BaseModel):
    line: int = Field(description="The line of the file (the first line is 1).")
    reason: str


class ImportOut(BaseModel):
    """What an import did. Nothing is imported when the file cannot be read at all
    (that is a 400 ``bad_roster``); lines refused one by one are listed here."""

    imported: int = Field(description="People added.")
    people: list[str] = Field(description="Their new ids, in the order of the file.")
    rejected: list[RejectedRowOut]
    groups_created: list[str]
    encoding: str = Field(description="How the file was read: utf-8, cp1252, latin-1...")
    delimiter: str
    lines: int = Field(description="Lines about people read (imported or refused).")

    @classmethod
    def of(cls, report: ImportReport) -> ImportOut:
        return cls(
            imported=len(report.imported),
            people=list(report.imported),
            rejected=[RejectedRowOut(line=r.line, reason=r.reason) for r in report.rejected],
            groups_created=list(report.groups_created),
            encoding=report.encoding,
            delimiter=report.delimiter,
            lines=report.lines,
        )


# Credentials --------------------------------------------------------------------------


class CredentialIn(Body):
    """A credential without a face: a printable card, a phone code, or a badge UID."""

    person_id: Id
    kind: Literal["card", "phone", "badge"] = "card"
    badge_uid: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    valid_from: date | None = None
    valid_until: date | None = None

    @model_validator(mode="after")
    def _badge_uid_with_badges_only(self) -> CredentialIn:
        if (self.kind == "badge") != bool(self.badge_uid):
            raise ValueError("badge_uid is required for a badge, and only for a badge")
        return self


class CredentialOut(BaseModel):
    credential_id: str
    person_id: str
    kind: str
    valid_from: datetime
    valid_until: datetime
    face_enrolled: bool = False
    qr_text: str | None = Field(
        default=None, description="The code to print or send (PQ:...), shown once at issue."
    )
    badge_uid: str | None = None

    @classmethod
    def issued(cls, credential: IssuedCredential) -> CredentialOut:
        return cls(
            credential_id=credential.credential_id,
            person_id=credential.person_id,
            kind=credential.kind.value,
            valid_from=credential.valid_from,
            valid_until=credential.valid_until,
            face_enrolled=credential.has_template,
            qr_text=credential.payload_text,
        )

    @classmethod
    def badge(cls, record: BadgeRecord) -> CredentialOut:
        return cls(
            credential_id=record.credential_id,
            person_id=record.person_id,
            kind="badge",
            valid_from=record.valid_from,
            valid_until=record.valid_until,
            badge_uid=record.badge_uid,
        )


class RevokeIn(Body):
    reason: Comment = Field(description="Why, e.g. 'lost', 'left the school'.")


class RevocationOut(BaseModel):
    credential_id: str
    person_id: str
    revoked_at: datetime
    reason: str
    changed: bool = Field(description="False when it was revoked already.")

    @classmethod
    def of(cls, record: RevocationRecord) -> RevocationOut:
        return cls(
            credential_id=record.credential_id,
            person_id=record.person_id,
            revoked_at=record.revoked_at,
            reason=record.reason,
            changed=record.changed,
        )


# Consent ------------------------------------------------------------------------------


class ConsentIn(Body):
    by: Id | None = Field(default=None, description="The guardian giving it, for a minor.")
    giver: ConsentGiver | None = None


class WithdrawIn(Body):
    by: Id | None = None


class ConsentOut(BaseModel):
    person_id: str
    giver: ConsentGiver
    given_by: str
    given_at: datetime
    created: bool

    @classmethod
    def of(cls, record: ConsentRecord) -> ConsentOut:
        return cls(
            person_id=record.person_id,
            giver=record.giver,
            given_by=record.given_by,
            given_at=record.given_at,
            created=record.created,
        )


class WithdrawalOut(BaseModel):
    person_id: str
    withdrawn_at: datetime
    revoked: list[str] = Field(description="Credentials revoked because they held a template.")
    reissued: list[CredentialOut] = Field(
        default_factory=list,
        description="Their replacements without template (same kind and validity).",
    )

    @classmethod
    def of(cls, record: Withdrawal) -> WithdrawalOut:
        return cls(
            person_id=record.person_id,
            withdrawn_at=record.withdrawn_at,
            revoked=list(record.revoked),
            reissued=[CredentialOut.issued(issued) for issued in record.reissued],
        )


# Lanes, passages, alerts --------------------------------------------------------------


class LaneOut(BaseModel):
    lane_id: str
    name: str
    zone_id: str
    direction: str
    face_enabled: bool

    @classmethod
    def of(cls, lane: LaneView) -> LaneOut:
        return cls(
            lane_id=lane.lane_id,
            name=lane.name,
            zone_id=lane.zone_id,
            direction=lane.direction,
            face_enabled=lane.face_enabled,
        )


class ReasonOut(BaseModel):
    code: Reason
    label: str


class ReviewOut(BaseModel):
    reviewed_at: datetime
    reviewed_by: str
    outcome: Outcome | None = Field(description="None: alert acknowledged.")
    comment: str | None

    @classmethod
    def of(cls, review: ReviewView) -> ReviewOut:
        return cls(
            reviewed_at=review.reviewed_at,
            reviewed_by=review.reviewed_by,
            outcome=review.outcome,
            comment=review.comment,
        )


class PassageOut(BaseModel):
    passage_id: str
    lane_id: str
    direction: str | None
    time: datetime
    outcome: Outcome
    outcome_label: str
    reasons: list[ReasonOut]
    alert: bool
    person_id: str | None
    person_name: str | None
    credential_id: str | None
    needs_review: bool
    review: ReviewOut | None

    @classmethod
    def of(cls, view: PassageView, lang: str) -> PassageOut:
        return cls(
            passage_id=view.passage_id,
            lane_id=view.lane_id,
            direction=view.direction,
            time=view.time,
            outcome=view.outcome,
            outcome_label=outcome_label(view.outcome, lang),
            reasons=[ReasonOut(code=r, label=reason_label(r, lang)) for r in view.reasons],
            alert=view.alert,
            person_id=view.person_id,
            person_name=view.person_name,
            credential_id=view.credential_id,
            needs_review=view.needs_review,
            review=None if view.review is None else ReviewOut.of(view.review),
        )


class OfflineLaneOut(BaseModel):
    """An "offline lane" alert; it clears itself when the lane is heard from again."""

    kind: Literal["lane_offline"] = "lane_offline"
    label: str
    lane_id: str
    name: str
    last_seen_at: datetime
    left: bool = Field(description="The lane closed, or the broker delivered its last will.")

    @classmethod
    def of(cls, lane: OfflineLane, lang: str) -> OfflineLaneOut:
        french, english = TEXTS["lane_offline"]
        return cls(
            label=english if lang == "en" else french,
            lane_id=lane.lane_id,
            name=lane.name,
            last_seen_at=lane.last_seen_at,
            left=lane.left,
        )


class PassageIn(Body):
    """A credential presented at a lane: the text a QR scanner typed, or a badge UID."""

    lane_id: Id
    qr_text: Annotated[str, StringConstraints(min_length=1, max_length=4096)] | None = None
    badge_uid: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None

    @model_validator(mode="after")
    def _exactly_one_credential(self) -> PassageIn:
        if (self.qr_text is None) == (self.badge_uid is None):
            raise ValueError("give exactly one of qr_text and badge_uid")
        return self


class PassageDecisionOut(BaseModel):
    passage: PassageOut
    latency_ms: float


class DecisionIn(Body):
    outcome: Literal["grant", "deny"]
    comment: Comment = Field(description="Why the agent decided so (recorded).")


# Lockdown and roster ------------------------------------------------------------------


class LockdownOut(BaseModel):
    in_force: bool
    since: datetime | None
    declared_by: str | None

    @classmethod
    def of(cls, view: LockdownView) -> LockdownOut:
        return cls(in_force=view.in_force, since=view.since, declared_by=view.declared_by)


class OnSiteOut(BaseModel):
    person_id: str
    name: str
    role: str
    since: datetime
    lane_id: str = Field(description="The lane that let them in last, or accueil (reception).")
    zone_id: str | None = Field(description="Its zone; null for a visitor still at reception.")
    visit_id: str | None = Field(description="A visitor's visit.")

    @classmethod
    def of(cls, entry: OnSite) -> OnSiteOut:
        return cls(
            person_id=entry.person_id,
            name=entry.name,
            role=entry.role,
            since=entry.since,
            lane_id=entry.lane_id,
            zone_id=entry.zone_id,
            visit_id=entry.visit_id,
        )


class ZoneCountOut(BaseModel):
    zone_id: str | None = Field(description="null: at reception.")
    name: str
    count: int

    @classmethod
    def of(cls, zone: ZoneCount) -> ZoneCountOut:
        return cls(zone_id=zone.zone_id, name=zone.name, count=zone.count)


class RosterOut(BaseModel):
    at: datetime
    count: int
    people: list[OnSiteOut]
    zones: list[ZoneCountOut] = Field(description="How many people in each zone.")
