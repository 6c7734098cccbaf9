"""The console's Documents page: the information and consent documents of the site, their
generation, the contacts they name, and a warning when the configuration has changed
since they were last generated (the families must then be told again).

The documents are generic (they name no one but the controller and the DPO), so the last
generation's files are kept in the site folder (``documents/``) and served from there to
the administration and the DPO; the audit log keeps the history.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from portique.errors import BadInputError
from portique.privacy import notices
from portique.privacy.information import (
    FIELD_LABELS,
    DocumentKind,
    parse_information,
    set_information,
)
from portique.server.console.pages import Page, posting, see_other, viewing
from portique.server.roles import Permission
from portique.server.state import AppState
from portique.services.rows import site_row

router = APIRouter(include_in_schema=False)

FOLDER = "documents"
"""The folder of the site directory holding the last generation's files."""
MEDIA_TYPES = {".html": "text/html; charset=utf-8", ".pdf": "application/pdf"}
FIELD = 300
KNOWN = frozenset(kind.value for kind in DocumentKind)

ViewDocuments = Annotated[Page, Depends(viewing(Permission.MANAGE_DOCUMENTS))]
ManageDocuments = Annotated[Page, Depends(posting(Permission.MANAGE_DOCUMENTS))]

TEXTS: dict[str, tuple[str, str]] = {
    "title": ("Documents d'information et de consentement", "Information and consent documents"),
    "intro": (
        "Ce que les élèves, les familles, les personnels et les visiteurs reçoivent et "
        "signent, écrit d'après la configuration réelle du site. Chaque document porte sa "
        "date et la version de la configuration qu'il décrit.",
        "What pupils, families, staff and visitors are given and sign, written from the "
        "site's real configuration. Each document carries its date and the configuration "
        "version it describes.",
    ),
    "never": (
        "Les documents n'ont jamais été générés : générez-les et remettez-les avant la mise "
        "en service.",
        "The documents were never generated: generate them and hand them out before going live.",
    ),
    "changed": (
        "La configuration a changé depuis la dernière génération : générez les documents de "
        "nouveau et remettez-les aux familles, aux personnels et à l'accueil.",
        "The configuration changed since the last generation: generate the documents again "
        "and hand them out to families, staff and reception.",
    ),
    "current": (
        "Les documents décrivent la configuration actuelle.",
        "The documents describe the current configuration.",
    ),
    "last": ("Dernière génération", "Last generation"),
    "by": ("par", "by"),
    "version_now": ("Version de la configuration", "Configuration version"),
    "version_then": ("version décrite", "version described"),
    "missing": (
        "À compléter dans les coordonnées (les documents portent des blancs à ces endroits) :",
        "To fill in below (the documents have blanks there):",
    ),
    "generate": ("Générer les documents (HTML et PDF)", "Generate the documents (HTML and PDF)"),
    "generate_help": (
        "Chromium imprime les PDF : comptez quelques secondes par document.",
        "Chromium prints the PDFs: allow a few seconds per document.",
    ),
    "files": ("Documents de la dernière génération", "Documents of the last generation"),
    "not_offered": (
        "Aucune voie ne compare les visages : pas de formulaire de consentement, et les "
        "notices disent qu'il n'y a pas de biométrie.",
        "No lane compares faces: no consent form, and the notices say there is no biometrics.",
    ),
    "facts": ("Ce que les documents disent", "What the documents say"),
    "face": ("Comparaison du visage", "Face comparison"),
    "face_off": ("non utilisée (aucune biométrie)", "not used (no biometrics)"),
    "store": ("Stockage des gabarits", "Template store"),
    "store_card": ("sur la carte de la personne", "on the person's card"),
    "store_central": (
        "stockage central scellé (clé portée par la carte)",
        "central store, sealed (key carried by the card)",
    ),
    "pad": ("Détection des photos et écrans", "Presentation-attack detection"),
    "pad_on": ("en service", "in use"),
    "pad_off": ("non utilisée", "not in use"),
    "model": ("Modèle et seuil", "Model and threshold"),
    "retention": ("Conservation", "Retention"),
    "retention_line": (
        "passages {passages} j ; visiteurs {visitors} j après la visite ; "
        "journal d'audit {audit} j",
        "passages {passages} d; visitors {visitors} d after the visit; audit log {audit} d",
    ),
    "contacts": ("Coordonnées", "Contacts"),
    "recipients_help": (
        "Destinataires extérieurs, un par ligne (la Région qui héberge le serveur…)",
        "Outside recipients, one per line (the region hosting the server...)",
    ),
    "controller_help": (
        "Vide : « Le chef d'établissement ».",
        "Empty: the head of the establishment.",
    ),
    "save": ("Enregistrer", "Save"),
}


