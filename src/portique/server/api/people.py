"""The API's people, credentials and consent: the administration's records, each open to
the roles whose job needs it."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Query, Request, Response, UploadFile, status

from portique.access import Role
from portique.credentials import CredentialKind
from portique.server.api.common import (
    Lang,
    ManageConsent,
    ManageCredentials,
    ManagePeople,
    State,
    ViewPeople,
    api_router,
)
from portique.server.api.schemas import (
    ConsentIn,
    ConsentOut,
    CredentialIn,
    CredentialOut,
    ImportOut,
    PersonIn,
    PersonOut,
    RevocationOut,
    RevokeIn,
    WithdrawalOut,
    WithdrawIn,
)
from portique.server.uploads import read_people_file
from portique.services import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    CredentialStatus,
    NewPerson,
    PeopleQuery,
    PeopleSort,
    add_person,
    bind_badge,
    get_person,
    grant_consent,
    import_people_in_steps,
    issue_credential,
    revoke_credential,
    search_people,
    withdraw_consent,
)

router = api_router(400, 401, 403, 404, 409, 422, 429, 503)


@router.get("/people", tags=["people"])
def people_list(
    state: State,
    _: ViewPeople,
    request: Request,
    response: Response,
    q: Annotated[
        str,
        Query(
            max_length=200,
            description="Words of the name, in any case, with or without accents; each "
            "word is found in the last or the first name.",
        ),
    ] = "",
    role: Role | None = None,
    group: Annotated[
        str | None, Query(alias="class", max_length=64, description="A class (group) id.")
    ] = None,
    consent: Annotated[bool | None, Query(description="Whether a consent is in force now.")] = None,
    credential_status: CredentialStatus | None = None,
    sort: PeopleSort = PeopleSort.NAME,
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "asc",
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"At most {MAX_PAGE_SIZE}.")
    ] = DEFAULT_PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[PersonOut]:
    """A page of the people at the site, by name unless ``sort`` says otherwise.

    The answer is one page (``limit`` people, at most 200, from ``offset``); the header
    ``X-Total-Count`` says how many people the filters keep in all, and ``Link`` gives
    the next page (``rel="next"``) while there is one."""
    query = PeopleQuery(
        text=q,
        role=role,
        group_id=group or None,
        consent=consent,
        credential_status=credential_status,
        sort=sort,
        descending=order == "desc",
        limit=limit,
        offset=offset,
    )
    with state.site.session() as session:
        found = search_people(session, state.site.site_id, query, now=state.now())
    response.headers["X-Total-Count"] = str(found.total)
    if found.next_offset is not None:
        following = request.url.include_query_params(offset=found.next_offset, limit=limit)
        response.headers["Link"] = f'<{following}>; rel="next"'
    return [PersonOut.of(record) for record in found.people]


@router.get("/people/{person_id}", tags=["people"])
def people_get(person_id: str, state: State, _: ViewPeople) -> PersonOut:
    with state.site.session() as session:
        return PersonOut.of(get_person(session, state.site.site_id, person_id, now=state.now()))


@router.post("/people", status_code=status.HTTP_201_CREATED, tags=["people"])
def people_create(body: PersonIn, state: State, _: ManagePeople) -> PersonOut:
    now = state.now()
    new = NewPerson(
        body.last_name,
        body.first_name,
        body.birth_date,
        body.role,
        tuple(body.groups),
        tuple(body.guardian_ids),
    )
    with state.site.session() as session:
        person_id = add_person(session, state.site.site_id, new, now=now)
        return PersonOut.of(get_person(session, state.site.site_id, person_id, now=now))


@router.post("/people/import", tags=["people"])
def people_import(
    file: Annotated[UploadFile, File(description="The CSV export (Nom;Prénom;Né(e) le;Classe).")],
    state: State,
    _: ManagePeople,
) -> ImportOut:
    """Imports the people of a school export (CSV, ``;`` or ``,``, UTF-8 or
    Windows-1252/Latin-1, dates dd/mm/yyyy). Lines that cannot be imported are listed
    with their line number and reason; a file that cannot be read at all imports
    nobody (400 ``bad_roster``; 413 ``roster_too_large`` past 100,000 lines). The people
    are added in short transactions, so the lanes' passages never wait behind the
    import."""
    data = read_people_file(file)
    site = state.site
    return ImportOut.of(import_people_in_steps(site.session, site.site_id, data, now=state.now()))


# Credentials and consent --------------------------------------------------------------


@router.post("/credentials", status_code=status.HTTP_201_CREATED, tags=["credentials"])
def credentials_issue(
    body: CredentialIn, state: State, lang: Lang, _: ManageCredentials
) -> CredentialOut:
    """Issues a credential without a face (face enrollment is done at the enrollment
    station, never through this API)."""
    site, now = state.site, state.now()
    start, end = body.valid_from, body.valid_until
    with site.session() as session:
        if body.kind == "badge":
            assert body.badge_uid is not None
            uid = body.badge_uid
            badge = bind_badge(
                session,
                site.site_id,
                body.person_id,
                uid,
                now=now,
                valid_from=start,
                valid_until=end,
            )
            return CredentialOut.of(badge)
        issued = issue_credential(
            session,
            site.site_id,
            site.keyring(),
            body.person_id,
            now=now,
            kind=CredentialKind(body.kind),
            valid_from=start,
            valid_until=end,
            lang=lang,
        )
        return CredentialOut.of(issued)


@router.post("/credentials/{credential_id}/revoke", tags=["credentials"])
def credentials_revoke(
    credential_id: str, body: RevokeIn, state: State, _: ManageCredentials
) -> RevocationOut:
    with state.site.session() as session:
        record = revoke_credential(
            session, state.site.site_id, credential_id, reason=body.reason, now=state.now()
        )
    return RevocationOut.of(record)


@router.post("/people/{person_id}/consent", tags=["consent"])
def consent_grant(person_id: str, body: ConsentIn, state: State, _: ManageConsent) -> ConsentOut:
    site, now = state.site, state.now()
    with site.session() as session:
        record = grant_consent(
            session, site.site_id, person_id, by=body.by, now=now, giver=body.giver
        )
    return ConsentOut.of(record)


@router.post("/people/{person_id}/consent/withdraw", tags=["consent"])
def consent_withdraw(
    person_id: str, body: WithdrawIn, state: State, _: ManageConsent
) -> WithdrawalOut:
    """Withdraws the consent; every credential carrying a template is revoked at once and
    replaced by one without template, whose code (``qr_text``) is shown only here."""
    site, now = state.site, state.now()
    with site.session() as session:
        record = withdraw_consent(
            session, site.site_id, person_id, by=body.by, now=now, keyring=site.keyring()
        )
    return WithdrawalOut.of(record)
