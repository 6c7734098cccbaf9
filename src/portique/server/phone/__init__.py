"""The phone pass app, served by the site: an installable web app that enrols a phone
once and then shows its living QR code, with no network (issue 24).

- ``GET /phone/``: the app, one page (French by default, English too); its script,
  style, service worker, manifest, icons and QR encoder under ``/phone/``, all from
  this package's ``static`` folder: no third-party resource, and a stricter CSP than
  the console's (``server.middleware.PHONE_CONTENT_SECURITY_POLICY``).
- ``POST /api/v1/phone/enrol``: a phone sends a one-time link's secret and its public
  key, and gets its phone pass, once.
- ``POST /api/v1/people/{person_id}/phone-link``: the administration (or its tools)
  makes a one-time link for a person; the console's person page does the same.

The app holds what the printed card shows (name, site, end of validity) and the pass;
its private key is a non-extractable WebCrypto key that never leaves the phone.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Request, status
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from portique.config import get_settings
from portique.credentials import CODE_WINDOW, HolderAlgorithm, HolderKey, InvalidHolderKeyError
from portique.credentials.phone import CODE_REFRESH
from portique.server.api.common import ManageCredentials, State, api_router
from portique.server.api.schemas import Body
from portique.server.errors import NotFoundError
from portique.services import create_enrolment_link, enrol_phone
from portique.services.phone import ENROLMENT_LIFETIME, MAX_TOKEN_LENGTH, enrolment_site

STATIC = Path(str(resources.files("portique.server.phone") / "static"))
FILES: dict[str, str] = {
    "app.js": "text/javascript",
    "app.css": "text/css",
    "sw.js": "text/javascript",
    "manifest.webmanifest": "application/manifest+json",
    "icon-192.png": "image/png",
    "icon-512.png": "image/png",
    "vendor/qrcode-generator/qrcode.mjs": "text/javascript",
    "vendor/qrcode-generator/LICENSE": "text/plain; charset=utf-8",
}
"""The app's files, by path under /phone/; nothing else in the folder is served."""

APP_PATH = "/phone/"
app_router = APIRouter(include_in_schema=False)
api = api_router(400, 401, 403, 404, 410, 422)


@app_router.get(APP_PATH)
def app_page() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")


@app_router.get("/phone")
def app_page_without_slash() -> Response:
    return Response(status_code=308, headers={"Location": APP_PATH})


@app_router.get("/phone/{name:path}")
def app_file(name: str) -> FileResponse:
    media_type = FILES.get(name)
    if media_type is None:
        raise NotFoundError(f"/phone/{name}")
    headers = {"Service-Worker-Allowed": APP_PATH} if name == "sw.js" else None
    return FileResponse(STATIC / name, media_type=media_type, headers=headers)


# Enrolling a phone -----------------------------------------------------------------------

Token = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TOKEN_LENGTH)]
Base64url = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")
]


class PhoneEnrolIn(Body):
    """What the app sends: the link's secret and the phone's public key (never more)."""

    token: Token = Field(description="The secret of the one-time enrolment link.")
    algorithm: Literal["Ed25519", "ECDSA-P256"]
    public_key: Base64url = Field(
        description="The raw public key, base64url: 32 bytes (Ed25519) or a P-256 point."
    )


class PhonePassOut(BaseModel):
    """The phone pass, handed over once, and what the app shows beside it (what the
    printed card shows, nothing more)."""

    credential_id: str
    site_id: str
    payload: str = Field(description="The signed credential, base64url.")
    name: str
    site_name: str
    valid_until: datetime
    refresh_s: int = Field(description="How often the app shows a new code.")
    window_s: int = Field(description="How far from a lane's clock a code is accepted.")


def _holder_key(body: PhoneEnrolIn) -> HolderKey:
    try:
        raw = base64.urlsafe_b64decode(body.public_key + "=" * (-len(body.public_key) % 4))
    except (binascii.Error, ValueError):
        raise InvalidHolderKeyError("public_key is not base64url.") from None
    return HolderKey.of(HolderAlgorithm.from_label(body.algorithm), raw)


@api.post("/phone/enrol", status_code=status.HTTP_201_CREATED, tags=["phone"])
async def phone_enrol(body: PhoneEnrolIn, state: State) -> PhonePassOut:
    """Enrols a phone with a one-time link: no account, the link's secret is the proof.
    A used, expired or unknown link enrols nothing (410, 410, 404)."""
    holder_key = _holder_key(body)

    def enrol() -> PhonePassOut:
        served = state
        if len(state.sites) > 1:
            # Nobody is signed in: the link says which of the server's sites it is from.
            with state.site.session() as session:
                site_id = enrolment_site(session, body.token)
            served = state.for_site(site_id) if site_id and site_id in state.sites else state
        with served.site.session() as session:
            enrolled = enrol_phone(
                session,
                served.site.site_id,
                served.site.keyring(),
                body.token,
                holder_key,
                now=served.now(),
            )
        return PhonePassOut(
            credential_id=enrolled.credential_id,
            site_id=enrolled.site_id,
            payload=base64.urlsafe_b64encode(enrolled.payload).decode("ascii").rstrip("="),
            name=enrolled.display_name,
            site_name=enrolled.site_name,
            valid_until=enrolled.valid_until,
            refresh_s=int(CODE_REFRESH.total_seconds()),
            window_s=int(CODE_WINDOW.total_seconds()),
        )

    return await run_in_threadpool(enrol)


class PhoneLinkIn(Body):
    minutes: int = Field(
        default=int(ENROLMENT_LIFETIME.total_seconds() // 60),
        ge=1,
        le=7 * 24 * 60,
        description="How long the link stays usable.",
    )


class PhoneLinkOut(BaseModel):
    person_id: str
    enrolment_id: str
    link: str = Field(description="Open on the person's phone; usable once.")
    expires_at: datetime


def site_address(request: Request) -> str:
    """The site's address as phones reach it: PORTIQUE_PUBLIC_URL, else the address this
    request came to."""
    return get_settings().public_url or str(request.base_url)


@api.post("/people/{person_id}/phone-link", status_code=status.HTTP_201_CREATED, tags=["phone"])
def phone_link(
    person_id: str, body: PhoneLinkIn, request: Request, state: State, _: ManageCredentials
) -> PhoneLinkOut:
    """A one-time link for the person to enrol a phone; the link is shown only here."""
    with state.site.session() as session:
        link = create_enrolment_link(
            session,
            state.site.site_id,
            person_id,
            now=state.now(),
            lifetime=timedelta(minutes=body.minutes),
        )
    return PhoneLinkOut(
        person_id=link.person_id,
        enrolment_id=link.enrolment_id,
        link=link.url(site_address(request)),
        expires_at=link.expires_at,
    )


ROUTERS: tuple[APIRouter, ...] = (app_router, api)
