"""The console with a keyboard only, in Chromium (RGAA 4.1 theme 12, WCAG 2.1.1, 2.4.3,
2.4.7): signing in, acknowledging an alert, deciding a referral, declaring and ending a
lockdown, importing a CSV file, each by Tab, typing, Enter and Space, with the focus
always visible and not one pointer event; and Tab going through each page in reading
order, then out of it (no trap)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_support import TABLET, LiveServer
from playwright.sync_api import Browser, Page, expect

from server.server_support import PASSWORD

POINTER_EVENTS = """
for (const type of ["pointerdown", "mousedown", "click"]) {
  window.addEventListener(type, (event) => {
    if (type === "click" && event.detail === 0) return;  // a click made by a key
    sessionStorage.setItem("pointer", `${Number(sessionStorage.getItem("pointer") || 0) + 1}`);
  }, true);
}
"""
"""Counts, across the tab's pages, the events that only a pointer makes."""


@pytest.fixture
def keyboard(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A French tablet with no mouse in hand: the pointer events are counted."""
    context = browser.new_context(
        base_url=live_server.url, viewport=TABLET, locale="fr-FR", timezone_id="Europe/Paris"
    )
    context.set_default_timeout(5000)
    context.add_init_script(POINTER_EVENTS)
    page = context.new_page()
    yield page
    assert page.evaluate("() => sessionStorage.getItem('pointer')") is None
    context.close()


def tab_to(page: Page, selector: str, *, limit: int = 80) -> None:
    """Presses Tab until the focus is on ``selector``; that focus must show."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
            assert outline != "none", f"the focus on {selector} does not show"
            return
    raise AssertionError(f"Tab never reaches {selector}")


def _sign_in(page: Page, username: str) -> None:
    page.goto("/login")
    tab_to(page, "input[name=username]")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: not url.endswith("/login"))


def _open(page: Page, path: str) -> None:
    """Follows the bar's link to ``path``."""
    tab_to(page, f".bar nav a[href='{path}']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{path}")


def test_the_first_key_offers_to_skip_to_the_content(keyboard: Page) -> None:
    page = keyboard
    page.goto("/login")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Aller au contenu")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "content"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.name") == "username"


def test_an_agent_handles_alerts_and_a_lockdown_with_the_keyboard_alone(
    keyboard: Page, live_server: LiveServer
) -> None:
    page, cards = keyboard, live_server.cards
    alert = live_server.present(cards.ines)  # a revoked card
    live_server.clock.at(21)  # closed: the next entry is referred to the agent
    referral = live_server.present(cards.hugo)
    _sign_in(page, "agent")

    _open(page, "/alerts")
    tab_to(page, f"#p-{referral['passage_id']} input[name=comment]")
    page.keyboard.type("Réunion du conseil de classe")
    page.keyboard.press("Tab")  # to "Autoriser"
    expect(page.locator(":focus")).to_have_text("Autoriser")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator(f"#p-{referral['passage_id']}")).to_have_count(0)
    tab_to(page, f"#p-{alert['passage_id']} button")
    expect(page.locator(":focus")).to_have_text("Acquitter")
    page.keyboard.press("Space")
    expect(page.get_by_text("Aucune alerte en attente.")).to_be_visible()

    _open(page, "/lockdown")
    tab_to(page, "input[name=confirm]")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("main .banner")).to_contain_text("Mise en sûreté en cours depuis")
    tab_to(page, "input[name=confirm]")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Lever la mise en sûreté")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Aucune mise en sûreté en cours.")).to_be_visible()

    page.goto("/live")
    decided = page.locator(f"#p-{referral['passage_id']} .review")
    expect(decided).to_contain_text("Autorisé par l'agent")


def test_the_administration_imports_a_csv_file_with_the_keyboard_alone(keyboard: Page) -> None:
    page = keyboard
    _sign_in(page, "administration")
    _open(page, "/people/import")
    # The browser's file dialog is taken over by the test; set up before the key is pressed
    # (a round trip to the page), or the key can open the dialog first.
    page.on("filechooser", lambda _: None)
    page.evaluate("() => document.readyState")
    tab_to(page, "input[name=file]")
    with page.expect_file_chooser() as chosen:
        page.keyboard.press("Enter")
    chosen.value.set_files(
        {
            "name": "eleves.csv",
            "mimeType": "text/csv",
            "buffer": "Nom;Prénom;Né(e) le;Classe\r\nDurand;Hélène;12/03/2010;2nde A\r\n".encode(),
        }
    )
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Importer")
    page.keyboard.press("Enter")
    expect(page.locator("#imported-count")).to_have_text("1")


TABBABLE = """() => {
  const all = [...document.querySelectorAll("*")];
  return all.filter((e) => e.tabIndex >= 0 && !e.disabled && e.type !== "hidden"
      && e.matches("a[href], button, input, select, textarea, summary, [tabindex]")
      && !(e.type === "radio" && !e.checked)
      && e.checkVisibility({ contentVisibilityAuto: true, visibilityProperty: true }))
    .map((e) => all.indexOf(e));
}"""
"""Where each element the keyboard can reach stands in the document, in its order (of a
group of radio buttons, only the checked one is a stop; a closed <details> hides its
fields)."""
FOCUSED = "() => [...document.querySelectorAll('*')].indexOf(document.activeElement)"


def _tab_order(page: Page) -> list[int]:
    """The places Tab visits from the top of the page until it leaves the page (a
    date field's parts count once)."""
    visited: list[int] = []
    for _ in range(400):
        page.keyboard.press("Tab")
        place = page.evaluate(FOCUSED)
        if page.evaluate("() => document.activeElement === document.body"):
            return visited
        if visited and place == visited[0]:
            return visited  # round the page and back: no trap either
        if not visited or visited[-1] != place:
            visited.append(place)
    raise AssertionError(f"Tab never leaves the page: a keyboard trap after {visited[-5:]}")


@pytest.mark.parametrize(
    ("role", "paths"),
    [
        ("agent", ("/live", "/alerts", "/lockdown", "/visitors", "/roster")),
        ("administration", ("/people", "/people/import", "/lanes", "/registers")),
    ],
)
def test_tab_follows_the_reading_order_and_leaves_every_page(
    keyboard: Page, live_server: LiveServer, role: str, paths: tuple[str, ...]
) -> None:
    live_server.present(live_server.cards.ines)
    live_server.clock.at(21)
    live_server.present(live_server.cards.hugo)  # a referral: a form in the list
    _sign_in(keyboard, role)
    for path in paths:
        keyboard.goto(path)
        expected = keyboard.evaluate(TABBABLE)
        assert len(expected) > 5, path
        assert _tab_order(keyboard) == expected, path
