"""The `portique` command line: one Typer application, sub-commands by area."""

from __future__ import annotations

import getpass
from collections.abc import Callable

import typer

from portique import __version__, clock
from portique.actors import reset_actor, set_actor
from portique.commands import (
    assessment,
    backup,
    broker,
    credentials,
    demo,
    documents,
    faces,
    lane,
    models,
    pad,
    passage,
    people,
    privacy,
    registers,
    server,
    site,
    visitors,
)
from portique.commands.common import CommandApp
from portique.i18n import text

app = CommandApp(
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
    context: typer.Context,
    version: bool = typer.Option(
        False,
        "--version",
        callback=_version,
        is_eager=True,
        help=text("Afficher la version.", "Show the version."),
    ),
) -> None:
    """Portique."""
    clock.check()
    # The audit log attributes what this command changes to the user who ran it.
    token = set_actor(f"cli:{_os_user()}")
    context.call_on_close(lambda: reset_actor(token))


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


# Commands of a module registered in another module's group.
faces.eval_app.command("pad", help=pad.EVAL_PAD_HELP)(pad.eval_pad)
privacy.privacy_app.command("contacts", help=documents.CONTACTS_HELP)(documents.contacts)

# The top-level commands and groups, in the order `portique --help` lists them.
COMMANDS: tuple[tuple[str, Callable[..., None], str], ...] = (
    ("verify", faces.verify, faces.VERIFY_HELP),
    ("bench", faces.bench, faces.BENCH_HELP),
    ("init", site.init, site.INIT_HELP),
    ("backup", backup.backup, backup.BACKUP_HELP),
    ("restore", backup.restore, backup.RESTORE_HELP),
    ("pass", passage.pass_, passage.PASS_HELP),
    ("serve", server.serve, server.SERVE_HELP),
    ("demo", demo.demo, demo.DEMO_HELP),
    ("purge", privacy.purge, privacy.PURGE_HELP),
    ("dpia", privacy.dpia, privacy.DPIA_HELP),
    ("documents", documents.documents, documents.DOCUMENTS_HELP),
    ("uai", registers.uai, registers.UAI_HELP),
    ("simulate", assessment.simulate_command, assessment.SIMULATE_HELP),
    ("report", assessment.report_command, assessment.REPORT_HELP),
)
GROUPS: tuple[tuple[str, typer.Typer], ...] = (
    ("eval", faces.eval_app),
    ("site", pad.site_app),
    ("keys", site.keys_app),
    ("db", site.db_app),
    ("lockdown", site.lockdown_app),
    ("person", people.person_app),
    ("consent", people.consent_app),
    ("credential", credentials.credential_app),
    ("models", models.models_app),
    ("account", server.account_app),
    ("lane", lane.lane_app),
    ("broker", broker.broker_app),
    ("visitor", visitors.visitor_app),
    ("refusal", visitors.refusal_app),
    ("audit", privacy.audit_app),
    ("subject", privacy.subject_app),
    ("privacy", privacy.privacy_app),
    ("import", registers.import_app),
    ("departures", registers.departures_app),
    ("year", registers.year_app),
    ("cards", registers.cards_app),
)
for name, command, help_text in COMMANDS:
    app.command(name, help=help_text)(command)
for name, group in GROUPS:
    app.add_typer(group, name=name)


def main() -> None:
    """Entry point of the `portique` script."""
    app()
