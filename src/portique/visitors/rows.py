"""Looking up one row of the visitor tables by its key, within one site."""

from __future__ import annotations

from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from portique.errors import PortiqueError


class _SiteRow(Protocol):
    @property
    def site_id(self) -> str: ...


RowT = TypeVar("RowT", bound=_SiteRow)


def row_at_site(
    session: Session, model: type[RowT], key: object, site_id: str, missing: PortiqueError
) -> RowT:
    """The row of ``model`` with primary key ``key``, if it belongs to the site.

    Raises:
        PortiqueError: ``missing``, when there is no such row at the site.
    """
    row = session.get(model, key)
    if row is None or row.site_id != site_id:
        raise missing
    return row
