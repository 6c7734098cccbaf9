"""The one error handler of the command line: every command reports a Portique error the
same way (its exit code, one clear line, or a JSON object with --json), never a traceback."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from portique.cli import app
from portique.commands.common import reports_errors

HANDLER = reports_errors(lambda: None).__code__
"""The code of the one handler that every command runs in."""

# Commands that open a site, each with the arguments it needs to get that far.
SITE_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("person", "list"),
    ("person", "exit-permission", "p-1", "--rule", "free", "--by", "p-2"),
    ("consent", "grant", "p-1"),
    ("credential", "revoke", "c-1"),
    ("credential", "bind-badge", "04A1", "--person", "p-1"),
    ("lockdown", "start"),
    ("visitor", "list"),
    ("visitor", "check-in", "v-1"),
    ("refusal", "list"),
    ("refusal", "lift", "1"),
    ("audit", "verify"),
    ("subject", "export", "p-1", "--out", "export"),
    ("privacy", "template-store"),
    ("account", "list"),
    ("report", "--out", "report"),
    ("uai",),
    ("departures", "list"),
    ("departures", "sweep"),
    ("year", "close", "2026-2027"),
)


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    if command.callback is not None:
        yield " ".join(path) or "portique", command.callback
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def _handled(callback: Callable[..., Any]) -> bool:
    function: Any = callback
    while function is not None:
        if function.__code__ is HANDLER:
            return True
        function = getattr(function, "__wrapped__", None)
    return False


def test_every_command_and_callback_reports_its_errors_through_the_one_handler() -> None:
    commands = dict(_commands(typer.main.get_command(app)))
    assert len(commands) > 40
    assert [name for name, callback in commands.items() if not _handled(callback)] == []


@pytest.mark.parametrize("args", SITE_COMMANDS, ids=lambda args: " ".join(args))
def test_a_command_without_a_site_says_so_in_one_json_object(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    result = CliRunner().invoke(app, [*args, "--dir", str(tmp_path / "none"), "--json"])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    payload = json.loads(result.stdout)
    assert payload == {"error": "no_site", "message": payload["message"]}
    assert "portique init" in payload["message"]


@pytest.mark.parametrize("args", SITE_COMMANDS[:4], ids=lambda args: " ".join(args))
def test_a_command_without_a_site_says_so_in_one_line_without_json(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    result = CliRunner().invoke(app, [*args, "--dir", str(tmp_path / "none")])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    # One message (Rich folds it to the width of the terminal), headed by its title.
    message = " ".join(result.stderr.split())
    assert message.startswith("Aucun établissement : ") and message.count("Aucun") == 2
    assert "portique init" in message
    assert "Traceback" not in result.output


def test_a_bad_option_value_outside_any_site_is_reported_the_same_way(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["lane", "hub", "--dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "--broker" in result.stderr and "Traceback" not in result.output
