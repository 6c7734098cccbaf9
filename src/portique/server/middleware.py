"""What the server does around every request: security headers, the language of the
request, and who it acts for in the audit log."""

from __future__ import annotations

import hashlib

from fastapi import Request
from starlette.datastructures import MutableHeaders, QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portique.actors import acting_as
from portique.i18n import speaking
from portique.server.auth import client_address, console_session
from portique.server.sessions import SESSION_COOKIE
from portique.server.settings import HOST_PREFIX
from portique.server.texts import LANG_COOKIE, LANGUAGES, negotiate

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'"
)
PHONE_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; manifest-src 'self'; worker-src 'self'; frame-ancestors 'none'; "
    "form-action 'none'; base-uri 'none'"
)
"""The phone pass app's policy (``/phone/``): its own files only, no inline script or
style, no image from elsewhere (not even ``data:``), no frame, no form."""
PHONE_APP = "/phone"
SECURITY_HEADERS = (
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


class HttpMiddleware:
    """A pure ASGI middleware around the HTTP requests: :meth:`serve` answers each one;
    anything else (the lifespan, a WebSocket) passes through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.serve(scope, receive, send)

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answers one HTTP request, calling ``self.app`` on the way."""
        raise NotImplementedError


class SecurityHeaders(HttpMiddleware):
    """Adds the security headers to every response, ``no-store`` to all but static
    files, and remembers a language asked with ``?lang=`` in a cookie."""

    def __init__(self, app: ASGIApp, *, plain_http: bool) -> None:
        super().__init__(app)
        self.plain_http = plain_http

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        asked = QueryParams(scope.get("query_string", b"").decode("latin-1")).get("lang", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    headers[name] = value
                phone = path == PHONE_APP or path.startswith(PHONE_APP + "/")
                headers["Content-Security-Policy"] = (
                    PHONE_CONTENT_SECURITY_POLICY if phone else CONTENT_SECURITY_POLICY
                )
                if not self.plain_http:
                    headers["Strict-Transport-Security"] = "max-age=31536000"
                if not path.startswith("/static/"):
                    headers["Cache-Control"] = "no-store"
                if asked in LANGUAGES:
                    secure = "" if self.plain_http else "; Secure"
                    headers.append(
                        "Set-Cookie",
                        f"{LANG_COOKIE}={asked}; Path=/; Max-Age=31536000; SameSite=Strict{secure}",
                    )
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _has_session_cookie(request: Request) -> bool:
    names = {SESSION_COOKIE, HOST_PREFIX + SESSION_COOKIE}
    return any(name in request.cookies for name in names)


class RequestContext(HttpMiddleware):
    """Serves each request in its language (:func:`negotiate`), so that every message made
    for it, the services' errors included, speaks the language of the page or the call;
    and names who it acts for, so that the audit log attributes its writes:
    ``account:<username>`` for a console session, ``token:<first 12 hex digits of the
    token's SHA-256>`` for an API token (the secret itself is never recorded)."""

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        with speaking(negotiate(request)), acting_as(self._actor(request)):
            await self.app(scope, receive, send)

    @staticmethod
    def _actor(request: Request) -> str:
        scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and secret.strip():
            return f"token:{hashlib.sha256(secret.strip().encode()).hexdigest()[:12]}"
        console = console_session(request) if _has_session_cookie(request) else None
        if console is not None:
            return f"account:{console.username}"
        return f"anonymous:{client_address(request)}"
