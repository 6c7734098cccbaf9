"""The server: REST API (``/api/v1``, OpenAPI), console pages, accounts, roles and tokens.

::

    from portique.server import create_app, create_account
    app = create_app(Path("site"))
    # uvicorn.run(app, host="127.0.0.1", port=8000)

``create_account`` and ``create_api_token`` are what ``portique account add`` and
``portique token add`` call.
"""

from __future__ import annotations

from portique.server.accounts import (
    AccountRecord,
    Principal,
    create_account,
    create_api_token,
    list_accounts,
)
from portique.server.app import create_app
from portique.server.roles import ACCOUNT_ROLES, Permission, Role
from portique.server.settings import ServerSettings

__all__ = [
    "ACCOUNT_ROLES",
    "AccountRecord",
    "Permission",
    "Principal",
    "Role",
    "ServerSettings",
    "create_account",
    "create_api_token",
    "create_app",
    "list_accounts",
]
