"""The `portique` command line: one Typer application, sub-commands by area."""

from __future__ import annotations

import typer

from portique import __version__
from portique.commands import faces
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


def main() -> None:
    """Entry point of the `portique` script."""
    app()
