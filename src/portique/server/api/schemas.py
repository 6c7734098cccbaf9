"""The API's request bodies, and the answers only the API gives (lanes, passages,
alerts, lockdown, roster); the records it shares with the commands are shaped in
``portique.serializers``. Together they are the API's OpenAPI schema.

No body ever carries a face image, a template or a score: a credential says only
whether a face was enrolled in it (``face_enrolled``).
"""

from __future__ import annotations

from dataclasses import asdict
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
from portique.serializers import (
    ConsentOut,
    CredentialOut,
    ImportOut,
    PersonOut,
    RecordOut,
    RejectedRowOut,
    RevocationOut,
    WithdrawalOut,
)
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

__all__ = [
    "ConsentOut",
    "CredentialOut",
    "ImportOut",
    "PersonOut",
    "RejectedRowOut",
    "RevocationOut",
    "WithdrawalOut",
]

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


class RevokeIn(Body):
    reason: Comment = Field(description="Why, e.g. 'lost', 'left the school'.")


# Consent ------------------------------------------------------------------------------


class ConsentIn(Body):
    by: Id | None = Field(default=None, description="The guardian giving it, for a minor.")
    giver: ConsentGiver | None = None


class WithdrawIn(Body):
    by: Id | None = None


# Lanes, passages, alerts --------------------------------------------------------------


class LaneOut(RecordOut, LaneView):
    pass


class ReasonOut(BaseModel):
    code: Reason
    label: str


class ReviewOut(RecordOut, ReviewView):
    outcome: Outcome | None = Field(description="None: alert acknowledged.")


class PassageOut(RecordOut):
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
    def labelled(cls, view: PassageView, lang: str) -> PassageOut:
        """The passage with its outcome and reasons in words of ``lang``."""
        reasons = [ReasonOut(code=r, label=reason_label(r, lang)) for r in view.reasons]
        return cls.model_validate(
            {
                **asdict(view),
                "needs_review": view.needs_review,
                "outcome_label": outcome_label(view.outcome, lang),
                "reasons": reasons,
            }
        )


class OfflineLaneOut(RecordOut):
    """An "offline lane" alert; it clears itself when the lane is heard from again."""

    kind: Literal["lane_offline"] = "lane_offline"
    label: str
    lane_id: str
    name: str
    last_seen_at: datetime
    left: bool = Field(description="The lane closed, or the broker delivered its last will.")

    @classmethod
    def labelled(cls, lane: OfflineLane, lang: str) -> OfflineLaneOut:
        french, english = TEXTS["lane_offline"]
        return cls(**asdict(lane), label=english if lang == "en" else french)


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


class WaitingItemOut(RecordOut):
    passage_id: str
    kind: Literal["referral", "alert"]


class WaitingOut(RecordOut):
    """What waits for the agents now: the console's counter, and what its sounds follow."""

    count: int = Field(description="Referrals and alerts unanswered, and lanes offline.")
    referrals: int
    alerts: int
    latest: list[WaitingItemOut] = Field(description="The newest waiting passages (20).")
    offline_lanes: list[str]
    lockdown: bool


class LockdownOut(RecordOut, LockdownView):
    pass


class OnSiteOut(RecordOut, OnSite):
    lane_id: str = Field(description="The lane that let them in last, or accueil (reception).")
    zone_id: str | None = Field(description="Its zone; null for a visitor still at reception.")
    visit_id: str | None = Field(description="A visitor's visit.")


class ZoneCountOut(RecordOut, ZoneCount):
    zone_id: str | None = Field(description="null: at reception.")


class RosterOut(BaseModel):
    at: datetime
    count: int
    people: list[OnSiteOut]
    zones: list[ZoneCountOut] = Field(description="How many people in each zone.")
