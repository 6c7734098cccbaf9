"""The console's register pages: the SIECLE import with its preview, the recent departures,
and the agents' acknowledgement of departure alerts.

The administration uploads the exports; the server reads them in memory (never on
disk), shows what the import would do, and keeps the read files for this account until
it confirms or for :data:`PENDING_LIFETIME`. Confirming runs the same import for real,
audited under the account's name.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from portique.errors import BadInputError
from portique.registers import (
    RegisterFiles,
    SyncReport,
    acknowledge_departures,
    read_register,
    recent_departures,
    set_site_uai,
    site_uai,
    sync_register,
)
from portique.registers.views import cause_label, pupil_detail
from portique.registers.xmlfile import MAX_XML_BYTES
from portique.server.console.pages import (
    ChoiceField,
    IdField,
    ManagePeople,
    ManagePeoplePage,
    ManageSite,
    NextPage,
    Page,
    Review,
    ShortField,
    ViewAlerts,
    see_other,
)
from portique.server.console.registers_texts import register_translator

router = APIRouter(include_in_schema=False)

PENDING_LIFETIME = timedelta(minutes=30)
PENDING_MAX = 8
"""Previews kept at once on a server (the oldest goes first)."""
SHOWN_ROWS = 200
RETURN_PAGES = frozenset({"/alerts", "/departures"})


@dataclass(frozen=True)
class _Pending:
    username: str
    created_at: datetime
    files: RegisterFiles


class PendingImports:
    """Previews waiting for confirmation, in memory only, bound to the account."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[str, _Pending] = OrderedDict()

    def put(self, username: str, files: RegisterFiles, now: datetime) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._items[token] = _Pending(username, now, files)
            while len(self._items) > PENDING_MAX:
                self._items.popitem(last=False)
        return token

    def take(self, token: str, username: str, now: datetime) -> RegisterFiles | None:
        with self._lock:
            pending = self._items.get(token)
            if (
                pending is None
                or pending.username != username
                or now - pending.created_at > PENDING_LIFETIME
            ):
                return None
            del self._items[token]
            return pending.files


_CREATE_LOCK = threading.Lock()


def _pending(page: Page) -> PendingImports:
    """The previews of this server, made at the first one (kept beside its state)."""
    app_state = page.request.app.state
    with _CREATE_LOCK:
        if not hasattr(app_state, "registers_pending"):
            app_state.registers_pending = PendingImports()
    pending: PendingImports = app_state.registers_pending
    return pending


def _read_upload(upload: UploadFile | None) -> bytes | None:
    if upload is None or not upload.filename:
        return None
    upload.file.seek(0)
    return upload.file.read(MAX_XML_BYTES + 1)


def _departures_table(page: Page, session: Session) -> dict[str, object]:
    """What ``_departures_table.html`` shows the recent departures with: them, the
    register's words (``r``) and a cause's label."""
    state = page.state
    return {
        "r": register_translator(page.lang),
        "departures": recent_departures(session, state.site.site_id, now=state.now()),
        "cause_label": lambda cause: cause_label(cause, page.lang),
    }


def _page(page: Page, status_code: int = 200, **context: object) -> Response:
    state = page.state
    with state.site.session() as session:
        uai = site_uai(session, state.site.site_id)
        table = _departures_table(page, session)
    return page.render(
        "registers.html",
        status_code,
        uai=uai,
        detail=lambda plan: pupil_detail(plan, page.lang),
        shown_rows=SHOWN_ROWS,
        **table,
        **context,
    )


@router.get("/registers")
def registers_page(page: ManagePeoplePage) -> Response:
    return _page(page)


@router.post("/registers/preview")
def registers_preview(
    page: ManagePeople,
    pupils: Annotated[UploadFile | None, File()] = None,
    guardians: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Reads the exports and shows what importing them would do; writes nothing."""
    pupils_data = _read_upload(pupils)
    if pupils_data is None or pupils is None:
        return _page(page, 400, error=register_translator(page.lang)("choose"))
    guardians_data = _read_upload(guardians)
    try:
        files = read_register(
            pupils_data,
            guardians_data,
            pupils_name=pupils.filename or "eleves.xml",
            guardians_name=(guardians.filename if guardians else None) or "responsables.xml",
        )
        report = _sync(page, files, dry_run=True)
    except BadInputError as error:
        return _page(page, 400, error=error.message)
    token = _pending(page).put(page.user.principal.name, files, page.state.now())
    return _page(page, report=report, token=token)


@router.post("/registers/apply")
def registers_apply(
    page: ManagePeople,
    token: IdField = "",
    confirm: ChoiceField = "",
    allow_mass_departure: ChoiceField = "",
) -> Response:
    """Applies the import previewed under ``token``, once confirmed."""
    r = register_translator(page.lang)
    if confirm != "yes":
        return _page(page, 400, error=r("confirm"))
    files = _pending(page).take(token, page.user.principal.name, page.state.now())
    if files is None:
        return _page(page, 400, error=r("expired"))
    try:
        report = _sync(page, files, dry_run=False, allow_mass=allow_mass_departure == "yes")
    except BadInputError as error:
        return _page(page, 400, error=error.message)
    return _page(page, report=report)


def _sync(
    page: Page, files: RegisterFiles, *, dry_run: bool, allow_mass: bool = False
) -> SyncReport:
    state = page.state
    with state.site.session() as session:
        return sync_register(
            session,
            state.site.site_id,
            state.site.keys_dir,
            files,
            now=state.now(),
            dry_run=dry_run,
            allow_mass_departure=allow_mass,
        )


@router.post("/registers/uai")
def registers_uai(page: ManageSite, uai: ShortField = "") -> Response:
    try:
        with page.state.site.session() as session:
            set_site_uai(session, page.state.site.site_id, uai)
    except BadInputError as error:
        return _page(page, 400, error=error.message)
    return see_other("/registers")


# The agents: departures and their alerts -----------------------------------------------


@router.get("/departures")
def departures_page(page: ViewAlerts) -> Response:
    with page.state.site.session() as session:
        table = _departures_table(page, session)
    return page.render("departures.html", 200, **table)


@router.post("/departures/acknowledge")
def departures_acknowledge(
    page: Review,
    departure: Annotated[int | None, Form()] = None,
    next_page: NextPage = "/departures",
) -> Response:
    """The agent saw a departure (``departure``), or all of them (none given)."""
    chosen = None if departure is None else [departure]
    page.state.act(acknowledge_departures, chosen, by=page.user.principal.name)
    return see_other(next_page if next_page in RETURN_PAGES else "/departures")
