"""The administration's console pages: people, CSV import, consent, cards, lanes and timetables.

Every page here needs the administration's permissions (a DPO may read the people); an
agent gets 403. A card carries its credential, so it is handed over once, in the answer
to the form that issued it, and never kept or served again.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from portique.access import ConsentGiver, Weekday
from portique.access import Role as PersonRole
from portique.credentials import CredentialKind
from portique.errors import BadInputError, PortiqueError
from portique.i18n import text
from portique.server import queries
from portique.server.console.directory import (
    PAGE_SIZES,
    people_link,
    people_query,
    people_translator,
    selection_fields,
)
from portique.server.console.pages import (
    ChoiceField,
    IdField,
    ManageConsent,
    ManageCredentials,
    ManagePeople,
    ManagePeoplePage,
    ManageSite,
    Page,
    PersonFields,
    ShortField,
    TextField,
    ViewPeople,
    ViewSite,
    download,
    see_other,
    site_zone,
)
from portique.server.errors import NotFoundError
from portique.server.imports import import_job, start_import
from portique.server.lane_devices import revoke as revoke_device
from portique.server.phone import site_address
from portique.server.uploads import read_people_file
from portique.services import (
    CONSENT_WITHDRAWN,
    CredentialStatus,
    ImportReport,
    NewPerson,
    PeopleSort,
    PersonRecord,
    Withdrawal,
    add_person,
    create_enrolment_link,
    get_person,
    grant_consent,
    issue_credential,
    list_people,
    parse_date,
    revoke_credential,
    search_people,
    set_group_timetable,
    set_lane_face,
    set_opening_hours,
    withdraw_consent,
)
from portique.services.credentials import CardFormat
from portique.services.lane_devices import lane_registry
from portique.services.phone import PHONE_REPLACED, link_qr_png
from portique.services.roster import read_roster
from portique.services.timetables import WEEKDAY_NAMES
from portique.store import ACTIVE, Credentials, Sites

router = APIRouter(include_in_schema=False)

CARD_CHOICES: tuple[str, ...] = ("show", "png", "pdf")
"""How an issued card is handed over: shown in the page (to print), or as a file."""
CARD_MEDIA_TYPES: dict[CardFormat, str] = {"png": "image/png", "pdf": "application/pdf"}
GUARDIAN_GIVERS = (ConsentGiver.PARENT, ConsentGiver.LEGAL_GUARDIAN)

FIELD_MAX = 200
MAX_PARENTS_LISTED = 200
"""Beyond this many parents, a guardian is given by id rather than chosen in a list."""


# People -------------------------------------------------------------------------------


@router.get("/people")
def people(page: ViewPeople) -> Response:
    return _people(page)


def _people(page: Page, error: str | None = None, status_code: int = 200) -> Response:
    state = page.state
    query = people_query(page.request.query_params)
    with state.site.session() as session:
        found = search_people(session, state.site.site_id, query, now=state.now())
        classes = queries.classes(session, state.site.site_id)
        parents = queries.parents(session, state.site.site_id, limit=MAX_PARENTS_LISTED + 1)
    return page.render(
        "people.html",
        status_code,
        found=found,
        query=query,
        p=people_translator(page.lang),
        link=people_link(page.request.query_params),
        selection=selection_fields(page.request.query_params),
        classes=classes,
        roles=list(PersonRole),
        statuses=list(CredentialStatus),
        sorts=list(PeopleSort),
        page_sizes=PAGE_SIZES,
        parents=parents[:MAX_PARENTS_LISTED],
        parents_listed=len(parents) <= MAX_PARENTS_LISTED,
        error=error,
    )


@router.post("/people")
def people_add(
    page: ManagePeople,
    person: PersonFields,
    role: ShortField = PersonRole.STUDENT.value,
    group: TextField = "",
    guardian: IdField = "",
) -> Response:
    try:
        born = _form_date(person.birth_date)
        if role not in {r.value for r in PersonRole}:
            raise BadInputError(page.t("role_unknown"))
        new = NewPerson(
            person.last_name,
            person.first_name,
            born,
            PersonRole(role),
            (group,) if group.strip() else (),
            (guardian,) if guardian else (),
        )
        with page.state.site.session() as session:
            person_id = add_person(session, page.state.site.site_id, new, now=page.state.now())
    except BadInputError as error:
        return _people(page, error.message, 400)
    return see_other(f"/people/{person_id}")


def _form_date(value: str) -> date:
    """A date from a form: ``yyyy-mm-dd`` (date inputs) or ``dd/mm/yyyy`` (typed)."""
    return parse_date(value)


# Import (declared before /people/{person_id}, which would take "import" for an id) ------


@router.get("/people/import")
def import_page(page: ManagePeoplePage) -> Response:
    return page.render("import.html")


@router.post("/people/import")
def import_file(page: ManagePeople, file: Annotated[UploadFile | None, File()] = None) -> Response:
    """Reads a CSV export at once (a file that cannot be read imports nobody: the form
    again, with the reason), then imports it in the background and shows its progress."""
    if file is None:
        return page.render("import.html", 400, error=page.t("import_choose"))
    data = read_people_file(file)
    state = page.state
    file_name = file.filename or ""
    try:
        read_roster(data, today=state.now().astimezone(site_zone(state)).date())
    except BadInputError as error:
        return page.render("import.html", 400, error=error.message, file_name=file_name)
    job_id = start_import(state, data, file_name=file_name, by=page.user.principal.name)
    return see_other(f"/people/import/jobs/{job_id}")


SHOWN_ADDED = 500
"""People listed by name under an import's report; the count says how many in all."""


