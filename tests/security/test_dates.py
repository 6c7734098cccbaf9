"""Finding 6: every date or time from outside is held to a sane range (1900-2100), with
a clear error: 422 from the API (never 500), exit code 2 from the CLI, a refused line
in a CSV file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from server_support_for_security import Server, add_person, served

from cli_support import Cli
from portique.dates import DateRangeError, check_moment
from portique.services import bind_badge
from school_support import School

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with served(tmp_path) as made:
        yield made


def _unprocessable(response: object) -> str:
    assert getattr(response, "status_code", None) == 422, getattr(response, "text", response)
    body = response.json()  # type: ignore[attr-defined]
    assert body["error"] == "date_out_of_range" and body["message"]
    return str(body["message"])


@pytest.mark.parametrize(
    "dates",
    [
        {"valid_from": "0001-01-01"},
        {"valid_until": "9999-12-31"},
        {"valid_from": "1899-12-31", "valid_until": "2026-12-01"},
    ],
)
def test_credential_dates_out_of_range_are_a_422(server: Server, dates: dict[str, str]) -> None:
    admin = server.signed_in("administration")
    staff = add_person(admin)
    for kind in ({"kind": "card"}, {"kind": "badge", "badge_uid": "04:A2:B3:C4"}):
        response = admin.post("/api/v1/credentials", json={"person_id": staff, **kind, **dates})
        _unprocessable(response)


def _visit(host: str, start: str, end: str) -> dict[str, object]:
    return {
        "last_name": "Visiteur",
        "first_name": "Jean",
        "purpose": "Réunion",
        "host_id": host,
        "expected_from": start,
        "expected_until": end,
        "send_email": False,
    }


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("9999-12-31T23:00:00Z", "9999-12-31T23:30:00Z"),
        ("0001-01-01T00:00:00+01:00", "2026-12-01T10:00:00+01:00"),
    ],
)
def test_visit_times_out_of_range_are_a_422(server: Server, start: str, end: str) -> None:
    admin = server.signed_in("administration")
    host = add_person(admin)
    _unprocessable(admin.post("/api/v1/visits", json=_visit(host, start, end)))


def test_a_since_before_the_range_is_a_422(server: Server) -> None:
    admin = server.signed_in("administration")
    response = admin.get("/api/v1/visits", params={"since": "0001-01-01T00:00:00+01:00"})
    assert "since" in _unprocessable(response)


def test_a_refusal_until_the_year_9999_is_a_422(server: Server) -> None:
    admin = server.signed_in("administration")
    body = {
        "last_name": "Dupont",
        "first_name": "Jean",
        "birth_date": "1980-01-01",
        "reason": "Décision du chef d'établissement",
        "ordered_by": "head_teacher",
        "until": "9999-12-31",
    }
    _unprocessable(admin.post("/api/v1/refusals", json=body))


def test_a_badge_valid_until_9999_is_refused_like_a_card(school: School) -> None:
    staff = school.staff()
    with school.site.session() as session, pytest.raises(DateRangeError):
        bind_badge(
            session, school.site_id, staff, "04:A2:B3:C4", now=NOW, valid_until=date(9999, 12, 31)
        )


@pytest.mark.parametrize(
    "moment",
    [
        datetime(1, 1, 1, tzinfo=PARIS),
        datetime(9999, 12, 31, 23, tzinfo=UTC),
        datetime(1899, 12, 31, 23, 59, tzinfo=UTC),
        datetime(2101, 1, 1, tzinfo=UTC),
    ],
)
def test_times_that_cannot_move_between_zones_are_refused(moment: datetime) -> None:
    with pytest.raises(DateRangeError):
        check_moment(moment, "at")


@pytest.mark.parametrize(
    "args",
    [
        ("pass", "--lane", "entree", "--badge", "04:A2:B3:C4", "--at", "0001-01-01T00:00+01:00"),
        ("pass", "--lane", "entree", "--badge", "04:A2:B3:C4", "--at", "9999-12-31T23:30+00:00"),
    ],
)
def test_the_cli_refuses_extreme_times_with_exit_code_2(
    sqlite_cli: Cli, args: tuple[str, ...]
) -> None:
    assert sqlite_cli.json(*args, code=2)["error"] == "date_out_of_range"


def test_the_cli_refuses_extreme_validity_dates(sqlite_cli: Cli) -> None:
    staff = sqlite_cli.staff()
    issued = sqlite_cli.json(
        "credential", "issue", "--person", staff, "--valid-until", "31/12/9999",
        "--out", str(sqlite_cli.directory / "card.png"), code=2,
    )  # fmt: skip
    assert issued["error"] == "date_out_of_range"
    bound = sqlite_cli.json(
        "credential", "bind-badge", "04:A2:B3:C4", "--person", staff,
        "--valid-from", "01/01/0001", code=2,
    )  # fmt: skip
    assert bound["error"] == "date_out_of_range"


def test_a_csv_line_with_an_extreme_date_is_refused_alone(sqlite_cli: Cli, tmp_path: Path) -> None:
    roster = tmp_path / "eleves.csv"
    roster.write_text(
        "Nom;Prénom;Né(e) le\nMartin;Léa;01/01/0001\nDurand;Paul;12/03/2011\n", encoding="utf-8"
    )
    report = sqlite_cli.json("person", "import", str(roster))
    assert report["imported"] == 1
    assert [row["line"] for row in report["rejected"]] == [2]
