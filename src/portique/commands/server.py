"""`portique serve` and `portique account`: run the console and API, manage who may log in."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
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
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help=text(
                "Nombre de processus serveurs (ils partagent les sessions par la base).",
                "Number of server processes (they share sessions through the database).",
            ),
        ),
    ] = 1,
    more_sites: Annotated[
        list[Path] | None,
        typer.Option(
            "--site-dir",
            help=text(
                "Un autre établissement servi par ce serveur, sur la même base "
                "(PORTIQUE_DATABASE_URL) ; répétable.",
                "Another site served by this server, on the same database "
                "(PORTIQUE_DATABASE_URL); repeatable.",
            ),
        ),
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
    database_url = get_settings().database_url
    scheme = "http" if plain_http else "https"
    if workers == 1:
        app = create_app(
            directory,
            database_url=database_url,
            settings=ServerSettings(plain_http=plain_http),
            more_sites=others,
        )
        err.print(text("Console : ", "Console: ") + f"{scheme}://{host}:{port}/")
        uvicorn.run(app, host=host, port=port, log_level="warning")
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
    )


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
        typer.Option("--role", help="agent | administration | dpo | auditor | region"),
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
