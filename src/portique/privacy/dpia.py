"""The DPIA draft (AIPD) and the GDPR art. 30 record of processing, written in French
from the site's actual configuration.

The DPIA follows the CNIL's PIA method: context, fundamental principles, risks
(illegitimate access, unwanted modification, disappearance of data) each rated for
severity and likelihood, then the action plan. Facts (lanes comparing faces, consents
in force, where templates are kept, retention, who has an account) are read from the
database and the configuration, so the draft says what this site does, not what it
could do; the controller completes and signs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portique.documents import DocumentRenderError, render_png_pages
from portique.errors import BadInputError
from portique.privacy.information import DocumentsStatus, information_settings
from portique.privacy.retention import RetentionPolicy
from portique.privacy.subject import template_environment
from portique.services.settings import InformationSettings, TemplateStore, site_settings
from portique.store import (
    ACTIVE,
    ConsentRow,
    CredentialRow,
    LaneRow,
    PersonRow,
    SiteRow,
    Sites,
    TemplateVaultRow,
)
from portique.store.models import AccountRow, ApiTokenRow, AuditEntryRow


class Level(IntEnum):
    """The CNIL's four-step scale for severity and likelihood."""

    NEGLIGIBLE = 1
    LIMITED = 2
    SIGNIFICANT = 3
    MAXIMUM = 4

    @property
    def label(self) -> str:
        return {1: "négligeable", 2: "limitée", 3: "importante", 4: "maximale"}[self.value]


@dataclass(frozen=True)
class LaneFact:
    lane_id: str
    name: str
    direction: str
    face_enabled: bool


@dataclass(frozen=True)
class Risk:
    """One of the three feared events, with its rating and why."""

    title: str
    impacts: str
    threats: str
    sources: str
    measures: tuple[str, ...]
    severity: Level
    likelihood: Level
    rationale: str


@dataclass(frozen=True)
class SiteFacts:
    """What the DPIA says about the site, read from its database and configuration."""

    site_id: str
    name: str
    timezone: str
    generated_at: datetime
    face_enabled: bool
    face_model: str | None
    operating_point: str
    template_store: TemplateStore
    lanes: tuple[LaneFact, ...]
    people_by_role: dict[str, int]
    consents_in_force: int
    template_credentials: int
    vault_entries: int
    accounts_by_role: dict[str, int]
    api_tokens: int
    audit_entries: int
    retention_days: dict[str, int]
    database: str
    information: InformationSettings = field(default_factory=InformationSettings)
    """The controller's and DPO's contacts (``portique privacy contacts``)."""
    face_fnmr: float | None = None
    """The measured FNMR of the model at its operating point (LFW, all impostors)."""
    pad_enabled: bool = False
    pad_threshold: float | None = None
    licence_note: str = ""
    """What the model's licence needs said (EdgeFace: BSD-3 code, CC BY-NC-SA card)."""

    @property
    def face_lanes(self) -> tuple[LaneFact, ...]:
        return tuple(lane for lane in self.lanes if lane.face_enabled)

    @property
    def biometrics_in_use(self) -> bool:
        return self.face_enabled and bool(self.face_lanes)


def _counts(session: Session, column: Any, *where: Any) -> dict[str, int]:
    rows = session.execute(select(column, func.count()).where(*where).group_by(column)).all()
    return {str(key): int(count) for key, count in rows}


def gather(
    session: Session,
    site_id: str,
    *,
    now: datetime,
    policy: RetentionPolicy | None = None,
    database: str = "SQLite",
) -> SiteFacts:
    """The facts of the site at ``now``."""
    site = Sites(session).get(site_id)
    assert isinstance(site, SiteRow), site_id
    settings = site_settings(site)
    lanes = tuple(
        LaneFact(lane.lane_id, lane.name or lane.lane_id, lane.direction, lane.face_enabled)
        for lane in session.scalars(
            select(LaneRow).where(LaneRow.site_id == site_id).order_by(LaneRow.lane_id)
        )
    )
    consents = session.scalar(
        select(func.count())
        .select_from(ConsentRow)
        .join(PersonRow, PersonRow.person_id == ConsentRow.person_id)
        .where(PersonRow.site_id == site_id, ConsentRow.withdrawn_at.is_(None))
    )
    template_credentials = session.scalar(
        select(func.count()).where(
            CredentialRow.site_id == site_id,
            CredentialRow.status == ACTIVE,
            CredentialRow.has_template.is_(True),
            CredentialRow.valid_until >= now,
        )
    )
    return SiteFacts(
        site_id=site_id,
        name=site.name,
        timezone=site.timezone,
        generated_at=now,
        face_enabled=settings.face_enabled,
        face_model=settings.face_model,
        operating_point=settings.face_operating_point,
        template_store=settings.template_store,
        lanes=lanes,
        people_by_role=_counts(session, PersonRow.role, PersonRow.site_id == site_id),
        consents_in_force=int(consents or 0),
        template_credentials=int(template_credentials or 0),
        vault_entries=int(
            session.scalar(select(func.count()).where(TemplateVaultRow.site_id == site_id)) or 0
        ),
        accounts_by_role=_counts(
            session, AccountRow.role, AccountRow.site_id == site_id, AccountRow.active.is_(True)
        ),
        api_tokens=int(
            session.scalar(
                select(func.count()).where(
                    ApiTokenRow.site_id == site_id, ApiTokenRow.revoked_at.is_(None)
                )
            )
            or 0
        ),
        audit_entries=int(
            session.scalar(select(func.count()).where(AuditEntryRow.site_id == site_id)) or 0
        ),
        retention_days=(policy or RetentionPolicy.from_settings()).as_days(),
        database=database,
        information=information_settings(settings),
        **_model_facts(settings.face_model, settings.face_operating_point),
        pad_enabled=settings.pad_enabled,
        pad_threshold=settings.policy(None).pad_threshold,
    )


