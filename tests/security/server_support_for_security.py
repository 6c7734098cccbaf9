"""A served site for the red-team tests, built with the server tests' own helpers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from server_support import (
    PARIS,
    PASSWORD,
    Clock,
    Server,
    add_person,
    login,
    login_csrf,
    make_site,
    school_day,
    serve,
)

__all__ = ["PASSWORD", "Server", "add_person", "login", "login_csrf", "serve", "served"]


@contextmanager
def served(folder: Path, **settings: Any) -> Iterator[Server]:
    """A site made in ``folder`` with one account per role, served on a school day (with
    ``settings`` for its ServerSettings)."""
    clock = Clock(datetime.combine(school_day(), time(10), tzinfo=PARIS))
    token = make_site(folder / "site", clock.now)
    made = serve(folder / "site", token, clock, **settings)
    try:
        yield made
    finally:
        for client in made.clients:
            client.close()
        made.app.state.portique.site.close()
