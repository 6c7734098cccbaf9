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
from support import lfw_face, small_pairs


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


def test_verify_with_edgeface_decides_at_its_calibrated_point(
    installed_models_dir: Path, lfw_images: Path
) -> None:
    runner = CliRunner()
    powell = [str(lfw_face(lfw_images, "Colin_Powell", n)) for n in (1, 2)]
    same = runner.invoke(app, ["verify", *powell, "--backend", "edgeface", "--json"])
    assert same.exit_code == 0, same.output
    verdict = json.loads(same.stdout)
    assert (verdict["backend"], verdict["model"]) == ("edgeface", "edgeface_xs_q")
    assert verdict["operating_point"] == "fmr-1e-4"
    blair = str(lfw_face(lfw_images, "Tony_Blair", 1))
    different = runner.invoke(app, ["verify", powell[0], blair, "--backend", "edgeface"])
    assert different.exit_code == 1


def test_edgeface_carries_a_strict_operating_point_with_its_interval() -> None:
    from portique.biometrics.operating_points import operating_point, operating_points

    points = operating_points("edgeface_xs_q")
    assert set(points) == {"fmr-1e-3", "fmr-1e-4", "fmr-1e-5"}
    assert points["fmr-1e-4"].measured_fnmr is not None
    assert points["fmr-1e-4"].measured_fnmr <= 0.025
    assert operating_point("edgeface_xs_q", "fmr-1e-5").threshold > points["fmr-1e-4"].threshold


def test_eval_lfw_on_a_few_dozen_pairs_with_edgeface(
    installed_models_dir: Path, lfw_root: Path, tmp_path: Path
) -> None:
    pairs = small_pairs(lfw_root, tmp_path / "pairs.txt", folds=2, per_kind=12)
    args = ["eval", "lfw", "--root", str(lfw_root), "--pairs", str(pairs), "--workers", "1"]
    result = CliRunner().invoke(app, [*args, "--backend", "edgeface", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["model"], summary["pairs"]) == ("edgeface_xs_q", 48)
    assert summary["accuracy"] >= 0.95
    assert summary["ms_per_face"] > 0
    assert {"fnmr_at_fmr_1e-3", "fnmr_at_fmr_1e-4", "fnmr_at_fmr_1e-4_ci95"} <= set(summary)
