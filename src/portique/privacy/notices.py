"""The information notices, the entrance sign and the consent and withdrawal forms, written
in French from the site's actual configuration, with the configuration version they describe.

What the documents say is read, never assumed: the lanes and where the face is compared,
the model and its measured error rates, where templates are kept, presentation-attack
detection, retention, the controller, the DPO and the recipients. Their facts start
from the DPIA's (:func:`portique.privacy.dpia.gather`), so the DPIA and the notices
never disagree. The *configuration version* is a digest of exactly the facts the
documents print: when it changes, the families must be told again, and the console says
so. No document names anyone but the controller and the DPO: the forms have blanks.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import segno
from jinja2 import Environment
from sqlalchemy.orm import Session

from portique.biometrics.operating_points import operating_points
from portique.documents import PdfJob, print_pdfs
from portique.errors import BadInputError
from portique.i18n import text
from portique.privacy import audit
from portique.privacy.dpia import LaneFact, SiteFacts
from portique.privacy.dpia import gather as gather_site
from portique.privacy.information import (
    GENERATE_ACTION,
    DocumentKind,
    DocumentsStatus,
    last_generation,
)
from portique.privacy.readability import Readability, kandel_moles, prose_blocks
from portique.privacy.retention import RetentionPolicy
from portique.privacy.subject import template_environment
from portique.services.rows import site_row
from portique.services.settings import InformationSettings, TemplateStore, site_settings
from portique.services.site import SiteHandle

PAD_SETTING = "pad_enabled"
"""The site setting that turns presentation-attack detection on (absent: not in use)."""
VERSION_DIGITS = 12
"""Hex digits of the configuration version (a SHA-256 prefix)."""
CNIL_COMPLAINTS = "www.cnil.fr/plaintes"
CNIL_ADDRESS = "CNIL, 3 place de Fontenoy, TSA 80715, 75334 Paris Cedex 07"


@dataclass(frozen=True)
class ErrorRates:
    """What the face comparison's operating point was measured to do."""

    measured_fmr: float
    impostor_comparisons: int
    measured_fnmr: float | None
    """Share of genuine comparisons refused (sent to the agent), where it was measured."""


@dataclass(frozen=True)
class FaceFacts:
    """The face comparison as a site offers it."""

    lanes: tuple[LaneFact, ...]
    model: str | None
    operating_point: str
    rates: ErrorRates | None
    template_store: TemplateStore
    pad_in_use: bool

    @property
    def central(self) -> bool:
        return self.template_store is TemplateStore.CENTRAL


