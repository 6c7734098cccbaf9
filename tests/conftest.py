"""Shared fixtures: the real LFW faces and ONNX models from ../shared, and isolated settings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
LFW = SHARED / "datasets" / "lfw"
MODELS = SHARED / "models"
IN_CI = os.environ.get("CI", "").lower() == "true"


def need(path: Path, what: str) -> Path:
    """``path`` if it exists; otherwise a failure in CI and a skip elsewhere."""
    if path.exists():
        return path
    message = f"{what} not found at {path}: put the shared data beside the repository"
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
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
