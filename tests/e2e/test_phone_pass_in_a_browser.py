"""The phone pass in headless Chromium: the administration makes a one-time link, a phone
enrols through the app, goes offline, and the screenshot of its living QR code is
decided at a lane by `portique pass --qr`: granted once, refused when replayed, refused
when stale, refused when rebuilt with another key.

The phone's clock is fixed (Playwright's clock) at the server's time, and every
`portique pass` gives its time with `--at`: no test reads the wall clock.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from browser_support import LiveServer, screenshot, sign_in
from playwright.sync_api import Browser, BrowserContext, Page, expect
from typer.testing import CliRunner

from portique.bootstrap import open_site
from portique.cli import app
from portique.credentials import (
    HolderAlgorithm,
    PhoneKey,
    decode_qr,
    qr_version,
    read_living_code,
    render_qr_png,
    verify_credential,
)
from portique.credentials.qr import decode_qr_file

PHONE = {"width": 412, "height": 915}
"""A common phone screen, in CSS pixels."""

NO_ED25519 = """
(() => {
  const generate = crypto.subtle.generateKey.bind(crypto.subtle);
  crypto.subtle.generateKey = (algorithm, ...rest) =>
    algorithm && algorithm.name === "Ed25519"
      ? Promise.reject(new DOMException("Ed25519 is not supported here", "NotSupportedError"))
      : generate(algorithm, ...rest);
})();
"""
"""A browser without Ed25519 in WebCrypto (older Safari, Firefox before 129): the app
falls back on ECDSA P-256."""


@pytest.fixture
def phone_context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """A French phone in Paris, on the served site (a secure context: 127.0.0.1)."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport=PHONE,
        locale="fr-FR",
        timezone_id="Europe/Paris",
        service_workers="allow",
    )
    context.set_default_timeout(10_000)
    yield context
    context.close()


def _enrolment_link(page: Page, last_name: str) -> str:
    """The administration makes a one-time link on the person's page; the link shown."""
    sign_in(page, "administration")
    page.goto("/people")
    page.get_by_role("link", name=last_name).click()
    page.get_by_role("button", name="Créer un lien d'enrôlement").click()
    link = page.locator("#phone-link").inner_text()
    expect(page.get_by_role("img", name="QR code du lien d'enrôlement")).to_be_visible()
    assert "/phone/#enrol=" in link
    return link


def _enrol(phone: Page, link: str, now: datetime) -> None:
    phone.clock.set_fixed_time(now)
    phone.goto(link)
    # The link's secret leaves the address bar at once.
    expect(phone).to_have_url(re.compile(r"/phone/$"))
    expect(phone.get_by_role("heading", name="Enrôler ce téléphone")).to_be_visible()
    phone.get_by_role("button", name="Enrôler ce téléphone").click()
    expect(phone.get_by_role("status")).to_contain_text("porte maintenant votre titre")
    expect(phone.get_by_role("heading", name="Paul Bernard")).to_be_visible()


def _showing(phone: Page, at: datetime) -> None:
    """Waits until the QR code on screen carries ``at``. The app redraws it every 5 s of
    real time: two periods and a margin, so that a loaded machine does not miss one."""
    code = phone.locator("#code")
    expect(code).to_have_attribute("data-time", str(int(at.timestamp())), timeout=15_000)


def _controlled(phone: Page) -> None:
    """Waits until the service worker serves the page. (Not ``wait_for_function``: it
    polls with ``eval``, which the app's CSP forbids, as it should.)"""
    for _ in range(100):
        if phone.evaluate("navigator.serviceWorker.controller !== null"):
            return
        phone.wait_for_timeout(100)
    raise AssertionError("the service worker never took the app")


def _offline(context: BrowserContext, phone: Page) -> None:
    """Waits for the service worker to hold the app, then cuts the network and reopens it."""
    _controlled(phone)
    context.set_offline(True)
    phone.reload()
    expect(phone.get_by_role("heading", name="Paul Bernard")).to_be_visible()


