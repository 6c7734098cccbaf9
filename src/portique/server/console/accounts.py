"""The administration's page of console accounts and API tokens: disable, enable, set a
password, create and revoke a token; what ``portique account`` does at the command line.

Each change is made under the signed-in account's name, so the audit log attributes it.
A token's secret is shown once, in the answer to the form that created it.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from fastapi.responses import Response

from portique.errors import BadInputError
from portique.server.accounts import (
    create_api_token,
    list_accounts,
    list_api_tokens,
    revoke_api_token,
    set_account_active,
    set_password,
)
from portique.server.console.pages import (
    ManageAccounts,
    ManageAccountsPage,
    Page,
    PasswordField,
    ShortField,
    TextField,
    see_other,
)
from portique.server.roles import ACCOUNT_ROLES, Role
from portique.server.texts import CATALOGUE, translator

router = APIRouter(include_in_schema=False)


def _words(page: Page) -> Callable[[str], str]:
    return translator(page.lang, CATALOGUE["accounts"])


def _page(
    page: Page, *, error: str | None = None, status_code: int = 200, secret: str | None = None
) -> Response:
    state = page.state
    with state.site.session() as session:
        accounts = list_accounts(session, state.site.site_id)
        tokens = list_api_tokens(session, state.site.site_id)
    return page.render(
        "accounts.html",
        status_code,
        a=_words(page),
        accounts=accounts,
        tokens=tokens,
        token_roles=[*ACCOUNT_ROLES, Role.LANE],
        error=error,
        secret=secret,
    )


def _change(page: Page, change: Callable[[], object]) -> Response:
    """Makes ``change`` and goes back to the page, or shows it with the error and a 400."""
    try:
        change()
    except BadInputError as error:
        return _page(page, error=error.message, status_code=400)
    return see_other("/accounts")


@router.get("/accounts")
def accounts_page(page: ManageAccountsPage) -> Response:
    return _page(page)


@router.post("/accounts/{username}/disable")
def account_disable(username: str, page: ManageAccounts) -> Response:
    if username == page.user.principal.name:
        return _page(page, error=_words(page)("not_yourself"), status_code=400)
    return _change(page, lambda: set_account_active(page.state.site, username, False))


@router.post("/accounts/{username}/enable")
def account_enable(username: str, page: ManageAccounts) -> Response:
    return _change(page, lambda: set_account_active(page.state.site, username, True))


@router.post("/accounts/{username}/password")
def account_password(
    username: str,
    page: ManageAccounts,
    password: PasswordField = "",
) -> Response:
    return _change(page, lambda: set_password(page.state.site, username, password))


@router.post("/accounts/tokens")
def token_create(
    page: ManageAccounts,
    name: TextField = "",
    role: ShortField = "",
) -> Response:
    try:
        secret = create_api_token(page.state.site, name, role, now=page.state.now())
    except BadInputError as error:
        return _page(page, error=error.message, status_code=400)
    return _page(page, secret=secret)


@router.post("/accounts/tokens/{token_id}/revoke")
def token_revoke(token_id: str, page: ManageAccounts) -> Response:
    return _change(page, lambda: revoke_api_token(page.state.site, token_id, now=page.state.now()))
