"""`portique documents` and `portique privacy contacts`: the documents written from the
configuration, as HTML and as PDF pages that render (A4, the sign on A3 too), each
generation audited with its configuration version, and the DPIA pointing to them."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest

from cli_support import Cli

AT = "2026-11-24T10:00:00+01:00"
FACE_FORMS = {"consentement-majeur", "consentement-representant-legal", "retrait-consentement"}
A4 = (595, 842)
A3 = (842, 1191)
CONTACTS = (
    "--dpo", "DPD de l'académie", "--dpo-email", "dpd@ac-exemple.fr",
    "--controller-address", "1 rue de l'École, 13001 Marseille",
    "--notice-url", "https://lycee-exemple.fr/donnees",
)  # fmt: skip


def _generate(cli: Cli, out: Path, *options: str) -> dict[str, object]:
    return cli.json("documents", "--out", str(out), "--at", AT, *options)


def test_documents_print_as_pdf_pages_that_render_and_name_no_one(
    tmp_path: Path, chromium: Path
) -> None:
    import pypdfium2

    cli = Cli(tmp_path / "site")
    cli.json("init", "--face", "--name", "Lycée Exemple")
    parent = cli.parent()
    cli.json("consent", "grant", cli.student(parent), "--by", parent)
    cli.json("privacy", "contacts", *CONTACTS)
    summary = _generate(cli, tmp_path / "out")

    documents = summary["documents"]
    assert isinstance(documents, list) and len(documents) == 8
    for document in documents:
        pdf = pypdfium2.PdfDocument(document["pdf"])
        assert 1 <= len(pdf) <= 2, document["kind"]  # a form or a notice fits a sheet
        for page in pdf:
            size = tuple(int(side) for side in page.get_size())  # points, Chromium's inches
            assert size == (A3 if document["paper"] == "A3" else A4), document["kind"]
            grey = page.render(scale=1).to_pil().convert("L").histogram()
            assert sum(grey[:160]) > 0.004 * sum(grey), document["kind"]  # ink: it rendered
        words = " ".join(page.get_textpage().get_text_range() for page in pdf)
        assert summary["configuration_version"] in words  # the version it describes
        assert "24 novembre 2026" in words  # and its date, on the site's calendar
        for name in ("Martin", "Claire", "Léa", "02/03/1979"):
            assert name not in words, (document["kind"], name)
        pdf.close()
    kinds = {document["kind"]: document for document in documents}
    assert kinds["affiche-a3"]["paper"] == "A3"
    assert summary["readability"]["notice-eleves-familles"]["kandel_moles"] >= 60


def test_each_generation_is_audited_with_its_configuration_version(
    cli: Cli, tmp_path: Path
) -> None:
    summary = _generate(cli, tmp_path / "out", "--no-pdf")
    assert summary["face_comparison"] is True and summary["template_store"] == "card"
    assert summary["not_offered"] == []
    assert set(summary["missing"]) == {"controller_address", "dpo", "dpo_email", "notice_url"}
    assert all(document["pdf"] is None for document in summary["documents"])
    family = Path(summary["documents"][0]["html"]).read_text(encoding="utf-8")
    assert summary["configuration_version"] in family and "24 novembre 2026" in family

    entry = cli.json("audit", "list", "--limit", "1")["entries"][0]
    assert entry["action"] == "documents.generate"
    assert entry["details"]["configuration_version"] == summary["configuration_version"]
    assert entry["details"]["documents"][0] == "notice-eleves-familles"
    assert entry["at"].startswith("2026-11-24T09:00")
    assert cli.json("audit", "verify")["intact"]

    cli.json("privacy", "template-store", "central")
    again = _generate(cli, tmp_path / "again", "--no-pdf")
    assert again["template_store"] == "central"
    assert again["configuration_version"] != summary["configuration_version"]


def test_a_site_without_faces_gets_no_consent_form(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "site")
    cli.json("init")
    summary = _generate(cli, tmp_path / "out", "--no-pdf")
    assert summary["face_comparison"] is False and summary["template_store"] is None
    assert set(summary["not_offered"]) == FACE_FORMS
    assert not any((tmp_path / "out" / f"{kind}.html").exists() for kind in FACE_FORMS)
    notice = (tmp_path / "out" / "notice-eleves-familles.html").read_text(encoding="utf-8")
    assert "Pas de biométrie" in notice
    plain = cli.run("documents", "--out", str(tmp_path / "out"), "--at", AT, "--no-pdf")
    assert plain.exit_code == 0 and "pas de formulaire de consentement" in plain.output


def test_contacts_are_set_shown_and_refused_when_malformed(cli: Cli) -> None:
    shown = cli.json("privacy", "contacts")
    assert shown["contacts"]["dpo"] == "" and "dpo" in shown["missing"]
    set_ = cli.json("privacy", "contacts", *CONTACTS, "--recipient", "La Région (hébergement)")
    assert set_["contacts"]["dpo_email"] == "dpd@ac-exemple.fr"
    assert set_["contacts"]["recipients"] == ["La Région (hébergement)"]
    assert set_["missing"] == []
    # Only the options given change; --recipient '' clears the recipients.
    kept = cli.json("privacy", "contacts", "--recipient", "")
    assert kept["contacts"]["dpo"] == "DPD de l'académie" and kept["contacts"]["recipients"] == []

    for bad in (["--dpo-email", "dpd at exemple"], ["--notice-url", "javascript:alert(1)"]):
        refused = cli.json("privacy", "contacts", *bad, code=2)
        assert refused["error"] == "bad_input"
    assert cli.json("privacy", "contacts")["contacts"]["dpo_email"] == "dpd@ac-exemple.fr"
    result = cli.run("privacy", "contacts", "--dpo", "x" * 201)
    assert result.exit_code == 2 and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("options", "fragment"),
    [(["--at", "mardi"], "--at"), (["--no-pdf", "--out", "/proc/portique-nope"], "/proc")],
)
def test_documents_refuse_bad_input_with_exit_code_2(
    cli: Cli, tmp_path: Path, options: list[str], fragment: str
) -> None:
    arguments = ["documents", "--out", str(tmp_path / "out"), *options]
    refused = cli.json(*arguments, code=2)
    assert refused["error"] == "bad_input" and fragment in refused["message"]


def test_the_dpia_and_the_record_point_to_the_documents(cli: Cli, tmp_path: Path) -> None:
    def dpia() -> tuple[str, str]:
        page, record = tmp_path / "aipd.html", tmp_path / "registre.html"
        cli.json("dpia", "--out", str(page), "--record", str(record))
        return (
            html.unescape(page.read_text(encoding="utf-8")),
            html.unescape(record.read_text(encoding="utf-8")),
        )

    before, record = dpia()
    assert "à rédiger" not in before
    assert "Pas encore générés" in before and "Pas encore générés" in record
    assert "Formulaire de consentement (représentant légal d'un mineur)" in before

    summary = _generate(cli, tmp_path / "out", "--no-pdf")
    cli.json("privacy", "contacts", *CONTACTS)
    changed, record = dpia()
    version = summary["configuration_version"]
    assert f"pour la configuration {version}" in changed
    assert "la configuration a changé depuis" in changed
    assert "DPD de l'académie — dpd@ac-exemple.fr" in record  # the record names the DPO

    fresh = _generate(cli, tmp_path / "out", "--no-pdf")
    current, _ = dpia()
    assert f"pour la configuration {fresh['configuration_version']} : conforme" in current
    json.dumps(fresh)  # the summary is plain JSON data
