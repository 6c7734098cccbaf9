"""Subject rights: everything held on one person (access, GDPR art. 15) and its erasure
(art. 17), except what the law requires to keep, which the erasure explains.

The export walks every table that can name a person: their record, classes,
guardianships both ways, consents (theirs and those they gave for a child), exit
permission, credentials (metadata), badges, the fact that a sealed template exists
(never its bytes), passages and the agents' reviews of them, visits with their events
and alerts, refusals matching their name and birth date, and the audit entries that
name them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from portique.errors import BadInputError
from portique.files import write_private
from portique.i18n import text
from portique.privacy import audit
from portique.store import (
    ACTIVE,
    REVOKED,
    AuditEntryRow,
    BadgeBindingRow,
    ConsentRow,
    CredentialRow,
    ExitPermissionRow,
    GuardianshipRow,
    MembershipRow,
    PassageRow,
    PersonRow,
    PhoneEnrolmentRow,
    RefusalRow,
    Sites,
    TemplateVaultRow,
    VisitAlertRow,
    VisitEventRow,
    VisitRow,
    row_at_site,
)
from portique.store.models import DepartureRow, PassageReviewRow, RegisterIdRow

ERASURE_REASON = "erasure"
"""The revocation reason of the credentials of an erased person."""

SEALED_TEMPLATE_NOTE = "un gabarit scellé existe (illisible sans le titre de la personne)"


class SubjectTable(StrEnum):
    """The sections of an export, in order, by table."""

    PEOPLE = "people"
    MEMBERSHIPS = "memberships"
    GUARDIANSHIPS = "guardianships"
    CONSENTS = "consents"
    EXIT_PERMISSIONS = "exit_permissions"
    CREDENTIALS = "credentials"
    BADGE_BINDINGS = "badge_bindings"
    PHONE_ENROLMENTS = "phone_enrolments"
    TEMPLATE_VAULT = "template_vault"
    PASSAGES = "passages"
    PASSAGE_REVIEWS = "passage_reviews"
    VISITS = "visits"
    VISIT_EVENTS = "visit_events"
    VISIT_ALERTS = "visit_alerts"
    REFUSALS = "refusals"
    REGISTER_IDS = "register_ids"
    DEPARTURES = "departures"
    AUDIT_LOG = "audit_log"


TABLE_TITLES: dict[SubjectTable, str] = {
    SubjectTable.PEOPLE: "Fiche de la personne",
    SubjectTable.MEMBERSHIPS: "Classes et groupes",
    SubjectTable.GUARDIANSHIPS: "Représentants légaux et enfants",
    SubjectTable.CONSENTS: "Consentements à la comparaison faciale",
    SubjectTable.EXIT_PERMISSIONS: "Autorisations de sortie",
    SubjectTable.CREDENTIALS: "Titres d'accès",
    SubjectTable.BADGE_BINDINGS: "Badges",
    SubjectTable.PHONE_ENROLMENTS: "Liens d'enrôlement du titre sur téléphone",
    SubjectTable.TEMPLATE_VAULT: "Gabarits biométriques (stockage central)",
    SubjectTable.PASSAGES: "Passages",
    SubjectTable.PASSAGE_REVIEWS: "Décisions des agents sur ces passages",
    SubjectTable.VISITS: "Visites",
    SubjectTable.VISIT_EVENTS: "Parcours des visites",
    SubjectTable.VISIT_ALERTS: "Alertes des visites",
    SubjectTable.REFUSALS: "Interdictions d'accès",
    SubjectTable.REGISTER_IDS: "Identifiants dans les registres de l'établissement (empreintes)",
    SubjectTable.DEPARTURES: "Départs de l'établissement",
    SubjectTable.AUDIT_LOG: "Journal d'audit (actions administratives vous concernant)",
}


class UnknownSubjectError(BadInputError):
    """No such person at the site."""

    code = "unknown_person"


@dataclass(frozen=True)
class SubjectExport:
    """Everything held on one person, table by table (rows as JSON-ready dicts)."""

    site_id: str
    person_id: str
    generated_at: datetime
    tables: dict[str, list[dict[str, Any]]]

    def as_json(self) -> dict[str, Any]:
        return {
            "site_id": self.site_id,
            "person_id": self.person_id,
            "generated_at": self.generated_at.isoformat(),
            "tables": self.tables,
        }

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.tables.items()}


@dataclass(frozen=True)
class Erasure:
    """What an erasure did, and what stays and why."""

    site_id: str
    person_id: str
    erased_at: datetime
    revoked: tuple[str, ...]
    deleted: dict[str, int]
    kept: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "site_id": self.site_id,
            "person": self.person_id,
            "erased_at": self.erased_at.isoformat(),
            "revoked": list(self.revoked),
            "deleted": self.deleted,
            "kept": list(self.kept),
        }


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return SEALED_TEMPLATE_NOTE
    return value


def row_dict(row: Any) -> dict[str, Any]:
    """A row as a JSON-ready dict of its columns (bytes never included)."""
    return {column.key: _value(getattr(row, column.key)) for column in row.__mapper__.column_attrs}


def _person(session: Session, site_id: str, person_id: str) -> PersonRow:
    missing = UnknownSubjectError(
        text(
            f"Aucune personne {person_id!r} dans l'établissement.",
            f"No person {person_id!r} at this site.",
        )
    )
    return row_at_site(session, PersonRow, person_id, site_id, missing)


def _names(entry: AuditEntryRow, person_id: str) -> bool:
    target = entry.target or ""
    if person_id in target.partition(":")[2].split("/"):
        return True
    return f'"{person_id}"' in json.dumps(entry.details, ensure_ascii=False)


def _rows(session: Session, query: Any) -> list[dict[str, Any]]:
    return [row_dict(row) for row in session.scalars(query)]


def collect(session: Session, site_id: str, person_id: str, *, now: datetime) -> SubjectExport:
    """Everything the site holds on the person."""
    person = _person(session, site_id, person_id)
    tables = {**_records(session, person), **_traces(session, site_id, person)}
    return SubjectExport(site_id, person_id, now, {str(k): v for k, v in tables.items()})


def _records(session: Session, person: PersonRow) -> dict[SubjectTable, list[dict[str, Any]]]:
    """Who the person is to the site: their record, links, consents and credentials."""
    person_id = person.person_id
    vault = [
        {
            "credential_id": row.credential_id,
            "created_at": row.created_at.isoformat(),
            "sealed_template": SEALED_TEMPLATE_NOTE,
        }
        for row in session.scalars(
            select(TemplateVaultRow).where(TemplateVaultRow.person_id == person_id)
        )
    ]
    return {
        SubjectTable.PEOPLE: [row_dict(person)],
        SubjectTable.MEMBERSHIPS: _rows(
            session, select(MembershipRow).where(MembershipRow.person_id == person_id)
        ),
        SubjectTable.GUARDIANSHIPS: _rows(
            session,
            select(GuardianshipRow).where(
                or_(
                    GuardianshipRow.person_id == person_id, GuardianshipRow.guardian_id == person_id
                )
            ),
        ),
        SubjectTable.CONSENTS: _rows(
            session,
            select(ConsentRow).where(
                or_(ConsentRow.person_id == person_id, ConsentRow.given_by == person_id)
            ),
        ),
        SubjectTable.EXIT_PERMISSIONS: _rows(
            session,
            select(ExitPermissionRow).where(
                or_(
                    ExitPermissionRow.person_id == person_id,
                    ExitPermissionRow.granted_by == person_id,
                )
            ),
        ),
        SubjectTable.CREDENTIALS: _rows(
            session, select(CredentialRow).where(CredentialRow.person_id == person_id)
        ),
        SubjectTable.BADGE_BINDINGS: _rows(
            session, select(BadgeBindingRow).where(BadgeBindingRow.person_id == person_id)
        ),
        # The link's secret is not theirs to keep: its hash stays out of the export.
        SubjectTable.PHONE_ENROLMENTS: [
            {name: value for name, value in row.items() if name != "token_hash"}
            for row in _rows(
                session,
                select(PhoneEnrolmentRow).where(PhoneEnrolmentRow.person_id == person_id),
            )
        ],
        SubjectTable.TEMPLATE_VAULT: vault,
    }


def _traces(
    session: Session, site_id: str, person: PersonRow
) -> dict[SubjectTable, list[dict[str, Any]]]:
    """What the person left: passages and their reviews, visits, refusals, audit entries."""
    person_id = person.person_id
    passages = select(PassageRow.passage_id).where(
        PassageRow.site_id == site_id, PassageRow.person_id == person_id
    )
    visits = select(VisitRow.visit_id).where(VisitRow.person_id == person_id)
    entries = session.scalars(
        select(AuditEntryRow).where(AuditEntryRow.site_id == site_id).order_by(AuditEntryRow.seq)
    )
    return {
        SubjectTable.PASSAGES: _rows(
            session,
            select(PassageRow)
            .where(PassageRow.site_id == site_id, PassageRow.person_id == person_id)
            .order_by(PassageRow.time),
        ),
        SubjectTable.PASSAGE_REVIEWS: _rows(
            session,
            select(PassageReviewRow).where(
                PassageReviewRow.site_id == site_id, PassageReviewRow.passage_id.in_(passages)
            ),
        ),
        SubjectTable.VISITS: _rows(session, select(VisitRow).where(VisitRow.visit_id.in_(visits))),
        SubjectTable.VISIT_EVENTS: _rows(
            session,
            select(VisitEventRow)
            .where(VisitEventRow.visit_id.in_(visits))
            .order_by(VisitEventRow.at),
        ),
        SubjectTable.VISIT_ALERTS: _rows(
            session, select(VisitAlertRow).where(VisitAlertRow.visit_id.in_(visits))
        ),
        SubjectTable.REFUSALS: _rows(
            session,
            select(RefusalRow).where(
                RefusalRow.site_id == site_id,
                func.lower(RefusalRow.last_name) == person.last_name.lower(),
                func.lower(RefusalRow.first_name) == person.first_name.lower(),
                RefusalRow.birth_date == person.birth_date,
            ),
        ),
        SubjectTable.REGISTER_IDS: _rows(
            session, select(RegisterIdRow).where(RegisterIdRow.person_id == person_id)
        ),
        SubjectTable.DEPARTURES: _rows(
            session, select(DepartureRow).where(DepartureRow.person_id == person_id)
        ),
        SubjectTable.AUDIT_LOG: [row_dict(entry) for entry in entries if _names(entry, person_id)],
    }


def template_environment() -> Environment:
    """The Jinja2 environment of the privacy documents (HTML, autoescaped)."""
    return Environment(
        loader=PackageLoader("portique.privacy", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_export_html(export: SubjectExport, site_name: str) -> str:
    """The export as a page a person can read (French)."""
    titles = {str(key): value for key, value in TABLE_TITLES.items()}
    return (
        template_environment()
        .get_template("subject.html")
        .render(export=export, site_name=site_name, titles=titles)
    )


def export_subject(
    session: Session, site_id: str, person_id: str, out: Path, *, now: datetime
) -> tuple[SubjectExport, Path, Path]:
    """Writes ``subject-<id>.json`` and ``subject-<id>.html`` in ``out`` and records the
    export in the audit log."""
    export = collect(session, site_id, person_id, now=now)
    site = Sites(session).get(site_id)
    try:
        # Everything held on a person: owner-only files, in folders made owner-only.
        json_path = write_private(
            out / f"subject-{person_id}.json",
            json.dumps(export.as_json(), ensure_ascii=False, indent=2).encode("utf-8"),
        )
        html_path = write_private(
            out / f"subject-{person_id}.html",
            render_export_html(export, site.name if site else site_id).encode("utf-8"),
        )
    except OSError as exc:
        raise BadInputError(
            text(
                f"Impossible d'écrire l'export dans {out} : {exc.strerror or exc}.",
                f"Cannot write the export to {out}: {exc.strerror or exc}.",
            )
        ) from None
    audit.record(
        session,
        site_id=site_id,
        action="subject.export",
        target=f"people:{person_id}",
        details={"rows": export.counts()},
    )
    return export, json_path, html_path


KEPT_AFTER_ERASURE: Sequence[tuple[str, str]] = (
    (
        "Le journal d'audit garde la trace de l'effacement et des actions passées sous "
        "l'identifiant pseudonyme, sans nom ni date de naissance (preuve de conformité, "
        "RGPD art. 5.2 ; conservé 1 an).",
        "The audit log keeps the erasure and past actions under the pseudonymous id, "
        "without name or birth date (proof of compliance, GDPR art. 5(2); kept 1 year).",
    ),
    (
        "Les interdictions d'accès à son nom (décision de justice ou du chef "
        "d'établissement) restent en vigueur jusqu'à leur échéance (obligation légale, "
        "RGPD art. 17.3.b).",
        "Access bans in their name (court or head teacher's order) stay until they end "
        "(legal obligation, GDPR art. 17(3)(b)).",
    ),
    (
        "Les consentements et autorisations de sortie qu'elle a donnés pour un enfant "
        "restent ceux de l'enfant, sous son identifiant pseudonyme.",
        "Consents and exit permissions they gave for a child stay the child's, under "
        "their pseudonymous id.",
    ),
    (
        "Un gabarit porté par une carte reste sur la carte que la personne détient : le "
        "titre étant révoqué, aucune voie ne l'ouvre plus ; elle peut la détruire.",
        "A template on a card stays on the card the person holds: the credential being "
        "revoked, no lane opens it any more; they may destroy it.",
    ),
)


def erase_subject(session: Session, site_id: str, person_id: str, *, now: datetime) -> Erasure:
    """Erases the person: credentials revoked first (lanes refuse them from the next
    snapshot), then every row about them deleted, except what must stay (``kept``)."""
    person = _person(session, site_id, person_id)
    revoked = []
    for credential in session.scalars(
        select(CredentialRow).where(CredentialRow.person_id == person_id)
    ):
        if credential.status == ACTIVE:
            credential.status = REVOKED
            credential.revoked_at = now
            credential.revocation_reason = ERASURE_REASON
            revoked.append(credential.credential_id)
    session.flush()
    held = collect(session, site_id, person_id, now=now)
    counts = held.counts()
    # What they gave for a child stays the child's (see KEPT_AFTER_ERASURE).
    for table in (SubjectTable.CONSENTS, SubjectTable.EXIT_PERMISSIONS):
        counts[table] = sum(1 for row in held.tables[table] if row["person_id"] == person_id)
    passages = select(PassageRow.passage_id).where(
        PassageRow.site_id == site_id, PassageRow.person_id == person_id
    )
    session.execute(
        delete(PassageReviewRow).where(
            PassageReviewRow.site_id == site_id,
            PassageReviewRow.passage_id.in_(passages.scalar_subquery()),
        )
    )
    session.execute(
        delete(PassageRow).where(PassageRow.site_id == site_id, PassageRow.person_id == person_id)
    )
    for vault in session.scalars(
        select(TemplateVaultRow).where(TemplateVaultRow.person_id == person_id)
    ):
        session.delete(vault)
    for visit in session.scalars(select(VisitRow).where(VisitRow.person_id == person_id)):
        session.delete(visit)  # its events and alerts follow by cascade
    session.flush()
    # The person last: memberships, guardianships (both ways), consents, exit
    # permission, credentials, badges, register identifiers and departures follow by
    # cascade.
    session.delete(person)
    session.flush()
    Sites(session).bump_version(site_id)
    deleted = {
        name: count
        for name, count in counts.items()
        if name not in (SubjectTable.AUDIT_LOG, SubjectTable.REFUSALS)
    }
    audit.record(
        session,
        site_id=site_id,
        action="subject.erase",
        target=f"people:{person_id}",
        details={"deleted": deleted, "revoked": revoked},
    )
    kept = tuple(text(fr, en) for fr, en in KEPT_AFTER_ERASURE)
    return Erasure(site_id, person_id, now, tuple(revoked), deleted, kept)
