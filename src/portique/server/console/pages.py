"""What every console page shares: a template rendered in the request's language with
the signed-in user's navigation and the site's clock, redirects, and cookies.

Every form posts back with the CSRF token of its session; every page shows only what
the signed-in role may see.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from portique.access import outcome_label, reason_label
from portique.server import queries
from portique.server.accounts import MAX_PASSWORD_LENGTH
from portique.server.auth import ConsoleUser, console_form, console_page
from portique.server.roles import Permission, Role, allowed
from portique.server.sessions import CSRF_FIELD
from portique.server.state import AppState, app_state
from portique.server.texts import negotiate, translator
from portique.services.rows import site_row

HOME: dict[Role, str] = {
    Role.AGENT: "/live",
    Role.ADMINISTRATION: "/people",
    Role.DPO: "/live",
    Role.AUDITOR: "/live",
    Role.REGION: "/region",
    Role.LANE: "/login",
}
NAVIGATION: tuple[tuple[str, str, Permission], ...] = (
    ("/live", "live", Permission.VIEW_PASSAGES),
    ("/alerts", "alerts", Permission.VIEW_ALERTS),
    ("/lockdown", "lockdown", Permission.VIEW_LOCKDOWN),
    ("/roster", "roster", Permission.VIEW_ROSTER),
    ("/visitors", "visitors", Permission.VIEW_VISITS),
    ("/people", "people", Permission.VIEW_PEOPLE),
    ("/people/import", "import", Permission.MANAGE_PEOPLE),
    ("/registers", "registers", Permission.MANAGE_PEOPLE),
    ("/reenrol", "reenrol", Permission.MANAGE_PEOPLE),
    ("/departures", "departures", Permission.VIEW_ALERTS),
    ("/lanes", "lanes_timetables", Permission.VIEW_SITE),
    ("/refusals", "refusals", Permission.VIEW_REFUSALS),
    ("/documents", "documents", Permission.MANAGE_DOCUMENTS),
    ("/accounts", "accounts", Permission.MANAGE_ACCOUNTS),
    ("/region", "region", Permission.VIEW_REGION),
)

State = Annotated[AppState, Depends(app_state)]


@dataclass(frozen=True)
class Page:
    """A console page being answered: the request, the server's state, and who asks."""

    request: Request
    state: AppState
    user: ConsoleUser

    @property
    def lang(self) -> str:
        return negotiate(self.request)

    def t(self, key: str) -> str:
        """The console's text ``key`` in the page's language."""
        return translator(self.lang)(key)

    def render(self, name: str, status_code: int = 200, **context: Any) -> Response:
        """The template ``name`` for this user (see :func:`render`)."""
        return render(self.request, name, self.user, status_code, **context)


def viewing(permission: Permission | None) -> Callable[[Request], Page]:
    """A dependency: the page of a signed-in user, with ``permission`` if given."""
    user_of = console_page(permission)

    def dependency(request: Request) -> Page:
        return Page(request, app_state(request), user_of(request))

    return dependency


def posting(permission: Permission | None) -> Callable[[Request], Awaitable[Page]]:
    """A dependency: the page of a form posted by a signed-in user, with the CSRF token
    of the session, and with ``permission`` if given."""
    user_of = console_form(permission)

    async def dependency(request: Request) -> Page:
        return Page(request, app_state(request), await user_of(request))

    return dependency


# The permission each page asks of its user: ``Annotated[Page, ...]`` route parameters.
# A page shown (GET) checks the session; a form posted checks its CSRF token as well.
ViewPassages = Annotated[Page, Depends(viewing(Permission.VIEW_PASSAGES))]
ViewAlerts = Annotated[Page, Depends(viewing(Permission.VIEW_ALERTS))]
ViewLockdown = Annotated[Page, Depends(viewing(Permission.VIEW_LOCKDOWN))]
ViewRoster = Annotated[Page, Depends(viewing(Permission.VIEW_ROSTER))]
ViewVisits = Annotated[Page, Depends(viewing(Permission.VIEW_VISITS))]
ViewRefusals = Annotated[Page, Depends(viewing(Permission.VIEW_REFUSALS))]
ViewPeople = Annotated[Page, Depends(viewing(Permission.VIEW_PEOPLE))]
ViewSite = Annotated[Page, Depends(viewing(Permission.VIEW_SITE))]
ViewRegion = Annotated[Page, Depends(viewing(Permission.VIEW_REGION))]
ManagePeoplePage = Annotated[Page, Depends(viewing(Permission.MANAGE_PEOPLE))]
ManageCredentialsPage = Annotated[Page, Depends(viewing(Permission.MANAGE_CREDENTIALS))]
ManageConsentPage = Annotated[Page, Depends(viewing(Permission.MANAGE_CONSENT))]
ManageDocumentsPage = Annotated[Page, Depends(viewing(Permission.MANAGE_DOCUMENTS))]
ManageAccountsPage = Annotated[Page, Depends(viewing(Permission.MANAGE_ACCOUNTS))]
Review = Annotated[Page, Depends(posting(Permission.REVIEW))]
Lockdown = Annotated[Page, Depends(posting(Permission.LOCKDOWN))]
ManageVisits = Annotated[Page, Depends(posting(Permission.MANAGE_VISITS))]
ManageRefusals = Annotated[Page, Depends(posting(Permission.MANAGE_REFUSALS))]
ManagePeople = Annotated[Page, Depends(posting(Permission.MANAGE_PEOPLE))]
ManageCredentials = Annotated[Page, Depends(posting(Permission.MANAGE_CREDENTIALS))]
ManageConsent = Annotated[Page, Depends(posting(Permission.MANAGE_CONSENT))]
ManageSite = Annotated[Page, Depends(posting(Permission.MANAGE_SITE))]
ManageDocuments = Annotated[Page, Depends(posting(Permission.MANAGE_DOCUMENTS))]
ManageAccounts = Annotated[Page, Depends(posting(Permission.MANAGE_ACCOUNTS))]


