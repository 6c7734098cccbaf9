"""The assessment report: its sections and verdicts, HTML and PDF, and `portique report`."""

from __future__ import annotations

import json
from html import unescape
from pathlib import Path

import numpy as np
import pytest
from field_support import fill_morning
from typer.testing import CliRunner

from portique.cli import app
from portique.evaluation.field import load_field
from portique.evaluation.report import Verdict, build_report, write_html
from portique.evaluation.scores import SubjectScores
from portique.evaluation.simulate import Scenario
from school_support import School

runner = CliRunner()


def lfw_summary(folder: Path) -> Path:
    """A summary as `eval lfw --json --scores` writes it, over synthetic scores of 80
    subjects: impostors around 0.5, genuine around 0.97 (dlib-like cosine scores)."""
    rng = np.random.default_rng(0)
    subjects = 80
    tail_a = rng.integers(0, subjects, 60_000)
    tail_b = (tail_a + rng.integers(1, subjects, 60_000)) % subjects
    impostor = rng.normal(0.5, 0.12, 60_000)
    scores = SubjectScores(
        subjects=subjects,
        genuine=rng.normal(0.97, 0.02, 4 * subjects),
        genuine_subject=np.repeat(np.arange(subjects), 4),
        impostor_total=impostor.size,
        impostor_per_subject=np.bincount(np.concatenate((tail_a, tail_b)), minlength=subjects),
        tail=impostor,
        tail_a=tail_a,
        tail_b=tail_b,
        histogram=np.histogram(impostor, bins=20_000, range=(-1.0, 1.0))[0],
        image_subject=np.repeat(np.arange(subjects), 3),
        image_acquired=rng.random(3 * subjects) > 0.03,
        image_enrolment=np.tile([True, False, False], subjects),
    )
    path = scores.save(folder / "scores.npz")
    summary = {
        "backend": "dlib", "model": "dlib-resnet-v1", "pairs": 600, "folds": 1, "images": 240,
        "accuracy": 0.99, "accuracy_std": 0.0, "fta": 0.03, "fte": 0.02,
        "genuine_comparisons": 320, "impostor_comparisons": 60_000,
        "fnmr_at_fmr_1e-3": 0.05, "threshold_at_fmr_1e-3": 0.9,
        "fnmr_at_fmr_1e-4": 0.1, "threshold_at_fmr_1e-4": 0.94, "scores_file": path.name,
    }  # fmt: skip
    (folder / "lfw.json").write_text(json.dumps(summary))
    return folder / "lfw.json"


def test_the_report_states_each_hypothesis_with_its_evidence(
    school: School, tmp_path: Path
) -> None:
    fill_morning(school)
    with school.site.session() as session:
        data = load_field(session, school.site_id)
    report = build_report(
        data,
        tmp_path / "out",
        lfw_json=lfw_summary(tmp_path),
        scenario=Scenario(people=400, lanes=2, seed=1),
    )
    verdicts = {h.key: h.verdict for h in report.hypotheses}
    assert verdicts["security_credentials"] is Verdict.SUPPORTED  # 3 caught, none let in
    assert verdicts["security_face"] is Verdict.SUPPORTED  # impostors far below 0.94
    # 10 minutes offline over 4 hours and 2 lanes: 97.9% < 99%.
    assert verdicts["reliability_lanes"] is Verdict.NOT_SUPPORTED
    # Face decisions up to 59 ms: p95 over the 50 ms budget.
    assert verdicts["efficiency_latency"] is Verdict.NOT_SUPPORTED
    # The face can keep up with the badge, never beat it: the pilot's claim fails, and the
    # face step taken from the approach is judged on its own (referred people aside).
    assert verdicts["efficiency_face"] is Verdict.NOT_SUPPORTED
    pause = next(h for h in report.hypotheses if h.key == "efficiency_face_pause")
    assert pause.verdict in (Verdict.SUPPORTED, Verdict.NOT_SUPPORTED)
    assert any("à côté de la voie" in line for line in pause.evidence)
    assert any("à la voie même" in line for line in pause.evidence)
    overall = report.outcomes.face_overall
    assert overall is not None and overall.frr is not None
    expected = (
        Verdict.SUPPORTED
        if overall.frr.high <= 0.05
        else Verdict.NOT_SUPPORTED
        if overall.frr.low > 0.05
        else Verdict.NOT_ENOUGH
    )
    assert verdicts["reliability_face"] is expected
    assert report.lfw is not None and report.lfw.intervals is not None
    assert report.lfw.intervals.threshold == pytest.approx(0.942747)
    assert set(report.plots) == {"det", "throughput", "latency", "simulation"}

    html = unescape(write_html(report, tmp_path / "out").read_text(encoding="utf-8"))
    for heading in ("Contexte", "Configuration", "Mesures de protection de la vie privée",
                    "Hypothèses et verdicts", "LFW", "Résultats de terrain",
                    "Simulation de l'heure d'arrivée", "Limites des preuves"):  # fmt: skip
        assert heading in html
    assert "données insuffisantes" in html  # the staff group and the adults' band
    assert "photo ancienne" in html and "Titre d'accès révoqué" in html
    assert html.count("data:image/png;base64,") == 4  # self-contained
    assert "non validée" in html and "validée" in html
    # No one is named: the report is aggregated by role and age band.
    assert "Martin" not in html and "Camille" not in html


def test_report_command_writes_html_and_pdf(
    school: School, tmp_path: Path, chromium: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pypdfium2

    fill_morning(school)
    monkeypatch.setenv(
        "PORTIQUE_DATABASE_URL", school.site.database.url.render_as_string(hide_password=False)
    )
    day = school.day.isoformat()
    result = runner.invoke(
        app,
        ["report", "--dir", str(school.site.directory), "--from", day, "--to", day,
         "--lfw", str(lfw_summary(tmp_path)), "--out", str(tmp_path / "report"), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["passages"] == 57
    assert {h["key"] for h in summary["hypotheses"]} >= {
        "security_credentials", "security_face", "reliability_face", "reliability_lanes",
        "efficiency_latency", "efficiency_face", "efficiency_face_pause",
    }  # fmt: skip
    pdf = Path(summary["pdf"])
    assert pdf.read_bytes().startswith(b"%PDF")
    assert len(pypdfium2.PdfDocument(pdf)) >= 4
    assert Path(summary["html"]).is_file()


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--from", "24/13/2026"], "--from"),
        (["--from", "2026-11-25", "--to", "2026-11-24"], "--from"),
        (["--lfw", "missing.json"], "missing.json"),
    ],
)
def test_report_refuses_bad_input_with_exit_code_2(
    school: School,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    options: list[str],
    fragment: str,
) -> None:
    monkeypatch.setenv(
        "PORTIQUE_DATABASE_URL", school.site.database.url.render_as_string(hide_password=False)
    )
    result = runner.invoke(
        app,
        ["report", "--dir", str(school.site.directory), "--out", str(tmp_path / "r"),
         "--no-pdf", "--json", *options],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert fragment in json.loads(result.stdout)["message"]
