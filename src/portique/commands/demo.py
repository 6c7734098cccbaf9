"""`portique demo`: the whole product on one machine, a demo school replaying a morning."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from portique.commands.common import err, out, print_json
from portique.commands.options import HelpSection, JsonOption
from portique.i18n import language, text

_help = HelpSection("demo")

DEMO_HELP = _help("demo")


def demo(
    directory: Annotated[Path | None, typer.Option("--dir", help=_help("dir"))] = None,
    faces: Annotated[Path | None, typer.Option("--faces", help=_help("faces"))] = None,
    port: Annotated[int, typer.Option("--port", help=_help("port"))] = 8000,
    speed: Annotated[float, typer.Option("--speed", help=_help("speed"))] = 1.0,
    once: Annotated[bool, typer.Option("--once", help=_help("once"))] = False,
    as_json: JsonOption = False,
) -> None:
    """Run the demo; help text in DEMO_HELP."""
    from portique.access import Outcome, outcome_label, reason_label
    from portique.demo import (
        DemoOptions,
        Played,
        check_port,
        default_demo_dir,
        prepare_demo,
        run_demo,
    )

    lang = language()
    info = err if as_json else out
    folder = directory if directory is not None else default_demo_dir()
    stop = threading.Event()

    def ready(url: str) -> None:
        info.print(text("Console : ", "Console: ") + f"[bold]{url}[/]")
        for account in school.accounts:
            info.print(
                f"  {account.role:<15} {text('identifiant', 'login')} [bold]{account.username}"
                f"[/]  {text('mot de passe', 'password')} [bold]{account.password}[/]"
            )
        info.print(
            text(
                "Rejeu de la matinée aux voies entree et sortie"
                + ("" if once else " (Ctrl-C pour arrêter)"),
                "Replaying the morning at lanes entree and sortie"
                + ("" if once else " (Ctrl-C to stop)"),
            )
        )

    def played(item: Played) -> None:
        if as_json:
            return
        mark = "" if item.as_expected else text("  (inattendu)", "  (unexpected)")
        info.print(
            f"[dim]{item.time:%a %d/%m %H:%M}[/] {item.lane:<7} {item.who} — {item.story}: "
            f"{outcome_label(item.outcome, lang)} "
            f"({', '.join(reason_label(reason, lang) for reason in item.reasons)}){mark}"
        )

    options = DemoOptions(port=port, speed=speed, once=once, lang=lang)
    check_port(options.host, options.port)
    school = prepare_demo(folder, faces, progress=lambda message: err.print(f"[dim]{message}…[/]"))
    info.print(text("Démo : ", "Demo: ") + str(folder))
    # Ctrl-C and SIGTERM end the replay; the lanes forward their events, the server
    # stops, and the summary is printed.
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in handlers:
        signal.signal(sig, lambda *_: stop.set())
    try:
        summary = run_demo(school, options, stop=stop, ready=ready, played=played)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    if as_json:
        print_json(summary.as_json())
    else:
        counts = summary.as_json()["outcomes"]
        info.print(
            text("Passages : ", "Passages: ")
            + ", ".join(f"{outcome_label(Outcome(o), lang)} {n}" for o, n in counts.items())
        )
