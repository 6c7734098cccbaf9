"""The product's clock in tests: a time chosen by the test, in process and in subprocesses."""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from portique import clock

PARIS = ZoneInfo("Europe/Paris")
SCHOOL_MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=PARIS)
"""A Tuesday in term time, 10:00 in Paris: the site is open, classes have lessons."""


class ProductClock:
    """Puts the product on a time a test chooses: in this process, and in the processes
    the test starts with :meth:`environment`; the clock runs on from there."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._monkeypatch = monkeypatch

    def set(self, at: datetime) -> None:
        """From now on, the product's clock in this process reads ``at``."""
        for variable, value in clock.shift_environment(at).items():
            self._monkeypatch.setenv(variable, value)

    @staticmethod
    def environment(at: datetime, **extra: str) -> dict[str, str]:
        """The environment of a subprocess whose clock reads ``at`` when it starts."""
        return {**os.environ, **clock.shift_environment(at), **extra}
