"""The agent hears and sees what needs them: a referral or an alert plays its own sound
on the console (once the agent allowed sound, as browsers require), shows a signal, and
the counter of what waits, in the bar of every page, follows; muting is remembered.

The sounds are observed through the page's Web Audio calls: an init script records the
frequency of every oscillator the page starts."""

from __future__ import annotations

from browser_support import LiveServer, screenshot, sign_in
from playwright.sync_api import Page, expect

from portique.bootstrap import open_site
from portique.services import declare_lockdown

RECORD_AUDIO = """
window.__tones = [];
const start = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (...args) {
  window.__tones.push(this.frequency.value);
  return start.apply(this, args);
};
"""
REFERRAL_TONES = [660, 880, 660, 880]
ALERT_TONES = [1000, 1000, 1000]
LOCKDOWN_TONES = [440, 330, 440, 330]


def _tones(page: Page) -> list[float]:
    tones: list[float] = page.evaluate("window.__tones")
    return tones


def test_a_referral_and_an_alert_each_sound_and_the_counter_follows(
    page: Page, live_server: LiveServer
) -> None:
    live_server.clock.at(21)  # the site is closed: each entry is referred to the agent
    sign_in(page, "agent")
    # A tab the agent has not touched yet: the browser lets it play nothing.
    page = page.context.new_page()
    page.add_init_script(RECORD_AUDIO)
    page.goto("/live")
    expect(page.locator("#live-status")).to_have_text("En direct")
    sound = page.locator("#sound")
    counter = page.locator("#waiting .count")
    signal = page.locator("#signal")
    expect(sound).to_have_text("Activer le son")  # the browser's autoplay rule
    expect(sound).to_have_attribute("data-state", "blocked")
    expect(counter).to_have_text("0")
    sound.click()
    expect(sound).to_have_attribute("aria-pressed", "true")
    expect(sound).to_have_text("Son activé")

    referral = live_server.present(live_server.cards.paul)
    assert referral["outcome"] == "refer"
    expect(counter).to_have_text("1")
    expect(signal).to_be_visible()
    expect(signal).to_contain_text("Vérification demandée à l'agent")
    expect(signal).to_have_attribute("data-last-sound", "referral")
    page.wait_for_function("window.__tones.length >= 4")
    assert _tones(page) == REFERRAL_TONES
    expect(page).to_have_title("(1) Passages en direct · Portique")
    screenshot(page, "live-signal")

    live_server.clock.advance(minutes=1)
    alert = live_server.present(live_server.cards.ines)  # a revoked card
    assert alert["alert"] is True
    expect(counter).to_have_text("2")
    expect(signal).to_have_attribute("data-last-sound", "alert")
    page.wait_for_function("window.__tones.length >= 7")
    assert _tones(page) == REFERRAL_TONES + ALERT_TONES


def test_a_muted_console_still_shows_but_plays_nothing_and_stays_muted(
    page: Page, live_server: LiveServer
) -> None:
    page.add_init_script(RECORD_AUDIO)
    live_server.clock.at(21)
    sign_in(page, "agent")
    page.goto("/roster")  # the counter and the sound are on every page
    sound = page.locator("#sound")
    sound.click()
    expect(sound).to_have_text("Son activé")
    sound.click()
    expect(sound).to_have_text("Son coupé")
    expect(sound).to_have_attribute("aria-pressed", "false")

    live_server.present(live_server.cards.hugo)
    expect(page.locator("#waiting .count")).to_have_text("1")
    expect(page.locator("#signal")).to_have_attribute("data-last-sound", "referral")
    assert _tones(page) == []

    page.reload()
    expect(page.locator("#waiting .count")).to_have_text("1")  # counted by the server too
    expect(page.locator("#sound")).to_have_text("Son coupé")


def test_the_administration_sees_no_counter(page: Page, live_server: LiveServer) -> None:
    sign_in(page, "administration")
    page.goto("/people")
    expect(page.locator("#waiting")).to_have_count(0)
    expect(page.locator("#sound")).to_have_count(0)


def test_a_lockdown_sounds_its_own_tune(page: Page, live_server: LiveServer) -> None:
    sign_in(page, "agent")
    page = page.context.new_page()
    page.add_init_script(RECORD_AUDIO)
    page.goto("/alerts")
    page.locator("#sound").click()
    expect(page.locator("#sound")).to_have_text("Son activé")
    with open_site(live_server.directory) as site, site.session() as session:
        declare_lockdown(session, site.site_id, by="direction", now=live_server.clock.now)
    expect(page.locator("#signal")).to_have_attribute("data-last-sound", "lockdown")
    expect(page.locator("#signal")).to_contain_text("Mise en sûreté déclarée")
    page.wait_for_function("window.__tones.length >= 4")
    assert _tones(page) == LOCKDOWN_TONES