def _pass(directory: Path, image: Path, at: datetime, lane: str = "entree") -> tuple[int, Any]:
    """`portique pass --qr IMAGE --at AT --json` on the site; its exit code and answer."""
    result = CliRunner().invoke(
        app,
        ["pass", "--lane", lane, "--qr", str(image), "--at", at.isoformat(), "--json",
         "--dir", str(directory)],
    )  # fmt: skip
    return result.exit_code, json.loads(result.stdout.strip().splitlines()[-1])


def test_a_screenshot_of_the_phone_offline_opens_the_lane_once(
    page: Page, phone_context: BrowserContext, live_server: LiveServer, tmp_path: Path
) -> None:
    now = live_server.clock.now
    link = _enrolment_link(page, "Bernard")
    phone = phone_context.new_page()
    requests: list[str] = []
    phone.on("request", lambda request: requests.append(request.url))
    _enrol(phone, link, now)
    _offline(phone_context, phone)
    _showing(phone, now)
    version = int(phone.locator("#code").get_attribute("data-version") or "99")
    assert version <= 12
    shot = tmp_path / "phone-code.png"
    phone.locator("#code").screenshot(path=str(shot))
    screenshot(phone, "phone-pass")
    # The app's encoder drew the smallest version for the code, as the lane's library says.
    assert version == qr_version(decode_qr_file(shot)) == 11
    # Nothing left the site: no tracker, no third-party resource.
    assert requests and all(url.startswith(live_server.url) for url in requests), requests

    code, granted = _pass(live_server.directory, shot, now + timedelta(seconds=2))
    assert (code, granted["decision"], granted["reasons"]) == (0, "GRANT", ["credential_valid"])
    assert granted["person"] is not None

    code, replayed = _pass(live_server.directory, shot, now + timedelta(seconds=10), "sortie")
    assert (code, replayed["decision"], replayed["reasons"]) == (1, "DENY", ["replayed_code"])
    assert replayed["alert"] is True

    code, stale = _pass(live_server.directory, shot, now + timedelta(seconds=60))
    assert (code, stale["decision"], stale["reasons"]) == (1, "DENY", ["stale_code"])

    # The credential inside the screenshot, with a code signed by another key.
    living = read_living_code(decode_qr_file(shot))
    assert living is not None
    with open_site(live_server.directory) as site:
        claims = verify_credential(living.payload, site.keyring().verifiers(), site.site_id)
    assert claims.holder_key is not None
    assert claims.holder_key.algorithm is HolderAlgorithm.ED25519  # Chromium has Ed25519
    forged = tmp_path / "forged.png"
    forged.write_bytes(
        render_qr_png(
            PhoneKey().living_code(
                living.payload,
                site_id=claims.site_id,
                credential_id=claims.credential_id,
                at=now + timedelta(seconds=20),
            )
        )
    )
    code, refused = _pass(live_server.directory, forged, now + timedelta(seconds=20))
    assert (code, refused["decision"], refused["reasons"]) == (1, "DENY", ["bad_signature"])
    assert refused["alert"] is True


def test_the_code_changes_every_few_seconds(
    page: Page, phone_context: BrowserContext, live_server: LiveServer
) -> None:
    now = live_server.clock.now
    link = _enrolment_link(page, "Bernard")
    phone = phone_context.new_page()
    _enrol(phone, link, now)
    _showing(phone, now)
    first = phone.locator("#code").screenshot()
    later = now + timedelta(seconds=5)
    phone.clock.set_fixed_time(later)
    _showing(phone, later)
    second = phone.locator("#code").screenshot()
    assert decode_qr(first) != decode_qr(second)
    assert decode_qr(first)[HEADER:] == decode_qr(second)[HEADER:]  # the same credential


HEADER = 70
"""Bytes before the credential in a living code (magic, version, time, signature)."""


