"""How much a request may send: a body past its route's limit is refused (413) before it
is read or spooled, and a body larger than a small form is read only from a caller who is
signed in or holds an API token (401 before reading, otherwise)."""

from __future__ import annotations

from collections.abc import Callable

import anyio
from fastapi import Request
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portique.registers.xmlfile import MAX_XML_BYTES
from portique.server.middleware import HttpMiddleware
from portique.services.roster import MAX_ROSTER_BYTES

MAX_BODY_BYTES = 1_000_000
"""Any body (JSON, a form) but the uploads below: 1 MB."""
FORM_OVERHEAD_BYTES = 1_000_000
"""Room for a multipart form's boundaries and other fields beside its files."""
MAX_UPLOAD_BYTES: dict[str, int] = {
    "/api/v1/people/import": MAX_ROSTER_BYTES + FORM_OVERHEAD_BYTES,
    "/people/import": MAX_ROSTER_BYTES + FORM_OVERHEAD_BYTES,
    "/registers/preview": 2 * MAX_XML_BYTES + FORM_OVERHEAD_BYTES,
}
"""The routes that take files, and the most each may receive."""
ANONYMOUS_BODY_BYTES = 64_000
"""What a caller with no session and no token may send (the login form, a phone's
enrolment): more is refused before it is read."""

BODY_TOO_LARGE = 413
NOT_SIGNED_IN = 401


def body_limit(path: str) -> int:
    """The most bytes a request to ``path`` may send."""
    return MAX_UPLOAD_BYTES.get(path.rstrip("/") or "/", MAX_BODY_BYTES)


class BodyLimits(HttpMiddleware):
    """Wraps the app so that reading a request's body fails, before anything is read,
    with 401 when it is larger than :data:`ANONYMOUS_BODY_BYTES` (or of unknown length)
    and ``signed_in`` says the caller is nobody, and with 413 when its declared length
    passes the route's limit; a body that turns out longer than declared is cut at the
    limit with 413. The errors are raised inside the app, so that the app's own handlers
    answer them (JSON for the API, a page for the console)."""

    def __init__(self, app: ASGIApp, *, signed_in: Callable[[Request], bool]) -> None:
        super().__init__(app)
        self.signed_in = signed_in

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        declared = _declared_length(request)
        chunked = "chunked" in request.headers.get("transfer-encoding", "").lower()
        if not declared and not chunked:
            # No body to read: a GET, or a stream's wait for the browser to leave.
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope.get("path", ""))
        received = 0
        checked = False

        async def limited_receive() -> Message:
            nonlocal received, checked
            if not checked:
                checked = True
                unknown_or_large = declared is None or declared > ANONYMOUS_BODY_BYTES
                if unknown_or_large and not await anyio.to_thread.run_sync(self.signed_in, request):
                    raise HTTPException(NOT_SIGNED_IN)
                if declared is not None and declared > limit:
                    raise too_large(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise too_large(limit)
            return message

        await self.app(scope, limited_receive, send)


def _declared_length(request: Request) -> int | None:
    """The Content-Length of the request; None when absent (a chunked body) and a length
    past any limit when it cannot be read."""
    value = request.headers.get("content-length")
    if value is None:
        return None
    try:
        return max(int(value), 0)
    except ValueError:
        return MAX_BODY_BYTES * 1_000


def too_large(limit: int) -> HTTPException:
    """The 413 of a body past ``limit`` bytes; its message is made by the app's handler."""
    return HTTPException(BODY_TOO_LARGE, detail=str(limit))
