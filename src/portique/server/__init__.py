"""The server: REST API (``/api/v1``, OpenAPI), console pages, accounts, roles and tokens.

::

    from portique.server import create_app, create_account
    app = create_app(Path("site"))
    # uvicorn.run(app, host="127.0.0.1", port=8000)

``create_account``, ``set_password``, ``set_account_active``, ``create_api_token`` and
``revoke_api_token`` are what ``portique account add|password|disable|enable`` and
``portique account token create|revoke`` call.
"""

from __future__ import annotations

from portique.server.accounts import (
    AccountRecord,
    ApiTokenRecord,
    Principal,
    create_account,
    create_api_token,
    list_accounts,
    list_api_tokens,
    revoke_api_token,
    set_account_active,
    set_password,
)
from portique.server.app import create_app
from portique.server.roles import ACCOUNT_ROLES, Permission, Role
from portique.server.settings import ServerSettings

__all__ = [
    "ACCOUNT_ROLES",
    "AccountRecord",
    "ApiTokenRecord",
    "Permission",
    "Principal",
    "Role",
    "ServerSettings",
    "create_account",
    "create_api_token",
    "create_app",
    "list_accounts",
    "list_api_tokens",
    "revoke_api_token",
    "set_account_active",
    "set_password",
]
