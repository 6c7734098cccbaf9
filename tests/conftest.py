"""Shared fixtures: the real LFW faces and ONNX models from ../shared, and isolated settings."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from clock_support import ProductClock
from portique import clock
from portique.documents import CHROMIUM

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
LFW = SHARED / "datasets" / "lfw"
MODELS = SHARED / "models"
IN_CI = os.environ.get("CI", "").lower() == "true"


def need(path: Path, what: str, hint: str = "put the shared data beside the repository") -> Path:
    """``path`` if it exists; otherwise a failure in CI and a skip elsewhere."""
    if path.exists():
        return path
    message = f"{what} not found at {path}: {hint}"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


CLOCK_PRESETS = {
    # The default: a Tuesday morning in term time, when the default timetable has lessons.
    "term-time": "2026-11-24T09:00:00+01:00",
    # A Sunday night: the demo school is closed, every timetable empty.
    "sunday-night": "2026-12-13T23:30:00+01:00",
    # A weekday at 23:59: the date changes under the run's feet.
    "weekday-2359": "2027-01-13T23:59:00+01:00",
    # The night the clocks go forward (Paris: 02:00 CET becomes 03:00 CEST): the run
    # starts two minutes before the change and goes through it.
    "dst-spring": "2027-03-28T01:58:00+01:00",
    # A leap day, a Tuesday morning: "the same day next year" does not exist.
    "leap-day": "2028-02-29T08:30:00+01:00",
}
"""Times at which the whole suite must pass: ``pytest --clock=NAME`` (or an ISO time, or
``real`` for the wall clock). Every run shifts the product's clock (``portique.clock``) so
that it reads that time when the run starts, in this process and in every process the
tests start; from there it runs at real speed."""
DEFAULT_CLOCK = "term-time"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock",
        default=os.environ.get("PORTIQUE_TEST_AT") or DEFAULT_CLOCK,
        help=(
            "run the product (in process and in every subprocess) on a clock that reads this "
            f"time at the start of the run: an ISO-8601 time with offset, one of "
            f"{', '.join(CLOCK_PRESETS)}, or 'real' for the wall clock. "
            f"Default: PORTIQUE_TEST_AT, else {DEFAULT_CLOCK}."
        ),
    )


def pytest_configure(config: pytest.Config) -> None:
    """Shifts the product's clock for the whole run (and its subprocesses) when asked."""
    wanted = config.getoption("--clock")
    for variable in (clock.AT_VARIABLE, clock.ORIGIN_VARIABLE, clock.ALLOW_VARIABLE):
        os.environ.pop(variable, None)
    if wanted == "real":
        return
    try:
        at = datetime.fromisoformat(CLOCK_PRESETS.get(wanted, wanted))
    except ValueError:
        raise pytest.UsageError(
            f"--clock: {wanted!r} is neither an ISO-8601 time nor one of {list(CLOCK_PRESETS)}"
        ) from None
    if at.utcoffset() is None:
        raise pytest.UsageError(f"--clock: {wanted!r} needs an offset (e.g. +01:00)")
    os.environ.update(clock.shift_environment(at))


def pytest_report_header(config: pytest.Config) -> str:
    shifted = os.environ.get(clock.AT_VARIABLE)
    if shifted:
        return f"product clock shifted: it read {shifted} when the run started"
    return "product clock: the real time (choose another with --clock)"


@pytest.fixture
def product_clock(monkeypatch: pytest.MonkeyPatch) -> ProductClock:
    """Chooses the product's time for one test (see :class:`ProductClock`)."""
    return ProductClock(monkeypatch)


@pytest.fixture(scope="session")
def lfw_root() -> Path:
    """The LFW folder (images/ and pairs.txt)."""
    return need(LFW / "images", "LFW").parent


@pytest.fixture(scope="session")
def lfw_images(lfw_root: Path) -> Path:
    return lfw_root / "images"


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, which renders the console tests and the documents."""
    return need(CHROMIUM, "Chromium", "install Debian's chromium package (make system-deps)")


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """The folder of optional ONNX models."""
    return need(MODELS / "mobilefacenet_foamliu.onnx", "the ONNX models").parent


@pytest.fixture(scope="session")
def edgeface_dir() -> Path:
    """The shared folder holding EdgeFace-XS, YuNet and the MiniFASNet pair."""
    for name in ("edgeface_xs_q.onnx", "minifasnet_v2_2.7_80x80.onnx"):
        need(MODELS / name, f"the model {name}")
    return MODELS


@pytest.fixture
def installed_models_dir(
    edgeface_dir: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A data directory whose models were installed from the shared folder through the
    product (``portique models install --from``), as ``make demo`` does; its models/."""
    from portique.biometrics.models import install_folder
    from portique.config import get_settings

    data = tmp_path_factory.getbasetemp() / "installed-models"
    monkeypatch.setenv("PORTIQUE_DATA_DIR", str(data))
    get_settings.cache_clear()
    if not (data / "models" / "edgeface_xs_q.onnx").is_file():
        install_folder(edgeface_dir)
    return data / "models"


@pytest.fixture(autouse=True)
def _isolated_settings(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Each test sees default settings, with caches in a shared temporary folder."""
    from portique.config import get_settings

    cache = tmp_path_factory.getbasetemp() / "cache"
    monkeypatch.setenv("PORTIQUE_CACHE_DIR", os.environ.get("PORTIQUE_TEST_CACHE_DIR", str(cache)))
    monkeypatch.setenv("PORTIQUE_CONFIG", str(tmp_path_factory.getbasetemp() / "none.toml"))
    # Models installed in the user's data folder must not change what a test runs on.
    monkeypatch.setenv("PORTIQUE_DATA_DIR", str(tmp_path_factory.getbasetemp() / "no-data"))
    # The server's retention purge would delete the old rows some tests set up on purpose.
    monkeypatch.setenv("PORTIQUE_PURGE_INTERVAL_HOURS", "0")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


PRODUCT_LOG = "portique-test-run.log"
"""Every log record of the test run, in the run's base temporary folder: scanned for face
data by tests/privacy/test_no_leaks.py and, whole, at the end of the run."""


@pytest.fixture(scope="session", autouse=True)
def _product_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.getbasetemp() / PRODUCT_LOG
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    portique = logging.getLogger("portique")
    previous = portique.level
    portique.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    yield path
    logging.getLogger().removeHandler(handler)
    portique.setLevel(previous)
    handler.close()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fails the run when any log file it wrote holds face data (privacy acceptance)."""
    from portique.privacy.leaks import scan_bytes

    base = session.config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]
    leaks = [
        leak
        for path in sorted(base.rglob("*.log"))
        if path.is_file()
        for leak in scan_bytes(str(path), path.read_bytes())
    ]
    if leaks:
        print(f"\nFace data found in the logs of the run: {leaks[:10]}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
