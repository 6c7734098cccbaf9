"""The console's actions on a class or a filtered list: issue or print its cards, revoke
its credentials, record the consents collected on paper.

Each action is previewed first (``GET /people/bulk/<action>`` with the People page's
search): the people it will act on and what each will get, everyone ticked; the
administration unticks whom it must, confirms, and the action runs as a background job
(``/jobs/<id>``, its progress, then its report person by person and its files). Only the
people ticked in the preview are acted on, never a new search.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams

from portique.errors import BadInputError
from portique.i18n import text
from portique.registers.cards import issue_cards_each
from portique.server.console.directory import people_query, people_translator, selection_fields
from portique.server.console.pages import (
    ManageConsent,
    ManageConsentPage,
    ManageCredentials,
    ManageCredentialsPage,
    Page,
    ViewPeople,
    download,
    see_other,
)
from portique.server.errors import NotFoundError
from portique.server.jobs import Job, JobFile, JobLine
from portique.server.roles import Permission
from portique.services import MAX_PAGE_SIZE, PeopleQuery, select_people
from portique.services.batches import (
    MAX_BATCH,
    BatchPerson,
    Outcome,
    batch_people,
    record_paper_consents,
    revoke_people,
)
from portique.store import People

router = APIRouter(include_in_schema=False)

ACTIONS: dict[str, Permission] = {
    "cards": Permission.MANAGE_CREDENTIALS,
    "revoke": Permission.MANAGE_CREDENTIALS,
    "consent": Permission.MANAGE_CONSENT,
}
SELF = "self"
"""The choice of an adult who signed their consent form themselves."""
BETWEEN_PEOPLE_S = 0.12
"""A batch's pause between two people: the requests and lanes waiting for SQLite's write
lock get their turn (see ``issue_cards_each``)."""
SHEET = "planche.pdf"
ARCHIVE = "cartes.zip"


def _selected(page: Page) -> list[BatchPerson]:
    """Everyone the People page's search finds (refused unless the search narrows it).

    Raises:
        BadInputError: no filter, or more people than one action takes.
    """
    query = people_query(page.request.query_params)
    if not query.filtered:
        raise BadInputError(people_translator(page.lang)("bulk_needs_filter"))
    everyone = PeopleQuery(
        text=query.text,
        role=query.role,
        group_id=query.group_id,
        consent=query.consent,
        credential_status=query.credential_status,
        limit=MAX_PAGE_SIZE,
    )
    state = page.state
    with state.site.session() as session:
        found = select_people(session, state.site.site_id, everyone, now=state.now())
        return batch_people(session, state.site.site_id, found)


def _preview(page: Page, action: str, status_code: int = 200, **context: Any) -> Response:
    p = people_translator(page.lang)
    try:
        people = _selected(page)
    except BadInputError as error:
        return page.render(
            "bulk.html", 400, p=p, action=action, people=[], error=error.message, back=_back(page)
        )
    return page.render(
        "bulk.html",
        status_code,
        p=p,
        action=action,
        people=people,
        selection=selection_fields(page.request.query_params),
        back=_back(page),
        self_choice=SELF,
        max_batch=MAX_BATCH,
        **context,
    )


def _back(page: Page) -> str:
    fields = selection_fields(page.request.query_params)
    return f"/people?{QueryParams(fields)}" if fields else "/people"


@router.get("/people/bulk/cards")
def cards_preview(page: ManageCredentialsPage) -> Response:
    return _preview(page, "cards")


@router.get("/people/bulk/revoke")
def revoke_preview(page: ManageCredentialsPage) -> Response:
    return _preview(page, "revoke")


@router.get("/people/bulk/consent")
def consent_preview(page: ManageConsentPage) -> Response:
    return _preview(page, "consent")


async def _form(page: Page) -> Mapping[str, Any]:
    form = await page.request.form()
    return {key: form.getlist(key) for key in form}


def _ticked(form: Mapping[str, Any]) -> list[str]:
    """The people ticked in the preview (``person`` fields), each once.

    Raises:
        BadInputError: nobody ticked, or more than one action takes.
    """
    people = list(dict.fromkeys(v[:64] for v in form.get("person", []) if isinstance(v, str)))
    if not people or len(people) > MAX_BATCH:
        raise BadInputError(
            text(
                f"Cochez entre 1 et {MAX_BATCH} personnes.",
                f"Tick between 1 and {MAX_BATCH} people.",
            )
        )
    return people


def _first(form: Mapping[str, Any], name: str) -> str:
    values = form.get(name, [])
    return values[0] if values and isinstance(values[0], str) else ""


def _names(page: Page, person_ids: list[str]) -> dict[str, str]:
    state = page.state
    with state.site.session() as session:
        rows = People(session).of_site(state.site.site_id, person_ids)
        return {row.person_id: f"{row.first_name} {row.last_name}" for row in rows}


def _start(page: Page, kind: str, total: int, work: Any) -> Response:
    principal = page.user.principal
    job = page.state.jobs.start(
        work,
        owner=principal.name,
        kind=kind,
        total=total,
        now=page.state.now(),
        actor=f"account:{principal.name}",
        lang=page.lang,
    )
    return see_other(f"/jobs/{job.job_id}")


def _report(job: Job, outcomes: list[Outcome], names: Mapping[str, str]) -> None:
    job.lines.extend(
        JobLine(o.person_id, names.get(o.person_id, o.person_id), o.done, o.detail)
        for o in outcomes
    )


@router.post("/people/bulk/cards")
async def cards_run(page: ManageCredentials) -> Response:
    """Issues a card (without face) to each person ticked: an A4 sheet of CR80 cards and
    a ZIP of one PDF per card, handed over on the job's page."""
    form = await _form(page)
    p = people_translator(page.lang)
    if _first(form, "confirm") != "yes":
        return await run_in_threadpool(_preview, page, "cards", 400, error=p("confirm_needed"))
    try:
        person_ids = _ticked(form)
    except BadInputError as error:
        return await run_in_threadpool(_preview, page, "cards", 400, error=error.message)
    skip_holders = _first(form, "skip_holders") == "yes"
    names = await run_in_threadpool(_names, page, person_ids)
    state, lang = page.state, page.lang

    def work(job: Job) -> None:
        batch = issue_cards_each(
            state.site.session, state.site.site_id, state.site.keyring(), person_ids,
            now=state.now(), name=p("batch_name"), skip_holders=skip_holders, lang=lang,
            progress=job.progress, pause_s=BETWEEN_PEOPLE_S,
        )  # fmt: skip
        issued = {card.person_id: card.credential.credential_id for card in batch.cards}
        skipped = dict(batch.skipped)
        job.lines.extend(
            JobLine(pid, names.get(pid, pid), pid in issued,
                    issued.get(pid) or p("skip_" + skipped.get(pid, "unknown")))
            for pid in person_ids
        )  # fmt: skip
        if batch.cards:
            job.files[SHEET] = JobFile(SHEET, "application/pdf", batch.sheets())
            job.files[ARCHIVE] = JobFile(ARCHIVE, "application/zip", batch.archive())

    return _start(page, "cards", len(person_ids), work)


