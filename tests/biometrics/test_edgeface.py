"""The EdgeFace back end on real LFW faces, and its models installed through the product."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from portique import biometrics as bio
from portique.biometrics import FaceEngine, ModelError, create_backend
from portique.biometrics.models import install_model, installed_models
from portique.cli import app
from support import lfw_face


@pytest.fixture
def edgeface(installed_models_dir: Path) -> bio.FaceBackend:
    return create_backend("edgeface")


def _template(backend: bio.FaceBackend, images: Path, name: str, number: int) -> bio.Template:
    engine = FaceEngine(backend, require_calibration=False)
    return engine.acquire(bio.load_image(lfw_face(images, name, number))).template


def test_installing_a_folder_copies_every_known_model_with_its_checksum(
    installed_models_dir: Path,
) -> None:
    found = {known.filename: path for known, path in installed_models()}
    assert found["edgeface_xs_q.onnx"] == installed_models_dir / "edgeface_xs_q.onnx"
    assert found["minifasnet_v1se_4.0_80x80.onnx"] is not None


def test_a_file_that_is_no_known_model_is_not_installed(
    installed_models_dir: Path, tmp_path: Path
) -> None:
    forged = tmp_path / "edgeface_xs_q.onnx"
    forged.write_bytes(b"not the model")
    with pytest.raises(ModelError, match="not a model Portique knows"):
        install_model(forged)
    assert bio.models.sha256_file(installed_models_dir / "edgeface_xs_q.onnx") == (
        "d148486cde9d3077674b782c713a812d175bc20095507117650a3ce1d2117ebc"
    )


def test_the_edgeface_back_end_tells_people_apart(
    edgeface: bio.FaceBackend, lfw_images: Path
) -> None:
    powell_1 = _template(edgeface, lfw_images, "Colin_Powell", 1)
    powell_2 = _template(edgeface, lfw_images, "Colin_Powell", 2)
    blair = _template(edgeface, lfw_images, "Tony_Blair", 1)
    assert powell_1.model == "edgeface_xs_q"
    assert powell_1.size == 512
    assert bio.compare(powell_1, powell_2) > bio.compare(powell_1, blair) + 0.3


def test_the_verbs_take_the_edgeface_back_end(edgeface: bio.FaceBackend, lfw_images: Path) -> None:
    image = bio.load_image(lfw_face(lfw_images, "Colin_Powell", 1))
    detection = bio.detect(image, using=edgeface)[0]
    points = bio.landmarks(image, detection, using=edgeface)
    face = bio.align(image, points, using=edgeface)
    assert face.chip.shape == (112, 112, 3)
    with_mirror = bio.embed(face, using=edgeface)
    alone = bio.embed(face, using=edgeface, flip=False)
    assert np.isclose(np.linalg.norm(with_mirror.vector), 1.0, atol=1e-5)
    assert 0.9 < bio.compare(with_mirror, alone) < 1.0


def test_a_mobilefacenet_file_is_refused_as_the_edgeface_embedder(
    installed_models_dir: Path,
) -> None:
    with pytest.raises(ModelError, match="edgeface back end runs"):
        create_backend("edgeface", embedder=installed_models_dir / "mobilefacenet_foamliu.onnx")


def test_models_install_and_list_from_the_command_line(
    edgeface_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portique.config import get_settings

    monkeypatch.setenv("PORTIQUE_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    runner = CliRunner()
    installed = runner.invoke(
        app, ["models", "install", str(edgeface_dir / "edgeface_xs_q.onnx"), "--json"]
    )
    assert installed.exit_code == 0, installed.output
    listed = runner.invoke(app, ["models", "list", "--json"])
    rows = {row["file"]: row for row in json.loads(listed.stdout)}
    assert rows["edgeface_xs_q.onnx"]["installed"] == str(
        tmp_path / "models" / "edgeface_xs_q.onnx"
    )
    assert "CC BY-NC-SA" in rows["edgeface_xs_q.onnx"]["licence_note"]
    assert rows["minifasnet_v2_2.7_80x80.onnx"]["installed"] is None
