"""The console: server-rendered pages for the agents at the lane (``agent``), signing in
(``signin``), the administration (``administration``), reception (``visitors``), the
information and consent documents (``documents``) and the school's registers with the
pupils' departures (``registers``), with their templates and static files."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter

from portique.server.console import (
    accounts,
    administration,
    agent,
    bulk,
    documents,
    reenrol,
    region,
    registers,
    signin,
    visitors,
)

ROUTERS: tuple[APIRouter, ...] = (
    signin.router,
    agent.router,
    bulk.router,
    administration.router,
    visitors.router,
    registers.router,
    reenrol.router,
    documents.router,
    accounts.router,
    region.router,
)


def package_dir(name: str) -> Path:
    """A folder of the console's package: ``templates`` or ``static``."""
    return Path(str(resources.files("portique.server.console") / name))
