"""The accessibility audit of the browser tests: axe-core's WCAG 2.1 A and AA rules run
inside a page, and the record of every page audited for docs/accessibilite.md.

axe-core comes from the npm registry into the virtual environment (``make test`` installs
it, pinned in the Makefile); without it the audit is skipped with the reason, except in
CI (``CI=true``), where it fails. ``PORTIQUE_AUDIT=1`` writes what was found to
docs/accessibility/audit.json, which ``tools/accessibility_statement.py`` turns into the
declaration's figures.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page

AXE = Path(sys.prefix) / "npm" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
"""The rules of WCAG 2.1 levels A and AA, which RGAA 4.1 follows."""
BLOCKING = frozenset({"serious", "critical"})
RECORD = Path(__file__).resolve().parents[2] / "docs" / "accessibility" / "audit.json"

_RUN = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: { type: "tag", values: [...tags, "best-practice"] },
    resultTypes: ["violations", "incomplete"],
  });
  const shaped = (items) => items.map((v) => ({
    rule: v.id, impact: v.impact || "minor", help: v.help,
    wcag: v.tags.some((tag) => tags.includes(tag)),
    targets: v.nodes.map((n) => n.target.join(" ")),
  }));
  return {
    version: axe.version, violations: shaped(results.violations),
    incomplete: shaped(results.incomplete), passes: results.passes.length,
  };
}"""


@dataclass(frozen=True)
class Finding:
    """One rule a page breaks (or that axe could not decide), with where."""

    rule: str
    impact: str
    help: str
    wcag: bool
    """A rule of WCAG 2.1 A/AA; else one of axe's best practices (landmarks, headings),
    which RGAA's criteria ask for too."""
    targets: list[str]


@dataclass(frozen=True)
class Audit:
    """What axe-core found on one page in one state."""

    page: str
    lang: str
    axe_version: str
    violations: list[Finding]
    incomplete: list[Finding]
    passes: int

    def blocking(self) -> list[Finding]:
        """The violations of impact serious or critical: none is accepted."""
        return [v for v in self.violations if v.impact in BLOCKING]


AUDITED: list[Audit] = []
"""Every audit of the session, in order, for the record."""


def load_axe(page: Page) -> None:
    """Makes axe-core available in every document the page opens from now on (an init
    script: the pages' Content-Security-Policy, which forbids inline scripts, stays on)."""
    if not AXE.exists():
        reason = f"axe-core is not installed at {AXE} (make test installs it with npm)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    page.context.add_init_script(path=str(AXE))


def audit(page: Page, name: str) -> Audit:
    """Runs the WCAG 2.1 A/AA rules on the page as it stands; records and returns what
    was found. ``name`` says which page and state, for the record."""
    found = page.evaluate(_RUN, list(WCAG_21_AA))
    lang = page.evaluate("() => document.documentElement.lang")
    result = Audit(
        page=f"{name} ({lang})",
        lang=lang,
        axe_version=found["version"],
        violations=[Finding(**v) for v in found["violations"]],
        incomplete=[Finding(**v) for v in found["incomplete"]],
        passes=found["passes"],
    )
    AUDITED.append(result)
    return result


def assert_accessible(page: Page, name: str, lang: str) -> Audit:
    """Audits the page, which must be in ``lang`` (its ``lang`` attribute says so), and
    fails on any serious or critical violation, naming each."""
    result = audit(page, name)
    assert result.lang == lang, f"{name}: the page says lang={result.lang!r}, not {lang!r}"
    blocking = result.blocking()
    assert not blocking, "\n".join(
        f"{result.page}: {v.impact} {v.rule} ({v.help}) at {', '.join(v.targets[:5])}"
        for v in blocking
    )
    return result


def _entry(result: Audit) -> dict[str, object]:
    """An audit as kept in the record: the rules and how many places break each (the
    places themselves change from run to run)."""

    def rules(findings: list[Finding]) -> list[dict[str, object]]:
        return [
            {
                "rule": f.rule,
                "impact": f.impact,
                "wcag": f.wcag,
                "help": f.help,
                "nodes": len(f.targets),
            }
            for f in findings
        ]

    return {
        "page": result.page,
        "lang": result.lang,
        "axe_version": result.axe_version,
        "passes": result.passes,
        "violations": rules(result.violations),
        "incomplete": rules(result.incomplete),
    }


def write_record() -> None:
    """Adds this run's audits to docs/accessibility/audit.json when PORTIQUE_AUDIT=1 (a page
    audited again replaces its earlier entry)."""
    if os.environ.get("PORTIQUE_AUDIT") != "1" or not AUDITED:
        return
    kept: dict[str, dict[str, object]] = {}
    if RECORD.exists():
        kept = {entry["page"]: entry for entry in json.loads(RECORD.read_text())["pages"]}
    for result in AUDITED:
        kept[result.page] = _entry(result)
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    pages = sorted(kept.values(), key=lambda entry: str(entry["page"]))
    RECORD.write_text(json.dumps({"pages": pages}, ensure_ascii=False, indent=1) + "\n")
