"""The lane display: a full-screen page for a screen or tablet at the lane, updated live.

What the person passing sees: the instruction while the lane waits ("Présentez votre
carte ou votre QR code"), "Regardez la caméra" when their face is needed and was not in
the frames of their approach, then the outcome in large type, in colour and with a
pictogram (green "Bonjour Léa", red "Accès refusé — adressez-vous à l'agent", amber "Un
agent va vérifier"), with a sound, and back to the instruction after ``hold_s``.

What it never shows: a last name (the lane holds none), a reason (timetable, exit
permission, revocation: the agent's console says why), an image. The page and its
events carry one screen name and, for a grant, a first name; nothing else.

:class:`DisplayServer` serves the page with the standard library (``http.server``,
server-sent events): a lane is an edge device that installs without the server stack.
Its static files are package data (``lane/display/``) under a strict Content Security
Policy. The page lives under a secret path (the display token, kept in the lane's
folder): anyone on the network who does not know it cannot follow who passes.
:class:`SimulatedDisplay` records what it was told (tests and demos).
"""

from __future__ import annotations

import enum
import html
import json
import logging
import secrets
import string
import threading
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

from portique.access import Outcome
from portique.files import exposed_mode, write_private
from portique.lane.errors import LaneError

log = logging.getLogger(__name__)

HOLD_S = 4.0
"""How long an outcome stays on screen before the instruction comes back."""
MAX_FIRST_NAME = 40
MAX_VIEWERS = 8
"""Screens that may follow the lane at once (each holds one server thread)."""
KEEPALIVE_S = 15.0
TOKEN_FILE = "display.token"

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Resource-Policy": "same-origin",
}
_STATIC = {
    "display.css": "text/css; charset=utf-8",
    "display.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}

# The page's words, French and English (the page is French unless asked ?lang=en).
TEXTS: Mapping[str, Mapping[str, str]] = {
    "fr": {
        "title": "Portique — écran de voie",
        "idle": "Présentez votre carte ou votre QR code",
        "look": "Regardez la caméra",
        "hello": "Bonjour",
        "welcome": "Bienvenue",
        "deny": "Accès refusé — adressez-vous à l'agent",
        "refer": "Un agent va vérifier",
        "sound": "Toucher l'écran pour activer le son",
    },
    "en": {
        "title": "Portique — lane display",
        "idle": "Show your card or your QR code",
        "look": "Look at the camera",
        "hello": "Hello",
        "welcome": "Welcome",
        "deny": "Access denied — please see the agent",
        "refer": "An agent will check",
        "sound": "Touch the screen to turn the sound on",
    },
}


class DisplayError(LaneError):
    """The lane display cannot be served (address in use, bad address)."""

    code = "lane_display"


class Screen(enum.StrEnum):
    """What the display shows."""

    IDLE = "idle"
    LOOK = "look"
    GRANT = "grant"
    DENY = "deny"
    REFER = "refer"


_OUTCOME_SCREENS = {
    Outcome.GRANT: Screen.GRANT,
    Outcome.DENY: Screen.DENY,
    Outcome.REFER: Screen.REFER,
}


@dataclass(frozen=True)
class DisplayState:
    """One state of the display: its screen, the first name of a grant, its serial
    number (one more at each change) and how long it holds before the instruction."""

    screen: Screen
    serial: int
    first_name: str | None = None
    hold_s: float | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "screen": self.screen.value,
            "serial": self.serial,
            "first_name": self.first_name,
            "hold_s": self.hold_s,
        }


class LaneDisplay(Protocol):
    """What the lane tells its display."""

    def look(self) -> None:
        """A face is needed and was not in the approach: ask to look at the camera."""

    def show(self, outcome: Outcome, first_name: str | None) -> None:
        """The outcome of a passage, with the first name of the person granted."""

    def close(self) -> None:
        """Stops the display."""


