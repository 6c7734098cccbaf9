"""1:1 verification on real LFW faces with the embedded default back end."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from portique import biometrics as bio
from portique.biometrics import (
    FaceEngine,
    LowQualityError,
    MultipleFacesError,
    NoFaceError,
    Template,
    TemplateMismatchError,
)
from support import compose_frame, lfw_face


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return FaceEngine(bio.create_backend("dlib"))


@pytest.fixture(scope="module")
def powell(lfw_images: Path) -> np.ndarray:
    return bio.load_image(lfw_face(lfw_images, "Colin_Powell", 1))


@pytest.fixture(scope="module")
def powell_template(engine: FaceEngine, powell: np.ndarray) -> Template:
    return engine.acquire(powell).template


def _acquire(engine: FaceEngine, images: Path, name: str, number: int) -> Template:
    return engine.acquire(bio.load_image(lfw_face(images, name, number))).template


@pytest.mark.parametrize(
    ("name", "first", "second"),
    [
        ("Colin_Powell", 1, 2),
        ("George_W_Bush", 1, 2),
        ("Serena_Williams", 1, 3),
        ("Gerhard_Schroeder", 1, 2),
    ],
)
def test_two_photos_of_the_same_person_match(
    engine: FaceEngine, lfw_images: Path, name: str, first: int, second: int
) -> None:
    result = engine.decide(
        _acquire(engine, lfw_images, name, first), _acquire(engine, lfw_images, name, second)
    )
    assert result.match, result
    assert result.score >= result.threshold


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Colin_Powell", "Tony_Blair"),
        ("Serena_Williams", "Gerhard_Schroeder"),
        ("George_W_Bush", "Jeb_Bush"),
    ],
)
def test_photos_of_different_people_do_not_match(
    engine: FaceEngine, lfw_images: Path, a: str, b: str
) -> None:
    result = engine.decide(_acquire(engine, lfw_images, a, 1), _acquire(engine, lfw_images, b, 1))
    assert not result.match, result
    assert result.score < result.threshold


def test_a_mirrored_photo_still_matches(
    engine: FaceEngine, powell: np.ndarray, powell_template: Template
) -> None:
    mirrored = np.ascontiguousarray(powell[:, ::-1])
    assert engine.decide(engine.acquire(mirrored).template, powell_template).match


@pytest.mark.parametrize("scale", [0.7, 1.6])
def test_a_resized_photo_still_matches(
    engine: FaceEngine, powell: np.ndarray, powell_template: Template, scale: float
) -> None:
    resized = cv2.resize(powell, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    assert engine.decide(engine.acquire(resized).template, powell_template).match


def test_a_recompressed_photo_still_matches(
    engine: FaceEngine, powell: np.ndarray, powell_template: Template
) -> None:
    buffer = io.BytesIO()
    Image.fromarray(powell).save(buffer, "JPEG", quality=35)
    recompressed = bio.load_image(buffer.getvalue())
    assert engine.decide(engine.acquire(recompressed).template, powell_template).match


def test_a_face_in_a_camera_frame_matches_its_photo(
    engine: FaceEngine, powell: np.ndarray, powell_template: Template
) -> None:
    frame = compose_frame([(powell, 1.2, (170, 60))])
    capture = engine.acquire(frame)
    assert capture.quality.other_faces == 0
    assert engine.decide(capture.template, powell_template).match


def test_the_dominant_face_is_used_and_the_others_counted(
    engine: FaceEngine, lfw_images: Path, powell: np.ndarray, powell_template: Template
) -> None:
    behind = bio.load_image(lfw_face(lfw_images, "Tony_Blair", 1))
    frame = compose_frame([(behind, 0.6, (470, 20)), (powell, 1.2, (120, 100))])
    capture = engine.acquire(frame)
    assert capture.quality.other_faces == 1
    assert engine.decide(capture.template, powell_template).match


def test_of_two_similar_faces_the_one_facing_the_camera_is_used(
    engine: FaceEngine, lfw_images: Path, powell: np.ndarray, powell_template: Template
) -> None:
    beside = bio.load_image(lfw_face(lfw_images, "Tony_Blair", 1))
    frame = compose_frame([(powell, 1.0, (195, 115)), (beside, 0.9, (415, 60))])
    capture = engine.acquire(frame)
    assert capture.quality.other_faces == 1
    assert engine.decide(capture.template, powell_template).match


def test_two_faces_of_similar_size_are_refused(
    engine: FaceEngine, lfw_images: Path, powell: np.ndarray
) -> None:
    other = bio.load_image(lfw_face(lfw_images, "Tony_Blair", 1))
    frame = compose_frame([(powell, 1.0, (40, 100)), (other, 1.0, (340, 100))])
    with pytest.raises(MultipleFacesError, match="2 faces"):
        engine.acquire(frame)


def test_an_image_without_a_face_is_refused(engine: FaceEngine) -> None:
    rng = np.random.default_rng(7)
    wall = compose_frame([], background=120)
    wall = np.clip(wall.astype(int) + rng.integers(-20, 20, wall.shape), 0, 255).astype(np.uint8)
    with pytest.raises(NoFaceError):
        engine.acquire(wall)


def test_a_blurred_face_is_refused_for_sharpness(engine: FaceEngine, powell: np.ndarray) -> None:
    blurred = cv2.GaussianBlur(powell, (0, 0), 2.5)
    with pytest.raises(LowQualityError, match="sharpness"):
        engine.acquire(blurred)


def test_a_dark_face_is_refused_for_exposure(engine: FaceEngine, powell: np.ndarray) -> None:
    dark = (powell.astype(np.float32) * 0.22).astype(np.uint8)
    with pytest.raises(LowQualityError, match="brightness"):
        engine.acquire(dark)


def test_a_tiny_face_is_refused_for_size(engine: FaceEngine, powell: np.ndarray) -> None:
    small = cv2.resize(powell, None, fx=0.46, fy=0.46, interpolation=cv2.INTER_AREA)
    with pytest.raises((LowQualityError, NoFaceError)) as caught:
        engine.acquire(small)
    if isinstance(caught.value, LowQualityError):
        assert "inter_eye_px" in caught.value.message


def test_quality_report_gives_every_value_and_verdict(
    engine: FaceEngine, powell: np.ndarray
) -> None:
    report = engine.acquire(powell).quality
    summary = report.as_json()
    checks = summary["checks"]
    assert isinstance(checks, dict)
    assert set(checks) == {
        "inter_eye_px",
        "sharpness",
        "brightness",
        "clipped_fraction",
        "yaw_ratio",
        "roll_degrees",
    }
    assert report.passed
    assert 25 < report.value("inter_eye_px") < 80


def test_templates_of_different_models_cannot_be_compared(powell_template: Template) -> None:
    other = Template("another-model", powell_template.vector)
    with pytest.raises(TemplateMismatchError):
        bio.compare(powell_template, other)


def test_templates_are_unit_vectors(powell_template: Template) -> None:
    assert powell_template.size == 128
    assert float(np.linalg.norm(powell_template.vector)) == pytest.approx(1.0, abs=1e-5)


def test_step_by_step_api_equals_the_engine(
    engine: FaceEngine, powell: np.ndarray, powell_template: Template
) -> None:
    backend = engine.backend
    faces = bio.detect(powell, using=backend)
    face = bio.align(powell, bio.landmarks(powell, faces[0], using=backend), using=backend)
    assert bio.assess_quality(face).passed
    template = bio.embed(face, using=backend)
    assert bio.compare(template, powell_template) == pytest.approx(1.0, abs=1e-5)
