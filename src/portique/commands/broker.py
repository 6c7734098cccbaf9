"""`portique broker config`: a Mosquitto configuration that locks the lanes' broker down."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from portique.commands.common import CommandApp, err
from portique.commands.options import DirOption, HelpSection
from portique.commands.sitedir import open_cli_site
from portique.errors import BadInputError
from portique.i18n import text

_help = HelpSection("broker")

broker_app = CommandApp(help=_help("broker_app"), no_args_is_help=True)


@broker_app.command("config", help=_help("config"))
def config(
    out: Annotated[Path, typer.Option("--out", help=_help("out"))],
    port: Annotated[int, typer.Option("--port", help=_help("port"))] = 8883,
    bind: Annotated[str | None, typer.Option("--bind", help=_help("bind"))] = None,
    hosts: Annotated[list[str] | None, typer.Option("--host", help=_help("host"))] = None,
    user: Annotated[str | None, typer.Option("--user", help=_help("user"))] = None,
    directory: DirOption = None,
) -> None:
    """Write the broker's configuration."""
    from portique import clock
    from portique.services.broker import write_broker_config
    from portique.services.lane_devices import lane_registry

    if not 0 < port < 65536:
        raise BadInputError(text("--port : entre 1 et 65535.", "--port: between 1 and 65535."))
    with open_cli_site(directory) as site:
        made = write_broker_config(
            site.keys_dir,
            site.site_id,
            lane_registry(site).lanes(),
            out,
            now=clock.now(),
            port=port,
            bind=bind,
            hosts=tuple(hosts or ("localhost", "127.0.0.1")),
            user=user,
        )
    err.print(
        text("Configuration du courtier : ", "Broker configuration: ")
        + f"{made.config} ({made.lanes} "
        + text("voies, concentrateur ", "lanes, hub ")
        + f"{made.hub_username})"
    )
