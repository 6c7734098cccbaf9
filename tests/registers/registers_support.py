"""A site made by init_site, with its UAI, for the register tests (SQLite or PostgreSQL).

``RegisterSite`` imports synthetic exports through the services at a chosen time and
reads back what the database holds::

    site = RegisterSite.create(tmp_path, database_url)
    report = site.sync(SCHOOL, guardians=True)
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from portique.bootstrap import init_site, open_site
from portique.registers import SyncReport, read_register, sync_register
from portique.registers.synthetic import SyntheticSchool, guardians_xml, pupils_xml
from portique.services import SiteHandle, issue_credential
from portique.store import (
    AuditEntryRow,
    Base,
    CredentialRow,
    PersonRow,
    RegisterIdRow,
    Sites,
)

UAI = "0130001A"
NOW = datetime(2026, 9, 21, 8, 0, tzinfo=UTC)
"""A Monday of the school year 2026-2027, 10:00 in Paris."""
TODAY = date(2026, 9, 21)


@dataclass
class RegisterSite:
    site: SiteHandle

    @classmethod
    def create(cls, tmp_path: Path, database_url: str, *, uai: str | None = UAI) -> RegisterSite:
        directory = tmp_path / f"site-{secrets.token_hex(3)}"
        init_site(
            directory,
            site_id=f"lycee-{secrets.token_hex(4)}",
            name="Lycée Claret",
            database_url=database_url,
            uai=uai,
            now=NOW,
        )
        return cls(open_site(directory, database_url=database_url))

    @property
    def site_id(self) -> str:
        return self.site.site_id

    def sync(
        self,
        school: SyntheticSchool,
        *,
        guardians: bool = True,
        now: datetime = NOW,
        **options: Any,
    ) -> SyncReport:
        files = read_register(pupils_xml(school), guardians_xml(school) if guardians else None)
        with self.site.database.session(actor="cli:test") as session:
            return sync_register(
                session, self.site_id, self.site.keys_dir, files, now=now, **options
            )

    def people(self, role: str | None = None) -> list[PersonRow]:
        with self.site.session() as session:
            query = select(PersonRow).where(PersonRow.site_id == self.site_id)
            if role is not None:
                query = query.where(PersonRow.role == role)
            rows = list(session.scalars(query))
            session.expunge_all()
            return rows

    def version(self) -> int:
        with self.site.session() as session:
            return Sites(session).version(self.site_id) or 0

    def person_of(self, school: SyntheticSchool, eleve_id: str) -> str:
        """The person id the site gave a synthetic pupil (found by name and birth date)."""
        pupil = next(p for p in school.pupils if p.eleve_id == eleve_id)
        matches = [
            row.person_id
            for row in self.people("student")
            if (row.last_name, row.first_name, row.birth_date)
            == (pupil.last_name, pupil.first_name, pupil.birth_date)
        ]
        assert len(matches) == 1, matches
        return matches[0]

    def issue(self, person_id: str, now: datetime = NOW) -> str:
        """A card for the person; its ``PQ:`` text."""
        with self.site.session() as session:
            issued = issue_credential(
                session, self.site_id, self.site.keyring(), person_id, now=now
            )
        return issued.payload_text

    def credentials(self) -> list[CredentialRow]:
        with self.site.session() as session:
            rows = list(
                session.scalars(select(CredentialRow).where(CredentialRow.site_id == self.site_id))
            )
            session.expunge_all()
            return rows

    def row_counts(self) -> dict[str, int]:
        """How many rows each table holds (the whole database: a dry run must not move
        any of them, the audit log included)."""
        with self.site.session() as session:
            return {
                table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
                for table in Base.metadata.sorted_tables
            }

    def audit_actions(self) -> list[str]:
        with self.site.session() as session:
            return list(
                session.scalars(
                    select(AuditEntryRow.action)
                    .where(AuditEntryRow.site_id == self.site_id)
                    .order_by(AuditEntryRow.seq)
                )
            )

    def register_hashes(self) -> list[str]:
        with self.site.session() as session:
            return list(
                session.scalars(
                    select(RegisterIdRow.key_hash).where(RegisterIdRow.site_id == self.site_id)
                )
            )

    def close(self) -> None:
        self.site.close()