@router.get("/people/import/jobs/{job_id}/status")
def import_status(job_id: str, page: ManagePeoplePage) -> dict[str, object]:
    """How far an import is (its page's script asks every half second, as for class
    actions, instead of reloading the page under a screen reader)."""
    job = import_job(page.state, job_id)
    if job is None:
        raise NotFoundError(text("Import inconnu.", "Unknown import."))
    state = "running" if job.finished_at is None else "done"
    return {"state": state, "done": job.lines_done, "total": job.lines}


@router.get("/people/import/jobs/{job_id}")
def import_progress(job_id: str, page: ManagePeoplePage) -> Response:
    """An import's progress while it runs, then its report: people added, lines refused
    with their line number and reason."""
    job = import_job(page.state, job_id)
    if job is None:
        raise NotFoundError(text("Import inconnu.", "Unknown import."))
    if job.finished_at is None:
        return page.render("import_job.html", job=job)
    if job.report is None:
        return page.render("import.html", error=job.error, file_name=job.file_name)
    report, state = job.report, page.state
    with state.site.session() as session:
        shown = report.imported[:SHOWN_ADDED]
        added = list_people(session, state.site.site_id, now=state.now(), person_ids=shown)
    return page.render(
        "import.html",
        report=report,
        added=_in_file_order(report, added),
        file_name=job.file_name,
    )


def _in_file_order(report: ImportReport, added: list[PersonRecord]) -> list[PersonRecord]:
    by_id = {record.person_id: record for record in added}
    return [by_id[person_id] for person_id in report.imported if person_id in by_id]


# One person: consent and credentials ----------------------------------------------------


@router.get("/people/{person_id}")
def person_page(person_id: str, page: ViewPeople) -> Response:
    return _person(page, person_id)


