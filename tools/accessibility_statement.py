"""Writes the audit's figures into the accessibility statement, docs/accessibilite.md.

The browser tests keep what axe-core found on each page in docs/accessibility/audit.json
when asked to; this script turns that record into the statement's results section, in
French, between the two marker lines of the file (``<!-- audit:start -->`` and
``<!-- audit:end -->``)::

    PORTIQUE_AUDIT=1 .venv/bin/pytest tests/e2e/test_accessibility_in_a_browser.py
    .venv/bin/python tools/accessibility_statement.py            # prints the section
    .venv/bin/python tools/accessibility_statement.py --write    # replaces it in the file
    .venv/bin/python tools/accessibility_statement.py --check    # exit 1 when out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "docs" / "accessibility" / "audit.json"
STATEMENT = ROOT / "docs" / "accessibilite.md"
START = "<!-- audit:start -->"
END = "<!-- audit:end -->"
IMPACTS = {"critical": "critique", "serious": "grave", "moderate": "moyenne", "minor": "mineure"}
LANGUAGES = {"fr": "français", "en": "anglais"}


def _name(page: dict[str, Any]) -> str:
    """The page's name without its language, which has its own column."""
    return str(page["page"]).removesuffix(f" ({page['lang']})")


def _cell(page: dict[str, Any] | None) -> str:
    if page is None:
        return "—"
    found = [f"{v['rule']} ({IMPACTS[v['impact']]})" for v in page["violations"]]
    checked = [f"{v['rule']} à vérifier" for v in page["incomplete"]]
    return ", ".join(found + checked) or "aucune"


def render(record: dict[str, Any]) -> str:
    """The results section of the statement for the audit ``record``."""
    pages: list[dict[str, Any]] = record["pages"]
    versions = sorted({str(p["axe_version"]) for p in pages})
    impacts = Counter(v["impact"] for p in pages for v in p["violations"])
    by_language = Counter(str(p["lang"]) for p in pages)
    unsure: dict[str, tuple[str, set[str]]] = {}
    for page in pages:
        for item in page["incomplete"]:
            unsure.setdefault(item["rule"], (item["help"], set()))[1].add(_name(page))
    names = list(dict.fromkeys(_name(p) for p in pages))
    shown = {(_name(p), str(p["lang"])): p for p in pages}
    lines = [
        f"Outil : axe-core {', '.join(versions)} (règles des WCAG 2.1 niveaux A et AA, et "
        "bonnes pratiques d'axe), exécuté dans Chromium par les tests de navigateur.",
        "",
        f"**{len(pages)} pages et états audités** ("
        + ", ".join(f"{by_language[code]} en {name}" for code, name in LANGUAGES.items())
        + ").",
        "",
        "| Impact | " + " | ".join(IMPACTS.values()) + " |",
        "|---" * (len(IMPACTS) + 1) + "|",
        "| Non-conformités relevées | "
        + " | ".join(str(impacts.get(impact, 0)) for impact in IMPACTS)
        + " |",
        "",
    ]
    if unsure:
        lines += ["Points que l'outil n'a pas pu trancher, vérifiés à la main :", ""]
        for rule, (help_text, where) in sorted(unsure.items()):
            lines.append(f"- `{rule}` ({help_text}) : {', '.join(sorted(where))}.")
        lines.append("")
    lines += [
        "| Page ou état | " + " | ".join(LANGUAGES.values()) + " |",
        "|---" * (len(LANGUAGES) + 1) + "|",
    ]
    for name in names:
        cells = [_cell(shown.get((name, lang))) for lang in LANGUAGES]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def replaced(document: str, section: str) -> str:
    """``document`` with ``section`` between its markers."""
    head, start, rest = document.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise SystemExit(f"{STATEMENT} has no {START} … {END} section")
    return f"{head}{START}\n{section}\n{END}{tail}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="replace the section in the file")
    parser.add_argument("--check", action="store_true", help="exit 1 when the file is stale")
    options = parser.parse_args()
    section = render(json.loads(RECORD.read_text(encoding="utf-8")))
    if not (options.write or options.check):
        print(section)
        return 0
    document = STATEMENT.read_text(encoding="utf-8")
    expected = replaced(document, section)
    if options.check:
        if expected != document:
            print(f"{STATEMENT} is out of date: run {Path(__file__).name} --write", file=sys.stderr)
            return 1
        return 0
    STATEMENT.write_text(expected, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
