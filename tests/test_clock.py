"""The product's clock: shifted for tests only, refused anywhere else, shared by the
processes a test starts."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from portique import clock
from portique.errors import ConfigurationError

FORCED = datetime(2027, 3, 28, 1, 58, tzinfo=UTC)
PRINT_NOW = "from portique import clock; print(clock.now().isoformat())"


def test_a_shifted_clock_reads_the_forced_time_and_runs_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable, value in clock.shift_environment(FORCED).items():
        monkeypatch.setenv(variable, value)
    first = clock.now()
    assert abs(first - FORCED) < timedelta(seconds=5)
    assert clock.now() >= first
    assert clock.is_shifted()


def test_without_the_test_switch_a_shifted_clock_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(clock.AT_VARIABLE, FORCED.isoformat())
    monkeypatch.delenv(clock.ALLOW_VARIABLE, raising=False)
    with pytest.raises(clock.ClockOverrideRefused):
        clock.now()
    monkeypatch.setenv(clock.ALLOW_VARIABLE, "yes")  # only exactly "1" allows it
    with pytest.raises(clock.ClockOverrideRefused):
        clock.check()


def test_a_forced_time_without_an_offset_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(clock.AT_VARIABLE, "2027-03-28T02:30")
    monkeypatch.setenv(clock.ALLOW_VARIABLE, "1")
    with pytest.raises(ConfigurationError, match="offset"):
        clock.now()


def test_unset_the_clock_is_the_real_time(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in (clock.AT_VARIABLE, clock.ORIGIN_VARIABLE, clock.ALLOW_VARIABLE):
        monkeypatch.delenv(variable, raising=False)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=1)
    assert not clock.is_shifted()


def test_a_production_command_refuses_a_clock_left_behind_by_a_test() -> None:
    env = {"PATH": "/usr/bin:/bin", "PORTIQUE_LANG": "en", clock.AT_VARIABLE: FORCED.isoformat()}
    result = subprocess.run(
        [sys.executable, "-m", "portique", "person", "list", "--dir", "/nonexistent"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2
    assert "PORTIQUE_TEST_CLOCK" in result.stderr
    assert "Traceback" not in result.stderr


def test_processes_started_by_a_test_share_its_timeline() -> None:
    env = {"PATH": "/usr/bin:/bin", **clock.shift_environment(FORCED, origin=1_000_000_000.0)}
    started = datetime.fromtimestamp(1_000_000_000.0, UTC)
    result = subprocess.run(
        [sys.executable, "-c", PRINT_NOW], capture_output=True, text=True, env=env, timeout=60
    )
    child = datetime.fromisoformat(result.stdout.strip())
    # The child's clock is FORCED plus the real time elapsed since the shared origin.
    assert abs((child - FORCED) - (datetime.now(UTC) - started)) < timedelta(seconds=30)
