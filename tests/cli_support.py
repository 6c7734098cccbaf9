"""Running `portique` in process on one site folder, and reading its JSON output.

``Cli`` runs commands through Typer's CliRunner with ``--dir`` set, and ``json`` reads
the one JSON object a command prints with ``--json``, checking its exit code.
"""

from __future__ import annotations

import json
import secrets
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from typer.testing import CliRunner, Result

from portique import clock
from portique.cli import app
from school_support import next_school_day

PARIS = ZoneInfo("Europe/Paris")


class Cli:
    """``portique`` on one site folder; ``json`` runs a command with --json and parses it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.runner = CliRunner()
        today = clock.now().astimezone(PARIS).date()
        self.day = next_school_day(today)

    def at(self, hour: int, minute: int = 0, day: date | None = None) -> str:
        """An ISO-8601 time on the school day (a Tuesday after today), Paris time."""
        return datetime.combine(day or self.day, time(hour, minute), tzinfo=PARIS).isoformat()

    def run(self, *args: str) -> Result:
        return self.runner.invoke(app, [*args, "--dir", str(self.directory)])

    def json(self, *args: str, code: int = 0) -> dict[str, Any]:
        result = self.run(*args, "--json")
        assert result.exit_code == code, (args, result.exit_code, result.output)
        lines = result.stdout.strip().splitlines()
        assert len(lines) == 1, result.stdout
        payload: dict[str, Any] = json.loads(lines[0])
        return payload

    def person(self, *options: str) -> str:
        person_id: str = self.json("person", "add", *options)["person"]
        return person_id

    def parent(self) -> str:
        return self.person(
            "--name",
            "Martin",
            "--first-name",
            "Claire",
            "--birth-date",
            "02/03/1979",
            "--role",
            "parent",
        )

    def student(self, guardian: str) -> str:
        born = f"15/01/{clock.now().year - 15}"
        return self.person(
            "--name", "Martin", "--first-name", "Léa", "--birth-date", born,
            "--class", "2nde A", "--guardian", guardian,
        )  # fmt: skip

    def staff(self) -> str:
        return self.person(
            "--name",
            "Bernard",
            "--first-name",
            "Paul",
            "--birth-date",
            "1975-03-03",
            "--role",
            "staff",
        )

    def issue(self, person: str, *options: str) -> dict[str, Any]:
        card = self.directory.parent / f"card-{secrets.token_hex(3)}.png"
        return self.json("credential", "issue", "--person", person, "--out", str(card), *options)
