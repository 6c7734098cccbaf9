"""Fixtures of the server tests: a clock on a school day and a served site.

The site (with its accounts, whose passwords take a while to hash) is made once and
copied for each test.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, time
from pathlib import Path

import pytest
from server_support import PARIS, Clock, Server, make_site, school_day, serve


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.combine(school_day(), time(10), tzinfo=PARIS))


@pytest.fixture(scope="session")
def site_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    directory = tmp_path_factory.mktemp("server") / "site"
    token = make_site(directory, datetime.combine(school_day(), time(8), tzinfo=PARIS))
    return directory, token


@pytest.fixture
def server(tmp_path: Path, clock: Clock, site_template: tuple[Path, str]) -> Iterator[Server]:
    template, token = site_template
    directory = tmp_path / "site"
    shutil.copytree(template, directory)
    made = serve(directory, token, clock, live_stream_s=0.4, live_poll_s=0.05)
    yield made
    for client in made.clients:
        client.close()
    made.app.state.portique.site.close()
