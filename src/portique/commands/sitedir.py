"""What the site commands share: opening the site of --dir, the time of --at, dates."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from portique import clock
from portique.dates import check_date, check_moment
from portique.errors import BadInputError
from portique.i18n import text

if TYPE_CHECKING:
    from portique.services import SiteHandle


def site_dir(directory: Path | None) -> Path:
    """The site folder: --dir, else the configured data directory."""
    from portique.config import get_settings

    return directory if directory is not None else get_settings().data_dir


def open_cli_site(directory: Path | None) -> SiteHandle:
    """The site of --dir (or PORTIQUE_DATA_DIR) on the configured database."""
    from portique.bootstrap import open_site
    from portique.config import get_settings

    return open_site(site_dir(directory), database_url=get_settings().database_url)


@contextmanager
def site_in_zone(directory: Path | None) -> Iterator[tuple[SiteHandle, str]]:
    """The site of --dir and its time zone, which reads and shows its times."""
    with open_cli_site(directory) as site:
        yield site, site_timezone(site)


@contextmanager
def site_at(directory: Path | None, at: str | None) -> Iterator[tuple[SiteHandle, datetime]]:
    """The site of --dir and the time of --at (the site's clock when it has no offset)."""
    with site_in_zone(directory) as (site, timezone):
        yield site, moment(at, timezone)


def moment(value: str | None, timezone: str) -> datetime:
    """``--at`` as an aware datetime: now when absent, the site's clock when it has no offset."""
    if value is None:
        return clock.now()
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadInputError(
            text(
                f"--at : « {value} » n'est pas une date ISO-8601 (ex. 2026-11-24T10:00+01:00).",
                f"--at: {value!r} is not an ISO-8601 time (e.g. 2026-11-24T10:00+01:00).",
            )
        ) from None
    check_date(parsed.date(), "--at")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(timezone))
    return check_moment(parsed, "--at")


def site_timezone(site: SiteHandle) -> str:
    from portique.services.rows import site_row

    with site.session() as session:
        return site_row(session, site.site_id).timezone


def shown_date(value: datetime, timezone: str) -> str:
    """A date as French and English readers of the console expect it (dd/mm/yyyy)."""
    return value.astimezone(ZoneInfo(timezone)).strftime("%d/%m/%Y")
