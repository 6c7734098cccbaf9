"""No face image, template or embedding in logs, the audit log, events or documents:
the scanner itself, the logs of the test run, a day with faces, and the demo school."""

from __future__ import annotations

import base64
import logging
import os
from pathlib import Path

import numpy as np
import pytest
from privacy_support import PRODUCT_LOG, enrolled, frame_of

from portique import clock
from portique.bootstrap import open_site
from portique.demo import prepare_demo
from portique.privacy.dpia import gather, render_dpia
from portique.privacy.leaks import LeakKind, scan_bytes, scan_database, scan_text
from portique.privacy.subject import collect
from portique.services import withdraw_consent
from school_support import School


def test_the_scanner_finds_face_data_and_nothing_else(lfw_images: Path) -> None:
    embedding = np.random.default_rng(1).normal(size=128).astype(np.float32)
    photo = (lfw_images / "Colin_Powell" / "Colin_Powell_0001.jpg").read_bytes()
    assert {leak.kind for leak in scan_text("log", f"template={embedding.tolist()}")} == {
        LeakKind.EMBEDDING
    }
    assert scan_text("log", repr(embedding))  # numpy's own repr
    blob = base64.b64encode(os.urandom(600)).decode()
    assert {leak.kind for leak in scan_text("log", f"sealed={blob}")} == {LeakKind.BLOB}
    assert LeakKind.IMAGE in {leak.kind for leak in scan_bytes("file", b"x" + photo)}
    assert LeakKind.IMAGE in {leak.kind for leak in scan_text("log", repr(photo[:40]))}
    png = b"\x89PNG\r\n\x1a\n" + bytes(100)
    assert {leak.kind for leak in scan_bytes("file", png)} == {LeakKind.IMAGE}
    benign = (
        "2026-11-24T10:00:00+01:00 passage 7f3a9c2e grant reasons=['credential_valid'] "
        "score=0.87 latency_ms=3.2 hash=" + "ab" * 32 + " PQ:" + "X%4" * 60
    )
    assert scan_text("log", benign) == []


def test_the_logs_of_the_run_hold_no_face_data(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    base = tmp_path_factory.getbasetemp()
    logs = [path for path in base.rglob("*.log") if path.is_file()]
    assert base / PRODUCT_LOG in logs
    leaks = [leak for path in logs for leak in scan_bytes(str(path), path.read_bytes())]
    assert leaks == []


def test_a_day_with_faces_leaves_no_face_data(
    school: School, lfw_images: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    student, card = enrolled(school, lfw_images)
    school.pass_("entree", card, face=frame_of(lfw_images, "Colin_Powell", 2))
    school.pass_("entree", card, face=frame_of(lfw_images, "Tony_Blair", 1), at=school.at(11))
    with school.site.session() as session:
        withdraw_consent(
            session,
            school.site_id,
            student,
            by=student,
            now=school.now,
            keyring=school.site.keyring(),
        )
        export = collect(session, school.site_id, student, now=school.now)
        found = scan_database(session)
    found += scan_text("caplog", caplog.text)
    found += scan_text("export", repr(export.as_json()))
    assert found == []


def test_the_demo_school_holds_no_face_data(lfw_images: Path, tmp_path: Path) -> None:
    demo = prepare_demo(tmp_path / "demo", lfw_images)
    site = open_site(demo.site_dir)
    try:
        with site.session() as session:
            found = scan_database(session)
            facts = gather(session, site.site_id, now=clock.now())
    finally:
        site.close()
    assert facts.biometrics_in_use and facts.template_credentials > 0
    found += scan_text("dpia", render_dpia(facts))
    for path in demo.directory.rglob("*"):
        if path.is_file() and path.suffix in {".json", ".log", ".csv", ".txt", ".html"}:
            found += scan_bytes(str(path), path.read_bytes())
    assert found == []
