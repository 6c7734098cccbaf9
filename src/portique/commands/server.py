"""`portique serve` and `portique account`: run the console and API, manage who may log in."""

from __future__ import annotations

import getpass
import os
from typing import Annotated

import typer

from portique import clock
from portique.commands.common import CommandApp, err, out, print_json
from portique.commands.faces import JsonOption
from portique.commands.sitedir import DirOption, open_cli_site, site_dir
from portique.errors import BadInputError
from portique.i18n import text

SERVE_HELP = text(
    "Lancer le serveur : API REST (/api/v1) et console des agents et de l'administration.",
    "Run the server: REST API (/api/v1) and the console for agents and administration.",
)

account_app = CommandApp(
    help=text(
        "Comptes de la console : agents, administration, DPD, auditeurs.",
        "Console accounts: agents, administration, DPO, auditors.",
    ),
    no_args_is_help=True,
)


def serve(
    directory: DirOption = None,
    host: Annotated[
        str, typer.Option("--host", help=text("Adresse d'écoute.", "Address to listen on."))
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help=text("Port TCP.", "TCP port."))] = 8000,
    plain_http: Annotated[
        bool,
        typer.Option(
            "--plain-http",
            help=text(
                "Cookies sans l'attribut Secure, pour un essai en HTTP sur cette machine "
                "seulement ; en production, placez un proxy HTTPS devant.",
                "Cookies without the Secure attribute, for a plain-HTTP trial on this machine "
                "only; in production, put an HTTPS proxy in front.",
            ),
        ),
    ] = False,
) -> None:
    """Run the server; help text in SERVE_HELP."""
    import uvicorn

    from portique.config import get_settings
    from portique.server import ServerSettings, create_app

    if plain_http and host not in ("127.0.0.1", "localhost", "::1"):
        raise BadInputError("--plain-http is only allowed when listening on this machine.")
    settings = get_settings()
    app = create_app(
        site_dir(directory),
        database_url=settings.database_url,
        settings=ServerSettings(
            plain_http=plain_http, trusted_proxies=tuple(settings.trusted_proxies)
        ),
    )
    scheme = "http" if plain_http else "https"
    err.print(text("Console : ", "Console: ") + f"{scheme}://{host}:{port}/")
    # The app reads X-Forwarded-For itself, from the configured proxies only.
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)


@account_app.command(
    "add",
    help=text(
        "Créer un compte. Le mot de passe est demandé (ou lu dans PORTIQUE_PASSWORD).",
        "Create an account. The password is asked for (or read from PORTIQUE_PASSWORD).",
    ),
)
def account_add(
    username: Annotated[str, typer.Argument(help=text("Identifiant.", "User name."))],
    role: Annotated[
        str,
        typer.Option("--role", help="agent | administration | dpo | auditor"),
    ],
    display_name: Annotated[
        str, typer.Option("--name", help=text("Nom affiché.", "Display name."))
    ] = "",
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a console account."""
    from portique.server import create_account

    password = os.environ.get("PORTIQUE_PASSWORD") or getpass.getpass(
        text("Mot de passe : ", "Password: ")
    )
    site = open_cli_site(directory)
    try:
        record = create_account(
            site, username, password, role, now=clock.now(), display_name=display_name
        )
    finally:
        site.close()
    if as_json:
        print_json({"username": record.username, "role": record.role.value})
    else:
        out.print(
            text("Compte créé : ", "Account created: ") + f"{record.username} ({record.role.value})"
        )


@account_app.command("list", help=text("Lister les comptes.", "List the accounts."))
def account_list(directory: DirOption = None, as_json: JsonOption = False) -> None:
    """List console accounts."""
    from portique.server import list_accounts

    site = open_cli_site(directory)
    try:
        with site.session() as session:
            records = list_accounts(session, site.site_id)
    finally:
        site.close()
    if as_json:
        print_json([{"username": r.username, "role": r.role.value} for r in records])
        return
    for record in records:
        out.print(f"{record.username}\t{record.role.value}")
