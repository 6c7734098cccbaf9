"""A site's background job, run at start-up and then at each interval until cancelled."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from portique.errors import PortiqueError


async def run_periodically(
    job: Callable[[datetime], object],
    interval: timedelta,
    *,
    clock: Callable[[], datetime],
    log: logging.Logger,
    what: str,
) -> None:
    """Runs ``job(now)`` in a worker thread now, then every ``interval``, until cancelled
    (the server runs its retention purge and its departure sweep so, for its lifetime).

    A run that fails is logged under ``what`` ("retention purge of <site>") and the job
    is tried again at the next interval.
    """
    while True:
        try:
            await asyncio.to_thread(job, clock())
        except PortiqueError as error:
            log.warning("%s failed: %s", what, error.message)
        except Exception:
            # A bug must not stop the job for the server's lifetime: log it, retry.
            log.exception("%s failed unexpectedly", what)
        await asyncio.sleep(interval.total_seconds())