def _person(
    page: Page,
    person_id: str,
    *,
    card: bytes | None = None,
    withdrawal: Withdrawal | None = None,
    phone_link: ShownLink | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    state = page.state
    site_id = state.site.site_id
    now = state.now()
    with state.site.session() as session:
        record = get_person(session, site_id, person_id, now=now)
        guardians = list_people(session, site_id, now=now, person_ids=record.guardian_ids)
        consent = queries.latest_consent(session, person_id)
        credentials = list(Credentials(session).of_person(person_id))
    names = {record.person_id: record.display_name}
    names.update((guardian.person_id, guardian.display_name) for guardian in guardians)
    return page.render(
        "person.html",
        status_code,
        person=record,
        guardians=guardians,
        names=names,
        consent=consent,
        givers=GUARDIAN_GIVERS,
        credentials=credentials,
        face_credentials=sum(1 for c in credentials if c.has_template and c.status == ACTIVE),
        consent_withdrawn=CONSENT_WITHDRAWN,
        card=None if card is None else base64.b64encode(card).decode("ascii"),
        withdrawal=withdrawal,
        phone_link=phone_link,
        phone_replaced=PHONE_REPLACED,
        error=error,
    )


@router.post("/people/{person_id}/credentials")
def credential_issue(
    person_id: str, page: ManageCredentials, card: ChoiceField = "show"
) -> Response:
    """Issues a printable card without a face. The card carries the credential, so it is
    handed over in this answer only: shown in the page to print, or as a PNG or PDF file
    to download. Nothing keeps it; a lost card is revoked and a new one issued."""
    if card not in CARD_CHOICES:
        return _person(page, person_id, error=page.t("card_choice"), status_code=400)
    fmt: CardFormat = "pdf" if card == "pdf" else "png"
    state = page.state
    try:
        with state.site.session() as session:
            issued = issue_credential(
                session,
                state.site.site_id,
                state.site.keyring(),
                person_id,
                now=state.now(),
                card=fmt,
                kind=CredentialKind.CARD,
                lang=page.lang,
            )
    except BadInputError as error:
        return _person(page, person_id, error=error.message, status_code=400)
    if card == "show":
        return _person(page, person_id, card=issued.card)
    return download(issued.card, CARD_MEDIA_TYPES[fmt], f"carte-{issued.credential_id}.{fmt}")


@dataclass(frozen=True)
class ShownLink:
    """A phone enrolment link as the person page shows it, once: its address and its QR
    code (a PNG in Base64) to scan at the desk."""

    url: str
    expires_at: datetime
    qr: str


@router.post("/people/{person_id}/phone-link")
def phone_link_create(person_id: str, page: ManageCredentials) -> Response:
    """A one-time link for the person to enrol their phone, shown in this answer only."""
    state = page.state
    try:
        with state.site.session() as session:
            link = create_enrolment_link(session, state.site.site_id, person_id, now=state.now())
    except BadInputError as error:
        return _person(page, person_id, error=error.message, status_code=400)
    url = link.url(site_address(page.request))
    qr = base64.b64encode(link_qr_png(url)).decode("ascii")
    return _person(page, person_id, phone_link=ShownLink(url, link.expires_at, qr))


@router.post("/credentials/{credential_id}/revoke")
def credential_revoke(
    credential_id: str, page: ManageCredentials, reason: TextField = ""
) -> Response:
    state = page.state
    with state.site.session() as session:
        credential = Credentials(session).get(state.site.site_id, credential_id)
        person_id = None if credential is None else credential.person_id
        record = revoke_credential(
            session,
            state.site.site_id,
            credential_id,
            reason=" ".join(reason.split()) or "revoked",
            now=state.now(),
        )
    return see_other(f"/people/{person_id or record.person_id}")


@router.post("/people/{person_id}/consent")
def consent_grant(
    person_id: str,
    page: ManageConsent,
    by: IdField = "",
    giver: ShortField = "",
) -> Response:
    """Records a consent: a minor's is given by one of their guardians (``by``), an
    adult consents for themselves (no ``by``). The services refuse anyone else."""
    try:
        chosen = _giver(giver, page.t)
        with page.state.site.session() as session:
            grant_consent(
                session,
                page.state.site.site_id,
                person_id,
                by=by or None,
                now=page.state.now(),
                giver=chosen,
            )
    except BadInputError as error:
        return _person(page, person_id, error=error.message, status_code=400)
    return see_other(f"/people/{person_id}")


def _giver(value: str, t: Callable[[str], str]) -> ConsentGiver | None:
    if not value:
        return None
    if value not in {giver.value for giver in GUARDIAN_GIVERS}:
        raise BadInputError(t("giver_unknown"))
    return ConsentGiver(value)


@router.post("/people/{person_id}/consent/withdraw")
def consent_withdraw(
    person_id: str,
    page: ManageConsent,
    by: IdField = "",
    confirm: ChoiceField = "",
) -> Response:
    """Withdraws the consent, asked by the person or one of their guardians, once the
    administration confirms: every credential carrying the face is revoked at once and
    replaced by a card without face, shown in the answer to print or download."""
    if confirm != "yes":
        return _person(page, person_id, error=page.t("confirm_needed"), status_code=400)
    state = page.state
    site_id = state.site.site_id
    try:
        with state.site.session() as session:
            record = get_person(session, site_id, person_id, now=state.now())
            if by not in (person_id, *record.guardian_ids):
                raise BadInputError(page.t("withdraw_by_unknown"))
            withdrawal = withdraw_consent(
                session,
                site_id,
                person_id,
                by=by,
                now=state.now(),
                keyring=state.site.keyring(),
                lang=page.lang,
            )
    except BadInputError as error:
        return _person(page, person_id, error=error.message, status_code=400)
    # The replacement card, without template, is handed over in this answer only.
    card = withdrawal.reissued[0].card if withdrawal.reissued else None
    return _person(page, person_id, withdrawal=withdrawal, card=card)


# Lanes and timetables -----------------------------------------------------------------


@router.get("/lanes")
def lanes(page: ViewSite) -> Response:
    """The site's set-up: zones and lanes, opening hours, the calendar and each class's
    week; the administration changes them here."""
    return _lanes(page)


def _lanes(page: Page, error: str | None = None, status_code: int = 200) -> Response:
    with page.state.site.session() as session:
        setup = queries.site_setup(session, page.state.site.site_id)
    devices = {record.lane_id: record for record in lane_registry(page.state.site).lanes()}
    return page.render(
        "lanes.html",
        status_code,
        setup=setup,
        devices=devices,
        weekdays=list(Weekday),
        error=error,
    )


@router.post("/lanes/{lane_id}/revoke")
def lane_device_revoke(lane_id: str, page: ManageSite) -> Response:
    """Cuts a lost or stolen lane device off (as `portique lane revoke`): its key refused
    by the hub, its broker login and API tokens removed, an alert, an audit entry."""
    try:
        revoke_device(page.state.site, lane_id, now=page.state.now(), by=page.user.principal.name)
    except PortiqueError as error:
        return _lanes(page, error.message, 400)
    return see_other("/lanes")


@router.post("/lanes/opening-hours")
async def opening_hours_edit(page: ManageSite) -> Response:
    """Replaces the weekly opening hours (one field per day); their exceptions stay."""

    def change(session: Session, week: dict[str, Any]) -> None:
        site_id = page.state.site.site_id
        current = Sites(session).get(site_id)
        exceptions = [] if current is None else current.opening_hours.get("exceptions", [])
        hours = {"week": week, "exceptions": exceptions}
        set_opening_hours(session, site_id, hours, now=page.state.now())

    return await _change_week(page, change)


@router.post("/lanes/classes/{group_id}/timetable")
async def class_timetable_edit(group_id: str, page: ManageSite) -> Response:
    """Replaces a class's week (one field per day, and its lunch break); its own
    exceptions stay."""

    def change(session: Session, week: dict[str, Any]) -> None:
        site_id = page.state.site.site_id
        group = Sites(session).group(site_id, group_id)
        exceptions = [] if group is None else group.timetable.get("exceptions", [])
        timetable = {"week": week, "exceptions": exceptions}
        set_group_timetable(session, site_id, group_id, timetable, now=page.state.now())

    return await _change_week(page, change)


@router.post("/lanes/{lane_id}/face")
def lane_face_edit(lane_id: str, page: ManageSite, offered: ChoiceField = "") -> Response:
    """Offers face comparison at a lane, or stops offering it there."""

    def change(session: Session) -> None:
        if offered not in ("yes", "no"):
            raise BadInputError(page.t("offered_choice"))
        state = page.state
        set_lane_face(session, state.site.site_id, lane_id, offered == "yes", now=state.now())

    return _change_setup(page, change)


async def _change_week(page: Page, change: Callable[[Session, dict[str, Any]], None]) -> Response:
    """Replaces a week of the set-up by the one the form gives (see ``_change_setup``)."""
    form = await page.request.form()
    return await run_in_threadpool(
        _change_setup, page, lambda session: change(session, _week_from_form(form, page))
    )


def _change_setup(page: Page, change: Callable[[Session], None]) -> Response:
    """Makes ``change`` in one transaction and goes back to the page, or shows the page
    with the error and a 400, nothing saved."""
    try:
        with page.state.site.session() as session:
            change(session)
    except BadInputError as error:
        return _lanes(page, error.message, 400)
    return see_other("/lanes")


def _week_from_form(form: Mapping[str, Any], page: Page) -> dict[str, Any]:
    """A timetable's week from the fields ``day-monday`` (ranges separated by commas) and
    ``lunch-monday``; the services check each range."""
    week: dict[str, Any] = {}
    for name in WEEKDAY_NAMES:
        ranges, lunch = _field(form, f"day-{name}", page), _field(form, f"lunch-{name}", page)
        parts = [part.strip() for part in ranges.split(",") if part.strip()]
        if parts or lunch.strip():
            week[name] = {"ranges": parts, **({"lunch": lunch.strip()} if lunch.strip() else {})}
    return week


def _field(form: Mapping[str, Any], name: str, page: Page) -> str:
    value = form.get(name, "")
    if not isinstance(value, str) or len(value) > FIELD_MAX:
        raise BadInputError(page.t("field_too_long"))
    return value