def shown_first_name(first_name: str | None) -> str | None:
    """A first name as the display may show it: printable, trimmed, at most 40
    characters; None when there is nothing to show."""
    if not first_name:
        return None
    kept = "".join(
        c for c in first_name if unicodedata.category(c)[0] not in ("C", "Z") or c == " "
    )
    cleaned = " ".join(kept.split())[:MAX_FIRST_NAME]
    return cleaned or None


class DisplayBoard:
    """The display's state, shared by the lane (writer) and the screens (readers).

    An outcome holds for ``hold_s`` on the board's monotonic ``clock``; after that the
    board shows the instruction again. Thread-safe; :meth:`wait` blocks until a change.
    """

    def __init__(self, *, hold_s: float = HOLD_S, clock: Callable[[], float] = time.monotonic):
        self.hold_s = hold_s
        self._clock = clock
        self._changed = threading.Condition()
        self._state = DisplayState(Screen.IDLE, 0)
        self._until: float | None = None

    def look(self) -> None:
        self._set(Screen.LOOK, None, None)

    def show(self, outcome: Outcome, first_name: str | None) -> None:
        name = shown_first_name(first_name) if outcome is Outcome.GRANT else None
        self._set(_OUTCOME_SCREENS[outcome], name, self.hold_s)

    def close(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def current(self) -> DisplayState:
        """The state now (the instruction once an outcome has held its time)."""
        with self._changed:
            return self._now()

    def wait(self, serial: int, timeout: float) -> DisplayState:
        """The state once it differs from ``serial`` (or after ``timeout``)."""
        with self._changed:
            self._changed.wait_for(lambda: self._now().serial != serial, timeout)
            return self._now()

    def _set(self, screen: Screen, first_name: str | None, hold_s: float | None) -> None:
        with self._changed:
            self._state = DisplayState(screen, self._state.serial + 1, first_name, hold_s)
            self._until = None if hold_s is None else self._clock() + hold_s
            self._changed.notify_all()

    def _now(self) -> DisplayState:
        if self._until is not None and self._clock() >= self._until:
            self._state = DisplayState(Screen.IDLE, self._state.serial + 1)
            self._until = None
        return self._state


class SimulatedDisplay:
    """Records the states it is shown, for tests and demos."""

    def __init__(self) -> None:
        self.board = DisplayBoard()
        self.states: list[DisplayState] = []

    def look(self) -> None:
        self.board.look()
        self.states.append(self.board.current())

    def show(self, outcome: Outcome, first_name: str | None) -> None:
        self.board.show(outcome, first_name)
        self.states.append(self.board.current())

    @property
    def screens(self) -> list[Screen]:
        return [state.screen for state in self.states]

    def close(self) -> None:
        pass


def display_token(directory: Path) -> str:
    """The lane's display token, in ``directory/display.token`` (owner-only), made on
    first use: the secret part of the display's address.

    Raises:
        DisplayError: the file is exposed to other users or cannot be written.
    """
    path = Path(directory) / TOKEN_FILE
    if path.exists():
        mode = exposed_mode(path)
        if mode is not None:
            raise DisplayError(
                f"{path} is accessible to other users (mode {mode:04o}): delete it, a new "
                "display address will be made."
            )
        token = path.read_text(encoding="ascii").strip()
        if (
            len(token) >= 22
            and token.isascii()
            and token.replace("-", "").replace("_", "").isalnum()
        ):
            return token
    token = secrets.token_urlsafe(18)
    try:
        write_private(path, token.encode("ascii") + b"\n")
    except OSError as exc:
        raise DisplayError(f"Cannot write {path}: {exc.strerror or exc}.") from None
    return token


def parse_address(address: str) -> tuple[str, int]:
    """``HOST:PORT`` (``0.0.0.0:8080``, ``[::1]:8080``) as a host and a port.

    Raises:
        DisplayError: not such an address.
    """
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise DisplayError(f"{address!r} is not HOST:PORT (0.0.0.0:8080).")
    return host, int(port)


class DisplayServer:
    """Serves the lane display on ``host:port`` under ``/TOKEN/`` until closed.

    Raises:
        DisplayError: the address cannot be listened on.
    """

    def __init__(
        self,
        host: str,
        port: int,
        token: str,
        *,
        board: DisplayBoard | None = None,
        lang: str = "fr",
    ) -> None:
        self.board = board if board is not None else DisplayBoard()
        self.token = token
        self.lang = lang if lang in TEXTS else "fr"
        self._stopping = threading.Event()
        self._viewers = threading.BoundedSemaphore(MAX_VIEWERS)
        try:
            self._server = ThreadingHTTPServer((host, port), _handler(self))
        except OSError as exc:
            raise DisplayError(
                f"Cannot serve the lane display on {host}:{port}: {exc.strerror or exc}."
            ) from None
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="portique-display", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, host: str | None = None) -> str:
        """The page's address (give it to the screen's browser)."""
        shown = host or str(self._server.server_address[0])
        if ":" in shown:
            shown = f"[{shown}]"
        return f"http://{shown}:{self.port}/{self.token}/"

    def start(self) -> None:
        self._thread.start()

    # LaneDisplay ---------------------------------------------------------------------

    def look(self) -> None:
        self.board.look()

    def show(self, outcome: Outcome, first_name: str | None) -> None:
        self.board.show(outcome, first_name)

    def close(self) -> None:
        self._stopping.set()
        self.board.close()
        self._server.shutdown()
        self._server.server_close()

    # Serving -------------------------------------------------------------------------

    def page(self, lang: str) -> bytes:
        """The page in ``lang`` (French unless English is asked)."""
        words = TEXTS[lang if lang in TEXTS else self.lang]
        template = string.Template(
            resources.files("portique.lane").joinpath("display/index.html").read_text("utf-8")
        )
        values = {key: html.escape(value) for key, value in words.items()}
        return template.substitute(values, lang=lang if lang in TEXTS else self.lang).encode()

    def events(self, handler: BaseHTTPRequestHandler) -> None:
        """Streams the display's states to one screen until it leaves or the lane stops."""
        if not self._viewers.acquire(blocking=False):
            handler.send_error(HTTPStatus.SERVICE_UNAVAILABLE, "Too many screens")
            return
        try:
            handler.send_response(HTTPStatus.OK)
            handler.send_header("Content-Type", "text/event-stream; charset=utf-8")
            for name, value in _HEADERS.items():
                handler.send_header(name, value)
            handler.end_headers()
            state = self.board.current()
            handler.wfile.write(_event(state))
            handler.wfile.flush()
            while not self._stopping.is_set():
                following = self.board.wait(state.serial, KEEPALIVE_S)
                if self._stopping.is_set():
                    break
                chunk = (
                    b": still here\n\n" if following.serial == state.serial else _event(following)
                )
                state = following
                handler.wfile.write(chunk)
                handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass  # the screen left
        finally:
            self._viewers.release()


def _event(state: DisplayState) -> bytes:
    return f"event: state\ndata: {json.dumps(state.as_json())}\n\n".encode()


def _handler(display: DisplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "Portique"
        sys_version = ""

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            prefix = f"/{display.token}/"
            if not secrets.compare_digest(parts.path[: len(prefix)], prefix):
                self.send_error(HTTPStatus.NOT_FOUND, "Not found")
                return
            rest = parts.path[len(prefix) :]
            if rest == "events":
                display.events(self)
            elif rest == "":
                lang = parse_qs(parts.query).get("lang", [display.lang])[0]
                self._send(display.page(lang), "text/html; charset=utf-8")
            elif rest in _STATIC:
                body = resources.files("portique.lane").joinpath(f"display/{rest}").read_bytes()
                self._send(body, _STATIC[rest])
            else:
                self.send_error(HTTPStatus.NOT_FOUND, "Not found")

        def do_POST(self) -> None:
            self.send_error(HTTPStatus.METHOD_NOT_ALLOWED, "Read only")

        do_PUT = do_DELETE = do_PATCH = do_POST

        def _send(self, body: bytes, content_type: str) -> None:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in _HEADERS.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            # The request line holds the token: it is never logged.
            log.debug("the lane display answered a request")

    return Handler
