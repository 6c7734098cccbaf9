"""The lane display in Chromium: each screen as the person passing sees it, live, in
French by default and English on request, readable (contrast, text and pictogram, live
region), under a strict policy, with no last name and no reason; screenshots of each
state in docs/screenshots/ with PORTIQUE_SCREENSHOTS=1."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from browser_support import TABLET, screenshot
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from portique.access import Outcome
from portique.lane.drivers.display import DisplayBoard, DisplayServer

TOKEN = "display-token-for-the-browser-test"


@pytest.fixture
def display() -> Iterator[DisplayServer]:
    served = DisplayServer("127.0.0.1", 0, TOKEN, board=DisplayBoard(hold_s=3.0))
    served.start()
    yield served
    served.close()


@pytest.fixture
def screen(browser: Browser, display: DisplayServer) -> Iterator[tuple[Page, list[str]]]:
    """A tablet at the lane showing the display; the problems its console reported."""
    context = browser.new_context(viewport=TABLET, locale="fr-FR")
    context.set_default_timeout(5000)
    page = context.new_page()
    problems: list[str] = []

    def noted(message: ConsoleMessage) -> None:
        # Without the kiosk's --autoplay-policy flag, sound waits for a first touch (the
        # page says so): Chromium's warning about it is expected.
        if message.type in ("error", "warning") and "AudioContext" not in message.text:
            problems.append(message.text)

    page.on("console", noted)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(display.url())
    expect(page.locator("main")).to_have_attribute("data-screen", "idle")
    yield page, problems
    context.close()


def _luminance(rgb: str) -> float:
    channels = [int(value) / 255 for value in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(page: Page) -> float:
    """The WCAG contrast ratio of the shown message against the screen's background."""
    colours = page.evaluate(
        """() => {
            const main = document.querySelector("main");
            const message = main.querySelector("section:not([hidden]) .message");
            return [getComputedStyle(main).backgroundColor, getComputedStyle(message).color];
        }"""
    )
    light, dark = sorted((_luminance(colours[0]), _luminance(colours[1])), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_each_screen_shows_in_large_type_with_colour_pictogram_and_words(
    screen: tuple[Page, list[str]], display: DisplayServer
) -> None:
    page, problems = screen
    assert page.locator("html").get_attribute("lang") == "fr"
    expect(page.locator("#screen-idle .message")).to_have_text(
        "Présentez votre carte ou votre QR code"
    )
    assert contrast(page) >= 4.5
    screenshot(page, "lane-display-idle")
    steps = [
        (display.look, "look", "Regardez la caméra", "lane-display-look"),
        (lambda: display.show(Outcome.GRANT, "Léa"), "grant", "Bonjour Léa", "lane-display-grant"),
        (
            lambda: display.show(Outcome.DENY, None),
            "deny",
            "Accès refusé — adressez-vous à l'agent",
            "lane-display-deny",
        ),
        (
            lambda: display.show(Outcome.REFER, None),
            "refer",
            "Un agent va vérifier",
            "lane-display-refer",
        ),
    ]
    colours = set()
    for change, name, words, picture in steps:
        change()
        main = page.locator("main")
        expect(main).to_have_attribute("data-screen", name)
        shown = page.locator(f"#screen-{name}")
        expect(shown.locator(".message")).to_have_text(words)
        expect(shown.locator("svg.picto")).to_be_visible()
        expect(page.locator("#announce")).to_have_text(words)  # the live region speaks it
        font = page.evaluate(
            "() => parseFloat(getComputedStyle("
            "document.querySelector('section:not([hidden]) .message')).fontSize)"
        )
        assert font >= 40, (name, font)
        assert contrast(page) >= 4.5, name
        colours.add(
            page.evaluate("() => getComputedStyle(document.querySelector('main')).backgroundColor")
        )
        screenshot(page, picture)
    assert len(colours) == 4  # look, green, red, amber
    assert problems == []  # nothing refused by the policy, no script error


def test_an_outcome_goes_back_to_the_instruction_after_a_few_seconds(
    screen: tuple[Page, list[str]], display: DisplayServer
) -> None:
    page, _ = screen
    display.show(Outcome.GRANT, None)
    expect(page.locator("main")).to_have_attribute("data-screen", "grant")
    expect(page.locator("#screen-grant .message")).to_have_text("Bienvenue")
    expect(page.locator("main")).to_have_attribute("data-screen", "idle", timeout=6000)


def test_the_display_speaks_english_on_request(browser: Browser, display: DisplayServer) -> None:
    context = browser.new_context(viewport=TABLET, locale="en-GB")
    page = context.new_page()
    page.goto(display.url() + "?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.locator("#screen-idle .message")).to_have_text("Show your card or your QR code")
    display.show(Outcome.GRANT, "Léa")
    expect(page.locator("#screen-grant .message")).to_have_text("Hello Léa")
    display.show(Outcome.DENY, None)
    expect(page.locator("#screen-deny .message")).to_have_text(
        "Access denied — please see the agent"
    )
    screenshot(page, "lane-display-deny-en")
    context.close()


def test_a_name_is_shown_as_text_never_as_markup(
    screen: tuple[Page, list[str]], display: DisplayServer
) -> None:
    page, problems = screen
    display.show(Outcome.GRANT, '<img src=x onerror="document.title=1">')
    expect(page.locator("main")).to_have_attribute("data-screen", "grant")
    assert page.locator("#screen-grant img").count() == 0
    assert page.title() != "1"
    assert problems == []
