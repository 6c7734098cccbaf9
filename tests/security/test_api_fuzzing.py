"""Issue 16: the API answers any body and any query with its own error, never a 500 —
Hypothesis fills the fields each route reads with extreme dates and times (year 1 to 9999,
offsets of ±23:59), huge and odd numbers, long, empty and control-laden strings, and
wrong types. Bounded: a fixed number of examples per route, derandomized."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_support_for_security import Server, add_person, served

EXAMPLES = 60

EXTREME_DATES = st.sampled_from(
    [
        "0001-01-01",
        "9999-12-31",
        "1899-12-31",
        "2101-01-01",
        "2024-02-30",
        "0000-00-00",
        "-0001-01-01",
        "99999-01-01",
        "1970-01-01",
    ]
) | st.dates().map(str)
EXTREME_TIMES = st.sampled_from(
    [
        "0001-01-01T00:00:00+23:59",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-23:59",
        "9999-12-31T23:00:00Z",
        "2026-12-01T10:00:00",
        "2026-13-01T10:00:00Z",
        "2026-12-01T25:00:00Z",
        "1e308",
    ]
) | st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat())
HUGE_NUMBERS = (
    st.sampled_from([10**30, -(10**30), 2**63, -(2**63) - 1, 2**31, 1e308, -1e308, 0, -1])
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
)
STRINGS = st.sampled_from(["", " " * 300, "\x00\x1b[2J", "p-" + "x" * 5000, "‮evil"]) | st.text(
    max_size=80
)
VALUES = st.one_of(
    EXTREME_DATES, EXTREME_TIMES, HUGE_NUMBERS, STRINGS, st.booleans(), st.none(), st.just([])
)

ROUTES: dict[tuple[str, str], tuple[str, ...]] = {
    ("POST", "/api/v1/people"): ("last_name", "first_name", "birth_date", "role", "groups"),
    ("POST", "/api/v1/credentials"): ("person_id", "kind", "valid_from", "valid_until"),
    ("POST", "/api/v1/visits"): (
        "last_name",
        "first_name",
        "birth_date",
        "purpose",
        "host_id",
        "expected_from",
        "expected_until",
        "send_email",
    ),
    ("POST", "/api/v1/visits/walk-in"): ("last_name", "first_name", "purpose", "host_id"),
    ("POST", "/api/v1/refusals"): (
        "last_name",
        "first_name",
        "birth_date",
        "reason",
        "ordered_by",
        "until",
    ),
    ("POST", "/api/v1/passages"): ("lane_id", "qr_text", "badge_uid"),
    ("GET", "/api/v1/visits"): ("since", "until", "day", "status"),
    ("GET", "/api/v1/passages"): ("lane_id", "limit", "since"),
    ("GET", "/api/v1/people"): ("q", "role", "class", "consent", "limit", "offset", "order"),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with served(tmp_path_factory.mktemp("fuzz")) as made:
        yield made


@pytest.fixture(scope="module")
def host(server: Server) -> str:
    return add_person(server.signed_in("administration"))


def _client(server: Server, role: str) -> TestClient:
    client = server.signed_in(role)
    client.raise_server_exceptions = False  # type: ignore[attr-defined]
    return client


@pytest.mark.parametrize(("method", "path"), list(ROUTES), ids=lambda part: str(part))
def test_extreme_values_get_an_answer_that_is_not_a_server_error(
    server: Server, host: str, method: str, path: str
) -> None:
    role = "agent" if "passages" in path else "administration"
    client = _client(server, role)
    fields = ROUTES[(method, path)]
    chosen = st.dictionaries(st.sampled_from(fields), VALUES, max_size=len(fields))
    statuses: set[int] = set()

    @given(values=chosen, with_host=st.booleans())
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def answers(values: dict[str, Any], with_host: bool) -> None:
        if with_host and "host_id" in fields:
            values = {**values, "host_id": host}
        if method == "GET":
            query = {key: str(value) for key, value in values.items()}
            response = client.get(path, params=query)
        else:
            response = client.post(path, json=values)
        statuses.add(response.status_code)
        assert response.status_code < 500, (values, response.text)
        if response.status_code >= 400:
            assert response.json()["error"], response.text

    answers()
    assert statuses - {404, 405}, "the route was never reached"


def test_a_body_that_is_not_json_is_refused_with_an_error_body(server: Server) -> None:
    client = _client(server, "administration")
    for body in (b"\xff\xfe", b"[" * 10_000, b'{"birth_date": 1e999}', b"null", b"1" * 5000):
        response = client.post(
            "/api/v1/people", content=body, headers={"Content-Type": "application/json"}
        )
        assert 400 <= response.status_code < 500, body[:20]
        assert response.json()["error"]
