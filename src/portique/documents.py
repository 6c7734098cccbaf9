"""Headless Chromium for the documents Portique writes: HTML printed to PDF or to PNG pages.

Debian's Chromium (``make system-deps``) is driven by Playwright. The browser always runs
in a worker thread of its own: Playwright's synchronous API refuses to run in a thread
whose asyncio loop is running (a server, a notebook, a test session with async fixtures).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from portique.errors import BadInputError
from portique.i18n import text

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, PdfMargins

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
PAGE_WIDTH_PX = 1000
"""Width of the window a document is laid out in before a PNG rendering."""

T = TypeVar("T")


class DocumentRenderError(BadInputError):
    """Chromium is missing or could not render a document."""

    code = "render"


def _in_browser(name: str, work: Callable[[Browser], T]) -> T:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS)
            )
            try:
                return work(browser)
            finally:
                browser.close()
    except PlaywrightError as error:
        raise DocumentRenderError(
            text(
                f"Chromium n'a pas pu rendre {name} : {error.message}",
                f"Chromium could not render {name}: {error.message}",
            )
        ) from None


def _open(browser: Browser, html: Path, viewport_height: int) -> Page:
    page = browser.new_page(viewport={"width": PAGE_WIDTH_PX, "height": viewport_height})
    page.goto(html.resolve().as_uri(), wait_until="load")
    return page


def with_browser(name: str, work: Callable[[Browser], T]) -> T:
    """Start headless Chromium once and return what ``work(browser)`` returns; ``name``
    says what is rendered, in errors.

    Raises:
        DocumentRenderError: Chromium is not installed or fails.
    """
    if not CHROMIUM.exists():
        raise DocumentRenderError(
            text(
                f"Chromium introuvable ({CHROMIUM}) : installez le paquet chromium de Debian "
                "(make system-deps).",
                f"Chromium not found at {CHROMIUM}: install Debian's chromium package "
                "(make system-deps).",
            )
        )
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="chromium") as pool:
        return pool.submit(_in_browser, name, work).result()


def with_page(html: Path, work: Callable[[Page], T], *, viewport_height: int = 1400) -> T:
    """Open ``html`` in headless Chromium and return what ``work(page)`` returns.

    Raises:
        DocumentRenderError: Chromium is not installed or fails.
    """
    return with_browser(html.name, lambda browser: work(_open(browser, html, viewport_height)))


PRINT_MARGINS: PdfMargins = {"top": "14mm", "bottom": "14mm", "left": "12mm", "right": "12mm"}


@dataclass(frozen=True)
class PdfJob:
    """One page to print: its HTML, the PDF to write, and the paper (A4, A3)."""

    html: Path
    pdf: Path
    paper: str = "A4"


def _print(page: Page, job: PdfJob) -> Path:
    page.pdf(path=str(job.pdf), format=job.paper, print_background=True, margin=PRINT_MARGINS)
    return job.pdf


def print_pdfs(
    jobs: Sequence[PdfJob], *, on_printed: Callable[[PdfJob], None] | None = None
) -> list[Path]:
    """Print each job's HTML to a PDF with its backgrounds and print margins, in one
    browser; ``on_printed`` is told of each one done (a progress bar)."""

    def work(browser: Browser) -> list[Path]:
        printed = []
        for job in jobs:
            page = _open(browser, job.html, 1400)
            printed.append(_print(page, job))
            page.close()
            if on_printed is not None:
                on_printed(job)
        return printed

    return with_browser(", ".join(job.html.name for job in jobs[:3]), work)


def print_pdf(html: Path, pdf: Path) -> Path:
    """Print ``html`` to an A4 PDF with its backgrounds, and return ``pdf``."""
    return with_page(html, lambda page: _print(page, PdfJob(html, pdf)))


def render_png_pages(html: Path, out_dir: Path, *, prefix: str, page_px: int) -> list[Path]:
    """Screenshots of ``html`` laid out :data:`PAGE_WIDTH_PX` wide, cut into pages of
    ``page_px``: ``<prefix>-1.png``, ``<prefix>-2.png``..."""
    out_dir.mkdir(parents=True, exist_ok=True)

    def work(page: Page) -> list[Path]:
        height = int(page.evaluate("document.documentElement.scrollHeight"))
        written = []
        for index, top in enumerate(range(0, height, page_px), start=1):
            path = out_dir / f"{prefix}-{index}.png"
            page.screenshot(
                path=str(path),
                full_page=True,
                clip={
                    "x": 0,
                    "y": top,
                    "width": PAGE_WIDTH_PX,
                    "height": min(page_px, height - top),
                },
            )
            written.append(path)
        return written

    return with_page(html, work, viewport_height=page_px)
