"""One JSON shape per record, shared by the API and the commands: Pydantic models filled
from the records the services return, field by field by name.

The API answers with these models (they are its OpenAPI schema); a command prints
``model.for_cli()``: the same fields, plus the shorter names the commands printed some of
them under before the shapes were shared (``person`` beside ``person_id``...), kept so
that no script reading the old keys breaks (README, "JSON output").

No model ever carries a face image, a template or a score: a credential says only
whether a face was enrolled in it (``face_enrolled``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import asdict
from datetime import date, datetime
from typing import Any, ClassVar, Self

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from portique.services import (
    BadgeRecord,
    ConsentRecord,
    CredentialStatus,
    ImportReport,
    PersonRecord,
    RevocationRecord,
)
from portique.visitors import (
    AlertKind,
    RefusalAuthority,
    VisitAlert,
    VisitEvent,
    VisitRecord,
)


class RecordOut(BaseModel):
    """The JSON shape of a record, filled from the record's attributes of the same names.

    Where the shape is the record's fields, the model derives from the record
    (``class VisitAlertOut(RecordOut, VisitAlert)``): Pydantic reads the dataclass's fields,
    in their order, as the model's own, so each field is declared once, in the record. A
    field declared again in the model only adds its OpenAPI description, or leaves the
    field out of the JSON (``Field(exclude=True)``).
    """

    model_config = ConfigDict(from_attributes=True)

    cli_names: ClassVar[Mapping[str, str]] = {}
    """The names the commands printed some fields under before (old key: field name)."""

    @classmethod
    def of(cls, record: object) -> Self:
        """The shape of ``record`` (a frozen record of the services, by attribute names)."""
        return cls.model_validate(record)

    def for_cli(self) -> dict[str, Any]:
        """The fields as a command prints them: with their earlier names too, and
        times as ``datetime.isoformat`` writes them (``print_json`` does that)."""
        data = self.model_dump(by_alias=True)
        return {**{old: data[name] for old, name in self.cli_names.items()}, **data}


# People -------------------------------------------------------------------------------


class PersonOut(RecordOut, PersonRecord):
    cli_names = {
        "person": "person_id",
        "groups": "group_ids",
        "guardians": "guardian_ids",
        "consent": "consent_in_force",
    }

    credentials: int = Field(description="Active credentials.")
    credential_status: CredentialStatus = Field(
        description="The best credential held: active (valid now), else expired, else "
        "revoked, else none."
    )


class RejectedRowOut(RecordOut):
    line: int = Field(description="The line of the file (the first line is 1).")
    reason: str


class ImportOut(RecordOut):
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
    def of(cls, record: object) -> Self:
        assert isinstance(record, ImportReport)
        counted = {"imported": len(record.imported), "people": record.imported}
        return cls.model_validate({**asdict(record), **counted})


# Credentials and consent --------------------------------------------------------------


class CredentialOut(RecordOut):
    # An issued credential (card, phone code) or a bound badge.
    cli_names = {
        "credential": "credential_id",
        "person": "person_id",
        "has_template": "face_enrolled",
        "badge": "badge_uid",
    }

    credential_id: str
    person_id: str
    kind: str
    valid_from: datetime
    valid_until: datetime
    face_enrolled: bool = Field(
        default=False, validation_alias=AliasChoices("face_enrolled", "has_template")
    )
    qr_text: str | None = Field(
        default=None,
        validation_alias=AliasChoices("qr_text", "payload_text"),
        description="The code to print or send (PQ:...), shown once at issue.",
    )
    badge_uid: str | None = None

    @field_validator("kind", mode="before")
    @classmethod
    def _kind_value(cls, kind: object) -> object:
        # A credential's kind is an enum in the records, a string in JSON.
        return kind.value if isinstance(kind, enum.Enum) else kind

    @classmethod
    def of(cls, record: object) -> Self:
        # A bound badge has no kind of its own: its UID is what it is.
        if isinstance(record, BadgeRecord):
            return cls.model_validate({**asdict(record), "kind": "badge"})
        return cls.model_validate(record)


class RevocationOut(RecordOut, RevocationRecord):
    cli_names = {"credential": "credential_id", "person": "person_id"}

    changed: bool = Field(description="False when it was revoked already.")


class ConsentOut(RecordOut, ConsentRecord):
    cli_names = {"person": "person_id"}


class WithdrawalOut(RecordOut):
    cli_names = {"person": "person_id"}

    person_id: str
    withdrawn_at: datetime
    revoked: list[str] = Field(description="Credentials revoked because they held a template.")
    reissued: list[CredentialOut] = Field(
        default_factory=list,
        description="Their replacements without template (same kind and validity).",
    )


# Visitors -----------------------------------------------------------------------------


class VisitOut(RecordOut, VisitRecord):
    cli_names = {
        "visit": "visit_id",
        "person": "person_id",
        "host": "host_id",
        "credential": "credential_id",
    }

    birth_date: date | None = Field(exclude=True)
    created_at: datetime = Field(exclude=True)


class PassOut(RecordOut):
    """The pass, handed over once: ``qr_text`` is what its QR code holds."""

    cli_names = {"credential": "credential_id"}

    credential_id: str
    qr_text: str = Field(validation_alias=AliasChoices("qr_text", "payload_text"))
    valid_from: datetime
    valid_until: datetime


class EmailOut(BaseModel):
    sent: bool
    error: str | None = Field(description="Why it was not sent (print the pass instead).")


class ReceptionOut(RecordOut):
    visit: VisitOut
    alert: AlertKind | None = Field(
        description="``pass_reused``, ``outside_window`` or ``barred``, if raised."
    )


class VisitEventOut(RecordOut, VisitEvent):
    cli_names = {"zone": "zone_id"}

    checkpoint: str = Field(description="A lane id, or accueil (reception).")


class VisitAlertOut(RecordOut, VisitAlert):
    pass


class RefusalOut(RecordOut):
    cli_names = {"refusal": "refusal_id"}

    refusal_id: int
    last_name: str
    first_name: str
    birth_date: date
    reason: str
    ordered_by: RefusalAuthority
    until: date
    created_by: str
    created_at: datetime
    lifted_at: datetime | None
    lifted_by: str | None
