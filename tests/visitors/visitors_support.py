"""A school with a staff host, a second zone (``ateliers``) behind its own entry lane, and
shortcuts to invite and walk visitors in; the same site served, for the API and console."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session

from portique.access import Role
from portique.bootstrap import open_site
from portique.config import get_settings
from portique.store import LaneRow, Sites, ZoneRow
from portique.visitors import NewVisit, Visitor, VisitRequest, invite, walk_in
from school_support import School
from server.server_support import PARIS, Clock, Server, make_site, school_day, serve

WORKSHOPS = "ateliers"


@dataclass
class Visits:
    school: School
    host: str

    def request(
        self,
        start: datetime,
        end: datetime,
        *,
        zones: tuple[str, ...] = ("main",),
        name: str = "Durand",
        born: date | None = None,
        email: str | None = None,
    ) -> VisitRequest:
        return VisitRequest(
            Visitor(name, "Alice", born, email),
            "Réunion parents-professeurs",
            self.host,
            start,
            end,
            zones,
        )

    def invite(self, request: VisitRequest) -> NewVisit:
        """An invitation made by the agent now (the school's clock: before the day)."""
        return self._record(invite, request, now=self.school.now)

    def walk_in(self, request: VisitRequest) -> NewVisit:
        """A walk-in registered at reception at the request's start."""
        return self._record(walk_in, request, now=request.expected_from)

    def _record(
        self, create: Callable[..., NewVisit], request: VisitRequest, *, now: datetime
    ) -> NewVisit:
        """A visit recorded by the agent with ``create`` (``invite`` or ``walk_in``)."""
        school = self.school
        with school.site.session() as session:
            new: NewVisit = create(
                session, school.site_id, school.site.keyring(), request, by="account:agent", now=now
            )
            return new


def visit_body(host_id: str, start: datetime, **fields: Any) -> dict[str, Any]:
    """An invitation through the API: Alice Durand, for an interview of an hour from
    ``start``; ``fields`` add to it or replace."""
    return {
        "last_name": "Durand",
        "first_name": "Alice",
        "purpose": "Entretien",
        "host_id": host_id,
        "expected_from": start.isoformat(),
        "expected_until": (start + timedelta(hours=1)).isoformat(),
        **fields,
    }


@pytest.fixture
def visits(school: School) -> Visits:
    with school.site.session() as session:
        add_workshops(session, school.site_id)
    host = school.person(Role.STAFF, born=date(1975, 3, 3), name="Bernard")
    return Visits(school, host)


def add_workshops(session: Session, site_id: str) -> None:
    """A second zone, the workshops, behind its own entry lane."""
    session.add(ZoneRow(site_id=site_id, zone_id=WORKSHOPS, name="Ateliers"))
    session.flush()
    session.add(
        LaneRow(
            site_id=site_id,
            lane_id=WORKSHOPS,
            zone_id=WORKSHOPS,
            direction="in",
            face_enabled=False,
            name="Entrée des ateliers",
        )
    )
    Sites(session).bump_version(site_id)


@pytest.fixture(scope="session")
def served_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A site with an account per role (slow to hash) and the workshops, made once."""
    directory = tmp_path_factory.mktemp("visitors") / "site"
    token = make_site(directory, datetime.combine(school_day(), time(8), tzinfo=PARIS))
    with open_site(directory) as site, site.session() as session:
        add_workshops(session, site.site_id)
    return directory, token


@pytest.fixture
def server(tmp_path: Path, served_template: tuple[Path, str]) -> Iterator[Server]:
    """The site served on a clock at 10:00 on a school day."""
    template, token = served_template
    directory = tmp_path / "site"
    shutil.copytree(template, directory)
    clock = Clock(datetime.combine(school_day(), time(10), tzinfo=PARIS))
    made = serve(directory, token, clock)
    yield made
    for client in made.clients:
        client.close()
    made.app.state.portique.site.close()


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("PORTIQUE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PORTIQUE_SMTP_PORT", str(port))
    monkeypatch.setenv("PORTIQUE_SMTP_SENDER", "accueil@lycee-test.fr")
    get_settings.cache_clear()
    yield handler
    controller.stop()