@dataclass(frozen=True)
class NoticeFacts:
    """Everything the documents print, read from the database and the configuration."""

    site: SiteFacts
    face: FaceFacts | None
    """None: no lane compares faces, so no biometric data is processed."""
    consents_remain: bool
    """Consents still in force (face turned off since): the withdrawal form stays offered."""
    generated_at: datetime

    @property
    def information(self) -> InformationSettings:
        return self.site.information

    @property
    def controller(self) -> str:
        return self.information.controller or f"Le chef d'établissement, {self.site.name}"

    @property
    def retention(self) -> dict[str, int]:
        return self.site.retention_days

    @property
    def offered(self) -> tuple[DocumentKind, ...]:
        """The documents this configuration calls for: no consent form without faces."""
        return tuple(
            kind
            for kind in DocumentKind
            if not kind.about_face
            or self.face is not None
            or (kind is DocumentKind.WITHDRAWAL and self.consents_remain)
        )

    def configuration(self) -> dict[str, Any]:
        """The facts the documents print, as canonical JSON data (no dates, no counts)."""
        face = self.face
        return {
            "site": [self.site.site_id, self.site.name, self.site.timezone],
            "lanes": [[lane.lane_id, lane.name, lane.direction] for lane in self.site.lanes],
            "face": None
            if face is None
            else {
                "lanes": [lane.lane_id for lane in face.lanes],
                "model": face.model,
                "operating_point": face.operating_point,
                "rates": None
                if face.rates is None
                else [face.rates.measured_fmr, face.rates.measured_fnmr],
                "template_store": face.template_store.value,
                "pad": face.pad_in_use,
            },
            "documents": [kind.value for kind in self.offered],
            "retention_days": dict(sorted(self.retention.items())),
            "information": self.information.model_dump(mode="json"),
        }

    @property
    def version(self) -> str:
        """The configuration version: a digest of :meth:`configuration`."""
        canonical = json.dumps(
            self.configuration(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:VERSION_DIGITS]


def _rates(model: str | None, operating_point: str) -> ErrorRates | None:
    if model is None:
        return None
    point = operating_points(model).get(operating_point)
    if point is None:
        return None
    return ErrorRates(
        measured_fmr=point.measured_fmr,
        impostor_comparisons=point.impostor_comparisons,
        measured_fnmr=point.measured_fnmr,
    )


def gather(
    session: Session,
    site_id: str,
    *,
    now: datetime,
    policy: RetentionPolicy | None = None,
) -> NoticeFacts:
    """The facts of the documents at ``now`` (the site's as the DPIA gathers them, the
    hosting aside: no notice prints it)."""
    site = gather_site(session, site_id, now=now, policy=policy)
    settings = site_settings(site_row(session, site_id))
    face = None
    if site.biometrics_in_use:
        face = FaceFacts(
            lanes=site.face_lanes,
            model=site.face_model,
            operating_point=site.operating_point,
            rates=_rates(site.face_model, site.operating_point),
            template_store=site.template_store,
            pad_in_use=settings.pad_enabled,
        )
    return NoticeFacts(
        site=site,
        face=face,
        consents_remain=site.consents_in_force > 0,
        generated_at=now,
    )


def status(facts: NoticeFacts, session: Session) -> DocumentsStatus:
    """The documents' state: the version now, the last generation, the blanks to fill."""
    return DocumentsStatus(
        configuration_version=facts.version,
        offered=facts.offered,
        last=last_generation(session, facts.site.site_id),
        missing=facts.information.missing(),
    )


# Rendering ------------------------------------------------------------------------------

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def french_date(moment: datetime, timezone: str) -> str:
    """« 24 novembre 2026 » on the site's calendar."""
    local = moment.astimezone(ZoneInfo(timezone))
    day = "1er" if local.day == 1 else str(local.day)
    return f"{day} {MONTHS[local.month - 1]} {local.year}"


def french_number(value: int) -> str:
    """10 000 with a narrow no-break space between thousands."""
    return f"{value:,}".replace(",", "\u202f")


def one_in(rate: float) -> str:
    """A small rate as « 1 fois sur 10 000 » (rounded to two significant digits)."""
    if rate <= 0:
        return "jamais sur les comparaisons mesurées"
    every = 1.0 / rate
    digits = max(len(str(int(every))) - 2, 0)
    return f"1 fois sur {french_number(int(round(every, -digits)))}"


def french_percent(rate: float) -> str:
    return f"{rate * 100:.1f}".replace(".", ",") + "\u00a0%"


def duration(days: int) -> str:
    """« 92 jours (environ 3 mois) », « 366 jours (environ 1 an) »."""
    if days >= 360:
        years = round(days / 365)
        about = f"environ {years} an{'s' if years > 1 else ''}"
    elif days >= 56:
        about = f"environ {round(days / 30.5)} mois"
    else:
        return f"{days} jour{'s' if days > 1 else ''}"
    return f"{days} jours ({about})"


def qr_svg(address: str) -> str:
    """The address as an inline SVG QR code, sized by the page's CSS."""
    return str(segno.make(address, error="m").svg_inline(omitsize=True, border=2))


_TAG_OR_STYLE = re.compile(r"(<style.*?</style>|<[^>]*>|&#?\w+;)", re.DOTALL)
_BEFORE_HIGH = re.compile(r"(?:(?<=\S)|^) ?([;?!])(?=\s|$)")
_BEFORE_COLON = re.compile(r"(?:(?<=\S)|^) :(?=\s|$)")
_GUILLEMETS = re.compile(r"« ?| ?»")


def french_typography(html: str) -> str:
    """French spacing in the text of a page (not in its tags, entities or styles): a
    no-break space before « : » and inside guillemets, a narrow one before « ; ? ! »."""
    parts = _TAG_OR_STYLE.split(html)
    for index in range(0, len(parts), 2):
        segment = _BEFORE_COLON.sub("\u00a0:", parts[index])
        segment = _BEFORE_HIGH.sub("\u202f\\1", segment)
        parts[index] = _GUILLEMETS.sub(
            lambda match: "«\u00a0" if match.group().startswith("«") else "\u00a0»", segment
        )
    return "".join(parts)


def _environment() -> Environment:
    environment = template_environment()
    environment.filters.update(
        one_in=one_in, percent_fr=french_percent, duration=duration, number_fr=french_number
    )
    return environment


@dataclass(frozen=True)
class RenderedDocument:
    kind: DocumentKind
    html: str


TEMPLATES: dict[DocumentKind, tuple[str, dict[str, Any]]] = {
    DocumentKind.NOTICE_FAMILIES: ("notice.html", {"audience": "families"}),
    DocumentKind.NOTICE_STAFF: ("notice.html", {"audience": "staff"}),
    DocumentKind.NOTICE_VISITORS: ("notice.html", {"audience": "visitors"}),
    DocumentKind.SIGN_A3: ("sign.html", {}),
    DocumentKind.SIGN_A4: ("sign.html", {}),
    DocumentKind.CONSENT_ADULT: ("consent_form.html", {"guardian": False}),
    DocumentKind.CONSENT_GUARDIAN: ("consent_form.html", {"guardian": True}),
    DocumentKind.WITHDRAWAL: ("withdrawal_form.html", {}),
}


def render(facts: NoticeFacts, kind: DocumentKind) -> RenderedDocument:
    """One document as a French HTML page, ready to print on its paper size.

    Raises:
        BadInputError: the configuration does not call for this document (a consent form
            where no lane compares faces).
    """
    if kind not in facts.offered:
        raise BadInputError(
            text(
                f"« {kind.heading} » n'a pas lieu d'être : aucune voie ne compare les visages.",
                f"{kind.value} is not offered: no lane compares faces.",
            )
        )
    name, options = TEMPLATES[kind]
    page = (
        _environment()
        .get_template(name)
        .render(
            facts=facts,
            kind=kind,
            face=facts.face,
            info=facts.information,
            generated_on=french_date(facts.generated_at, facts.site.timezone),
            qr=qr_svg(facts.information.notice_url) if facts.information.notice_url else None,
            cnil_complaints=CNIL_COMPLAINTS,
            cnil_address=CNIL_ADDRESS,
            **options,
        )
    )
    return RenderedDocument(kind, french_typography(page))


def render_all(facts: NoticeFacts) -> tuple[RenderedDocument, ...]:
    return tuple(render(facts, kind) for kind in facts.offered)


def readability(document: RenderedDocument) -> Readability:
    """The Kandel–Moles reading ease of a document's prose (its ``<article>``)."""
    return kandel_moles(prose_blocks(document.html))


# Writing and recording ------------------------------------------------------------------


@dataclass(frozen=True)
class WrittenDocument:
    kind: DocumentKind
    html: Path
    pdf: Path | None

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "title": self.kind.heading,
            "paper": self.kind.paper,
            "html": str(self.html),
            "pdf": None if self.pdf is None else str(self.pdf),
        }


