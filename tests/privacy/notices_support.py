"""What the tests of the information documents share: a site made by init_site at a chosen
time, its settings changed directly, and its documents rendered."""

from __future__ import annotations

import html as markup
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from portique.bootstrap import init_site, open_site
from portique.privacy import notices
from portique.privacy.information import DocumentKind
from portique.privacy.retention import RetentionPolicy
from portique.services import SiteHandle
from portique.services.rows import site_row
from portique.store import LaneRow

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
"""When the documents are generated in these tests (a Tuesday)."""


def new_site(directory: Path, *, face: bool) -> SiteHandle:
    """A site as `portique init [--face]` makes it: the entrance lane offers the face."""
    init_site(
        directory, site_id=f"s{secrets.token_hex(4)}", name="Lycée Exemple", face=face, now=NOW
    )
    return open_site(directory)


def set_settings(site: SiteHandle, **values: Any) -> None:
    with site.session() as session:
        row = site_row(session, site.site_id)
        row.settings = {**row.settings, **values}


def set_lane_face(site: SiteHandle, lane_id: str, offered: bool) -> None:
    with site.session() as session:
        lane = session.get(LaneRow, (site.site_id, lane_id))
        assert lane is not None
        lane.face_enabled = offered


def facts_of(site: SiteHandle, policy: RetentionPolicy | None = None) -> notices.NoticeFacts:
    with site.session() as session:
        return notices.gather(session, site.site_id, now=NOW, policy=policy)


def page(site: SiteHandle, kind: DocumentKind, policy: RetentionPolicy | None = None) -> str:
    return notices.render(facts_of(site, policy), kind).html


def plain(html: str) -> str:
    """The page with entities decoded and French spacing made ordinary, to search it for
    a phrase."""
    return markup.unescape(html).replace("\u00a0", " ").replace("\u202f", " ")
