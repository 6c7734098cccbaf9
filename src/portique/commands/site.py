"""Site commands: `portique init`, `portique keys|db|lockdown ...`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from portique.commands.common import CommandApp, err, out, print_json
from portique.commands.options import AtOption, DirOption, HelpSection, JsonOption
from portique.commands.sitedir import site_at, site_dir
from portique.i18n import text

_help = HelpSection("site")

INIT_HELP = _help("init")


def init(
    directory: DirOption = None,
    site_id: Annotated[str | None, typer.Option("--site-id", help=_help("site_id"))] = None,
    name: Annotated[str | None, typer.Option("--name", help=_help("name"))] = None,
    timezone: Annotated[str, typer.Option("--timezone", help=_help("timezone"))] = "Europe/Paris",
    uai: Annotated[str | None, typer.Option("--uai", help=_help("uai"))] = None,
    face: Annotated[bool, typer.Option("--face/--no-face", help=_help("face"))] = False,
    face_model: Annotated[
        str | None, typer.Option("--face-model", help=_help("face_model"))
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a site; help text in INIT_HELP."""
    from portique.biometrics import backend_for_model, preferred_model
    from portique.biometrics.models import known_model
    from portique.bootstrap import init_site
    from portique.config import get_settings
    from portique.errors import BadInputError

    model = None
    if face:
        model = face_model or preferred_model()
        backend_for_model(model)
    elif face_model is not None:
        raise BadInputError(text("--face-model va avec --face.", "--face-model goes with --face."))
    note = known_model(model).licence_note if model and model != "dlib-resnet-v1" else ""
    created = init_site(
        site_dir(directory),
        site_id=site_id,
        name=name,
        timezone=timezone,
        face=face,
        database_url=get_settings().database_url,
        uai=uai,
        face_model=model,
    )
    if as_json:
        print_json(
            {
                "site": created.site_id,
                "name": created.name,
                "directory": str(created.directory),
                "database": created.database,
                "key": created.key_id,
                "face_enabled": created.face_enabled,
                "face_model": model,
                "licence_note": note or None,
                "zones": [zone.zone_id for zone in created.zones],
                "lanes": [
                    {
                        "lane": lane.lane_id,
                        "zone": lane.zone_id,
                        "direction": lane.direction.value,
                        "face_enabled": lane.face_enabled,
                    }
                    for lane in created.lanes
                ],
            }
        )
        return
    out.print(
        text(
            f"Établissement [bold]{created.site_id}[/] créé dans {created.directory}",
            f"Site [bold]{created.site_id}[/] created in {created.directory}",
        )
    )
    out.print(text("Base de données : ", "Database: ") + created.database)
    out.print(text("Clé de signature : ", "Signing key: ") + created.key_id)
    if model is not None:
        out.print(text("Modèle de visage : ", "Face model: ") + model)
    if note:
        err.print(text("[yellow]Licence :[/] ", "[yellow]Licence:[/] ") + note)
    for lane in created.lanes:
        way = text("entrée", "entry") if lane.direction.value == "in" else text("sortie", "exit")
        face_note = text(", visage proposé", ", face offered") if lane.face_enabled else ""
        out.print(
            text("Voie ", "Lane ") + f"[bold]{lane.lane_id}[/] ({way}, {lane.zone_id}{face_note})"
        )


keys_app = CommandApp(help=_help("keys_app"), no_args_is_help=True)


def _keys_dir(directory: Path | None) -> Path:
    from portique.files import KEYS_DIR

    return site_dir(directory) / KEYS_DIR