def _model_facts(model: str | None, operating_point: str) -> dict[str, Any]:
    """The measured FNMR at the site's operating point and the licence note of its model."""
    from portique.biometrics.models import KNOWN_MODELS
    from portique.biometrics.operating_points import operating_points

    if model is None:
        return {}
    point = operating_points(model).get(operating_point)
    note = next((m.licence_note for m in KNOWN_MODELS if m.name == model), "")
    return {"face_fnmr": point.measured_fnmr if point else None, "licence_note": note}


def risks(facts: SiteFacts) -> tuple[Risk, ...]:
    """The three feared events, rated from the configuration.

    Severity follows the data at stake: with faces in use, a template is biometric data
    of mostly minors (significant; maximum if a central store could be read alone, which
    Portique's design rules out); without, access logs (limited). Likelihood stays limited:
    passage logs are readable from the console, templates are out of the server's reach
    (on the cards, or sealed under keys only the cards carry).
    """
    return (_illegitimate_access(facts), _unwanted_change(), _loss())


def _illegitimate_access(facts: SiteFacts) -> Risk:
    biometric = facts.biometrics_in_use
    central = facts.template_store is TemplateStore.CENTRAL
    passages = facts.retention_days["passages"]
    return Risk(
        title="Accès illégitime à des données",
        impacts=(
            "Suivi des allées et venues d'élèves mineurs ; divulgation d'un gabarit "
            "biométrique (donnée sensible, art. 9 RGPD) ; usurpation d'un titre d'accès."
            if biometric
            else "Suivi des allées et venues d'élèves mineurs ; usurpation d'un titre d'accès."
        ),
        threats=(
            "Vol ou copie de la base, compte de console compromis, carte perdue ou "
            "photographiée, poste d'une voie volé."
        ),
        sources=("Attaquant externe, personnel indélicat, ancien élève, tiers trouvant une carte."),
        measures=(
            "Titres signés (Ed25519), valables jusqu'au 31 août, révocables, refusés à la "
            "voie dès l'instantané suivant.",
            "Comparaison 1:1 uniquement : aucune recherche dans une base de visages.",
            (
                "Gabarits dans le stockage central chiffrés (AES-256-GCM) avec une clé "
                "portée uniquement par le titre de la personne : la base et les clés du "
                "serveur ne suffisent pas à les ouvrir."
                if central
                else "Gabarits portés uniquement par la carte de la personne, chiffrés "
                "(AES-256-GCM) et signés : le serveur n'en garde aucune copie."
            ),
            "Aucune image conservée ; captures en mémoire seulement ; journaux sans "
            "donnée biométrique (vérifié par les tests).",
            "Comptes nominatifs par rôle, mots de passe argon2, verrouillage après "
            "échecs, jetons d'API hachés, en-têtes de sécurité.",
            f"Passages conservés {passages} jours, puis purgés automatiquement.",
        ),
        severity=Level.SIGNIFICANT if biometric else Level.LIMITED,
        # Passage logs are readable from the console whatever the template store; the
        # templates themselves are out of reach (on the cards, or sealed under their keys).
        likelihood=Level.LIMITED,
        rationale=_access_rationale(biometric, central),
    )