def write(
    documents: Sequence[RenderedDocument],
    out_dir: Path,
    *,
    pdf: bool = True,
    progress: Callable[[DocumentKind], None] | None = None,
) -> tuple[WrittenDocument, ...]:
    """Writes ``<kind>.html`` (and ``<kind>.pdf``, printed by Chromium) into ``out_dir``.

    Raises:
        BadInputError: the folder cannot be written.
        DocumentRenderError: Chromium is missing or fails.
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        pages = []
        for document in documents:
            path = out_dir / f"{document.kind.value}.html"
            path.write_text(document.html, encoding="utf-8")
            pages.append(path)
    except OSError as exc:
        raise BadInputError(
            text(
                f"Impossible d'écrire dans {out_dir} : {exc.strerror or exc}.",
                f"Cannot write to {out_dir}: {exc.strerror or exc}.",
            )
        ) from None
    printed: list[Path | None] = [None] * len(pages)
    if pdf:
        jobs = [
            PdfJob(page, page.with_suffix(".pdf"), document.kind.paper)
            for page, document in zip(pages, documents, strict=True)
        ]
        kinds = {job: document.kind for job, document in zip(jobs, documents, strict=True)}
        printed = list(
            print_pdfs(
                jobs, on_printed=None if progress is None else lambda job: progress(kinds[job])
            )
        )
    return tuple(
        WrittenDocument(document.kind, page, printed_pdf)
        for document, page, printed_pdf in zip(documents, pages, printed, strict=True)
    )


def record_generation(
    session: Session, facts: NoticeFacts, written: Sequence[WrittenDocument]
) -> None:
    """Records the generation in the site's audit log, with the version it describes."""
    audit.record(
        session,
        site_id=facts.site.site_id,
        action=GENERATE_ACTION,
        target=f"sites:{facts.site.site_id}",
        details={
            "configuration_version": facts.version,
            "documents": [document.kind.value for document in written],
            "pdf": all(document.pdf is not None for document in written),
        },
        at=facts.generated_at,
    )


