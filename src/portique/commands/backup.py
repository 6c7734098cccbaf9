"""`portique backup` and `portique restore`: the site's database and its sealed keys."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from portique import clock
from portique.commands.common import out, print_json
from portique.commands.options import DirOption, HelpSection, JsonOption
from portique.commands.sitedir import site_dir
from portique.errors import BadInputError
from portique.i18n import text

if TYPE_CHECKING:
    from portique.services.backup import BackupRecord

_help = HelpSection("backup")

PASSPHRASE_VARIABLE = "PORTIQUE_BACKUP_PASSPHRASE"

BACKUP_HELP = _help("backup")
RESTORE_HELP = _help("restore")

KeysOption = Annotated[Path | None, typer.Option("--keys", help=_help("keys"))]


def _passphrase(*, confirm: bool) -> str:
    given = os.environ.get(PASSPHRASE_VARIABLE)
    if given:
        return given
    first = getpass.getpass(text("Phrase de passe des clés : ", "Keys passphrase: "))
    if confirm and getpass.getpass(text("Encore une fois : ", "Once more: ")) != first:
        raise BadInputError(
            text("Les deux phrases de passe diffèrent.", "The two passphrases differ.")
        )
    return first


def backup(
    out_file: Annotated[Path, typer.Option("--out", help=_help("out"))],
    keys: KeysOption = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Back the site up; help text in BACKUP_HELP."""
    from portique.config import get_settings
    from portique.services.backup import backup as back_up

    record = back_up(
        site_dir(directory),
        out_file,
        passphrase=_passphrase(confirm=True),
        now=clock.now(),
        database_url=get_settings().database_url,
        keys_out=keys,
    )
    _show(record, as_json, text("Sauvegarde écrite", "Backup written"))


def restore(
    copy: Annotated[Path, typer.Argument(help=_help("copy"))],
    keys: KeysOption = None,
    replace: Annotated[bool, typer.Option("--replace", help=_help("replace"))] = False,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Restore a backup; help text in RESTORE_HELP."""
    from portique.config import get_settings
    from portique.services.backup import restore as put_back

    record = put_back(
        copy,
        site_dir(directory),
        passphrase=_passphrase(confirm=False),
        database_url=get_settings().database_url,
        keys=keys,
        replace=replace,
    )
    _show(record, as_json, text("Sauvegarde restaurée", "Backup restored"))


def _show(record: BackupRecord, as_json: bool, headline: str) -> None:
    if as_json:
        print_json(
            {
                "database": record.database,
                "keys": record.keys,
                "backend": record.backend,
                "revision": record.revision,
                "site_id": record.site_id,
                "created_at": record.created_at,
            }
        )
        return
    out.print(
        f"{headline} : {record.site_id} ({record.backend}, {record.revision}) — "
        f"{record.database}, {record.keys}"
    )
