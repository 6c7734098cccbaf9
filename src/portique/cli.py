"""The `portique` command line: one Typer application, sub-commands by area."""

from __future__ import annotations

import typer

from portique import __version__
from portique.commands import (
    credentials,
    demo,
    faces,
    lane,
    models,
    passage,
    people,
    server,
    site,
)
from portique.i18n import text

app = typer.Typer(
    name="portique",
    help=text(
        "Portique — portique virtuel pour l'entrée des établissements scolaires : titres "
        "d'accès, droits, et comparaison faciale 1:1 uniquement pour les personnes qui y ont "
        "consenti. Langue : PORTIQUE_LANG=fr|en.",
        "Portique — a virtual gate for school entrances: credentials, rights, and 1:1 face "
        "comparison only for people who opted in. Language: PORTIQUE_LANG=fr|en.",
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"portique {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_version,
        is_eager=True,
        help=text("Afficher la version.", "Show the version."),
    ),
) -> None:
    """Portique."""


app.command("verify", help=faces.VERIFY_HELP)(faces.verify)
app.add_typer(faces.eval_app, name="eval")
app.command("bench", help=faces.BENCH_HELP)(faces.bench)

app.command("init", help=site.INIT_HELP)(site.init)
app.add_typer(site.keys_app, name="keys")
app.add_typer(site.db_app, name="db")
app.add_typer(site.lockdown_app, name="lockdown")
app.add_typer(people.person_app, name="person")
app.add_typer(people.consent_app, name="consent")
app.add_typer(credentials.credential_app, name="credential")
app.command("pass", help=passage.PASS_HELP)(passage.pass_)
app.add_typer(models.models_app, name="models")
app.command("serve", help=server.SERVE_HELP)(server.serve)
app.add_typer(server.account_app, name="account")

app.command("demo", help=demo.DEMO_HELP)(demo.demo)
app.add_typer(lane.lane_app, name="lane")


def main() -> None:
    """Entry point of the `portique` script."""
    app()
