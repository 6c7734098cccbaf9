"""What every command shares: consoles, JSON output, progress bars and error reporting."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from portique.errors import PortiqueError
from portique.i18n import error_headline

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def print_json(payload: object) -> None:
    """One JSON object on stdout, alone on its line."""
    sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def fail(error: PortiqueError, *, as_json: bool) -> NoReturn:
    """Report an error the user can act on, then exit with its code; never a traceback."""
    if as_json:
        print_json({"error": error.code, "message": error.message})
    else:
        # One line whatever the terminal's width: scripts read the first line of stderr.
        err.print(f"[bold red]{error_headline(error.code)}[/] : {error.message}", soft_wrap=True)
    raise typer.Exit(error.exit_code)


@contextmanager
def progress_bar(description: str, *, enabled: bool = True) -> Iterator[Progress]:
    """A Rich progress bar on stderr (stdout stays clean for tables and JSON)."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not enabled,
        transient=False,
    )
    with progress:
        progress.add_task(description, total=None)
        yield progress
