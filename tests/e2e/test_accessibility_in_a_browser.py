"""The accessibility audit (RGAA 4.1 / WCAG 2.1 AA): axe-core's rules run in Chromium on
every console page, agent and administration, in French and in English, with data on
screen (passages pushed live, alerts, a referral to decide, the lockdown confirmation,
the import's report and the register preview, a person's page, the people search and
the class actions, visitors), on the phone pass, and on each screen of the lane display:
no violation of impact serious or critical anywhere. Then what the rules cannot see:
reflow at 320 and 512 CSS pixels, the live regions a screen reader hears, a pictogram
beside each colour, no motion on request, and the lane display zoomed.

``PORTIQUE_AUDIT=1`` keeps what was found in docs/accessibility/audit.json, the source of
the figures of docs/accessibilite.md (``tools/accessibility_statement.py``)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from accessibility_support import assert_accessible, load_axe, write_record
from browser_support import TABLET, LiveServer, SiteTemplate
from playwright.sync_api import Browser, Page, expect

from portique.access import Outcome
from portique.bootstrap import open_site
from portique.lane.drivers.display import DisplayBoard, DisplayServer
from portique.registers.synthetic import export_zip, guardians_xml, pupils_xml, synthetic_school
from portique.services.rows import site_row
from portique.services.settings import change_settings
from server.server_support import PASSWORD, school_day

LANGUAGES = ("fr", "en")
UAI = "0130001A"


@pytest.fixture(scope="module", autouse=True)
def _record() -> Iterator[None]:
    yield
    write_record()


@pytest.fixture(scope="module")
def site_template(
    site_template: SiteTemplate, tmp_path_factory: pytest.TempPathFactory
) -> SiteTemplate:
    """The browser tests' site offering face comparison, with a holiday, a closure and a
    special day in its calendar: the lanes page shows each kind."""
    directory = tmp_path_factory.mktemp("accessibility-e2e") / "site"
    shutil.copytree(site_template.directory, directory)
    day = school_day()

    def exception(days: int, kind: str, **more: object) -> dict[str, object]:
        first = (day + timedelta(days=days)).isoformat()
        return {"first": first, "last": first, "kind": kind, **more}

    with open_site(directory) as site, site.session() as session:
        row = site_row(session, site.site_id)
        change_settings(row, face_enabled=True)
        row.calendar = [
            exception(20, "holiday", label="Toussaint"),
            exception(30, "closure", label="Bac blanc"),
            exception(40, "special", schedule={"ranges": ["08:00-12:00"]}),
        ]
    return SiteTemplate(directory, site_template.lane_token, site_template.cards)


@pytest.fixture(params=LANGUAGES)
def lang(request: pytest.FixtureRequest) -> str:
    language: str = request.param
    return language


@pytest.fixture
def console(browser: Browser, live_server: LiveServer, lang: str) -> Iterator[Page]:
    """A tablet whose browser asks for ``lang``, with axe-core in each page it opens."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport=TABLET,
        locale="fr-FR" if lang == "fr" else "en-GB",
        timezone_id="Europe/Paris",
    )
    context.set_default_timeout(5000)
    page = context.new_page()
    load_axe(page)
    yield page
    context.close()


def _sign_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(lambda url: not url.endswith("/login"))


def _submit(page: Page, form: str) -> None:
    page.locator(f"{form} button[type=submit]").first.click()
    page.wait_for_load_state()