def _show_keys(directory: Path | None, as_json: bool) -> None:
    from portique.credentials import load_keyring

    keys = load_keyring(_keys_dir(directory)).list_keys()
    if as_json:
        print_json(
            {
                "keys": [
                    {
                        "key": info.key_id,
                        "status": info.status.value,
                        "created_at": info.created_at.isoformat(),
                        "retired_at": info.retired_at.isoformat() if info.retired_at else None,
                    }
                    for info in keys
                ]
            }
        )
        return
    status_words = {
        "active": text("active (signe)", "active (signs)"),
        "verifying": text("vérifie seulement", "verifies only"),
        "retired": text("retirée", "retired"),
    }
    table = Table(title=text("Clés", "Keys"))
    table.add_column(text("Clé", "Key"))
    table.add_column(text("État", "Status"))
    table.add_column(text("Créée le", "Created"))
    table.add_column(text("Retirée le", "Retired"))
    for info in keys:
        table.add_row(
            info.key_id,
            status_words[info.status.value],
            info.created_at.strftime("%d/%m/%Y %H:%M"),
            info.retired_at.strftime("%d/%m/%Y %H:%M") if info.retired_at else "",
        )
    out.print(table)


@keys_app.command("init", help=_help("keys_init"))
def keys_init(directory: DirOption = None, as_json: JsonOption = False) -> None:
    from portique.credentials import init_keyring

    init_keyring(_keys_dir(directory))
    _show_keys(directory, as_json)


@keys_app.command("rotate", help=_help("keys_rotate"))
def keys_rotate(directory: DirOption = None, as_json: JsonOption = False) -> None:
    from portique.credentials import load_keyring

    load_keyring(_keys_dir(directory)).rotate()
    _show_keys(directory, as_json)


@keys_app.command("retire", help=_help("keys_retire"))
def keys_retire(
    key_id: Annotated[str, typer.Argument(help=_help("key_id"))],
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.credentials import load_keyring

    load_keyring(_keys_dir(directory)).retire(key_id)
    _show_keys(directory, as_json)


@keys_app.command("list", help=_help("keys_list"))
def keys_list(directory: DirOption = None, as_json: JsonOption = False) -> None:
    _show_keys(directory, as_json)


db_app = CommandApp(help=_help("db_app"), no_args_is_help=True)


@db_app.command("upgrade", help=_help("db_upgrade"))
def db_upgrade(directory: DirOption = None, as_json: JsonOption = False) -> None:
    from portique.config import get_settings
    from portique.services.site import database_for
    from portique.store import SCHEMA_REVISION

    database = database_for(site_dir(directory), get_settings().database_url)
    try:
        database.upgrade()
    finally:
        database.dispose()
    if as_json:
        print_json({"database": database.shown_url, "revision": SCHEMA_REVISION})
    else:
        out.print(
            text(
                f"{database.shown_url} : schéma {SCHEMA_REVISION}.",
                f"{database.shown_url}: schema {SCHEMA_REVISION}.",
            )
        )


lockdown_app = CommandApp(help=_help("lockdown_app"), no_args_is_help=True)
ByOption = Annotated[str | None, typer.Option("--by", help=_help("by"))]


def lockdown(
    context: typer.Context,
    directory: DirOption = None,
    by: ByOption = None,
    at: AtOption = None,
    as_json: JsonOption = False,
) -> None:
    """Declares (`start`) or lifts (`end`) a lockdown."""
    from portique.services import declare_lockdown, lift_lockdown

    change = declare_lockdown if context.info_name == "start" else lift_lockdown
    with site_at(directory, at) as (site, when), site.session() as session:
        state = change(session, site.site_id, by=by, now=when)
    if as_json:
        print_json(
            {
                "lockdown": state.in_force,
                "since": state.since.isoformat() if state.since else None,
                "changed": state.changed,
            }
        )
    elif state.in_force:
        out.print(text("[bold red]Mise en sûreté en cours.[/]", "[bold red]Lockdown in force.[/]"))
    else:
        out.print(text("Pas de mise en sûreté en cours.", "No lockdown in force."))


lockdown_app.command("start", help=_help("lockdown_start"))(lockdown)
lockdown_app.command("end", help=_help("lockdown_end"))(lockdown)
