"""The rush-hour simulator against queueing theory, and `portique simulate` from outside."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from portique.cli import app
from portique.evaluation.simulate import (
    ArrivalProfile,
    Distribution,
    Mode,
    Queueing,
    Scenario,
    arrivals,
    default_modes,
    erlang_c,
    mmc_mean_wait,
    simulate,
    simulate_mode,
)

runner = CliRunner()
CUSTOMERS = 40_000


def exponential_run(servers: int, arrival_rate: float, queueing: Queueing, seed: int):  # type: ignore[no-untyped-def]
    times = arrivals(CUSTOMERS, CUSTOMERS / arrival_rate, np.random.default_rng(seed))
    mode = Mode("mm", "M/M/c", Distribution.exponential(1.0))
    return simulate_mode(mode, times, servers, np.random.default_rng(seed + 1), queueing)


def test_erlang_c_by_hand() -> None:
    # One server: the probability of waiting is the utilisation.
    assert erlang_c(1, 0.6) == pytest.approx(0.6)
    # Two servers, a = 1: C = (1/2 * 2) / (1 + 1 + 1) = 1/3.
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert mmc_mean_wait(1, 0.5, 1.0) == pytest.approx(1.0)  # rho / (mu - lambda)


def test_mm1_mean_wait_and_utilisation_match_theory() -> None:
    result = exponential_run(1, 0.6, Queueing.SHARED, seed=21)
    expected = mmc_mean_wait(1, 0.6, 1.0)  # 1.5 s
    assert result.wait_mean == pytest.approx(expected, rel=0.08)
    assert result.utilisation == pytest.approx(0.6, rel=0.03)


def test_mmc_mean_wait_and_utilisation_match_erlang_c() -> None:
    result = exponential_run(3, 2.1, Queueing.SHARED, seed=31)
    expected = mmc_mean_wait(3, 2.1, 1.0)  # about 0.55 s
    assert result.wait_mean == pytest.approx(expected, rel=0.08)
    assert result.utilisation == pytest.approx(0.7, rel=0.03)


def test_one_queue_per_lane_waits_longer_than_a_shared_queue() -> None:
    shared = exponential_run(3, 2.1, Queueing.SHARED, seed=41)
    per_lane = exponential_run(3, 2.1, Queueing.PER_LANE, seed=41)
    # Joining the shortest queue without switching lanes cannot beat a common queue.
    assert per_lane.wait_mean > shared.wait_mean
    assert per_lane.wait_mean < 3 * shared.wait_mean


def test_arrivals_stay_in_the_window_and_peak_late() -> None:
    rng = np.random.default_rng(1)
    even = arrivals(5000, 1200.0, rng)
    peak = arrivals(5000, 1200.0, rng, ArrivalProfile.PEAK)
    assert even.size == peak.size == 5000
    assert np.all(np.diff(even) >= 0) and even.min() >= 0 and even.max() <= 1200
    assert np.median(even) == pytest.approx(600, rel=0.05)
    assert np.median(peak) > 700


def test_lognormal_from_percentiles_gives_them_back() -> None:
    draws = Distribution.from_percentiles(30.0, 40.0).draw(np.random.default_rng(2), 200_000)
    assert np.percentile(draws, 50) == pytest.approx(30.0, rel=0.02)
    assert np.percentile(draws, 95) == pytest.approx(40.0, rel=0.02)


def test_face_mode_service_adds_presentation_and_referrals() -> None:
    modes = default_modes(referral_probability=0.1)
    face, badge = modes["badge_face"], modes["badge"]
    expected = badge.service.mean + face.extra.mean + 0.1 * face.referral.mean  # type: ignore[union-attr]
    assert face.mean_service() == pytest.approx(expected)
    draws = face.service_times(np.random.default_rng(3), 100_000)
    assert draws.mean() == pytest.approx(expected, rel=0.02)
    # Nobody opted in: the face mode is exactly the badge.
    none = default_modes(face_share=0.0)["badge_face"]
    assert none.mean_service() == pytest.approx(badge.mean_service())


def test_modes_are_compared_on_the_same_morning() -> None:
    scenario = Scenario(people=600, lanes=2, seed=4)
    result = simulate(scenario, default_modes())
    again = simulate(scenario, default_modes())
    assert [r.wait_p95 for r in result.results.values()] == [
        r.wait_p95 for r in again.results.values()
    ]
    badge, agent = result.results["badge"], result.results["agent"]
    assert badge.people == agent.people == 600
    assert badge.wait_p95 < agent.wait_p95
    assert badge.last_departure_s >= scenario.window_s * 0.95


def test_simulate_command_prints_a_json_summary_and_writes_plots(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["simulate", "--students", "300", "--lanes", "2", "--start", "07:50", "--end", "08:00",
         "--modes", "badge,badge_face", "--seed", "9", "--out", str(tmp_path), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["scenario"]["students"] == 300
    assert set(summary["modes"]) == {"badge", "badge_face"}
    for mode in summary["modes"].values():
        for key in ("wait_p50_s", "wait_p95_s", "longest_queue", "time_to_clear_s", "cleared_at"):
            assert key in mode
        assert mode["cleared_at"] >= "07:59:00"
    assert (tmp_path / "simulation.png").stat().st_size > 10_000
    assert json.loads((tmp_path / "simulation.json").read_text())["scenario"]["seed"] == 9


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--modes", "turnstile"], "turnstile"),
        (["--start", "8h"], "--start"),
        (["--start", "08:10", "--end", "08:00"], "--end"),
        (["--lanes", "0"], "--lanes"),
        (["--queue", "zigzag"], "zigzag"),
    ],
)
def test_simulate_refuses_bad_parameters_with_exit_code_2(
    options: list[str], fragment: str
) -> None:
    result = runner.invoke(app, ["simulate", *options, "--json"])
    assert result.exit_code == 2
    error = json.loads(result.stdout)
    assert error["error"] == "bad_input"
    assert fragment in error["message"]
