"""`portique serve` and `portique account`: run the console and API, manage who may log in."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from portique import clock
from portique.commands.common import CommandApp, err, out, print_json
from portique.commands.options import DirOption, HelpSection, JsonOption
from portique.commands.sitedir import open_cli_site, site_dir
from portique.errors import BadInputError
from portique.i18n import text

if TYPE_CHECKING:
    from portique.server import AccountRecord, ApiTokenRecord

_help = HelpSection("server")

SERVE_HELP = _help("serve")

UsernameArgument = Annotated[str, typer.Argument(help=_help("username"))]

account_app = CommandApp(help=_help("account_app"), no_args_is_help=True)


def serve(
    directory: DirOption = None,
    host: Annotated[str, typer.Option("--host", help=_help("host"))] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help=_help("port"))] = 8000,
    plain_http: Annotated[bool, typer.Option("--plain-http", help=_help("plain_http"))] = False,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help=_help("workers"))] = 1,
    more_sites: Annotated[
        list[Path] | None, typer.Option("--site-dir", help=_help("site_dir"))
    ] = None,
) -> None:
    """Run the server; help text in SERVE_HELP."""
    import uvicorn

    from portique.bootstrap import open_site
    from portique.config import get_settings
    from portique.server import ServerSettings, create_app
    from portique.server.app import PLAIN_HTTP_VARIABLE, SERVE_DIR_VARIABLE

    if plain_http and host not in ("127.0.0.1", "localhost", "::1"):
        raise BadInputError("--plain-http is only allowed when listening on this machine.")
    directory = site_dir(directory).expanduser().resolve()
    others = [path.expanduser().resolve() for path in more_sites or ()]
    settings = get_settings()
    database_url = settings.database_url
    scheme = "http" if plain_http else "https"
    if workers == 1:
        app = create_app(
            directory,
            database_url=database_url,
            settings=ServerSettings(
                plain_http=plain_http, trusted_proxies=tuple(settings.trusted_proxies)
            ),
            more_sites=others,
        )
        err.print(text("Console : ", "Console: ") + f"{scheme}://{host}:{port}/")
        # The app reads X-Forwarded-For itself, from the configured proxies only.
        uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)
        return
    # Checked (and upgraded) once here, so that a wrong folder fails now and the workers
    # do not all migrate at once.
    for each in (directory, *others):
        open_site(each, database_url=database_url, upgrade=True).close()
    os.environ[SERVE_DIR_VARIABLE] = os.pathsep.join(str(each) for each in (directory, *others))
    os.environ[PLAIN_HTTP_VARIABLE] = "1" if plain_http else "0"
    err.print(text("Console : ", "Console: ") + f"{scheme}://{host}:{port}/ ({workers} workers)")
    uvicorn.run(
        "portique.server.app:app_from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=False,
    )


@account_app.command("add", help=_help("account_add"))
def account_add(
    username: UsernameArgument,
    role: Annotated[
        str,
        typer.Option("--role", help="agent | administration | dpo | auditor | region"),
    ],
    display_name: Annotated[str, typer.Option("--name", help=_help("add_name"))] = "",
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a console account."""
    from portique.server import create_account

    password = _new_password()
    with open_cli_site(directory) as site:
        record = create_account(
            site, username, password, role, now=clock.now(), display_name=display_name
        )
    if as_json:
        print_json({"username": record.username, "role": record.role.value})
    else:
        out.print(
            text("Compte créé : ", "Account created: ") + f"{record.username} ({record.role.value})"
        )


@account_app.command("list", help=_help("account_list"))
def account_list(directory: DirOption = None, as_json: JsonOption = False) -> None:
    """List console accounts."""
    from portique.server import list_accounts

    with open_cli_site(directory) as site, site.session() as session:
        records = list_accounts(session, site.site_id)
    if as_json:
        print_json([{"username": r.username, "role": r.role.value} for r in records])
        return
    for record in records:
        out.print(f"{record.username}\t{record.role.value}")


