"""Looking up one row of the visitor tables by its key, within one site."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from portique.errors import PortiqueError
from portique.store import OfSite, find_at_site

RowT = TypeVar("RowT", bound=OfSite)


def row_at_site(
    session: Session, model: type[RowT], key: object, site_id: str, missing: PortiqueError
) -> RowT:
    """The row of ``model`` with primary key ``key``, if it belongs to the site.

    Raises:
        PortiqueError: ``missing``, when there is no such row at the site.
    """
    row = find_at_site(session, model, key, site_id)
    if row is None:
        raise missing
    return row
