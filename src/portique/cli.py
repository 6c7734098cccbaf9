"""The `portique` command line: one Typer application, sub-commands by area."""

from __future__ import annotations

import getpass

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


app.command("verify", help=faces.VERIFY_HELP)(faces.verify)
app.add_typer(faces.eval_app, name="eval")
app.command("bench", help=faces.BENCH_HELP)(faces.bench)
faces.eval_app.command("pad", help=pad.EVAL_PAD_HELP)(pad.eval_pad)
app.add_typer(pad.site_app, name="site")

app.command("init", help=site.INIT_HELP)(site.init)
app.add_typer(site.keys_app, name="keys")
app.add_typer(site.db_app, name="db")
app.command("backup", help=backup.BACKUP_HELP)(backup.backup)
app.command("restore", help=backup.RESTORE_HELP)(backup.restore)
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
app.add_typer(broker.broker_app, name="broker")
app.add_typer(visitors.visitor_app, name="visitor")
app.add_typer(visitors.refusal_app, name="refusal")

app.add_typer(privacy.audit_app, name="audit")
app.command("purge", help=privacy.PURGE_HELP)(privacy.purge)
app.add_typer(privacy.subject_app, name="subject")
app.command("dpia", help=privacy.DPIA_HELP)(privacy.dpia)
app.add_typer(privacy.privacy_app, name="privacy")
privacy.privacy_app.command("contacts", help=documents.CONTACTS_HELP)(documents.contacts)
app.command("documents", help=documents.DOCUMENTS_HELP)(documents.documents)

app.add_typer(registers.import_app, name="import")
app.command("uai", help=registers.UAI_HELP)(registers.uai)
app.add_typer(registers.departures_app, name="departures")
app.add_typer(registers.year_app, name="year")
app.add_typer(registers.cards_app, name="cards")

app.command("simulate", help=assessment.SIMULATE_HELP)(assessment.simulate_command)
app.command("report", help=assessment.REPORT_HELP)(assessment.report_command)


def main() -> None:
    """Entry point of the `portique` script."""
    app()
