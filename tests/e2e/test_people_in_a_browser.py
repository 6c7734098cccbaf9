"""The People page of a lycée of 1,500 in headless Chromium: a name typed without accents
finds the person, the class filter, sorting and paging work together, and a class's
cards are issued in one action (previewed, confirmed, its progress then its files); each
page passes the accessibility audit."""

from __future__ import annotations

import re
import unicodedata

import pytest
from accessibility_support import assert_accessible, load_axe
from browser_support import LiveServer, sign_in
from playwright.sync_api import Page, expect

from portique.bootstrap import open_site
from portique.registers.synthetic import SyntheticPupil, synthetic_school
from portique.services import import_people

PEOPLE = 1500
CLASS = "2NDE1"


def _plain(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@pytest.fixture
def lycee(live_server: LiveServer) -> list[SyntheticPupil]:
    """1,500 pupils of a synthetic lycée imported into the served site."""
    pupils = list(synthetic_school(pupils=PEOPLE, uaj="0130001A", year=2026).pupils)
    lines = ["Nom;Prénom;Né(e) le;Classe"] + [
        f"{p.last_name};{p.first_name};{p.birth_date:%d/%m/%Y};{p.division}" for p in pupils
    ]
    with open_site(live_server.directory) as site, site.session() as session:
        report = import_people(
            session, site.site_id, "\n".join(lines).encode(), now=live_server.clock.now
        )
    imported = {(p.last_name, p.first_name, p.birth_date) for p in pupils}
    assert len(report.imported) == len(imported)
    return pupils


def _rows(page: Page) -> list[str]:
    return page.locator("#people-table tbody tr td:first-child").all_inner_texts()


def test_a_name_typed_without_accents_finds_the_person_among_1500(
    page: Page, live_server: LiveServer, lycee: list[SyntheticPupil]
) -> None:
    load_axe(page)
    sign_in(page, "administration")
    expect(page.locator("#people-count")).to_have_text(re.compile(r"^15\d\d personne"))
    counts: dict[tuple[str, str], int] = {}
    for p in lycee:
        counts[(p.last_name, p.first_name)] = counts.get((p.last_name, p.first_name), 0) + 1
    wanted = next(
        p for p in lycee
        if _plain(p.first_name) != p.first_name.lower() and counts[(p.last_name, p.first_name)] == 1
    )  # fmt: skip
    typed = f"{_plain(wanted.first_name)} {_plain(wanted.last_name).upper()}"
    page.get_by_label("Nom ou prénom").fill(typed)
    page.get_by_label("Nom ou prénom").press("Enter")
    expect(page.locator("#people-count")).to_contain_text("1 personne(s) trouvée(s)")
    expect(page.locator("#people-table tbody tr")).to_have_count(1)
    expect(page.locator("#people-table tbody")).to_contain_text(wanted.first_name)
    assert_accessible(page, "administration: people, a search", "fr")


def test_the_class_filter_sorting_and_paging_work_together(
    page: Page, live_server: LiveServer, lycee: list[SyntheticPupil]
) -> None:
    sign_in(page, "administration")
    search = page.get_by_role("search")
    search.get_by_label("Classe").select_option(label=CLASS)
    search.get_by_label("Par page").select_option("25")
    search.get_by_role("button", name="Rechercher").click()
    expect(page.locator("#people-count")).to_contain_text("35 personne(s) trouvée(s)")
    page.get_by_role("link", name="Prénom").click()
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Prénom")
    first = page.locator("#people-table tbody tr td:nth-child(2)").all_inner_texts()
    page.get_by_role("link", name="Page suivante").click()
    expect(page.locator("#people-count")).to_contain_text("26 à 35")
    second = page.locator("#people-table tbody tr td:nth-child(2)").all_inner_texts()
    expected = sorted(
        (p for p in lycee if p.division == CLASS),
        key=lambda p: (_plain(p.first_name), _plain(p.last_name)),
    )
    assert [_plain(n) for n in first + second] == [_plain(p.first_name) for p in expected]
    assert re.search(r"class=2nde1", page.url) and "sort=first_name" in page.url


def test_a_class_gets_its_cards_in_one_action(
    page: Page, live_server: LiveServer, lycee: list[SyntheticPupil]
) -> None:
    load_axe(page)
    sign_in(page, "administration")
    page.goto("/people?class=2nde1")
    page.get_by_role("link", name="Délivrer et imprimer les cartes").click()
    expect(page.locator("#bulk-table tbody tr")).to_have_count(35)
    assert_accessible(page, "administration: a class's cards, preview", "fr")
    page.get_by_label("Je confirme : délivrer ces cartes.").check()
    page.get_by_role("button", name="Délivrer les cartes").click()
    expect(page.locator("#job-state")).to_have_attribute("data-state", "done", timeout=60_000)
    expect(page.locator("#job-report tbody tr.done")).to_have_count(35)
    expect(page.get_by_role("link", name="Planche A4 (PDF)")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Une carte par PDF (ZIP)").click()
    assert download.value.suggested_filename == "cartes.zip"
    assert_accessible(page, "administration: a class's cards, report", "fr")