def _words(lang: str) -> dict[str, str]:
    index = 1 if lang == "en" else 0
    words = {key: pair[index] for key, pair in TEXTS.items()}
    words.update({f"field_{name}": pair[index] for name, pair in FIELD_LABELS.items()})
    return words


def folder(state: AppState) -> Path:
    return state.site.directory / FOLDER


@router.get("/documents")
def documents_page(page: ViewDocuments) -> Response:
    return _page(page)


def _page(page: Page, error: str | None = None, status_code: int = 200) -> Response:
    state = page.state
    with state.site.session() as session:
        facts = notices.gather(session, state.site.site_id, now=state.now())
        standing = notices.status(facts, session)
    shown = standing.last.documents if standing.last else ()
    files = [
        (DocumentKind(name), [path.name for path in _files(state, DocumentKind(name))])
        for name in shown
        if name in KNOWN
    ]
    return page.render(
        "documents.html",
        status_code,
        d=_words(page.lang),
        facts=facts,
        standing=standing,
        files=files,
        error=error,
    )


def _files(state: AppState, kind: DocumentKind) -> list[Path]:
    return [
        path
        for suffix in MEDIA_TYPES
        if (path := folder(state) / f"{kind.value}{suffix}").is_file()
    ]


@router.post("/documents/generate")
def documents_generate(page: ManageDocuments) -> Response:
    """Writes every document into the site folder (HTML, and PDF by Chromium) and records
    the generation in the audit log under the signed-in account."""
    state = page.state
    try:
        notices.generate(state.site, folder(state), now=state.now())
    except BadInputError as error:
        return _page(page, error.message, 400)
    return see_other("/documents")


class ContactsForm(BaseModel):
    """The contacts form of the Documents page; the outside recipients one per line."""

    controller: str = Field("", max_length=FIELD)
    controller_address: str = Field("", max_length=FIELD)
    dpo: str = Field("", max_length=FIELD)
    dpo_email: str = Field("", max_length=FIELD)
    dpo_address: str = Field("", max_length=FIELD)
    notice_url: str = Field("", max_length=FIELD)
    recipients: str = Field("", max_length=12 * 210)


@router.post("/documents/contacts")
def documents_contacts(page: ManageDocuments, form: Annotated[ContactsForm, Form()]) -> Response:
    """Stores what the documents say of the controller, the DPO, the full notice's address
    and the outside recipients (one per line)."""
    try:
        recipients = tuple(form.recipients.splitlines())
        information = parse_information({**form.model_dump(), "recipients": recipients})
        with page.state.site.session() as session:
            set_information(site_row(session, page.state.site.site_id), information)
    except BadInputError as error:
        return _page(page, error.message, 400)
    return see_other("/documents")


@router.get("/documents/files/{name}")
def documents_file(name: str, page: ViewDocuments) -> Response:
    """One file of the last generation, by its exact name (``<kind>.html|.pdf``), as a
    download: the documents are self-contained pages whose inline style the console's
    content security policy would block, and they are meant to be printed."""
    stem, dot, suffix = name.rpartition(".")
    if stem not in KNOWN or f"{dot}{suffix}" not in MEDIA_TYPES:
        raise HTTPException(status_code=404)
    path = folder(page.state) / f"{DocumentKind(stem).value}.{suffix}"
    if not path.is_file():
        raise HTTPException(status_code=404)
    return FileResponse(
        path,
        media_type=MEDIA_TYPES[f".{suffix}"],
        filename=path.name,
    )
