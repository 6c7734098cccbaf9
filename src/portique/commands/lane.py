"""`portique lane run` and `portique lane hub`: one lane at work, and the server's end of
the MQTT link (events into the store, snapshots out to the lanes)."""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from portique.commands.common import CommandApp, err
from portique.commands.options import DirOption, HelpSection
from portique.commands.sitedir import open_cli_site
from portique.errors import BadInputError, ConfigurationError
from portique.i18n import language, text

if TYPE_CHECKING:
    from portique.lane import InProcessHub, Lane, MqttBroker
    from portique.lane.comms.base import Transport

_help = HelpSection("lane")

LANES_DIR = "lanes"
SNAPSHOT_WAIT_S = 2.0
BROKER_LOGIN_FILE = "broker.json"
"""A lane's broker login, in its folder (``portique lane provision`` writes it)."""
CA_CERT_FILE = "broker-ca.crt"
"""The site's broker CA certificate, in a lane's folder and the site's keys folder."""

lane_app = CommandApp(help=_help("lane_app"), no_args_is_help=True)

LaneArgument = Annotated[str, typer.Argument(help=_help("lane"))]
InsecureOption = Annotated[bool, typer.Option("--insecure", help=_help("insecure"))]

BrokerOption = Annotated[str | None, typer.Option("--broker", help=_help("broker"))]


def site_id_of(directory: Path) -> str:
    """The site id ``site.json`` names (a lane's folder needs no database)."""
    from portique.credentials.claims import is_valid_id
    from portique.files import SITE_FILE

    path = directory / SITE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            text(
                f"Impossible de lire {path} ({exc}) : copiez le site.json de l'établissement.",
                f"Cannot read {path} ({exc}): copy the site's site.json there.",
            )
        ) from None
    site_id = data.get("site_id") if isinstance(data, dict) else None
    if not isinstance(site_id, str) or not is_valid_id(site_id):
        raise ConfigurationError(f"{path} does not name a valid site id.")
    return site_id


@contextmanager
def stopped_by_signals() -> Iterator[threading.Event]:
    """An event that Ctrl-C or SIGTERM sets (instead of interrupting a thread midway)."""
    stop = threading.Event()
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in handlers:
        signal.signal(sig, lambda *_: stop.set())
    try:
        yield stop
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help=_help("verbose"))]