def test_a_browser_without_ed25519_enrols_with_p256(
    page: Page, phone_context: BrowserContext, live_server: LiveServer, tmp_path: Path
) -> None:
    now = live_server.clock.now
    link = _enrolment_link(page, "Bernard")
    phone_context.add_init_script(NO_ED25519)
    phone = phone_context.new_page()
    _enrol(phone, link, now)
    _showing(phone, now)
    shot = tmp_path / "p256.png"
    phone.locator("#code").screenshot(path=str(shot))
    living = read_living_code(decode_qr_file(shot))
    assert living is not None
    with open_site(live_server.directory) as site:
        claims = verify_credential(living.payload, site.keyring().verifiers(), site.site_id)
    assert claims.holder_key is not None
    assert claims.holder_key.algorithm is HolderAlgorithm.ECDSA_P256
    code, granted = _pass(live_server.directory, shot, now)
    assert (code, granted["decision"]) == (0, "GRANT")


def test_a_link_enrols_one_phone_and_the_key_cannot_be_read_out(
    page: Page, phone_context: BrowserContext, live_server: LiveServer
) -> None:
    now = live_server.clock.now
    link = _enrolment_link(page, "Bernard")
    phone = phone_context.new_page()
    _enrol(phone, link, now)
    extractable = phone.evaluate(
        """() => new Promise((resolve, reject) => {
          const open = indexedDB.open("portique-phone");
          open.onsuccess = () => {
            const get = open.result.transaction("pass").objectStore("pass").get("current");
            get.onsuccess = () => resolve([get.result.privateKey.extractable,
                                           get.result.privateKey.type]);
            get.onerror = () => reject(get.error);
          };
        })"""
    )
    assert extractable == [False, "private"]

    other = phone_context.browser.new_context(  # type: ignore[union-attr]
        base_url=live_server.url, viewport=PHONE, locale="fr-FR"
    )
    try:
        second = other.new_page()
        second.goto(link)
        second.get_by_role("button", name="Enrôler ce téléphone").click()
        expect(second.get_by_role("status")).to_contain_text("déjà servi")
        expect(second.get_by_role("heading", name="Paul Bernard")).to_have_count(0)
    finally:
        other.close()


def test_the_app_speaks_english_too_and_describes_its_code(
    page: Page, phone_context: BrowserContext, live_server: LiveServer
) -> None:
    now = live_server.clock.now
    link = _enrolment_link(page, "Bernard")
    phone = phone_context.new_page()
    _enrol(phone, link, now)
    expect(phone.locator("html")).to_have_attribute("lang", "fr")
    expect(
        phone.get_by_role("img", name=re.compile("QR code d'accès de Paul Bernard"))
    ).to_be_visible()
    phone.get_by_role("button", name="English").click()
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(phone.get_by_role("heading", name="My access pass")).to_be_visible()
    expect(
        phone.get_by_role("img", name=re.compile("Access QR code of Paul Bernard"))
    ).to_be_visible()
    phone.reload()
    expect(phone.locator("html")).to_have_attribute("lang", "en")


def test_a_phone_without_a_pass_says_how_to_get_one(
    phone_context: BrowserContext, live_server: LiveServer
) -> None:
    phone = phone_context.new_page()
    phone.goto("/phone/")
    expect(phone.get_by_role("heading", name="Aucun titre sur ce téléphone")).to_be_visible()
    expect(phone.locator("#code")).to_be_hidden()


def test_the_app_is_installable(phone_context: BrowserContext, live_server: LiveServer) -> None:
    """Chromium's own installability check: a manifest with its icons, and a service
    worker that serves the app."""
    phone = phone_context.new_page()
    phone.goto("/phone/")
    _controlled(phone)
    phone.reload()
    devtools = phone_context.new_cdp_session(phone)
    answer = devtools.send("Page.getInstallabilityErrors")
    # A Playwright context is a private window, where Chromium installs nothing: that
    # reason aside, nothing stands in the way.
    errors = [e["errorId"] for e in answer["installabilityErrors"]]
    assert [e for e in errors if e != "in-incognito"] == []
    manifest = devtools.send("Page.getAppManifest")
    assert manifest["errors"] == []
