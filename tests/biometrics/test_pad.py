"""Presentation-attack detection: the MiniFASNet pair on the upstream samples, the
ISO/IEC 30107-3 measurement (`eval pad`) on a small synthetic set made from LFW."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from portique import biometrics as bio
from portique.biometrics.pad import pad_crop
from portique.biometrics.types import BoundingBox
from portique.bootstrap import init_site, open_site
from portique.cli import app
from portique.evaluation.pad_synthetic import write_pad_set
from portique.services.rows import site_row
from portique.services.settings import site_settings

EVAL_PAD_KEYS = {"apcer", "apcer_max", "bpcer", "bpcer_at_apcer_0.05", "bpcer_at_apcer_0.10"}


@pytest.fixture
def detectors(installed_models_dir: Path) -> tuple[bio.FaceBackend, bio.PadDetector]:
    return bio.create_backend("edgeface"), bio.create_pad()


@pytest.fixture(scope="module")
def pad_set(lfw_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pad-set")
    write_pad_set(lfw_root, out, 5, seed=3)
    return out


@pytest.mark.parametrize(
    ("sample", "attack"),
    [("image_T1.jpg", False), ("image_F1.jpg", True), ("image_F2.jpg", True)],
)
def test_the_upstream_samples_are_classified_as_labelled(
    detectors: tuple[bio.FaceBackend, bio.PadDetector],
    edgeface_dir: Path,
    sample: str,
    attack: bool,
) -> None:
    backend, pad = detectors
    image = bio.load_image(edgeface_dir / "pad-samples" / sample)
    detection = bio.detect(image, using=backend)[0]
    liveness = bio.assess_liveness(image, detection, using=pad)
    assert liveness.attack is attack
    assert len(liveness.per_model) == 2


def test_the_crop_around_a_face_at_the_edge_stays_in_the_frame() -> None:
    frame = np.zeros((480, 640, 3), dtype=np.uint8)
    frame[:, :320] = (255, 0, 0)  # red on the left, in RGB
    crop = pad_crop(frame, BoundingBox(0, 100, 120, 260), 4.0)
    assert crop.shape == (80, 80, 3)
    assert crop[40, 0].tolist() == [0, 0, 255]  # the model gets BGR


def test_the_synthetic_set_is_the_same_every_time(
    lfw_root: Path, pad_set: Path, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    write_pad_set(lfw_root, again, 5, seed=3)
    for folder in ("bona-fide", "attacks/print", "attacks/screen"):
        first = sorted((pad_set / folder).glob("*.png"))
        assert len(first) == 5
        assert (pad_set / folder / "SYNTHETIC").is_file()
        for path in first:
            assert path.read_bytes() == (again / folder / path.name).read_bytes()


def test_eval_pad_reports_the_30107_metrics_and_sets_the_site_threshold(
    installed_models_dir: Path, pad_set: Path, tmp_path: Path
) -> None:
    site_dir = tmp_path / "site"
    init_site(site_dir, site_id="0130001A", name="Lycée Victor Hugo", face=True)
    args = ["eval", "pad", "--bona-fide", str(pad_set / "bona-fide")]
    args += ["--attacks", str(pad_set / "attacks"), "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(
        app, [*args, "--target-bpcer", "0.2", "--dir", str(site_dir), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert EVAL_PAD_KEYS | {"threshold"} <= set(summary)
    assert set(summary["apcer"]) == {"print", "screen"}
    assert summary["apcer_max"] == max(summary["apcer"].values())
    assert summary["synthetic"] is True
    assert (tmp_path / "out" / "det.png").stat().st_size > 10_000
    site = open_site(site_dir)
    try:
        with site.session() as session:
            stored = site_settings(site_row(session, site.site_id))
    finally:
        site.close()
    assert stored.pad_enabled
    assert stored.pad_threshold == pytest.approx(summary["site_threshold"], abs=1e-6)


def test_a_site_turns_presentation_attack_detection_off(tmp_path: Path) -> None:
    site_dir = tmp_path / "site"
    init_site(site_dir, site_id="0130001A", name="Lycée Victor Hugo", face=True)
    runner = CliRunner()
    on = runner.invoke(app, ["site", "pad", "on", "--dir", str(site_dir), "--json"])
    assert json.loads(on.stdout)["pad_enabled"] is True
    off = runner.invoke(app, ["site", "pad", "off", "--dir", str(site_dir), "--json"])
    assert json.loads(off.stdout)["pad_enabled"] is False
