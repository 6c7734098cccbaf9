"""dlib's face descriptor converted to ONNX: parity with dlib on real faces, caching, errors."""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dlib
import face_recognition_models
import numpy as np
import numpy.typing as npt
import pytest

from portique.biometrics.dlib_onnx import (
    CONVERTER_VERSION,
    DlibResnetOnnx,
    convert_dlib_resnet,
    converted_model,
)
from portique.errors import BadInputError, ConfigurationError

LFW = Path(__file__).parents[2].parent / "shared" / "datasets" / "lfw"
FACES = 8
SOURCE = Path(face_recognition_models.face_recognition_model_location())


def _cosines(
    left: npt.NDArray[np.floating], right: npt.NDArray[np.floating]
) -> npt.NDArray[np.float64]:
    dots = np.sum(left * right, axis=1, dtype=np.float64)
    norms = np.linalg.norm(left, axis=1) * np.linalg.norm(right, axis=1)
    result: npt.NDArray[np.float64] = dots / norms
    return result


@pytest.fixture(scope="module")
def lfw_images() -> Path:
    images = LFW / "images"
    if not images.is_dir():
        message = f"LFW is not at {images}; the parity tests need real faces."
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return images


@pytest.fixture(scope="module")
def chips(lfw_images: Path) -> npt.NDArray[np.uint8]:
    """Aligned 150x150 chips of the first people in LFW whose face dlib finds."""
    detector = dlib.get_frontal_face_detector()
    landmarks = dlib.shape_predictor(
        face_recognition_models.pose_predictor_five_point_model_location()
    )
    found: list[npt.NDArray[np.uint8]] = []
    for person in sorted(lfw_images.iterdir()):
        image = dlib.load_rgb_image(str(min(person.glob("*.jpg"))))
        faces = detector(image, 1)
        if faces:
            shape = landmarks(image, faces[0])
            found.append(dlib.get_face_chip(image, shape, size=150, padding=0.25))
        if len(found) == FACES:
            break
    return np.stack(found)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> DlibResnetOnnx:
    return DlibResnetOnnx(converted_model(cache_dir=tmp_path_factory.mktemp("models")))


def test_converted_descriptor_matches_dlib_native(
    chips: npt.NDArray[np.uint8], model: DlibResnetOnnx
) -> None:
    native_model = dlib.face_recognition_model_v1(str(SOURCE))
    native = np.array([native_model.compute_face_descriptor(chip) for chip in chips])

    converted = model.embed_chips(chips)

    assert converted.dtype == np.float32
    assert converted.shape == (FACES, 128)
    assert _cosines(converted, native).min() >= 0.9999
    np.testing.assert_allclose(converted, native, atol=1e-4)


def test_batch_gives_the_same_descriptors_as_one_by_one(
    chips: npt.NDArray[np.uint8], model: DlibResnetOnnx
) -> None:
    one_by_one = np.concatenate([model.embed_chips(chip) for chip in chips])

    batched = model.embed_chips(chips)

    assert one_by_one.shape == (FACES, 128)
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)


def test_chip_of_wrong_shape_is_bad_input(model: DlibResnetOnnx) -> None:
    with pytest.raises(BadInputError, match="150"):
        model.embed_chips(np.zeros((112, 112, 3), dtype=np.uint8))
    with pytest.raises(BadInputError, match="uint8"):
        model.embed_chips(np.zeros((150, 150, 3), dtype=np.float32))


def _record(cache: Path) -> tuple[Path, Path]:
    model_path = converted_model(cache_dir=cache, source=SOURCE)
    return model_path, model_path.with_name(model_path.name + ".json")


def test_cached_model_is_reused_when_sidecar_matches(tmp_path: Path) -> None:
    model_path, sidecar = _record(tmp_path)
    before = model_path.stat()
    recorded = json.loads(sidecar.read_text())

    again = converted_model(cache_dir=tmp_path, source=SOURCE)

    assert again == model_path
    after = model_path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert recorded["converter_version"] == CONVERTER_VERSION
    assert len(recorded["source_sha256"]) == len(recorded["onnx_sha256"]) == 64


def test_cached_model_is_rebuilt_when_recorded_source_hash_is_wrong(tmp_path: Path) -> None:
    model_path, sidecar = _record(tmp_path)
    recorded = json.loads(sidecar.read_text())
    before = model_path.stat()
    sidecar.write_text(json.dumps({**recorded, "source_sha256": "0" * 64}))

    converted_model(cache_dir=tmp_path, source=SOURCE)

    assert model_path.stat().st_ino != before.st_ino
    assert json.loads(sidecar.read_text()) == recorded


def test_cached_model_is_rebuilt_when_its_file_was_altered(tmp_path: Path) -> None:
    model_path, _ = _record(tmp_path)
    size = model_path.stat().st_size
    with model_path.open("r+b") as handle:
        handle.truncate(size // 2)

    converted_model(cache_dir=tmp_path, source=SOURCE)

    assert model_path.stat().st_size == size
    assert not list(tmp_path.glob("*.tmp"))


def test_concurrent_builds_leave_a_valid_cache(tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        built = list(pool.map(lambda _: converted_model(tmp_path, SOURCE), range(2)))

    model_path, sidecar = _record(tmp_path)
    assert built == [model_path, model_path]
    recorded = json.loads(sidecar.read_text())
    assert recorded["onnx_sha256"] == hashlib.sha256(model_path.read_bytes()).hexdigest()
    assert sorted(p.name for p in tmp_path.iterdir()) == [model_path.name, sidecar.name]


def _not_the_network(kind: str, folder: Path) -> Path:
    if kind == "other-dlib-model":
        return Path(face_recognition_models.pose_predictor_five_point_model_location())
    source = folder / "model.dat"
    if kind == "truncated":
        with SOURCE.open("rb") as handle:
            source.write_bytes(handle.read(1_000_000))
    else:
        source.write_bytes(b"not a network at all")
    return source


@pytest.mark.parametrize("kind", ["other-dlib-model", "text", "truncated"])
def test_file_that_is_not_the_network_is_a_configuration_error(tmp_path: Path, kind: str) -> None:
    source = _not_the_network(kind, tmp_path)

    with pytest.raises(ConfigurationError, match="is not dlib's face recognition ResNet"):
        convert_dlib_resnet(source, tmp_path / "model.onnx")
    assert not (tmp_path / "model.onnx").exists()


def test_missing_source_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="Cannot read"):
        converted_model(cache_dir=tmp_path, source=tmp_path / "absent.dat")