def test_the_agent_pages_have_no_serious_violation(
    console: Page, live_server: LiveServer, lang: str
) -> None:
    page, cards = console, live_server.cards
    live_server.present(cards.lea)
    live_server.clock.advance(minutes=3)
    alert = live_server.present(cards.ines)  # a revoked card: an alert
    live_server.clock.at(21)  # the site is closed: the next entry is referred to the agent
    referral = live_server.present(cards.hugo)
    assert (alert["alert"], referral["outcome"]) == (True, "refer")

    page.goto("/login")
    assert_accessible(page, "connexion", lang)
    page.locator("input[name=username]").fill("agent")
    page.locator("input[name=password]").fill("not the password")
    _submit(page, "form[action='/login']")
    error = page.locator("#login-error")
    expect(error).to_be_visible()
    for field in ("username", "password"):  # the message is tied to the fields
        expect(page.locator(f"input[name={field}]")).to_have_accessible_description(
            error.inner_text()
        )
    assert_accessible(page, "connexion, mot de passe erroné", lang)
    _sign_in(page, "agent")
    page.goto("/live")
    expect(page.locator("#live-status")).not_to_be_empty()
    live_server.clock.advance(minutes=1)
    pushed = live_server.present(cards.paul, lane_id="sortie")
    page.locator(f"#p-{pushed['passage_id']}").wait_for()
    assert_accessible(page, "agent : passages en direct, dont un reçu en direct", lang)

    page.goto("/alerts")
    expect(page.locator(f"#p-{referral['passage_id']} form.decide")).to_be_visible()
    assert_accessible(page, "agent : alertes, dont un renvoi à décider", lang)

    page.goto("/lockdown")
    assert_accessible(page, "agent : confirmation de la mise en sûreté", lang)
    page.locator("input[name=confirm]").check()
    _submit(page, "form[action='/lockdown']")
    expect(page.locator("main .banner")).to_be_visible()
    assert_accessible(page, "agent : mise en sûreté en cours", lang)
    page.goto("/live")
    expect(page.locator("#lockdown-banner")).to_be_visible()
    assert_accessible(page, "agent : passages en direct pendant une mise en sûreté", lang)

    page.goto("/roster")
    assert_accessible(page, "agent : liste des présents", lang)
    page.goto("/departures")
    assert_accessible(page, "agent : départs", lang)

    page.goto("/visitors")
    invite = page.locator("#invite form")
    invite.locator("input[name=last_name]").fill("Durand")
    invite.locator("input[name=first_name]").fill("Alice")
    invite.locator("input[name=purpose]").fill("Entretien")
    invite.locator("input[name=start]").fill("21:30")
    invite.locator("input[name=end]").fill("22:30")
    _submit(page, "#invite form")
    expect(page.locator("#visit")).to_be_visible()
    assert_accessible(page, "agent : une visite et son laissez-passer", lang)
    page.goto("/visitors")
    assert_accessible(page, "agent : visiteurs", lang)

    response = page.goto("/people")
    assert response is not None and response.status == 403
    assert_accessible(page, "agent : page refusée à son rôle", lang)


def _csv() -> bytes:
    return (
        "Nom;Prénom;Né(e) le;Classe\r\n"
        "Durand;Hélène;12/03/2010;2nde A\r\n"
        "Lefèvre;Noé;31/02/2010;2nde A\r\n"
    ).encode("latin-1")


def test_the_administration_pages_have_no_serious_violation(console: Page, lang: str) -> None:
    page = console
    _sign_in(page, "administration")
    page.goto("/people")
    assert_accessible(page, "administration : personnes", lang)
    page.locator("table tbody a").first.click()
    page.wait_for_url("**/people/*")
    _submit(page, "form[action$='/consent']")  # consent in force, shown in green
    expect(page.locator("#consent .state")).to_be_visible()
    assert_accessible(page, "administration : fiche d'une personne", lang)

    page.goto("/people?q=Bernard")
    expect(page.locator("#people-table tbody tr")).to_have_count(1)
    assert_accessible(page, "administration : personnes, recherche", lang)
    page.goto("/people/bulk/consent?role=staff")
    assert_accessible(page, "administration : consentements d'une liste", lang)
    page.goto("/people/bulk/revoke?role=staff")
    assert_accessible(page, "administration : révocation des titres d'une liste", lang)
    page.goto("/people/bulk/cards?role=staff")
    assert_accessible(page, "administration : cartes d'une liste, aperçu", lang)
    page.locator("input[name=confirm]").check()
    _submit(page, "form[action^='/people/bulk/cards']")
    expect(page.locator("#job-state")).to_have_attribute("data-state", "done", timeout=20_000)
    assert_accessible(page, "administration : cartes d'une liste, travail terminé", lang)

    page.goto("/people/import")
    assert_accessible(page, "administration : import CSV", lang)
    page.locator("input[name=file]").set_input_files(
        {"name": "eleves.csv", "mimeType": "text/csv", "buffer": _csv()}
    )
    _submit(page, "form[action='/people/import']")
    expect(page.locator("#import-report")).to_be_visible()
    assert_accessible(page, "administration : compte rendu d'import CSV", lang)

    page.goto("/registers")
    page.locator("input[name=uai]").fill(UAI)
    _submit(page, "form[action='/registers/uai']")
    school = synthetic_school(12, uaj=UAI, seed=3, staff=2)
    page.locator("input[name=pupils]").set_input_files(
        {
            "name": "ExportXML_ElevesSansAdresses.zip",
            "mimeType": "application/zip",
            "buffer": export_zip({"ElevesSansAdresses.xml": pupils_xml(school)}),
        }
    )
    page.locator("input[name=guardians]").set_input_files(
        {
            "name": "ResponsablesAvecAdresses.xml",
            "mimeType": "application/xml",
            "buffer": guardians_xml(school),
        }
    )
    _submit(page, "form[action='/registers/preview']")
    expect(page.locator("#register-report")).to_be_visible()
    assert_accessible(page, "administration : aperçu de l'import des registres", lang)

    for path, name in (
        ("/lanes", "voies et horaires"),
        ("/visitors", "visiteurs"),
        ("/refusals", "interdictions d'accès"),
        ("/reenrol", "réenrôlement"),
    ):
        page.goto(path)
        assert_accessible(page, f"administration : {name}", lang)


