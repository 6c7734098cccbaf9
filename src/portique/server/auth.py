"""Who is calling: the console session of a browser (``portique.server.sessions``) or the
API token of a lane or an integration (Bearer), and the dependencies that let a request
through only for the right roles."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request

from portique.i18n import text
from portique.server import throttle
from portique.server.accounts import Principal, account_principal, token_principal
from portique.server.errors import AuthenticationError, CsrfError, ForbiddenError
from portique.server.roles import Permission, allowed
from portique.server.sessions import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    ConsoleSession,
    csrf_matches,
)
from portique.server.state import app_state
from portique.server.throttle import trusted_networks

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def client_address(request: Request) -> str:
    """The client's address, believing ``X-Forwarded-For`` only from trusted proxies."""
    proxies = app_state(request).settings.trusted_proxies
    return throttle.client_address(request, trusted_networks(proxies))


def console_session(request: Request) -> ConsoleSession | None:
    """The valid console session of the request's cookie, if any."""
    state = app_state(request)
    session_id = request.cookies.get(state.settings.cookie_name(SESSION_COOKIE))
    if not session_id:
        return None
    console = state.sessions.get(session_id, now=state.now())
    if console is None or console.site_id != state.site.site_id:
        # A session opened by the server of another site on the same database.
        return None
    return console


def signed_in(request: Request) -> bool:
    """Whether the request comes with a valid API token or from an open console session
    (its role and CSRF token are checked later): what a large body needs before it is
    read."""
    state = app_state(request)
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        with state.site.session() as session:
            return token_principal(session, state.site.site_id, secret.strip()) is not None
    return console_session(request) is not None


def _not_signed_in() -> AuthenticationError:
    return AuthenticationError(
        text(
            "Authentification requise : connectez-vous ou présentez un jeton d'API.",
            "Authentication required: sign in or present an API token.",
        )
    )


def _forbidden() -> ForbiddenError:
    return ForbiddenError(
        text(
            "Votre rôle ne donne pas accès à cette fonction.",
            "Your role does not give access to this function.",
        )
    )


def _csrf_refused() -> CsrfError:
    return CsrfError(
        text(
            "Jeton de formulaire absent ou périmé : rechargez la page et recommencez.",
            "Form token missing or stale: reload the page and try again.",
        )
    )


def caller(request: Request) -> Principal:
    """The principal of an API request: a Bearer token, else the console session (whose
    writes must carry the session's CSRF token in ``X-CSRF-Token``)."""
    state = app_state(request)
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise _not_signed_in()
        with state.site.session() as session:
            principal = token_principal(session, state.site.site_id, secret.strip())
        if principal is None:
            raise _not_signed_in()
        return principal
    console = console_session(request)
    if console is None:
        raise _not_signed_in()
    if request.method not in SAFE_METHODS and not csrf_matches(
        console, request.headers.get(CSRF_HEADER)
    ):
        raise _csrf_refused()
    with state.site.session() as session:
        principal = account_principal(session, state.site.site_id, console.username)
    if principal is None:
        raise _not_signed_in()
    return principal


def api_permission(permission: Permission) -> Callable[[Request], Principal]:
    """A dependency: the API caller, provided their role has ``permission`` (else 403)."""

    def dependency(request: Request) -> Principal:
        principal = caller(request)
        if not allowed(principal.role, permission):
            raise _forbidden()
        return principal

    return dependency


class LoginRequired(Exception):
    """A console page asked without a session: the browser goes to the login page."""


@dataclass(frozen=True)
class ConsoleUser:
    principal: Principal
    session: ConsoleSession


def _console_user(request: Request) -> ConsoleUser:
    state = app_state(request)
    console = console_session(request)
    if console is None:
        raise LoginRequired
    with state.site.session() as session:
        principal = account_principal(session, state.site.site_id, console.username)
    if principal is None:
        state.sessions.close(console.session_id)
        raise LoginRequired
    return ConsoleUser(principal, console)


def console_page(permission: Permission | None) -> Callable[[Request], ConsoleUser]:
    """A dependency for a console page: signed in, and with ``permission`` if given."""

    def dependency(request: Request) -> ConsoleUser:
        user = _console_user(request)
        if permission is not None and not allowed(user.principal.role, permission):
            raise _forbidden()
        return user

    return dependency


def console_form(permission: Permission | None) -> Callable[[Request], Awaitable[ConsoleUser]]:
    """A dependency for a console form: signed in, allowed, and with the CSRF token."""

    async def dependency(request: Request) -> ConsoleUser:
        user = _console_user(request)
        form = await request.form()
        given = form.get(CSRF_FIELD)
        if not isinstance(given, str) or not csrf_matches(user.session, given):
            raise _csrf_refused()
        if permission is not None and not allowed(user.principal.role, permission):
            raise _forbidden()
        return user

    return dependency