# Form fields that several console forms share.
TextField = Annotated[str, Form(max_length=200)]
"""A line typed in a form: a name, a purpose, a group."""
ShortField = Annotated[str, Form(max_length=20)]
"""A short value typed in a form: a date, a time, a role."""
ChoiceField = Annotated[str, Form(max_length=10)]
"""A choice made in a form: an action, a confirmation (``yes``)."""
IdField = Annotated[str, Form(max_length=64)]
"""An identifier chosen in a form: a person, a site, a token."""
NoteField = Annotated[str, Form(max_length=500)]
"""A few sentences typed in a form: a reason, a comment."""
PasswordField = Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)]
"""A password typed in a form (the accounts' own limit)."""
NextPage = Annotated[str, Form(alias="next", max_length=50)]
"""The page to go back to after a form (each route checks it against its own list)."""


@dataclass(frozen=True)
class PersonForm:
    """A person's names and birth date as typed in a form (the fields ``last_name``,
    ``first_name`` and ``birth_date``; the date as typed, for the route to read)."""

    last_name: TextField = ""
    first_name: TextField = ""
    birth_date: ShortField = ""


PersonFields = Annotated[PersonForm, Depends()]


def render(
    request: Request,
    name: str,
    user: ConsoleUser | None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    state = app_state(request)
    lang = negotiate(request)
    zone = site_zone(state)

    def clock(moment: datetime | None, with_date: bool = False) -> str:
        if moment is None:
            return ""
        local = moment.astimezone(zone)
        return local.strftime("%d/%m/%Y %H:%M:%S" if with_date else "%H:%M:%S")

    role = None if user is None else user.principal.role
    watching = role is not None and allowed(role, Permission.VIEW_ALERTS)
    return state.templates.TemplateResponse(
        request,
        name,
        {
            "t": translator(lang),
            "lang": lang,
            "other_lang": "en" if lang == "fr" else "fr",
            "user": None if user is None else user.principal,
            "csrf": None if user is None else user.session.csrf,
            "csrf_field": CSRF_FIELD,
            "navigation": [
                (path, key)
                for path, key, permission in NAVIGATION
                if role is not None and allowed(role, permission)
            ],
            "can": (lambda permission: role is not None and allowed(role, Permission(permission))),
            "clock": clock,
            "reason_label": lambda reason: reason_label(reason, lang),
            "outcome_label": lambda outcome: outcome_label(outcome, lang),
            "path": request.url.path,
            **punctuation(lang),
            "waiting": waiting_count(state) if watching else None,
            **context,
        },
        status_code=status_code,
    )


def punctuation(lang: str) -> dict[str, Any]:
    """The punctuation of the page's language: French puts a no-break space before a
    colon or a semicolon and inside « guillemets »; English does neither and uses “ ”."""
    if lang == "fr":
        return {"colon": "\u00a0:", "semicolon": "\u00a0;", "quoted": _french_quotes}
    return {"colon": ":", "semicolon": ";", "quoted": _english_quotes}


def _french_quotes(value: object) -> str:
    return f"«\u00a0{value}\u00a0»"


def _english_quotes(value: object) -> str:
    return f"“{value}”"


def waiting_count(state: AppState) -> int:
    """How many things wait for the agents (the counter every page shows; the page's
    script keeps it up to date, see static/signals.js)."""
    with state.site.session() as session:
        found = queries.waiting(
            session, state.site.site_id, now=state.now(), after=state.settings.lane_offline_after
        )
    return found.count


def site_zone(state: AppState) -> ZoneInfo:
    """The time zone of the site: the console shows times and reads them on its clock."""
    with state.site.session() as session:
        return ZoneInfo(site_row(session, state.site.site_id).timezone)


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def download(content: bytes, media_type: str, name: str) -> Response:
    """A file handed over once, to save (a card, a badge): never kept by the server."""
    disposition = f'attachment; filename="{name}"'
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


def set_cookie(response: Response, state: AppState, name: str, value: str, max_age: int) -> None:
    """A cookie for the console only: HttpOnly, SameSite=Strict, and ``__Host-`` with
    Secure but on plain HTTP (``ServerSettings.cookie_name``)."""
    response.set_cookie(
        state.settings.cookie_name(name),
        value,
        max_age=max_age,
        path="/",
        secure=not state.settings.plain_http,
        httponly=True,
        samesite="strict",
    )


def forget_cookie(response: Response, state: AppState, name: str) -> None:
    response.delete_cookie(
        state.settings.cookie_name(name),
        path="/",
        secure=not state.settings.plain_http,
        httponly=True,
        samesite="strict",
    )