def test_the_data_protection_pages_have_no_serious_violation(console: Page, lang: str) -> None:
    _sign_in(console, "dpo")
    console.goto("/documents")
    assert_accessible(console, "protection des données : documents", lang)


@pytest.fixture
def display() -> Iterator[DisplayServer]:
    served = DisplayServer(
        "127.0.0.1", 0, "display-token-for-the-audit", board=DisplayBoard(hold_s=60)
    )
    served.start()
    yield served
    served.close()


def test_each_screen_of_the_lane_display_has_no_serious_violation(
    browser: Browser, display: DisplayServer, lang: str
) -> None:
    context = browser.new_context(viewport=TABLET, locale="fr-FR")
    page = context.new_page()
    load_axe(page)
    page.goto(display.url() + f"?lang={lang}")
    screens: list[tuple[str, str, Callable[[], None]]] = [
        ("idle", "attente", lambda: None),
        ("look", "regard caméra", display.look),
        ("grant", "autorisé", lambda: display.show(Outcome.GRANT, "Léa")),
        ("deny", "refusé", lambda: display.show(Outcome.DENY, None)),
        ("refer", "renvoi à l'agent", lambda: display.show(Outcome.REFER, None)),
    ]
    for screen, name, change in screens:
        change()
        expect(page.locator("main")).to_have_attribute("data-screen", screen)
        assert_accessible(page, f"écran de voie : {name}", lang)
    context.close()


CONSOLE_PAGES = {
    "agent": ("/live", "/alerts", "/lockdown", "/roster", "/visitors", "/departures"),
    "administration": (
        "/people",
        "/people/import",
        "/registers",
        "/lanes",
        "/refusals",
        "/reenrol",
    ),
}


@pytest.mark.parametrize("width", [320, 512])
def test_the_console_reflows_without_sideways_scrolling(
    browser: Browser, live_server: LiveServer, width: int
) -> None:
    """At 320 CSS pixels (a 1280-pixel screen at 400 %) and at 512 (the tablet at 200 %),
    every page reads in one column; only a wide table scrolls, inside its own box."""
    live_server.present(live_server.cards.ines)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 700}, locale="fr-FR"
    )
    page = context.new_page()
    page.goto("/login")
    wide: list[str] = []
    for role, paths in CONSOLE_PAGES.items():
        _sign_in(page, role)
        for path in paths:
            page.goto(path)
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                wide.append(f"{path} ({role}): {overflow} px too wide")
        page.locator("form[action='/logout'] button").click()
    context.close()
    assert wide == [], wide


def test_a_screen_reader_hears_new_passages_alerts_and_a_lockdown_without_losing_focus(
    page: Page, live_server: LiveServer
) -> None:
    cards = live_server.cards
    _sign_in(page, "agent")
    page.goto("/live")
    expect(page.locator("#live-status")).to_have_text("En direct")
    polite, urgent = page.locator("#announce"), page.locator("#announce-alert")
    expect(polite).to_have_attribute("role", "status")
    expect(urgent).to_have_attribute("role", "alert")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.outerHTML")

    live_server.present(cards.paul)
    expect(polite).to_have_text("Autorisé, Paul Bernard, entree, Titre d'accès valide")
    live_server.clock.advance(minutes=1)
    live_server.present(cards.ines)
    expect(urgent).to_have_text(
        "Nouvelle alerte : Refusé, Inès Lefèvre, entree, Titre d'accès révoqué"
    )
    other = page.context.new_page()  # a second agent's tab declares a lockdown
    other.goto("/lockdown")
    other.locator("input[name=confirm]").check()
    _submit(other, "form[action='/lockdown']")
    expect(urgent).to_contain_text("Mise en sûreté en cours depuis")
    assert page.evaluate("() => document.activeElement.outerHTML") == focused