@lane_app.command("run", help=_help("run"))
def run(
    site_directory: Annotated[Path, typer.Option("--site-dir", help=_help("site_dir"))],
    lane_id: Annotated[str, typer.Option("--lane", help=_help("lane"))],
    broker: BrokerOption = None,
    in_process: Annotated[bool, typer.Option("--in-process", help=_help("in_process"))] = False,
    camera: Annotated[str | None, typer.Option("--camera", help=_help("camera"))] = None,
    reader: Annotated[str | None, typer.Option("--reader", help=_help("reader"))] = None,
    layout: Annotated[str, typer.Option("--keyboard-layout", help=_help("keyboard_layout"))] = "us",
    osdp_key: Annotated[Path | None, typer.Option("--osdp-key", help=_help("osdp_key"))] = None,
    osdp_address: Annotated[int, typer.Option("--osdp-address", help=_help("osdp_address"))] = 0,
    display: Annotated[str | None, typer.Option("--display", help=_help("display"))] = None,
    gpio: Annotated[list[str] | None, typer.Option("--gpio", help=_help("gpio"))] = None,
    pulse: Annotated[float, typer.Option("--pulse", help=_help("pulse"))] = 3.0,
    door_contact: Annotated[
        Path | None, typer.Option("--door-contact", help=_help("door_contact"))
    ] = None,
    held_open: Annotated[float, typer.Option("--held-open", help=_help("held_open"))] = 30.0,
    relay: Annotated[str | None, typer.Option("--relay", help=_help("relay"))] = None,
    no_face: Annotated[bool, typer.Option("--no-face", help=_help("no_face"))] = False,
    insecure: InsecureOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Run one lane."""
    from portique.commands.lane_devices import DeviceOptions, open_devices
    from portique.files import private_directory
    from portique.lane import Lane, LaneConfig

    _logging(verbose)
    _check_run_options(broker, in_process, camera, reader, relay)
    options = DeviceOptions(
        camera=camera,
        reader=reader,
        relay=relay,
        display=display,
        layout=layout,
        osdp_key=osdp_key,
        osdp_address=osdp_address,
        gpio=tuple(gpio or ()),
        pulse_s=pulse,
        door_contact=door_contact,
        held_open_s=held_open,
        verbose=verbose,
    )
    lang = language()
    with _server_side(site_directory, in_process) as hub_transport:
        site_id = site_id_of(site_directory)
        transport = _transport(site_directory, site_id, lane_id, hub_transport, broker, insecure)
        lane_directory = private_directory(site_directory / LANES_DIR / lane_id)
        devices = open_devices(options, lane_directory, lang)
        engine = None
        follow_model = None
        if devices.camera is not None and not no_face:
            from portique.lane.face import lane_face_engine, lane_face_engine_for

            engine = lane_face_engine()
            follow_model = lane_face_engine_for
        config = LaneConfig(site_id, lane_id, lane_directory, lang)
        with (
            Lane(
                config,
                transport=transport,
                signals=devices.signals,
                camera=devices.camera,
                badge_reader=devices.reader,
                face_engine=engine,
                face_engine_for=follow_model,
                display=devices.display,
                watchers=devices.watchers,
            ) as lane,
            stopped_by_signals() as stop,
        ):
            _work(lane, stop, f"{lane_id} ({site_id}) ")


def _check_run_options(
    broker: str | None, in_process: bool, camera: str | None, reader: str | None, relay: str | None
) -> None:
    if in_process == (broker is not None):
        raise BadInputError(
            text(
                "Indiquez soit --broker mqtt://HÔTE:PORT, soit --in-process.",
                "Give either --broker mqtt://HOST:PORT or --in-process.",
            )
        )
    if camera is None and reader is None:
        raise BadInputError(
            text(
                "Une voie lit au moins une caméra (--camera) ou un lecteur (--reader).",
                "A lane reads at least a camera (--camera) or a reader (--reader).",
            )
        )
    if relay is not None and not relay.startswith(("http://", "https://")):
        raise BadInputError(
            text(
                "--relay : une URL http:// ou https://.",
                "--relay: an http:// or https:// URL.",
            )
        )


def _transport(
    directory: Path,
    site_id: str,
    lane_id: str,
    hub: InProcessHub | None,
    broker: str | None,
    insecure: bool,
) -> Transport:
    """The lane's link to the hub: in this process, or over MQTT as the lane's own
    identity (provisioned into ``directory``)."""
    from portique.lane import LaneIdentity, MqttTransport

    if hub is not None:
        return hub.connect(site_id, lane_id)
    assert broker is not None
    identity = LaneIdentity.load(directory, site_id, lane_id)
    return MqttTransport(lane_broker(directory, broker, insecure), identity)


def lane_broker(directory: Path, url: str, insecure: bool) -> MqttBroker:
    """The broker of ``url``, logged in with the lane's own login and trusting the site's
    CA when the lane's folder holds them; refused across the network without TLS."""
    from dataclasses import replace

    from portique.lane import MqttBroker

    parsed = MqttBroker.parse(url)
    login = directory / BROKER_LOGIN_FILE
    if parsed.username is None and login.exists():
        try:
            data = json.loads(login.read_text(encoding="utf-8"))
            parsed = replace(parsed, username=str(data["username"]), password=str(data["password"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigurationError(
                text(
                    f"{login} illisible ({exc!r}) : préparez la voie à nouveau.",
                    f"{login} is unreadable ({exc!r}): provision the lane again.",
                )
            ) from None
    ca = directory / CA_CERT_FILE
    if parsed.tls and parsed.ca_file is None and ca.exists():
        parsed = replace(parsed, ca_file=ca)
    parsed.check_secure(insecure=insecure)
    return parsed


def _work(lane: Lane, stop: threading.Event, named: str) -> None:
    """Runs a lane until ``stop`` (or the end of standard input for a keyboard reader
    without a camera), then waits a while for its events to be forwarded."""
    from portique.lane import KeyboardWedgeReader

    lane.start()
    while lane.snapshot is None and not stop.is_set():
        err.print(
            text("En attente de l'instantané du serveur…", "Waiting for the server's snapshot…")
        )
        lane.wait_for_version(0, SNAPSHOT_WAIT_S)
    err.print(
        text("Voie ", "Lane ")
        + named
        + text("prête, instantané v", "ready, snapshot v")
        + str(lane.version)
    )
    badges = lane.badge_reader
    ends = isinstance(badges, KeyboardWedgeReader) and lane.camera is None
    while not stop.is_set():
        lane.step()
        if ends and isinstance(badges, KeyboardWedgeReader) and badges.closed:
            break
    if not lane.wait_forwarded(10):
        err.print(
            text(
                "Des événements attendent encore dans la file de la voie ; ils "
                "partiront au prochain démarrage.",
                "Some events still wait in the lane's outbox; they will be sent at the next start.",
            )
        )


@contextmanager
def _server_side(directory: Path, in_process: bool) -> Iterator[InProcessHub | None]:
    """With ``in_process``: the server's end in this process (the site's store and a
    publisher of its snapshots); otherwise nothing (the hub runs elsewhere)."""
    if not in_process:
        yield None
        return
    from portique.bootstrap import in_process_hub, serving_lanes

    with open_cli_site(directory) as site, serving_lanes(site, in_process_hub) as served:
        yield served.hub


@lane_app.command("hub", help=_help("hub"))
def hub(
    directory: DirOption = None,
    broker: BrokerOption = None,
    validity: Annotated[
        float, typer.Option("--snapshot-validity", help=_help("snapshot_validity"))
    ] = 24.0,
    share: Annotated[str | None, typer.Option("--share", help=_help("share"))] = None,
    insecure: InsecureOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Run the server's end of the MQTT link."""
    from portique.bootstrap import mqtt_hub, serving_lanes

    _logging(verbose)
    if broker is None:
        raise BadInputError(text("--broker est requis.", "--broker is required."))
    if validity <= 0:
        raise BadInputError(
            text(
                "--snapshot-validity : un nombre d'heures positif.",
                "--snapshot-validity: hours > 0.",
            )
        )
    with open_cli_site(directory) as site:
        parsed = hub_broker(site.keys_dir, site.site_id, broker, insecure)
        with (
            stopped_by_signals() as stop,
            serving_lanes(
                site,
                mqtt_hub(site, parsed, snapshot_validity=timedelta(hours=validity), share=share),
            ) as served,
        ):
            if served.hub.wait_connected(10):
                err.print(
                    text("Concentrateur relié à ", "Hub linked to ")
                    + f"{parsed.shown} ({site.site_id})"
                )
            else:
                err.print(
                    text(
                        f"{parsed.shown} ne répond pas encore ; nouvelles tentatives…",
                        f"{parsed.shown} does not answer yet; retrying…",
                    )
                )
            while not stop.wait(0.5):
                pass


def hub_broker(keys_dir: Path, site_id: str, url: str, insecure: bool) -> MqttBroker:
    """The broker of ``url``, logged in as the site's hub and trusting the site's CA
    when `portique broker config` made them."""
    from dataclasses import replace

    from portique.lane import MqttBroker
    from portique.services import broker as broker_config

    parsed = MqttBroker.parse(url)
    if parsed.username is None and (keys_dir / broker_config.HUB_LOGIN_FILE).exists():
        login = broker_config.hub_login(keys_dir, site_id)
        parsed = replace(parsed, username=login.username, password=login.password)
    ca = keys_dir / broker_config.CA_CERT_FILE
    if parsed.tls and parsed.ca_file is None and ca.exists():
        parsed = replace(parsed, ca_file=ca)
    parsed.check_secure(insecure=insecure)
    return parsed


@lane_app.command("provision", help=_help("provision"))
def provision(
    lane_id: LaneArgument,
    out: Annotated[Path, typer.Option("--out", help=_help("out"))],
    directory: DirOption = None,
) -> None:
    """Provision a lane device."""
    from portique import clock
    from portique.server.lane_devices import provision as provision_device

    with open_cli_site(directory) as site:
        made = provision_device(site, lane_id, out, now=clock.now(), by=None)
    err.print(
        text("Voie préparée dans ", "Lane provisioned in ")
        + f"{made.directory} ({len(made.files)} "
        + text("fichiers ; identifiant de courtier ", "files; broker login ")
        + f"{made.broker_username})"
    )


@lane_app.command("revoke", help=_help("revoke"))
def revoke(
    lane_id: LaneArgument,
    directory: DirOption = None,
) -> None:
    """Revoke a lane device."""
    from portique import clock
    from portique.server.lane_devices import revoke as revoke_device

    with open_cli_site(directory) as site:
        record = revoke_device(site, lane_id, now=clock.now(), by=None)
    assert record.revoked_at is not None
    err.print(
        text("Voie révoquée : ", "Lane revoked: ") + f"{lane_id} ({record.revoked_at.isoformat()})"
    )
