"""The FastAPI application of a site: API, console, security headers and error mapping.

::

    app = create_app(Path("site"))          # the site made by `portique init`
    uvicorn.run(app, host="127.0.0.1", port=8000)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from portique.bootstrap import open_site
from portique.config import get_settings
from portique.errors import ConfigurationError, PortiqueError
from portique.i18n import error_headline, text
from portique.privacy.retention import purge_periodically
from portique.registers.departures import sweep_periodically
from portique.server import api, console, phone
from portique.server.api import API_PREFIX
from portique.server.auth import LoginRequired, signed_in
from portique.server.errors import http_status
from portique.server.limits import BODY_TOO_LARGE, BodyLimits
from portique.server.live import LiveFeed, LiveListener
from portique.server.middleware import RequestContext, SecurityHeaders
from portique.server.sessions import SessionStore
from portique.server.settings import ServerSettings
from portique.server.state import AppState, ServedSite
from portique.server.texts import negotiate, translator
from portique.server.throttle import login_throttle, trusted_networks
from portique.services import Gate


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def _error_page(request: Request, status: int, code: str, message: str) -> Response:
    state: AppState = request.app.state.portique
    lang = negotiate(request)
    return state.templates.TemplateResponse(
        request,
        "error.html",
        {
            "t": translator(lang),
            "lang": lang,
            "user": None,
            "headline": error_headline(code),
            "message": message,
            "status": status,
        },
        status_code=status,
    )


async def _portique_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, PortiqueError)
    status = http_status(error)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if _is_api(request):
        return JSONResponse(
            {"error": error.code, "message": error.message, "details": []},
            status_code=status,
            headers=headers,
        )
    return _error_page(request, status, error.code, error.message)


def _field(location: tuple[object, ...]) -> str:
    return ".".join(str(part) for part in location if part != "body") or "body"


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    # The input values are never echoed: a body may hold a password.
    details = [f"{_field(tuple(item['loc']))}: {item['msg']}" for item in error.errors()]
    message = text(
        "Requête invalide : " + "; ".join(details),
        "Invalid request: " + "; ".join(details),
    )
    if _is_api(request):
        return JSONResponse(
            {"error": "invalid_request", "message": message, "details": details},
            status_code=422,
        )
    return _error_page(request, 422, "bad_input", message)


# Errors raised by the framework itself, before a route runs: a body it cannot parse, a
# path or a method the server does not serve.
_HTTP_ERRORS: dict[int, tuple[str, str, str]] = {
    400: (
        "invalid_request",
        "Requête illisible : son contenu ne peut pas être lu.",
        "Unreadable request: its body cannot be parsed.",
    ),
    401: (
        "unauthenticated",
        "Authentification requise avant d'envoyer un contenu de cette taille : "
        "connectez-vous ou présentez un jeton d'API.",
        "Authentication required before sending a body this large: sign in or present "
        "an API token.",
    ),
    404: ("not_found", "Cette adresse n'existe pas.", "No such address."),
    405: (
        "method_not_allowed",
        "Méthode non permise à cette adresse.",
        "Method not allowed at this address.",
    ),
}


async def _http_error(request: Request, error: Exception) -> Response:
    """The framework's own errors in the API's error body (or the console's error page),
    not Starlette's ``{"detail": ...}``."""
    assert isinstance(error, HTTPException)
    code, fr, en = _HTTP_ERRORS.get(
        error.status_code, ("http_error", "Requête refusée.", "Request refused.")
    )
    message = text(fr, en)
    if error.status_code == BODY_TOO_LARGE:
        limit = f"{int(error.detail):,}"
        message = text(
            f"Contenu trop volumineux : au plus {limit.replace(',', ' ')} octets à cette "
            "adresse ; il n'a pas été lu.",
            f"Request body too large: at most {limit} bytes at this address; it was not read.",
        )
        code = "body_too_large"
    if _is_api(request):
        return JSONResponse(
            {"error": code, "message": message, "details": []},
            status_code=error.status_code,
            headers=error.headers,
        )
    response = _error_page(request, error.status_code, code, message)
    response.headers.update(error.headers or {})
    return response


async def _login_required(request: Request, error: Exception) -> Response:
    return RedirectResponse("/login", status_code=303)


SERVE_DIR_VARIABLE = "PORTIQUE_SERVE_DIR"
PLAIN_HTTP_VARIABLE = "PORTIQUE_SERVE_PLAIN_HTTP"


def app_from_environment() -> FastAPI:
    """The application each worker of ``portique serve --workers N`` builds (uvicorn's
    factory): the sites of ``PORTIQUE_SERVE_DIR`` (folders joined by ``os.pathsep``) on
    the configured database. The
    workers share nothing but the database: sessions live there."""
    import os

    first, *others = (Path(each) for each in os.environ[SERVE_DIR_VARIABLE].split(os.pathsep))
    configured = get_settings()
    return create_app(
        first,
        database_url=configured.database_url,
        settings=ServerSettings(
            plain_http=os.environ.get(PLAIN_HTTP_VARIABLE) == "1",
            trusted_proxies=tuple(configured.trusted_proxies),
        ),
        more_sites=others,
    )


def create_app(
    site_dir: Path,
    *,
    database_url: str | None = None,
    settings: ServerSettings | None = None,
    more_sites: Sequence[Path] = (),
) -> FastAPI:
    """The server of the site in ``site_dir`` (its database: ``database_url``, else the
    SQLite file in the folder), and of the sites in ``more_sites`` on the same database
    (a region's platform: each account and token belongs to one of them, each request
    sees its caller's site). The sites are opened now, so a wrong folder or an
    unreachable database fails here, with a message, not at the first request.

    Raises:
        SiteNotFoundError, SchemaError, StoreUnavailableError: a site cannot be opened.
        ConfigurationError: several sites without one shared database.
    """
    settings = settings or ServerSettings()
    trusted_networks(settings.trusted_proxies)
    if more_sites and database_url is None:
        raise ConfigurationError(
            text(
                "Plusieurs établissements sur un serveur partagent une base : indiquez-la "
                "avec PORTIQUE_DATABASE_URL.",
                "Several sites on one server share one database: give it in PORTIQUE_DATABASE_URL.",
            )
        )
    served, listener = _open_sites((site_dir, *more_sites), database_url, settings)
    app = FastAPI(
        title="Portique",
        summary="The virtual gate of a school: people, credentials, passages, alerts.",
        version="1",
        openapi_url=f"{API_PREFIX}/openapi.json",
        # The interactive docs load scripts from a CDN, which the CSP forbids.
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan(served, listener, settings),
    )
    app.state.portique = _app_state(served, settings)
    _add_exception_handlers(app)
    _add_routes(app)
    _add_middleware(app, settings)
    return app


def _open_sites(
    directories: Sequence[Path], database_url: str | None, settings: ServerSettings
) -> tuple[dict[str, ServedSite], LiveListener]:
    """Each site of ``directories`` opened (by site id, in order) and the one LISTEN
    connection that wakes their live feeds; if one fails, those already open are closed."""
    served: dict[str, ServedSite] = {}
    listener: LiveListener | None = None
    try:
        for directory in directories:
            # A database made by the previous version is upgraded in place as the
            # server starts. The sites share the first one's pool of connections, and
            # one LISTEN connection wakes all their live feeds.
            shared = next(iter(served.values())).site.database.engine if served else None
            handle = open_site(directory, database_url=database_url, upgrade=True, engine=shared)
            if listener is None:
                listener = LiveListener(handle.database)
            served[handle.site_id] = ServedSite(
                handle,
                Gate(handle),
                LiveFeed(handle, settings, listener),
                login_throttle(handle, settings),
            )
    except BaseException:
        for each in served.values():
            each.site.close()
        raise
    assert listener is not None  # ``directories`` holds at least the first site
    return served, listener


def _background_tasks(
    served: Mapping[str, ServedSite], settings: ServerSettings
) -> list[asyncio.Task[None]]:
    """For each site: the retention purge, at start-up then every
    PORTIQUE_PURGE_INTERVAL_HOURS; and leaving dates that passed (the pupils leave
    without anyone acting)."""
    tasks: list[asyncio.Task[None]] = []
    hours = get_settings().purge_interval_hours
    for each in served.values():
        handle = each.site
        if hours > 0:
            tasks.append(
                asyncio.create_task(
                    purge_periodically(
                        handle.database,
                        handle.site_id,
                        timedelta(hours=hours),
                        clock=settings.clock,
                    )
                )
            )
        tasks.append(
            asyncio.create_task(
                sweep_periodically(
                    handle.database,
                    handle.site_id,
                    settings.departure_sweep,
                    clock=settings.clock,
                )
            )
        )
    return tasks


def _lifespan(
    served: Mapping[str, ServedSite], listener: LiveListener, settings: ServerSettings
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The application's lifespan: the background tasks while it serves; then the
    tasks stopped, the listener and the sites closed."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        tasks = _background_tasks(served, settings)
        yield
        for task in tasks:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        listener.close()
        for each in served.values():
            each.site.close()

    return lifespan


def _app_state(served: Mapping[str, ServedSite], settings: ServerSettings) -> AppState:
    """The server's state, bound to the first site until a request names its caller's."""
    first = next(iter(served.values()))
    return AppState(
        site=first.site,
        gate=first.gate,
        settings=settings,
        sessions=SessionStore(settings, first.site.database),
        throttle=first.throttle,
        jobs=first.jobs,
        templates=Jinja2Templates(directory=str(console.package_dir("templates"))),
        live=first.live,
        sites=served,
        gate_lock=first.gate_lock,
    )


def _add_exception_handlers(app: FastAPI) -> None:
    """Errors mapped once: the API's error body, the console's error page or sign-in."""
    app.add_exception_handler(PortiqueError, _portique_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(HTTPException, _http_error)


def _add_routes(app: FastAPI) -> None:
    """The API's, the phone app's and the console's routes, and the static files."""
    for router in (*api.ROUTERS, *phone.ROUTERS, *console.ROUTERS):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(console.package_dir("static"))), name="static")


def _add_middleware(app: FastAPI, settings: ServerSettings) -> None:
    """Body limits, security headers and the request context (outermost last)."""
    app.add_middleware(BodyLimits, signed_in=signed_in)
    app.add_middleware(SecurityHeaders, plain_http=settings.plain_http)
    app.add_middleware(RequestContext)