@dataclass(frozen=True)
class GeneratedDocuments:
    """One generation: the facts it describes and the files it wrote."""

    facts: NoticeFacts
    documents: tuple[WrittenDocument, ...]
    readability: dict[DocumentKind, Readability]
    """The reading ease of each notice (the families' one is held to a target band)."""

    def as_json(self, out_dir: Path) -> dict[str, Any]:
        offered = {document.kind for document in self.documents}
        return {
            "out": str(out_dir),
            "generated_at": self.facts.generated_at.isoformat(),
            "configuration_version": self.facts.version,
            "face_comparison": self.facts.face is not None,
            "template_store": None
            if self.facts.face is None
            else self.facts.face.template_store.value,
            "documents": [document.as_json() for document in self.documents],
            "not_offered": [kind.value for kind in DocumentKind if kind not in offered],
            "missing": list(self.facts.information.missing()),
            "readability": {
                kind.value: measured.as_json() for kind, measured in self.readability.items()
            },
        }


NOTICES = (DocumentKind.NOTICE_FAMILIES, DocumentKind.NOTICE_STAFF, DocumentKind.NOTICE_VISITORS)


def generate(
    site: SiteHandle,
    out_dir: Path,
    *,
    now: datetime,
    pdf: bool = True,
    policy: RetentionPolicy | None = None,
    on_start: Callable[[int], None] | None = None,
    progress: Callable[[DocumentKind], None] | None = None,
) -> GeneratedDocuments:
    """Writes every document the site's configuration calls for into ``out_dir`` and
    records the generation in the audit log.

    Chromium prints outside any transaction, so the site's database is never held while
    the PDFs are made (SQLite takes its write lock for a whole transaction).

    Raises:
        BadInputError: the folder cannot be written.
        DocumentRenderError: Chromium is missing or fails (nothing is recorded then).
    """
    with site.session() as session:
        facts = gather(session, site.site_id, now=now, policy=policy)
    rendered = render_all(facts)
    if on_start is not None:
        on_start(len(rendered) if pdf else 0)
    written = write(rendered, out_dir, pdf=pdf, progress=progress)
    with site.session() as session:
        record_generation(session, facts, written)
    return GeneratedDocuments(
        facts,
        written,
        {document.kind: readability(document) for document in rendered if document.kind in NOTICES},
    )
