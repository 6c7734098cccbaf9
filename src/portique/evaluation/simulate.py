"""The rush-hour simulator: a morning arrival at N lanes, as a discrete-event simulation.

Each mode of entry (an agent checking a school card by eye, a badge, a badge and a
face) is a service-time model; the same arrivals, drawn once per seed, go through
each mode, and every mode's base service is drawn from the same random numbers (the
same person is as quick or as slow in every mode), so the modes are compared on the
same morning and their difference is not noise. Times are in seconds from the start
of the arrival window.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field, replace
from datetime import time as clock_time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import simpy

from portique.errors import BadInputError
from portique.evaluation.plots import write_wait_plots


class SimulationError(BadInputError):
    """A simulation parameter cannot be used."""

    code = "bad_input"


class Queueing(enum.StrEnum):
    """How people wait: one queue per lane (joining the shortest) or one shared queue."""

    PER_LANE = "per-lane"
    SHARED = "shared"


class Referrals(enum.StrEnum):
    """Where the agent checks a referred person: at the lane (the people behind wait)
    or aside (the person steps to the agent's desk and the lane serves the next one)."""

    AT_LANE = "at-lane"
    ASIDE = "aside"


class ArrivalProfile(enum.StrEnum):
    """How arrivals spread over the window: evenly (Poisson) or building up to the bell."""

    POISSON = "poisson"
    PEAK = "peak"


@dataclass(frozen=True)
class Distribution:
    """A positive duration in seconds: lognormal (mean, coefficient of variation),
    exponential (mean), constant, or resampled from measured values."""

    kind: str
    mean: float
    cv: float = 0.0
    samples: tuple[float, ...] = ()

    @classmethod
    def lognormal(cls, mean: float, cv: float) -> Distribution:
        return cls("lognormal", mean, cv)

    @classmethod
    def exponential(cls, mean: float) -> Distribution:
        return cls("exponential", mean, 1.0)

    @classmethod
    def constant(cls, value: float) -> Distribution:
        return cls("constant", value)

    @classmethod
    def empirical(cls, samples: Sequence[float]) -> Distribution:
        values = tuple(float(v) for v in samples)
        if not values:
            raise SimulationError("an empirical distribution needs at least one value.")
        mean = float(np.mean(values))
        cv = float(np.std(values) / mean) if mean > 0 else 0.0
        return cls("empirical", mean, cv, values)

    @classmethod
    def from_percentiles(cls, p50: float, p95: float) -> Distribution:
        """The lognormal with this median and 95th percentile (how benchmarks report)."""
        sigma = (math.log(p95) - math.log(p50)) / 1.6448536269514722
        mean = p50 * math.exp(sigma**2 / 2.0)
        return cls.lognormal(mean, math.sqrt(math.exp(sigma**2) - 1.0))

    def draw(self, rng: np.random.Generator, size: int) -> npt.NDArray[np.float64]:
        if self.kind == "constant":
            return np.full(size, self.mean)
        if self.kind == "exponential":
            return rng.exponential(self.mean, size)
        if self.kind == "empirical":
            return rng.choice(np.asarray(self.samples), size)
        sigma2 = math.log(1.0 + self.cv**2)
        mu = math.log(self.mean) - sigma2 / 2.0
        return rng.lognormal(mu, math.sqrt(sigma2), size)

    def as_json(self) -> dict[str, object]:
        result: dict[str, object] = {"kind": self.kind, "mean_s": round(self.mean, 6)}
        if self.kind in ("lognormal", "empirical"):
            result["cv"] = round(self.cv, 4)
        if self.samples:
            result["samples"] = len(self.samples)
        return result


@dataclass(frozen=True)
class Mode:
    """One way of entering: a base service for everyone, an optional step for a share of
    people (the face, for those who opted in), and referrals to the agent among them."""

    name: str
    label: str
    service: Distribution
    extra: Distribution | None = None
    extra_share: float = 0.0
    referral_probability: float = 0.0
    referral: Distribution | None = None

    def service_times(
        self,
        rng: np.random.Generator,
        size: int,
        *,
        base: np.random.Generator | None = None,
        referrals: Referrals = Referrals.AT_LANE,
    ) -> npt.NDArray[np.float64]:
        """The time each of ``size`` people holds the lane. ``base`` draws the base
        service (common random numbers across modes; ``rng`` when not given); a
        referral holds the lane only when the agent checks ``AT_LANE``."""
        times = self.service.draw(rng if base is None else base, size)
        if self.extra is not None and self.extra_share > 0:
            chosen = rng.random(size) < self.extra_share
            times = times + np.where(chosen, self.extra.draw(rng, size), 0.0)
            if self.referral is not None and self.referral_probability > 0:
                referred = chosen & (rng.random(size) < self.referral_probability)
                if referrals is Referrals.AT_LANE:
                    times = times + np.where(referred, self.referral.draw(rng, size), 0.0)
        return times

    def mean_service(self, referrals: Referrals = Referrals.AT_LANE) -> float:
        mean = self.service.mean
        if self.extra is not None:
            step = self.extra.mean
            if self.referral is not None and referrals is Referrals.AT_LANE:
                step += self.referral_probability * self.referral.mean
            mean += self.extra_share * step
        return mean

    def as_json(self) -> dict[str, object]:
        return {
            "label": self.label,
            "service": self.service.as_json(),
            "extra": self.extra.as_json() if self.extra else None,
            "extra_share": round(self.extra_share, 4),
            "referral_probability": round(self.referral_probability, 4),
            "referral": self.referral.as_json() if self.referral else None,
            "mean_service_s": round(self.mean_service(), 4),
        }


# --- Defaults: their sources are in docs/assessment.md ------------------------------------

AGENT_CHECK = Distribution.lognormal(4.0, 0.5)
"""An agent looks at a school card and the face of its holder (assumption)."""
BADGE_PRESENTATION = Distribution.lognormal(1.8, 0.35)
"""Tap a badge and walk through: about the walking pace of 1 person per 1.5 s (DESIGN.md)."""
BADGE_COMPUTE = Distribution.from_percentiles(0.08e-3, 0.15e-3)
"""Badge decision at the lane (BENCHMARKS.md, Lanes: p50 0.08 ms, p95 0.15 ms)."""
FACE_STEP_P50_S = 0.06652
FACE_STEP_P95_S = 0.16333
FACE_STEP = Distribution.from_percentiles(FACE_STEP_P50_S, FACE_STEP_P95_S)
"""The face step as measured: from the credential read to the decision with the face,
the face found in the frames of the approach (BENCHMARKS.md, "Face without a pause":
300 simulated approaches on the shared 2-core machine, load average 2.5 to 8.9: p50
66.5 ms, p95 163.3 ms). Nobody stops for the camera: the step adds only this time to the
badge's."""
REFERRAL_HANDLING = Distribution.lognormal(12.0, 0.5)
"""The agent checks a referred person by hand (assumption)."""
DEFAULT_REFERRAL_PROBABILITY = 0.05
"""Face attempts referred to the agent (assumption; LFW's FRR is the pessimistic bound)."""

MODE_NAMES = ("agent", "badge", "badge_face")


DEFAULT_SOURCE = "BENCHMARKS.md + hypothèses (docs/assessment.md)"
"""Where the default modes' service times come from (the published figures)."""


def measured_face_step(*paths: Path) -> Distribution:
    """The face step measured by ``benchmarks/bench_face_approach.py --out FILE`` (one
    run or several pooled): every face passage's read-to-decision time, resampled.

    Raises:
        SimulationError: a file is missing or holds no such measurement.
    """
    samples: list[float] = []
    for path in paths:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            samples += [float(value) for value in data["face_step_s"]]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise SimulationError(
                f"{path}: not a measurement of benchmarks/bench_face_approach.py --out ({error})."
            ) from None
    if not samples or min(samples) < 0 or not all(math.isfinite(v) for v in samples):
        raise SimulationError("the face step times must be finite and ≥ 0 s.")
    return Distribution.empirical(samples)


def default_modes(
    *,
    badge_compute: Distribution = BADGE_COMPUTE,
    face_compute: Distribution = FACE_STEP,
    face_share: float = 1.0,
    referral_probability: float = DEFAULT_REFERRAL_PROBABILITY,
) -> dict[str, Mode]:
    """The three modes compared by default, with measured times where given.

    ``face_compute`` is the whole face step, read to decision (the face is taken from
    the approach: no presentation time is added to it)."""

    def plus(a: Distribution, b: Distribution) -> Distribution:
        # Compute is milliseconds against seconds of presentation: its spread is negligible,
        # so it shifts the presentation time by its mean.
        return replace(a, mean=a.mean + b.mean, cv=a.cv * a.mean / (a.mean + b.mean))

    badge = plus(BADGE_PRESENTATION, badge_compute)
    return {
        "agent": Mode("agent", "Agent (carte vérifiée à l'œil)", AGENT_CHECK),
        "badge": Mode("badge", "Badge seul", badge),
        "badge_face": Mode(
            "badge_face",
            "Badge + visage",
            badge,
            extra=face_compute,
            extra_share=face_share,
            referral_probability=referral_probability,
            referral=REFERRAL_HANDLING,
        ),
    }


# --- Arrivals ---------------------------------------------------------------------------


def arrivals(
    count: int,
    window_s: float,
    rng: np.random.Generator,
    profile: ArrivalProfile = ArrivalProfile.POISSON,
) -> npt.NDArray[np.float64]:
    """``count`` arrival times over ``[0, window_s]``, sorted.

    POISSON: a homogeneous Poisson process given its number of arrivals (uniform order
    statistics). PEAK: intensity rising linearly to a peak at 80% of the window, then
    falling (a triangular density), as pupils crowd in just before the bell.
    """
    if profile is ArrivalProfile.POISSON:
        times = rng.uniform(0.0, window_s, count)
    else:
        times = rng.triangular(0.0, 0.8 * window_s, window_s, count)
    return np.sort(times)


# --- The simulation ---------------------------------------------------------------------


@dataclass(frozen=True)
class ModeResult:
    """What one mode gave on one morning."""

    mode: str
    label: str
    people: int
    lanes: int
    waits: npt.NDArray[np.float64] = field(repr=False)
    queue_times: npt.NDArray[np.float64] = field(repr=False)
    queue_lengths: npt.NDArray[np.int64] = field(repr=False)
    busy_s: float
    last_departure_s: float
    mean_service_s: float

    @property
    def wait_p50(self) -> float:
        return float(np.percentile(self.waits, 50)) if self.waits.size else 0.0

    @property
    def wait_p95(self) -> float:
        return float(np.percentile(self.waits, 95)) if self.waits.size else 0.0

    @property
    def wait_mean(self) -> float:
        return float(self.waits.mean()) if self.waits.size else 0.0

    @property
    def longest_queue(self) -> int:
        return int(self.queue_lengths.max()) if self.queue_lengths.size else 0

    @property
    def utilisation(self) -> float:
        span = self.last_departure_s * self.lanes
        return self.busy_s / span if span > 0 else 0.0

    def as_json(self, start: clock_time | None = None) -> dict[str, object]:
        result: dict[str, object] = {
            "label": self.label,
            "people": self.people,
            "lanes": self.lanes,
            "wait_p50_s": round(self.wait_p50, 2),
            "wait_p95_s": round(self.wait_p95, 2),
            "wait_mean_s": round(self.wait_mean, 2),
            "wait_max_s": round(float(self.waits.max()) if self.waits.size else 0.0, 2),
            "longest_queue": self.longest_queue,
            "time_to_clear_s": round(self.last_departure_s, 1),
            "utilisation": round(self.utilisation, 4),
            "mean_service_s": round(self.mean_service_s, 3),
        }
        if start is not None:
            result["cleared_at"] = clock_after(start, self.last_departure_s)
        return result


def clock_after(start: clock_time, seconds: float) -> str:
    """The wall-clock time ``seconds`` after ``start`` (HH:MM:SS)."""
    total = round(start.hour * 3600 + start.minute * 60 + start.second + seconds)
    hours, rest = divmod(total, 3600)
    return f"{hours % 24:02d}:{rest // 60:02d}:{rest % 60:02d}"


def simulate_mode(
    mode: Mode,
    arrival_times: npt.NDArray[np.float64],
    lanes: int,
    rng: np.random.Generator,
    queueing: Queueing = Queueing.PER_LANE,
    *,
    base: np.random.Generator | None = None,
    referrals: Referrals = Referrals.AT_LANE,
) -> ModeResult:
    """Run one mode on the given arrivals with SimPy, and gather waits and queue lengths.

    ``base`` draws the base service times (the same seed for every mode: common random
    numbers); ``referrals`` says whether a referred person holds the lane."""
    if lanes < 1:
        raise SimulationError("at least one lane is needed.")
    services = mode.service_times(rng, arrival_times.size, base=base, referrals=referrals)
    env = simpy.Environment()
    shared = simpy.Resource(env, capacity=lanes) if queueing is Queueing.SHARED else None
    per_lane = [simpy.Resource(env, capacity=1) for _ in range(lanes)] if shared is None else []
    waits = np.zeros(arrival_times.size)
    changes: list[tuple[float, int]] = [(0.0, 0)]
    waiting = [0]
    state = {"busy": 0.0, "last": 0.0}

    def note(delta: int) -> None:
        waiting[0] += delta
        changes.append((env.now, waiting[0]))

    def person(index: int) -> Generator[simpy.events.Event, object, None]:
        # Per lane, people join the lane with the fewest people in it (waiting or served).
        lane = shared if shared is not None else min(per_lane, key=lambda r: len(r.queue) + r.count)
        note(+1)
        with lane.request() as request:
            yield request
            note(-1)
            waits[index] = env.now - arrival_times[index]
            yield env.timeout(services[index])
            state["busy"] += float(services[index])
            state["last"] = max(state["last"], env.now)

    def source() -> Generator[simpy.events.Event, object, None]:
        for index in range(arrival_times.size):
            yield env.timeout(max(0.0, arrival_times[index] - env.now))
            env.process(person(index))

    env.process(source())
    env.run()
    times, lengths = zip(*changes, strict=True)
    return ModeResult(
        mode=mode.name,
        label=mode.label,
        people=int(arrival_times.size),
        lanes=lanes,
        waits=waits,
        queue_times=np.asarray(times, dtype=np.float64),
        queue_lengths=np.asarray(lengths, dtype=np.int64),
        busy_s=state["busy"],
        last_departure_s=state["last"],
        mean_service_s=mode.mean_service(referrals),
    )


@dataclass(frozen=True)
class Scenario:
    """The morning to simulate."""

    people: int = 1200
    lanes: int = 3
    start: clock_time = clock_time(7, 45)
    end: clock_time = clock_time(8, 5)
    profile: ArrivalProfile = ArrivalProfile.POISSON
    queueing: Queueing = Queueing.PER_LANE
    seed: int = 0
    referrals: Referrals = Referrals.AT_LANE

    @property
    def window_s(self) -> float:
        begin = self.start.hour * 3600 + self.start.minute * 60 + self.start.second
        finish = self.end.hour * 3600 + self.end.minute * 60 + self.end.second
        return float(finish - begin)

    def check(self) -> None:
        if self.people < 1:
            raise SimulationError("--students must be at least 1.")
        if self.lanes < 1:
            raise SimulationError("--lanes must be at least 1.")
        if self.window_s <= 0:
            raise SimulationError("--end must come after --start.")

    def as_json(self) -> dict[str, object]:
        return {
            "students": self.people,
            "lanes": self.lanes,
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M"),
            "arrival_profile": self.profile.value,
            "queueing": self.queueing.value,
            "seed": self.seed,
            "referrals": self.referrals.value,
        }


@dataclass(frozen=True)
class SimulationResult:
    """Every mode on the same morning."""

    scenario: Scenario
    modes: dict[str, Mode]
    results: dict[str, ModeResult]
    source: str

    def as_json(self) -> dict[str, object]:
        return {
            "scenario": self.scenario.as_json(),
            "service_source": self.source,
            "modes": {
                name: {**self.modes[name].as_json(), **result.as_json(self.scenario.start)}
                for name, result in self.results.items()
            },
        }


def simulate(
    scenario: Scenario, modes: dict[str, Mode], *, source: str = "defaults"
) -> SimulationResult:
    """Simulate every mode on the same arrivals, each mode's base service from the same
    random numbers, its own steps (face, referral) from a stream of its own."""
    scenario.check()
    root = np.random.SeedSequence(scenario.seed)
    arrival_seed, base_seed, *mode_seeds = root.spawn(2 + len(modes))
    times = arrivals(
        scenario.people,
        scenario.window_s,
        np.random.default_rng(arrival_seed),
        scenario.profile,
    )
    results = {
        name: simulate_mode(
            mode,
            times,
            scenario.lanes,
            np.random.default_rng(seed),
            scenario.queueing,
            base=np.random.default_rng(base_seed),
            referrals=scenario.referrals,
        )
        for (name, mode), seed in zip(modes.items(), mode_seeds, strict=True)
    }
    return SimulationResult(scenario, modes, results, source)


def write_simulation(result: SimulationResult, out_dir: Path) -> dict[str, object]:
    """The JSON summary of a simulation, once written in ``out_dir`` with its plots:
    ``simulation.png`` (waits and queues of each mode), named by ``plot``, and
    ``simulation.json`` (the summary)."""
    summary = result.as_json()
    summary["plot"] = str(
        write_wait_plots(
            {r.label: r.waits for r in result.results.values()},
            {r.label: (r.queue_times, r.queue_lengths) for r in result.results.values()},
            out_dir / "simulation.png",
        )
    )
    (out_dir / "simulation.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return summary


# --- Queueing theory, to check the simulator against -----------------------------------


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arrival waits in an M/M/c queue (offered load a = lambda/mu)."""
    if offered_load >= servers:
        return 1.0
    term = 1.0
    total = 1.0
    for k in range(1, servers):
        term *= offered_load / k
        total += term
    last = term * offered_load / servers
    tail = last / (1.0 - offered_load / servers)
    return tail / (total + tail)


def mmc_mean_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Mean time in queue of an M/M/c system (Erlang C)."""
    load = arrival_rate / service_rate
    return erlang_c(servers, load) / (servers * service_rate - arrival_rate)
