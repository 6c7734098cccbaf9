"""The API against its own OpenAPI schema: schemathesis generates requests, valid and
invalid, for every operation, signed in with the token of a role allowed to call it,
and checks that no answer is a server error and that every answer is as documented.
Dates and times are drawn with extreme ones (years 1 and 9999, offsets of ±23:59); huge
numbers are in ``tests/security/test_api_fuzzing.py``."""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from server_support import make_site

from portique import clock
from portique.bootstrap import open_site
from portique.server import ServerSettings, create_api_token, create_app

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
ADMINISTRATION_TAGS = frozenset({"people", "credentials", "consent"})
"""Operations of the administration; the agent's token calls the others."""
EXAMPLES_PER_OPERATION = 20

# Dates and times at the edges of what ISO 8601 and Python can hold, beside ordinary ones
# (issue 16: year 1 and 9999 once gave 500s): every "date" and "date-time" the schema names.
EXTREME_DATES = ["0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01", "1970-01-01"]
EXTREME_TIMES = [
    "0001-01-01T00:00:00+01:00",
    "0001-01-01T00:00:00+23:59",
    "9999-12-31T23:00:00Z",
    "9999-12-31T23:59:59-23:59",
    "2100-12-31T23:59:59+14:00",
]
schemathesis.openapi.format("date", st.sampled_from(EXTREME_DATES) | st.dates().map(str))
schemathesis.openapi.format(
    "date-time",
    st.sampled_from(EXTREME_TIMES)
    | st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat()),
)


def _fuzz(operation: APIOperation, headers: dict[str, str]) -> None:
    """Valid and invalid requests for one operation, the same ones at every run."""
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def answers_as_documented(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    answers_as_documented()


def test_generated_requests_get_no_server_error_and_answers_as_documented(
    tmp_path: Path,
) -> None:
    now = clock.now()
    directory = tmp_path / "site"
    make_site(directory, now)
    with open_site(directory) as site:
        tokens = {
            role: create_api_token(site, f"fuzz {role}", role, now=now)
            for role in ("administration", "agent")
        }
    # A short live stream, so the event-stream operation answers in a fraction of a second.
    app = create_app(directory, settings=ServerSettings(live_stream_s=0.2, live_poll_s=0.05))
    try:
        schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 15
        for operation in operations:
            role = "administration" if set(operation.tags or ()) & ADMINISTRATION_TAGS else "agent"
            headers = {"Authorization": f"Bearer {tokens[role]}"}
            _fuzz(operation, headers)
    finally:
        app.state.portique.site.close()
