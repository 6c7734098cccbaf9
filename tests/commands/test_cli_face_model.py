"""A face site on EdgeFace: chosen at `init --face` when installed, with its licence note;
its cards carry EdgeFace templates, and `pass --face` compares (and checks for attacks)
with the site's model."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from cli_support import Cli
from portique.biometrics import load_image
from portique.credentials import payload_from_text, qr_version
from portique.evaluation.pad_synthetic import bona_fide_frame, screen_attack
from support import lfw_face


def _frame(path: Path, image: object) -> str:
    cv2.imwrite(str(path), image[:, :, ::-1])  # type: ignore[index]
    return str(path)


def test_a_new_face_site_takes_edgeface_when_installed_and_says_its_licence(
    installed_models_dir: Path, tmp_path: Path
) -> None:
    created = Cli(tmp_path / "site").json("init", "--face")
    assert created["face_model"] == "edgeface_xs_q"
    assert "CC BY-NC-SA" in created["licence_note"]


def test_without_edgeface_a_new_face_site_takes_dlib(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portique.config import get_settings

    monkeypatch.setenv("PORTIQUE_DATA_DIR", str(tmp_path / "empty"))
    get_settings.cache_clear()
    created = Cli(tmp_path / "site").json("init", "--face")
    assert created["face_model"] == "dlib-resnet-v1"
    assert created["licence_note"] is None


def test_an_edgeface_site_enrolls_compares_and_refers_a_screen(
    installed_models_dir: Path, lfw_images: Path, tmp_path: Path
) -> None:
    cli = Cli(tmp_path / "site")
    cli.json("init", "--face")
    parent = cli.parent()
    student = cli.student(parent)
    cli.json("consent", "grant", student, "--by", parent)
    card = cli.issue(student, "--face", str(lfw_face(lfw_images, "Colin_Powell", 1)))
    assert card["has_template"] is True
    assert qr_version(payload_from_text(card["qr_text"])) <= 15
    powell = load_image(lfw_face(lfw_images, "Colin_Powell", 2))
    live = _frame(tmp_path / "live.png", bona_fide_frame(powell, 1))
    qr = ["--lane", "entree", "--qr-text", card["qr_text"]]
    granted = cli.json("pass", *qr, "--face", live, "--at", cli.at(10))
    assert granted["reasons"] == ["credential_valid", "face_match"]
    blair = str(lfw_face(lfw_images, "Tony_Blair", 1))
    mismatch = cli.json("pass", *qr, "--face", blair, "--at", cli.at(14), code=3)
    assert mismatch["reasons"] == ["face_mismatch"]
    cli.json("site", "pad", "on")
    screen = _frame(tmp_path / "screen.png", screen_attack(powell, 1))
    attack = cli.json("pass", *qr, "--face", screen, "--at", cli.at(15), code=3)
    assert attack["reasons"] == ["face_presentation_attack"]
    dpia = tmp_path / "aipd.html"
    cli.json("dpia", "--out", str(dpia), "--record", str(tmp_path / "registre.html"))
    page = dpia.read_text(encoding="utf-8")
    for said in ("edgeface_xs_q", "2.0 %", "CC BY-NC-SA", "synthétiques", "seuil 0.1"):
        assert said in page
