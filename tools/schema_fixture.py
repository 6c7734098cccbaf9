"""Writes the SQL of a small site at the current schema head, for the upgrade test.

    .venv/bin/python tools/schema_fixture.py     # -> tests/store/fixtures/schema-<head>.sql

Run it once after adding a migration (and keep the earlier files): the test
``tests/store/test_upgrade_in_place.py`` loads every file in that folder into SQLite and
checks that a server starting on it upgrades it in place with nothing lost.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from portique.access import Role
from portique.bootstrap import init_site, open_site
from portique.services import (
    Gate,
    NewPerson,
    add_person,
    issue_credential,
    presented_from_text,
)
from portique.store import SCHEMA_REVISION

SITE_ID = "0130001A"
AT = datetime(2026, 11, 24, 8, 5, tzinfo=ZoneInfo("Europe/Paris"))
FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "store" / "fixtures"


def main() -> int:
    with tempfile.TemporaryDirectory() as work:
        directory = Path(work) / "site"
        init_site(directory, site_id=SITE_ID, name="Lycée du jeu d'essai", now=AT)
        with open_site(directory) as site:
            with site.session() as session:
                people = [
                    add_person(
                        session,
                        SITE_ID,
                        NewPerson(
                            last_name=f"Essai{number}",
                            first_name="Camille",
                            birth_date=date(1980, 1, 1 + number),
                            role=Role.STAFF,
                        ),
                        now=AT,
                    )
                    for number in range(3)
                ]
            gate = Gate(site)
            for person_id in people:
                with site.session() as session:
                    issued = issue_credential(
                        session,
                        SITE_ID,
                        site.keyring(),
                        person_id,
                        now=AT,
                        valid_from=AT.date(),
                        valid_until=date(2027, 8, 31),
                    )
                gate.pass_through("entree", presented_from_text(issued.payload_text), at=AT)
        connection = sqlite3.connect(directory / "portique.db")
        sql = "\n".join(connection.iterdump())
        connection.close()
    FIXTURES.mkdir(parents=True, exist_ok=True)
    target = FIXTURES / f"schema-{SCHEMA_REVISION}.sql"
    target.write_text(sql + "\n", encoding="utf-8")
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
