"""What the browser tests share: Debian's Chromium, the served site and its cards, signing
in through the login form, and the screenshots of docs/screenshots/."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from playwright.sync_api import Page

from portique.bootstrap import open_site
from portique.server import create_api_token
from server.server_support import PASSWORD, Clock

TABLET = {"width": 1024, "height": 768}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@dataclass(frozen=True)
class Cards:
    """The QR texts of the cards issued at the site (PQ:...)."""

    paul: str
    ines: str
    """Inès's card was lost and is revoked: presenting it raises an alert."""
    lea: str
    hugo: str


@dataclass(frozen=True)
class SiteTemplate:
    directory: Path
    lane_token: str
    cards: Cards


@dataclass
class LiveServer:
    """A site served over HTTP on localhost, its clock, and the lane's way in."""

    url: str
    clock: Clock
    lane_token: str
    cards: Cards
    directory: Path
    """The site's folder, for commands run beside the server (``portique pass``)."""
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, lane_id: str) -> str:
        """The API token of lane ``lane_id`` (the site's template holds the entrance's)."""
        if lane_id == "entree":
            return self.lane_token
        if lane_id not in self.tokens:
            with open_site(self.directory) as site:
                self.tokens[lane_id] = create_api_token(
                    site, lane_id, "lane", now=self.clock.now, lane_id=lane_id
                )
        return self.tokens[lane_id]

    def present(self, qr_text: str, lane_id: str = "entree") -> dict[str, object]:
        """A passage decided by the lane through the API (with that lane's own token: a
        lane's token records at its lane only); the passage as returned."""
        response = httpx.post(
            f"{self.url}/api/v1/passages",
            json={"lane_id": lane_id, "qr_text": qr_text},
            headers={"Authorization": f"Bearer {self.token(lane_id)}"},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        passage: dict[str, object] = response.json()["passage"]
        return passage


def sign_in(page: Page, username: str) -> None:
    """Signs in with the login form (the account's name is its role)."""
    page.goto("/login")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: not url.endswith("/login"))


def screenshot(page: Page, name: str, *, full_page: bool = False) -> None:
    """The page as the reader of the docs sees it, when PORTIQUE_SCREENSHOTS=1: the
    tablet's screen, or the whole page when ``full_page``."""
    if os.environ.get("PORTIQUE_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(SCREENSHOTS / f"{name}.png"), animations="disabled", full_page=full_page
    )
