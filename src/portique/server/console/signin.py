"""Signing in and out of the console: the login form (with its own CSRF cookie), the
login limits, the session cookie, and the home page of each role."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from portique.server.accounts import account_principal, authenticate
from portique.server.auth import ConsoleUser, client_address, console_form, console_session
from portique.server.console.pages import (
    HOME,
    IdField,
    PasswordField,
    State,
    TextField,
    forget_cookie,
    render,
    see_other,
    set_cookie,
)
from portique.server.errors import AuthenticationError
from portique.server.roles import Role
from portique.server.sessions import SESSION_COOKIE
from portique.server.state import app_state
from portique.server.texts import negotiate, translator
from portique.server.throttle import ThrottledError
from portique.services.rows import site_row

router = APIRouter(include_in_schema=False)
LOGIN_COOKIE = "portique_login"


@router.get("/login")
def login_page(request: Request, state: State) -> Response:
    return _login_form(request, state)


def _login_form(
    request: Request, state: State, error: str | None = None, status_code: int = 200
) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        None,
        status_code,
        login_csrf=token,
        error=error,
        sites=_site_choices(state),
    )
    set_cookie(response, state, LOGIN_COOKIE, token, 3600)
    return response


def _site_choices(state: State) -> list[tuple[str, str]]:
    """The sites to choose from at login, when the server serves several: (id, name)."""
    if len(state.sites) <= 1:
        return []
    with state.site.session() as session:
        return [(site_id, site_row(session, site_id).name) for site_id in state.sites]


@router.post("/login")
def login(
    request: Request,
    state: State,
    username: TextField = "",
    password: PasswordField = "",
    csrf: TextField = "",
    site: IdField = "",
) -> Response:
    if site in state.sites:
        # An account belongs to one site: the one chosen on the form.
        state = state.for_site(site)
    expected = request.cookies.get(state.settings.cookie_name(LOGIN_COOKIE), "")
    if not expected or not secrets.compare_digest(expected.encode(), csrf.encode()):
        return _login_form(request, state, translator(negotiate(request))("csrf_login"), 403)
    now = state.now()
    client = client_address(request)
    try:
        state.throttle.check(username, client, now=now)
    except ThrottledError as error:
        response = _login_form(request, state, error.message, 429)
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    try:
        principal = authenticate(state.site, username, password, now=now)
    except AuthenticationError as error:
        state.throttle.failed(username, client, now=now)
        return _login_form(request, state, error.message, 401)
    state.throttle.succeeded(username, client, now=now)
    if principal.role is Role.LANE:
        return _login_form(request, state, None, 403)
    session = state.sessions.open(state.site.site_id, principal.name, now=now)
    response = see_other(HOME[principal.role])
    lifetime = int(state.settings.session_lifetime.total_seconds())
    set_cookie(response, state, SESSION_COOKIE, session.session_id, lifetime)
    forget_cookie(response, state, LOGIN_COOKIE)
    return response


@router.post("/logout")
def logout(
    request: Request, state: State, user: Annotated[ConsoleUser, Depends(console_form(None))]
) -> Response:
    state.sessions.close(user.session.session_id)
    response = see_other("/login")
    forget_cookie(response, state, SESSION_COOKIE)
    return response


@router.get("/")
def home(request: Request) -> Response:
    state = app_state(request)
    session = console_session(request)
    if session is None:
        return see_other("/login")
    with state.site.session() as db:
        principal = account_principal(db, state.site.site_id, session.username)
    return see_other("/login" if principal is None else HOME[principal.role])
