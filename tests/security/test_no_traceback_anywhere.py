"""Issue 16: no command prints a traceback on bad input. Every command of `portique` is
run with hostile values in each of its required arguments and options (junk with control
characters, impossible dates, huge numbers, a missing file, a folder): each answers with
an exit code and at most a short message, never an uncaught exception."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command

from cli_support import Cli
from portique.cli import app

SKIPPED = {
    # Long-running or heavy: a server, a lane, the demo, benchmarks and PDF printing
    # (their inputs are checked by their own tests).
    "serve",
    "demo",
    "bench",
    "simulate",
    "report",
    "dpia",
    "documents",
    "eval lfw",
    "lane run",
    "lane hub",
    "models build",
    "models install",
}
HOSTILE = ("junk\x1b[2J\x00", "31/02/2010", "9999-12-31T23:59:59+23:59", "1" * 40, "")


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    if hasattr(command, "list_commands"):
        for name in command.list_commands(None):
            yield from _commands(command.get_command(None, name), (*path, name))
    else:
        yield " ".join(path), command


COMMANDS = [(name, command) for name, command in _commands(get_command(app))]


def _arguments(command: Any, value: str, folder: Path) -> list[str]:
    args: list[str] = []
    for param in command.params:
        if not param.required:
            continue
        hostile = str(folder / "missing.csv") if param.name in {"file", "eleves"} else value
        if param.name in {"out_dir", "out_path", "out_file", "cards_dir", "out", "root"}:
            hostile = str(folder / "out")
        if param.param_type_name == "argument":
            args.append(hostile)
        else:
            args += [param.opts[0], hostile]
    if any(param.name == "directory" for param in command.params):
        args += ["--dir", str(folder / "site")]
    return args


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    cli = Cli(tmp_path_factory.mktemp("hostile") / "site")
    cli.json("init")
    return cli


@pytest.mark.parametrize(
    ("name", "command"),
    [pair for pair in COMMANDS if pair[0] not in SKIPPED],
    ids=[name for name, _ in COMMANDS if name not in SKIPPED],
)
def test_a_command_answers_hostile_values_without_a_traceback(
    site: Cli, monkeypatch: pytest.MonkeyPatch, name: str, command: Any
) -> None:
    monkeypatch.setenv("PORTIQUE_PASSWORD", "junk")
    folder = site.directory.parent
    for value in HOSTILE:
        args = [*name.split(), *_arguments(command, value, folder)]
        result = site.runner.invoke(app, args)
        shown = (name, value, result.output[-2000:])
        assert result.exception is None or isinstance(result.exception, SystemExit), shown
        assert "Traceback" not in result.output, shown
        assert result.exit_code in (0, 1, 2), shown
        if result.exit_code == 2:
            assert len(result.output.strip().splitlines()) <= 12, shown


def test_a_huge_number_in_an_address_is_not_found_not_a_server_error(tmp_path: Path) -> None:
    from server_support_for_security import served

    with served(tmp_path) as server:
        admin = server.signed_in("administration")
        admin.raise_server_exceptions = False  # type: ignore[attr-defined]
        for path in ("/api/v1/refusals/" + "1" * 40 + "/lift", "/refusals/" + "9" * 30 + "/lift"):
            response = admin.post(path, json={}, data=None)
            assert response.status_code in (403, 404, 422), (path, response.text)
