"""A background job runs at start-up, then at each interval, and survives its failures."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from portique.errors import BadInputError
from portique.periodic import run_periodically

AT = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def test_a_failing_run_is_logged_and_the_job_runs_again(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[datetime] = []
    finished = asyncio.Event()

    def job(now: datetime) -> None:
        seen.append(now)
        if len(seen) == 1:
            raise BadInputError("the database is read-only")
        if len(seen) == 2:
            raise RuntimeError("a bug")
        finished.set()

    async def scenario() -> None:
        log = logging.getLogger("portique.test.periodic")
        task = asyncio.create_task(
            run_periodically(job, timedelta(0), clock=lambda: AT, log=log, what="sweep of s1")
        )
        await asyncio.wait_for(finished.wait(), timeout=30)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with caplog.at_level(logging.WARNING, logger="portique.test.periodic"):
        asyncio.run(scenario())
    assert seen[:3] == [AT, AT, AT]
    messages = [record.getMessage() for record in caplog.records]
    assert messages[:2] == [
        "sweep of s1 failed: the database is read-only",
        "sweep of s1 failed unexpectedly",
    ]
