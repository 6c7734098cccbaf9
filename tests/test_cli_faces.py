"""The `verify` and `eval lfw` commands from outside: JSON contract, exit codes, messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from portique.cli import app
from support import compose_frame, lfw_face, small_pairs

runner = CliRunner()
VERIFY_KEYS = {"match", "score", "threshold", "operating_point", "backend", "quality"}


def _verify(*args: str) -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, ["verify", *args, "--json"])
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    return result.exit_code, json.loads(lines[0])


def test_verify_json_says_match_with_exit_code_0(lfw_images: Path) -> None:
    code, payload = _verify(
        str(lfw_face(lfw_images, "Colin_Powell", 1)), str(lfw_face(lfw_images, "Colin_Powell", 2))
    )
    assert code == 0
    assert set(payload) >= VERIFY_KEYS
    assert payload["match"] is True
    assert payload["operating_point"] == "fmr-1e-4"
    assert payload["backend"] == "dlib"
    assert isinstance(payload["score"], float) and isinstance(payload["threshold"], float)
    assert payload["score"] >= payload["threshold"]


def test_verify_json_says_no_match_with_exit_code_1(lfw_images: Path) -> None:
    code, payload = _verify(
        str(lfw_face(lfw_images, "Colin_Powell", 1)), str(lfw_face(lfw_images, "Tony_Blair", 1))
    )
    assert code == 1
    assert payload["match"] is False
    assert payload["score"] < payload["threshold"]


def test_verify_operating_point_changes_the_threshold(lfw_images: Path) -> None:
    a, b = lfw_face(lfw_images, "Colin_Powell", 1), lfw_face(lfw_images, "Colin_Powell", 2)
    _, strict = _verify(str(a), str(b), "--operating-point", "fmr-1e-4")
    _, loose = _verify(str(a), str(b), "--operating-point", "fmr-1e-3")
    assert loose["threshold"] < strict["threshold"]
    assert loose["operating_point"] == "fmr-1e-3"


def _write(path: Path, image: np.ndarray) -> Path:
    Image.fromarray(image).save(path)
    return path


def test_verify_reports_each_bad_input_with_its_code(lfw_images: Path, tmp_path: Path) -> None:
    good = lfw_face(lfw_images, "Colin_Powell", 1)
    powell = np.asarray(Image.open(good).convert("RGB"))
    blair = np.asarray(Image.open(lfw_face(lfw_images, "Tony_Blair", 1)).convert("RGB"))
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(good.read_bytes()[:2000])
    bomb = tmp_path / "bomb.png"
    Image.new("1", (10_000, 10_000)).save(bomb)
    cases = {
        "unreadable_image": truncated,
        "image_too_large": bomb,
        "no_face": _write(tmp_path / "wall.png", compose_frame([], background=128)),
        "multiple_faces": _write(
            tmp_path / "two.png",
            compose_frame([(powell, 1.0, (40, 100)), (blair, 1.0, (340, 100))]),
        ),
        "low_quality": _write(tmp_path / "blur.png", cv2.GaussianBlur(powell, (0, 0), 2.5)),
    }
    for code, path in cases.items():
        exit_code, payload = _verify(str(good), str(path))
        assert exit_code == 2, (code, payload)
        assert payload["error"] == code
        assert isinstance(payload["message"], str) and path.name in payload["message"]


def test_verify_without_json_speaks_a_sentence_in_french_or_english(
    lfw_images: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = lfw_face(lfw_images, "Colin_Powell", 1), lfw_face(lfw_images, "Tony_Blair", 1)
    env = {**os.environ, "PORTIQUE_LANG": "fr"}
    french = subprocess.run(
        [sys.executable, "-m", "portique", "verify", str(a), str(b)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert french.returncode == 1
    assert "Personnes différentes" in french.stdout
    env["PORTIQUE_LANG"] = "en"
    english = subprocess.run(
        [sys.executable, "-m", "portique", "verify", str(a), str(a)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert english.returncode == 0
    assert "Same person" in english.stdout


def test_verify_bad_input_without_json_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "absent.jpg"
    result = subprocess.run(
        [sys.executable, "-m", "portique", "verify", str(missing), str(missing)],
        capture_output=True,
        text=True,
        env={**os.environ, "PORTIQUE_LANG": "en"},
        check=False,
    )
    assert result.returncode == 2
    assert "Unreadable image" in result.stderr
    assert "Traceback" not in result.stderr


def test_eval_lfw_json_summary_and_det_plot(lfw_root: Path, tmp_path: Path) -> None:
    pairs = small_pairs(lfw_root, tmp_path / "pairs.txt", folds=2, per_kind=12)
    result = runner.invoke(
        app,
        [
            "eval",
            "lfw",
            "--root",
            str(lfw_root),
            "--pairs",
            str(pairs),
            "--out",
            str(tmp_path / "out"),
            "--workers",
            "1",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    for key in ("accuracy", "accuracy_std", "fnmr_at_fmr_1e-3", "fnmr_at_fmr_1e-4", "fta", "pairs"):
        assert key in summary
    assert summary["pairs"] == 48
    assert summary["folds"] == 2
    assert summary["accuracy"] >= 0.85
    assert (tmp_path / "out" / "det.png").stat().st_size > 10_000
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["pairs"] == 48


def test_eval_lfw_limit_folds_keeps_the_first_folds(lfw_root: Path, tmp_path: Path) -> None:
    pairs = small_pairs(lfw_root, tmp_path / "pairs.txt", folds=2, per_kind=5)
    result = runner.invoke(
        app,
        [
            "eval",
            "lfw",
            "--root",
            str(lfw_root),
            "--pairs",
            str(pairs),
            "--limit-folds",
            "1",
            "--workers",
            "1",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["pairs"] == 10


def test_eval_lfw_with_a_malformed_pairs_file_is_a_clear_error(
    lfw_root: Path, tmp_path: Path
) -> None:
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("10 300\nAbel_Pacheco 1\n")
    result = runner.invoke(
        app, ["eval", "lfw", "--root", str(lfw_root), "--pairs", str(pairs), "--json"]
    )
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"] == "dataset"