@router.post("/people/bulk/revoke")
async def revoke_run(page: ManageCredentials) -> Response:
    """Revokes every active credential of each person ticked, with the reason given."""
    form = await _form(page)
    p = people_translator(page.lang)
    reason = " ".join(_first(form, "reason").split())[:200]
    if _first(form, "confirm") != "yes" or not reason:
        error = p("confirm_needed") if reason else p("reason_needed")
        return await run_in_threadpool(_preview, page, "revoke", 400, error=error)
    try:
        person_ids = _ticked(form)
    except BadInputError as error:
        return await run_in_threadpool(_preview, page, "revoke", 400, error=error.message)
    names = await run_in_threadpool(_names, page, person_ids)
    state = page.state

    def work(job: Job) -> None:
        outcomes = revoke_people(
            state.site.session, state.site.site_id, person_ids, reason=reason, now=state.now(),
            progress=job.progress,
        )  # fmt: skip
        _report(job, outcomes, names)

    return _start(page, "revoke", len(person_ids), work)


@router.post("/people/bulk/consent")
async def consent_run(page: ManageConsent) -> Response:
    """Records the paper consents: for each person whose form came back, the guardian
    who signed it (``signed-<person id>``), or ``self`` for an adult."""
    form = await _form(page)
    p = people_translator(page.lang)
    if _first(form, "confirm") != "yes":
        return await run_in_threadpool(_preview, page, "consent", 400, error=p("confirm_needed"))
    signed: list[tuple[str, str | None]] = []
    for key in form:
        if key.startswith("signed-") and (value := _first(form, key)):
            signed.append((key.removeprefix("signed-")[:64], None if value == SELF else value[:64]))
    if not signed or len(signed) > MAX_BATCH:
        return await run_in_threadpool(_preview, page, "consent", 400, error=p("nobody_signed"))
    names = await run_in_threadpool(_names, page, [person_id for person_id, _ in signed])
    state = page.state

    def work(job: Job) -> None:
        outcomes = record_paper_consents(
            state.site.session, state.site.site_id, signed, now=state.now(), progress=job.progress
        )
        _report(job, outcomes, names)

    return _start(page, "consent", len(signed), work)


# The jobs -----------------------------------------------------------------------------


def _job(page: Page, job_id: str) -> Job:
    job = page.state.jobs.get(job_id[:64], page.user.principal.name, page.state.now())
    if job is None:
        raise NotFoundError(people_translator(page.lang)("job_unknown"))
    return job


@router.get("/jobs/{job_id}")
def job_page(job_id: str, page: ViewPeople) -> Response:
    """A job's progress while it runs (the page reloads itself), then its report."""
    return page.render("job.html", job=_job(page, job_id), p=people_translator(page.lang))


@router.get("/jobs/{job_id}/status")
def job_status(job_id: str, page: ViewPeople) -> dict[str, object]:
    """How far the job is (its page's script asks every half second)."""
    job = _job(page, job_id)
    return {"state": job.state.value, "done": job.done, "total": job.total}


@router.get("/jobs/{job_id}/{name}")
def job_file(job_id: str, name: str, page: ViewPeople) -> Response:
    """A file the job made (the sheet of cards, the ZIP), to its owner only."""
    found = _job(page, job_id).files.get(name)
    if found is None:
        raise NotFoundError(people_translator(page.lang)("job_unknown"))
    return download(found.content, found.media_type, found.name)
