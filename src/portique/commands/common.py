"""What every command shares: consoles, JSON output, progress bars and error reporting.

Errors are reported in one place: every command and callback registered on a
:class:`CommandApp` runs inside :func:`reports_errors`, which turns a ``PortiqueError``
into its exit code and one clear line (a JSON ``{"error", "message"}`` object when the
command was given ``--json``), never a traceback. A command just raises.
"""

from __future__ import annotations

import enum
import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, NoReturn, ParamSpec, TypeVar

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
    """One JSON object on stdout, alone on its line; times and dates as ISO-8601
    (``isoformat``), enums as their values."""
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=_plain) + "\n")
    sys.stdout.flush()


def _plain(value: object) -> object:
    if isinstance(value, date):  # a datetime too
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON")


def fail(error: PortiqueError, *, as_json: bool) -> NoReturn:
    """Report an error the user can act on, then exit with its code; never a traceback."""
    if as_json:
        print_json({"error": error.code, "message": error.message})
    else:
        # One line whatever the terminal's width: scripts read the first line of stderr.
        err.print(f"[bold red]{error_headline(error.code)}[/] : {error.message}", soft_wrap=True)
    raise typer.Exit(error.exit_code)


P = ParamSpec("P")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """``command`` with its Portique errors reported by :func:`fail`, in JSON when it was
    called with ``as_json=True`` (the ``--json`` option every command names so)."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except PortiqueError as error:
            fail(error, as_json=kwargs.get("as_json") is True)

    return run


class CommandApp(typer.Typer):
    """A Typer application whose commands and callbacks report errors through
    :func:`reports_errors`: the one error handler of the command line."""

    def command(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:
        return _reporting(super().command(*args, **kwargs))

    def callback(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:
        return _reporting(super().callback(*args, **kwargs))


def _reporting(register: Callable[[Callable[..., Any]], Any]) -> Callable[[F], F]:
    """A Typer registration decorator that registers the function inside
    :func:`reports_errors` (and leaves the function itself as it is)."""

    def decorator(function: F) -> F:
        register(reports_errors(function))
        return function

    return decorator


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
