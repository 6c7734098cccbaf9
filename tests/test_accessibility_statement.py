"""The accessibility statement (docs/accessibilite.md) shows the figures of the audit's
record, as ``tools/accessibility_statement.py`` writes them."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

TOOL = Path(__file__).resolve().parents[1] / "tools" / "accessibility_statement.py"


def test_the_statement_shows_the_figures_of_the_last_audit() -> None:
    checked = subprocess.run(
        [sys.executable, str(TOOL), "--check"], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr


def test_the_statement_counts_violations_by_impact_and_names_the_rules_per_page() -> None:
    render = runpy.run_path(str(TOOL))["render"]

    def page(name: str, lang: str, *violations: tuple[str, str]) -> dict[str, object]:
        return {
            "page": f"{name} ({lang})",
            "lang": lang,
            "axe_version": "4.10.3",
            "passes": 30,
            "violations": [
                {"rule": rule, "impact": impact, "wcag": False, "help": "", "nodes": 1}
                for rule, impact in violations
            ],
            "incomplete": [],
        }

    section = render(
        {
            "pages": [
                page("connexion", "fr", ("heading-order", "moderate")),
                page("connexion", "en"),
                page("écran de voie : attente", "fr", ("region", "moderate"), ("x", "minor")),
            ]
        }
    )
    assert "**3 pages et états audités** (2 en français, 1 en anglais)." in section
    assert "| Non-conformités relevées | 0 | 0 | 2 | 1 |" in section
    assert "| connexion | heading-order (moyenne) | aucune |" in section
    assert "| écran de voie : attente | region (moyenne), x (mineure) | — |" in section
