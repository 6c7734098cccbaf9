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

from fastapi import APIRouter, Form, HTTPException
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from portique.errors import BadInputError
from portique.i18n import Texts
from portique.privacy import notices
from portique.privacy.information import (
    FIELD_LABELS,
    DocumentKind,
    parse_information,
    set_information,
)
from portique.server.console.pages import ManageDocuments, ManageDocumentsPage, Page, see_other
from portique.server.state import AppState
from portique.server.texts import CATALOGUE
from portique.services.rows import site_row

router = APIRouter(include_in_schema=False)

FOLDER = "documents"
"""The folder of the site directory holding the last generation's files."""
MEDIA_TYPES = {".html": "text/html; charset=utf-8", ".pdf": "application/pdf"}
FIELD = 300
KNOWN = frozenset(kind.value for kind in DocumentKind)


TEXTS: Texts = CATALOGUE["documents"]


def _words(lang: str) -> dict[str, str]:
    index = 1 if lang == "en" else 0
    words = {key: pair[index] for key, pair in TEXTS.items()}
    words.update({f"field_{name}": pair[index] for name, pair in FIELD_LABELS.items()})
    return words


def folder(state: AppState) -> Path:
    return state.site.directory / FOLDER


@router.get("/documents")
def documents_page(page: ManageDocumentsPage) -> Response:
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
def documents_file(name: str, page: ManageDocumentsPage) -> Response:
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
