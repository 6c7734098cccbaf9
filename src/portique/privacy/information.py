"""What people are given to read and sign: the list of information and consent documents,
the contacts they name (a site setting), and their last generation (from the audit log).

The documents themselves are written by :mod:`portique.privacy.notices`; this module
holds what the DPIA, the record of processing and the console also need, so that none
of them has to import the writer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from portique.errors import BadInputError
from portique.i18n import Texts, catalogue, text
from portique.services.settings import InformationSettings, StoredSettings, change_settings
from portique.store import SiteRow
from portique.store.models import AuditEntryRow

SETTING = "information"
"""The site setting (in ``sites.settings``) holding the controller's and DPO's contacts."""
GENERATE_ACTION = "documents.generate"
"""The audit log's action for one generation of the documents."""


class DocumentKind(StrEnum):
    """One document given to people; its value names its files (``<value>.html|.pdf``)."""

    NOTICE_FAMILIES = "notice-eleves-familles"
    NOTICE_STAFF = "notice-personnels"
    NOTICE_VISITORS = "notice-visiteurs"
    SIGN_A3 = "affiche-a3"
    SIGN_A4 = "affiche-a4"
    CONSENT_ADULT = "consentement-majeur"
    CONSENT_GUARDIAN = "consentement-representant-legal"
    WITHDRAWAL = "retrait-consentement"

    @property
    def heading(self) -> str:
        """The document's French title."""
        return _TITLES[self]

    @property
    def about_face(self) -> bool:
        """Offered only where the face comparison is (consent and withdrawal forms)."""
        return self in FACE_DOCUMENTS

    @property
    def paper(self) -> str:
        return "A3" if self is DocumentKind.SIGN_A3 else "A4"


_TITLES: dict[DocumentKind, str] = {
    DocumentKind.NOTICE_FAMILIES: "Notice d'information aux élèves et à leurs familles",
    DocumentKind.NOTICE_STAFF: "Notice d'information aux personnels",
    DocumentKind.NOTICE_VISITORS: "Notice d'information aux visiteurs",
    DocumentKind.SIGN_A3: "Affiche de l'entrée (A3)",
    DocumentKind.SIGN_A4: "Affiche de l'entrée (A4)",
    DocumentKind.CONSENT_ADULT: "Formulaire de consentement (personne majeure)",
    DocumentKind.CONSENT_GUARDIAN: "Formulaire de consentement (représentant légal d'un mineur)",
    DocumentKind.WITHDRAWAL: "Formulaire de retrait du consentement",
}
FACE_DOCUMENTS = frozenset(
    {DocumentKind.CONSENT_ADULT, DocumentKind.CONSENT_GUARDIAN, DocumentKind.WITHDRAWAL}
)


FIELD_LABELS: Texts = catalogue("portique.privacy", "labels.toml")["field"]
"""The contacts' fields as the documents and their forms name them (``labels.toml``)."""


def information_settings(settings: StoredSettings) -> InformationSettings:
    """The contacts a site's settings hold (blank ones when unset or unreadable)."""
    return settings.information


def parse_information(values: Mapping[str, Any]) -> InformationSettings:
    """Contacts as typed by a user.

    Raises:
        BadInputError: a field is too long, the e-mail or the address is malformed.
    """
    try:
        return InformationSettings.model_validate(dict(values))
    except ValidationError as error:
        fields = sorted({str(part) for item in error.errors() for part in item["loc"][:1]})
        fr = ", ".join(FIELD_LABELS.get(name, (name, name))[0] for name in fields)
        en = ", ".join(FIELD_LABELS.get(name, (name, name))[1] for name in fields)
        raise BadInputError(
            text(
                f"Coordonnées refusées ({fr}) : un courriel a la forme nom@domaine.fr, une "
                "adresse web commence par https://, chaque champ fait au plus 300 caractères.",
                f"Contacts refused ({en}): an e-mail reads name@domain.org, a web address "
                "starts with https://, each field is at most 300 characters.",
            )
        ) from None


def set_information(site: SiteRow, information: InformationSettings) -> None:
    """Stores the contacts in the site's settings (the change is audited like any other)."""
    change_settings(site, **{SETTING: information.model_dump(mode="json")})


@dataclass(frozen=True)
class Generation:
    """One generation of the documents, as the audit log recorded it."""

    at: datetime
    actor: str
    configuration_version: str
    documents: tuple[str, ...]


def last_generation(session: Session, site_id: str) -> Generation | None:
    """The latest generation recorded in the site's audit log, if any is still there."""
    row = session.scalars(
        select(AuditEntryRow)
        .where(AuditEntryRow.site_id == site_id, AuditEntryRow.action == GENERATE_ACTION)
        .order_by(AuditEntryRow.seq.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    details = dict(row.details)
    return Generation(
        at=row.at,
        actor=row.actor,
        configuration_version=str(details.get("configuration_version", "")),
        documents=tuple(str(name) for name in details.get("documents", [])),
    )


@dataclass(frozen=True)
class DocumentsStatus:
    """Where the documents stand against the configuration they must describe."""

    configuration_version: str
    offered: tuple[DocumentKind, ...]
    last: Generation | None
    missing: tuple[str, ...]

    @property
    def up_to_date(self) -> bool:
        return self.last is not None and self.last.configuration_version == (
            self.configuration_version
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "configuration_version": self.configuration_version,
            "offered": [kind.value for kind in self.offered],
            "last_generation": None
            if self.last is None
            else {
                "at": self.last.at.isoformat(),
                "actor": self.last.actor,
                "configuration_version": self.last.configuration_version,
            },
            "up_to_date": self.up_to_date,
            "missing": list(self.missing),
        }