def _unwanted_change() -> Risk:
    return Risk(
        title="Modification non désirée des données",
        impacts=(
            "Entrée accordée à tort (droits ou emploi du temps falsifiés), refus "
            "injustifié d'un élève, consentement ou retrait falsifié."
        ),
        threats="Compte d'administration compromis, modification directe de la base.",
        sources="Attaquant externe, personnel indélicat.",
        measures=(
            "Journal d'audit chaîné (SHA-256) de toute action administrative, vérifiable "
            "par « portique audit verify », qui nomme la première entrée altérée.",
            "Protection CSRF des formulaires, rôles séparés (agent, administration, DPD, "
            "auditeur).",
            "Décision en dernier ressort à l'agent d'accueil pour tout cas douteux.",
        ),
        severity=Level.LIMITED,
        likelihood=Level.LIMITED,
        rationale="Toute modification laisse une trace vérifiable ; l'agent reste présent.",
    )


def _loss() -> Risk:
    return Risk(
        title="Disparition des données",
        impacts=(
            "Voies sans instantané à jour ; perte de la liste des présents lors d'une "
            "évacuation ; perte des preuves d'audit."
        ),
        threats="Panne du serveur ou du réseau, suppression accidentelle, rançongiciel.",
        sources="Panne matérielle, erreur humaine, attaquant externe.",
        measures=(
            "Les voies décident hors ligne sur leur instantané et rejouent leurs "
            "événements ensuite, sans perte.",
            "Le passage par titre et agent fonctionne toujours sans biométrie.",
            "Sauvegardes de la base (PostgreSQL régional ou fichier SQLite) à organiser "
            "par l'exploitant ; les clés du site (dossier keys/) à sauvegarder à part.",
        ),
        severity=Level.LIMITED,
        likelihood=Level.LIMITED,
        rationale="Le fonctionnement dégradé est prévu ; les sauvegardes restent à organiser.",
    )


def _access_rationale(biometric: bool, central: bool) -> str:
    if not biometric:
        return "Gravité limitée, vraisemblance limitée : seuls des journaux de passage sont en jeu."
    where = (
        "les gabarits du stockage central sont illisibles sans les titres des personnes"
        if central
        else "le serveur ne détient aucun gabarit"
    )
    return (
        "Gravité importante : données biométriques de mineurs. Vraisemblance limitée : les "
        f"journaux de passage sont lisibles depuis la console, mais {where}."
    )


def action_plan(facts: SiteFacts) -> tuple[tuple[str, str], ...]:
    """What remains to do, as (action, owner)."""
    plan = [
        (
            "Compléter et signer ce projet d'AIPD ; le réexaminer au moins tous les 3 ans.",
            "Chef d'établissement (responsable de traitement)",
        ),
        ("Recueillir l'avis du DPD et le consigner.", "DPD"),
        (
            "Organiser les sauvegardes chiffrées de la base et du dossier des clés.",
            "Exploitant (DSI régionale)",
        ),
        (
            "Remettre les notices et poser l'affiche de l'entrée générées par « portique "
            "documents » ; les générer et les remettre de nouveau à chaque changement de la "
            "configuration qu'elles décrivent.",
            "Administration",
        ),
        ("Vérifier le journal d'audit chaque mois (« portique audit verify »).", "DPD"),
    ]
    if facts.biometrics_in_use:
        plan.insert(
            1,
            (
                "Démontrer la nécessité de la comparaison faciale par rapport au badge seul "
                "(CNIL 2019, TA Marseille 2020) à l'aide du rapport d'évaluation ; sinon la "
                "désactiver.",
                "Chef d'établissement",
            ),
        )
    return tuple(plan)


def render_dpia(facts: SiteFacts, documents: DocumentsStatus | None = None) -> str:
    """The DPIA draft as a French HTML page (the record of processing as its annex);
    ``documents`` says where the information documents stand (see
    :func:`portique.privacy.notices.status`)."""
    return (
        template_environment()
        .get_template("dpia.html")
        .render(
            facts=facts,
            risks=risks(facts),
            plan=action_plan(facts),
            standalone_record=False,
            documents=documents,
        )
    )


def render_record(facts: SiteFacts, documents: DocumentsStatus | None = None) -> str:
    """The GDPR art. 30 record of processing alone, as a French HTML page."""
    return (
        template_environment()
        .get_template("record.html")
        .render(facts=facts, standalone_record=True, documents=documents)
    )


class RenderError(BadInputError):
    """The DPIA could not be rendered to images."""

    code = "render"


PNG_PAGE_PX = 1800
"""Height of each PNG page of a rendered DPIA (1000 px wide)."""


def render_png(html: Path, out_dir: Path, *, prefix: str = "dpia") -> list[Path]:
    """Screenshots of the DPIA page with headless Chromium, cut into pages of
    :data:`PNG_PAGE_PX`: ``<prefix>-1.png``, ``<prefix>-2.png``...

    Raises:
        RenderError: Chromium is not installed or fails.
    """
    try:
        return render_png_pages(html, out_dir, prefix=prefix, page_px=PNG_PAGE_PX)
    except DocumentRenderError as error:
        raise RenderError(error.message) from None
