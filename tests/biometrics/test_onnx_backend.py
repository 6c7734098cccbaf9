"""The optional ONNX back end (YuNet + MobileFaceNet) on real faces, and model file checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from portique import biometrics as bio
from portique.biometrics import FaceEngine, ModelError
from portique.biometrics.backends.onnx_backend import OnnxBackend
from portique.biometrics.models import check_model_file
from support import lfw_face


@pytest.fixture(scope="module")
def engine(models_dir: Path) -> FaceEngine:
    backend = OnnxBackend(
        models_dir / "face_detection_yunet_2023mar.onnx", models_dir / "mobilefacenet_foamliu.onnx"
    )
    return FaceEngine(backend)


def _template(engine: FaceEngine, images: Path, name: str, number: int) -> bio.Template:
    return engine.acquire(bio.load_image(lfw_face(images, name, number))).template


def test_same_person_matches_and_different_people_do_not(
    engine: FaceEngine, lfw_images: Path
) -> None:
    powell_1 = _template(engine, lfw_images, "Colin_Powell", 1)
    powell_2 = _template(engine, lfw_images, "Colin_Powell", 2)
    blair = _template(engine, lfw_images, "Tony_Blair", 1)
    assert engine.decide(powell_1, powell_2).match
    assert not engine.decide(powell_1, blair).match
    assert powell_1.model == "mobilefacenet_foamliu"


def test_yunet_gives_five_landmarks_and_a_112_pixel_chip(
    engine: FaceEngine, lfw_images: Path
) -> None:
    image = bio.load_image(lfw_face(lfw_images, "Colin_Powell", 1))
    detection = engine.backend.detect(image)[0]
    assert detection.landmarks is not None
    assert detection.landmarks.points.shape == (5, 2)
    face = engine.backend.align(image, engine.backend.landmarks(image, detection))
    assert face.chip.shape == (112, 112, 3)


def test_an_unknown_model_file_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "mobilefacenet_foamliu.onnx"
    fake.write_bytes(b"not the published weights")
    with pytest.raises(ModelError, match="not a known embedder"):
        check_model_file(fake, "embedder")


def test_a_missing_model_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        check_model_file(tmp_path / "absent.onnx", "detector")


def test_a_detector_given_as_embedder_is_refused(models_dir: Path) -> None:
    with pytest.raises(ModelError, match="is the detector"):
        check_model_file(models_dir / "face_detection_yunet_2023mar.onnx", "embedder")


def test_a_pinned_checksum_overrides_the_known_list(models_dir: Path, tmp_path: Path) -> None:
    model = models_dir / "mobilefacenet_foamliu.onnx"
    with pytest.raises(ModelError, match="pinned"):
        check_model_file(model, "embedder", expected_sha256="0" * 64)