def _new_password() -> str:
    """A new password: PORTIQUE_PASSWORD, else asked twice at the terminal."""
    given = os.environ.get("PORTIQUE_PASSWORD")
    if given:
        return given
    password = getpass.getpass(text("Mot de passe : ", "Password: "))
    if getpass.getpass(text("Encore une fois : ", "Once more: ")) != password:
        raise BadInputError(text("Les deux mots de passe diffèrent.", "The two passwords differ."))
    return password


def _print_account(record: AccountRecord, done: str, as_json: bool) -> None:
    if as_json:
        print_json(
            {"username": record.username, "role": record.role.value, "active": record.active}
        )
    else:
        out.print(f"{done} {record.username} ({record.role.value})")


def _set_active(username: str, active: bool, directory: Path | None, as_json: bool) -> None:
    from portique.server import set_account_active

    with open_cli_site(directory) as site:
        record = set_account_active(site, username, active)
    done = (
        text("Compte activé :", "Account enabled:")
        if active
        else text("Compte désactivé :", "Account disabled:")
    )
    _print_account(record, done, as_json)


@account_app.command("disable", help=_help("account_disable"))
def account_disable(
    username: UsernameArgument, directory: DirOption = None, as_json: JsonOption = False
) -> None:
    """Disable a console account."""
    _set_active(username, False, directory, as_json)


@account_app.command("enable", help=_help("account_enable"))
def account_enable(
    username: UsernameArgument, directory: DirOption = None, as_json: JsonOption = False
) -> None:
    """Enable a console account."""
    _set_active(username, True, directory, as_json)


@account_app.command("password", help=_help("account_password"))
def account_password(
    username: UsernameArgument, directory: DirOption = None, as_json: JsonOption = False
) -> None:
    """Change a console account's password."""
    from portique.server import set_password

    password = _new_password()
    with open_cli_site(directory) as site:
        record = set_password(site, username, password)
    _print_account(record, text("Mot de passe changé :", "Password changed:"), as_json)


token_app = CommandApp(help=_help("token_app"), no_args_is_help=True)
account_app.add_typer(token_app, name="token")


def _token_json(record: ApiTokenRecord) -> dict[str, object]:
    return {
        "token_id": record.token_id,
        "name": record.name,
        "role": record.role.value,
        "created_at": record.created_at,
        "revoked_at": record.revoked_at,
    }


@token_app.command("create", help=_help("token_create"))
def token_create(
    name: Annotated[str, typer.Argument(help=_help("token_name"))],
    role: Annotated[
        str, typer.Option("--role", help="agent | administration | dpo | auditor | lane")
    ],
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create an API token."""
    from portique.server import create_api_token
    from portique.server.accounts import token_id_of

    with open_cli_site(directory) as site:
        secret = create_api_token(site, name, role, now=clock.now())
    if as_json:
        print_json({"token_id": token_id_of(secret), "name": name, "role": role, "token": secret})
        return
    out.print(text("Jeton créé (montré une seule fois) :", "Token created (shown once):"))
    out.print(secret)


@token_app.command("revoke", help=_help("token_revoke"))
def token_revoke(
    token_id: Annotated[str, typer.Argument(help=_help("token_id"))],
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Revoke an API token."""
    from portique.server import revoke_api_token

    with open_cli_site(directory) as site:
        record = revoke_api_token(site, token_id, now=clock.now())
    if as_json:
        print_json(_token_json(record))
    else:
        out.print(text("Jeton révoqué : ", "Token revoked: ") + f"{record.token_id} {record.name}")


@token_app.command("list", help=_help("token_list"))
def token_list(directory: DirOption = None, as_json: JsonOption = False) -> None:
    """List API tokens (never their secrets)."""
    from portique.server import list_api_tokens

    with open_cli_site(directory) as site, site.session() as session:
        records = list_api_tokens(session, site.site_id)
    if as_json:
        print_json([_token_json(record) for record in records])
        return
    revoked = text("révoqué", "revoked")
    for record in records:
        state = f"\t{revoked}" if record.revoked_at is not None else ""
        out.print(f"{record.token_id}\t{record.role.value}\t{record.name}{state}", markup=False)
