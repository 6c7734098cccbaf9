"""The help texts of the command line, read from commands/help.toml: every text a command
names is there, and every text there is named by a command."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import portique.commands
from portique.commands.options import HELP_CATALOGUE, HelpSection
from portique.i18n import catalogue

COMMANDS = Path(portique.commands.__file__).parent


def _named_helps() -> set[tuple[str, str]]:
    """(section, key) of every ``_help("key")`` the command modules write, each module's
    ``_help`` being ``HelpSection("section")``."""
    named: set[tuple[str, str]] = set()
    for module in sorted(COMMANDS.glob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        sections = [
            node.value.args[0].value
            for node in tree.body
            if isinstance(node, ast.Assign)
            and ast.unparse(node.targets[0]) == "_help"
            and isinstance(node.value, ast.Call)
            and ast.unparse(node.value.func) == "HelpSection"
            and isinstance(node.value.args[0], ast.Constant)
        ]
        calls = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "_help"
        ]
        if not calls:
            continue
        assert len(sections) == 1, f"{module.name}: one _help = HelpSection(...) expected"
        for call in calls:
            (argument,) = call.args
            assert isinstance(argument, ast.Constant) and isinstance(argument.value, str), (
                f"{module.name}:{call.lineno}: a help key is written out, not computed"
            )
            named.add((sections[0], argument.value))
    return named


def test_every_help_text_a_command_names_is_in_the_catalogue_and_every_one_is_named() -> None:
    shipped = {
        (section, key)
        for section, texts in catalogue("portique.commands", HELP_CATALOGUE).items()
        for key in texts
    }
    named = _named_helps()
    assert named - shipped == set(), "named by a command, missing from help.toml"
    assert shipped - named == set(), "in help.toml, named by no command"


def test_a_help_text_missing_from_the_catalogue_stops_the_command_line() -> None:
    with pytest.raises(KeyError, match=r"help.toml \[people\] has no help text 'no_such'"):
        HelpSection("people")("no_such")
    with pytest.raises(KeyError, match=r"help.toml \[no_such_module\]"):
        HelpSection("no_such_module")("name")
