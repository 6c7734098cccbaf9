"""Visitors in headless Chromium against a served site: reception invites a visitor, the
pass shown in the page opens the main building and raises an alert at the workshops, an
overstay shows among the alerts, the path is a timeline, the roster follows each step;
the administration bars someone and reception's walk-in of that person is flagged."""

from __future__ import annotations

import base64
import shutil
from datetime import timedelta

import pytest
from browser_support import LiveServer, SiteTemplate, screenshot, sign_in
from playwright.sync_api import Page, expect

from portique.bootstrap import open_site
from portique.credentials import decode_qr, payload_to_text
from visitors.visitors_support import WORKSHOPS, add_workshops


@pytest.fixture(scope="module")
def site_template(
    site_template: SiteTemplate, tmp_path_factory: pytest.TempPathFactory
) -> SiteTemplate:
    """The browser tests' site, with the workshops behind their own entry lane."""
    directory = tmp_path_factory.mktemp("visitors-e2e") / "site"
    shutil.copytree(site_template.directory, directory)
    with open_site(directory) as site, site.session() as session:
        add_workshops(session, site.site_id)
    return SiteTemplate(directory, site_template.lane_token, site_template.cards)


def _roster(page: Page, count: int) -> None:
    page.goto("/roster")
    expect(page.locator("#roster-count")).to_have_text(str(count))


def _zone_count(page: Page, zone: str) -> str:
    return page.locator(f'#roster-zones li[data-zone="{zone}"] .count').inner_text()


def test_an_invited_visitor_from_pass_to_check_out(page: Page, live_server: LiveServer) -> None:
    sign_in(page, "agent")
    _roster(page, 0)
    page.get_by_role("link", name="Visiteurs").click()
    invite = page.locator("#invite")
    invite.get_by_label("Nom", exact=True).fill("Durand")
    invite.get_by_label("Prénom").fill("Alice")
    invite.get_by_label("Objet").fill("Entretien avec la proviseure")
    invite.get_by_label("Reçu par").select_option(label="Bernard Paul")
    invite.get_by_label("Arrivée").fill("10:30")
    invite.get_by_label("Départ").fill("11:30")
    invite.get_by_label("Bâtiment principal").check()
    screenshot(page, "visitors-invite", full_page=True)
    invite.get_by_role("button", name="Inviter").click()

    expect(page.locator("#visit .status")).to_have_text("attendu")
    source = page.locator("#pass img").get_attribute("src")
    assert source is not None and source.startswith("data:image/png;base64,")
    qr_text = payload_to_text(decode_qr(base64.b64decode(source.split(",", 1)[1])))
    screenshot(page, "visitors-pass")

    live_server.clock.advance(minutes=25)
    page.get_by_role("button", name="Enregistrer l'arrivée").click()
    expect(page.locator("#visit .status")).to_have_text("sur place")
    visit_url = page.url
    _roster(page, 1)
    assert _zone_count(page, "") == "1"

    live_server.clock.advance(minutes=5)
    assert live_server.present(qr_text)["outcome"] == "grant"
    _roster(page, 1)
    assert (_zone_count(page, "main"), _zone_count(page, WORKSHOPS)) == ("1", "0")
    screenshot(page, "visitors-roster", full_page=True)

    live_server.clock.advance(minutes=10)
    assert live_server.present(qr_text, WORKSHOPS)["outcome"] == "deny"
    page.get_by_role("link", name="Alertes").click()
    wrong_zone = page.locator('[data-visit-alert="wrong_zone"]')
    expect(wrong_zone).to_contain_text("Visiteur hors de ses zones")
    expect(wrong_zone).to_contain_text("Alice Durand")
    wrong_zone.get_by_role("button", name="Acquitter").click()
    expect(page.locator('[data-visit-alert="wrong_zone"]')).to_have_count(0)

    live_server.clock.at(11, 31)  # a minute after the expected end
    page.reload()
    expect(page.locator('[data-visit-alert="overstay"]')).to_contain_text(
        "Visite prolongée au-delà de l'heure prévue"
    )
    screenshot(page, "visitors-alerts")
    _roster(page, 1)

    page.goto(visit_url)
    steps = page.locator("#path li.passage")
    expect(steps).to_have_count(3)
    expect(steps.nth(0)).to_have_attribute("data-kind", "check_in")
    expect(steps.nth(1)).to_have_attribute("data-checkpoint", "entree")
    expect(steps.nth(2)).to_contain_text("Visiteur hors de ses zones")
    screenshot(page, "visitors-path", full_page=True)

    live_server.clock.advance(minutes=4)
    page.get_by_role("button", name="Enregistrer le départ").click()
    expect(page.locator("#visits-ended")).to_contain_text("Durand Alice")
    _roster(page, 0)
    assert live_server.present(qr_text)["outcome"] == "deny"


def test_a_barred_person_walking_in_is_flagged(page: Page, live_server: LiveServer) -> None:
    sign_in(page, "administration")
    page.get_by_role("link", name="Interdictions d'accès").click()
    page.get_by_label("Nom", exact=True).fill("Leroy")
    page.get_by_label("Prénom").fill("Marc")
    page.get_by_label("Date de naissance").fill("1985-04-12")
    page.get_by_label("Motif").fill("Ordonnance du juge des enfants")
    page.get_by_label("Décidée par").select_option("court")
    until = live_server.clock.now.date() + timedelta(days=180)
    page.get_by_label("Jusqu'au").fill(until.isoformat())
    page.get_by_role("button", name="Ajouter").click()
    expect(page.locator("#refusals")).to_contain_text("Leroy")
    screenshot(page, "visitors-refusals")
    page.get_by_role("button", name="Se déconnecter").click()

    sign_in(page, "agent")
    page.goto("/visitors")
    walk_in = page.locator("#walk-in")
    walk_in.get_by_label("Nom", exact=True).fill("LEROY")
    walk_in.get_by_label("Prénom").fill("Marc")
    walk_in.get_by_label("Date de naissance").fill("1985-04-12")
    walk_in.get_by_label("Objet").fill("Voir un élève")
    walk_in.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#visit-refused")).to_contain_text("interdiction d'accès")
    expect(page.locator("#visit .status")).to_have_text("refusé")
    page.get_by_role("link", name="Alertes").click()
    expect(page.locator('[data-visit-alert="barred"]')).to_contain_text("Marc LEROY")
    _roster(page, 0)
