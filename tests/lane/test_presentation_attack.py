"""The lane's face step with presentation-attack detection: the frame chosen for
comparison is checked first, and a suspected print or screen is never compared."""

from __future__ import annotations

from pathlib import Path

import pytest
from lane_support import face

from portique.access import CaptureFailure
from portique.biometrics import FaceEngine, ModelError, PadDetector, create_backend
from portique.biometrics.pad import DEFAULT_PAD_THRESHOLD
from portique.evaluation.pad_synthetic import bona_fide_frame, print_attack, screen_attack
from portique.lane.face import FaceCapture


@pytest.fixture
def engine(installed_models_dir: Path) -> FaceEngine:
    return FaceEngine(create_backend("edgeface"))


@pytest.fixture
def powell(engine: FaceEngine, lfw_images: Path) -> object:
    return engine.acquire(face(lfw_images, "Colin_Powell", 1)).template


def test_a_live_face_is_compared_when_the_site_checks_for_attacks(
    engine: FaceEngine, powell: object, lfw_images: Path
) -> None:
    live = bona_fide_frame(face(lfw_images, "Colin_Powell", 2), index=1)
    result = FaceCapture(engine).compare(powell, [live], pad_threshold=DEFAULT_PAD_THRESHOLD)  # type: ignore[arg-type]
    assert result is not None
    assert result.outcome.similarity is not None
    assert result.outcome.similarity >= engine.operating_point.threshold


@pytest.mark.parametrize("attack", [screen_attack, print_attack])
def test_a_photo_of_the_card_holder_is_a_suspected_attack(
    engine: FaceEngine, powell: object, lfw_images: Path, attack: object
) -> None:
    shown = attack(face(lfw_images, "Colin_Powell", 2), 1)  # type: ignore[operator]
    capture = FaceCapture(engine)
    result = capture.compare(powell, [shown], pad_threshold=DEFAULT_PAD_THRESHOLD)  # type: ignore[arg-type]
    assert result is not None
    assert result.outcome.similarity is None
    assert result.outcome.failure in (CaptureFailure.PRESENTATION_ATTACK, CaptureFailure.NO_FACE)
    unchecked = capture.compare(powell, [shown])  # type: ignore[arg-type]
    assert unchecked is not None


def test_the_screen_attack_is_caught_by_pad_and_not_by_the_comparison(
    engine: FaceEngine, powell: object, lfw_images: Path
) -> None:
    shown = screen_attack(face(lfw_images, "Colin_Powell", 2), 1)
    capture = FaceCapture(engine)
    checked = capture.compare(powell, [shown], pad_threshold=DEFAULT_PAD_THRESHOLD)  # type: ignore[arg-type]
    assert checked is not None
    assert checked.outcome.failure is CaptureFailure.PRESENTATION_ATTACK
    unchecked = capture.compare(powell, [shown])  # type: ignore[arg-type]
    assert unchecked is not None and unchecked.outcome.similarity is not None
    assert unchecked.outcome.similarity >= engine.operating_point.threshold


def test_a_lane_without_the_pad_models_makes_no_comparison(
    engine: FaceEngine, powell: object, lfw_images: Path
) -> None:
    def missing() -> PadDetector:
        raise ModelError("not installed")

    live = bona_fide_frame(face(lfw_images, "Colin_Powell", 2), index=1)
    capture = FaceCapture(engine, pad=missing)
    assert capture.compare(powell, [live], pad_threshold=DEFAULT_PAD_THRESHOLD) is None  # type: ignore[arg-type]
    assert capture.compare(powell, [live]) is not None  # type: ignore[arg-type]
