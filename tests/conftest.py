"""Shared fixtures: the real LFW faces and ONNX models from ../shared, and isolated settings."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

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


@pytest.fixture(autouse=True)
def _isolated_settings(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Each test sees default settings, with caches in a shared temporary folder."""
    from portique.config import get_settings

    cache = tmp_path_factory.getbasetemp() / "cache"
    monkeypatch.setenv("PORTIQUE_CACHE_DIR", os.environ.get("PORTIQUE_TEST_CACHE_DIR", str(cache)))
    monkeypatch.setenv("PORTIQUE_CONFIG", str(tmp_path_factory.getbasetemp() / "none.toml"))
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
