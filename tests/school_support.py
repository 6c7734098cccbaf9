"""A school set up through the services, on SQLite and on PostgreSQL, with real faces.

``School`` wraps a freshly initialised site: add people, record consents, issue
credentials (with LFW photos for the face), and pass them through the gate::

    def test_x(school: School) -> None:
        student = school.student()
        card = school.issue(student)
        assert school.pass_("entree", card).decision.granted
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from portique import clock
from portique.access import BadgeUid, ConsentGiver, Presented, Role
from portique.biometrics import FaceEngine, create_backend
from portique.bootstrap import init_site, open_site
from portique.lane import PassageResult
from portique.services import (
    Gate,
    IssuedCredential,
    LiveFace,
    NewPerson,
    SiteHandle,
    add_person,
    grant_consent,
    issue_credential,
    presented_from_text,
)

PARIS = ZoneInfo("Europe/Paris")
CLASS = "2nde A"


def next_school_day(after: date) -> date:
    """The first Tuesday after ``after``: a full day of lessons in the default timetable."""
    day = after + timedelta(days=1)
    while day.weekday() != 1:
        day += timedelta(days=1)
    return day


class School:
    """A site made by ``init_site``, and shortcuts to fill it and pass people through it."""

    def __init__(self, site: SiteHandle, face_engine: FaceEngine) -> None:
        self.site = site
        self.site_id = site.site_id
        self.face_engine = face_engine
        self.now = clock.now()
        self.today = self.now.astimezone(PARIS).date()
        self.day = next_school_day(self.today)
        self._gate: Gate | None = None

    def at(self, hour: int, minute: int = 0, day: date | None = None) -> datetime:
        """A time on the site's clock on the school day (a Tuesday after today)."""
        return datetime.combine(day or self.day, time(hour, minute), tzinfo=PARIS)

    def person(
        self,
        role: Role,
        *,
        born: date,
        groups: tuple[str, ...] = (),
        guardians: tuple[str, ...] = (),
        name: str = "Martin",
    ) -> str:
        with self.site.session() as session:
            return add_person(
                session,
                self.site_id,
                NewPerson(name, "Camille", born, role, groups, guardians),
                now=self.now,
            )

    def parent(self) -> str:
        return self.person(Role.PARENT, born=date(1980, 6, 1))

    def student(self, *, minor: bool = True, guardian: str | None = None) -> str:
        """A student of the class; a minor has a parent (made if not given)."""
        born = date(self.today.year - (15 if minor else 19), 1, 15)
        guardians = (guardian or self.parent(),) if minor else ()
        return self.person(Role.STUDENT, born=born, groups=(CLASS,), guardians=guardians)

    def staff(self) -> str:
        return self.person(Role.STAFF, born=date(1975, 3, 3))

    def consent(self, person_id: str, by: str | None = None) -> None:
        giver = None if by is None else ConsentGiver.PARENT
        with self.site.session() as session:
            grant_consent(session, self.site_id, person_id, by=by, now=self.now, giver=giver)

    def issue(
        self, person_id: str, faces: tuple[Path, ...] = (), **options: Any
    ) -> IssuedCredential:
        """A card valid from today for two months unless ``valid_from``/``valid_until``."""
        options.setdefault("valid_from", self.today)
        options.setdefault("valid_until", self.day + timedelta(days=60))
        with self.site.session() as session:
            return issue_credential(
                session,
                self.site_id,
                self.site.keyring(),
                person_id,
                now=self.now,
                faces=faces,
                face_engine=lambda: self.face_engine,
                **options,
            )

    @property
    def gate(self) -> Gate:
        if self._gate is None:
            self._gate = Gate(self.site, face_engine=lambda: self.face_engine)
        return self._gate

    def pass_(
        self,
        lane: str,
        credential: IssuedCredential | Presented | str,
        at: datetime | None = None,
        face: LiveFace | None = None,
    ) -> PassageResult:
        """A passage; ``credential`` is an issued card, a presented credential or text."""
        if isinstance(credential, IssuedCredential):
            presented: Presented = presented_from_text(credential.payload_text)
        elif isinstance(credential, str):
            presented = presented_from_text(credential)
        else:
            presented = credential
        return self.gate.pass_through(lane, presented, at=at or self.at(10), face=face)

    def badge(self, uid: str) -> BadgeUid:
        return BadgeUid(uid)


@pytest.fixture(scope="session")
def face_engine() -> FaceEngine:
    """The embedded dlib engine at its calibrated operating point, loaded once."""
    return FaceEngine(create_backend("dlib"))


@pytest.fixture
def school(database_url: str, tmp_path: Path, face_engine: FaceEngine) -> Iterator[School]:
    directory = tmp_path / "site"
    init_site(
        directory,
        site_id=f"lycee-{secrets.token_hex(4)}",
        name="Lycée Victor Hugo",
        database_url=database_url,
        face=True,
    )
    site = open_site(directory, database_url=database_url)
    yield School(site, face_engine)
    site.close()