def test_each_outcome_carries_words_and_a_pictogram_besides_its_colour(
    page: Page, live_server: LiveServer
) -> None:
    cards = live_server.cards
    live_server.present(cards.paul)
    live_server.present(cards.ines)
    live_server.clock.at(21)
    live_server.present(cards.hugo)
    _sign_in(page, "agent")
    page.goto("/live")
    signs = {}
    for outcome, words in (
        ("grant", "Autorisé"),
        ("deny", "Refusé"),
        ("refer", "À vérifier par l'agent"),
    ):
        badge = page.locator(f".passage.{outcome} .outcome").first
        expect(badge).to_have_text(words)
        signs[outcome] = badge.evaluate("(b) => getComputedStyle(b, '::before').content")
    assert len(set(signs.values())) == 3 and "none" not in signs.values(), signs


def test_nothing_moves_for_those_who_ask_for_less_motion(
    browser: Browser, live_server: LiveServer
) -> None:
    live_server.present(live_server.cards.ines)
    context = browser.new_context(base_url=live_server.url, reduced_motion="reduce")
    page = context.new_page()
    _sign_in(page, "agent")
    longest = """() => Math.max(0, ...[...document.querySelectorAll("*")].flatMap((e) => {
        const style = getComputedStyle(e);
        return [style.animationDuration, style.transitionDuration].flatMap((v) => v.split(","))
          .map((v) => parseFloat(v) * (v.trim().endsWith("ms") ? 1 : 1000));
      }))"""
    for path in ("/live", "/alerts", "/lockdown"):
        page.goto(path)
        assert page.evaluate(longest) <= 0.01, path
    context.close()


@pytest.mark.parametrize("viewport", [{"width": 512, "height": 384}, {"width": 320, "height": 568}])
def test_the_lane_display_keeps_its_whole_message_when_zoomed(
    browser: Browser, display: DisplayServer, viewport: dict[str, int]
) -> None:
    """The tablet at 200 %, and a phone-sized screen: the message, in its longest form,
    stays whole on the screen."""
    context = browser.new_context(viewport=viewport, locale="fr-FR")
    page = context.new_page()
    page.goto(display.url())
    display.show(Outcome.DENY, None)
    message = page.locator("#screen-deny .message")
    expect(message).to_have_text("Accès refusé — adressez-vous à l'agent")
    box = message.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], box
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], box
    context.close()


def test_the_phone_pass_has_no_serious_violation(
    browser: Browser, console: Page, live_server: LiveServer, lang: str
) -> None:
    _sign_in(console, "administration")
    console.goto("/people?q=Bernard")
    console.locator("#people-table tbody a").first.click()
    _submit(console, "form[action$='/phone-link']")
    link = console.locator("#phone-link").inner_text()
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 412, "height": 915},
        locale="fr-FR" if lang == "fr" else "en-GB",
        timezone_id="Europe/Paris",
    )
    context.set_default_timeout(10_000)
    phone = context.new_page()
    load_axe(phone)
    phone.clock.set_fixed_time(live_server.clock.now)
    phone.goto(link)
    expect(phone.locator("#enrol")).to_be_visible()
    assert_accessible(phone, "téléphone : enrôlement", lang)
    phone.locator("#enrol-button").click()
    expect(phone.locator("#pass")).to_be_visible()
    assert_accessible(phone, "téléphone : titre d'accès", lang)
    context.close()


def test_each_page_is_titled_by_its_heading(page: Page, live_server: LiveServer) -> None:
    """The window's title names the page, as its first heading does, then the product
    (RGAA 8.6): a screen reader user knows where each link led."""
    titles: dict[str, str] = {}
    for role, paths in CONSOLE_PAGES.items():
        _sign_in(page, role)
        for path in paths:
            page.goto(path)
            name, _, product = page.title().partition(" · ")
            assert product == "Portique", (path, page.title())
            assert page.locator("h1").first.inner_text().startswith(name), (path, name)
            titles[path] = name
        page.locator("form[action='/logout'] button").click()
    assert len(set(titles.values())) == len(titles), titles
