"""The Typer options that several commands share, declared once (--json, --dir, --at,
--backend, --engine, --out), and the help texts of every command, group, option and
argument, read from ``help.toml``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from portique.i18n import catalogue, text

HELP_CATALOGUE = "help.toml"
"""The catalogue of the command line's help texts, shipped in this package: one section per
command module, each key ``["French", "English"]``."""


class HelpSection:
    """The help texts of one command module's commands, groups, options and arguments: its
    section of ``help.toml``. A module declares ``_help = HelpSection("people")``, then
    ``typer.Option("--first-name", help=_help("first_name"))``."""

    def __init__(self, section: str) -> None:
        self.section = section

    def __call__(self, key: str) -> str:
        """The help text ``key``, in the language of the process as :func:`text` picks it,
        when the command or option is declared (at import, as ``text`` was called before).

        Raises:
            KeyError: the catalogue has no such text (a command names a help it lacks).
        """
        texts = catalogue("portique.commands", HELP_CATALOGUE).get(self.section, {})
        if key not in texts:
            raise KeyError(f"{HELP_CATALOGUE} [{self.section}] has no help text {key!r}")
        french, english = texts[key]
        return text(french, english)


_help = HelpSection("options")

JsonOption = Annotated[bool, typer.Option("--json", help=_help("json"))]
DirOption = Annotated[Path | None, typer.Option("--dir", help=_help("dir"))]
AtOption = Annotated[str | None, typer.Option("--at", help=_help("at"))]
BackendOption = Annotated[str | None, typer.Option("--backend", help=_help("backend"))]
EngineOption = Annotated[str | None, typer.Option("--engine", help=_help("engine"))]
OutDirOption = Annotated[Path, typer.Option("--out", help=_help("out"))]
EvaluationOutOption = Annotated[Path | None, typer.Option("--out", help=_help("evaluation_out"))]
