"""The People page's search: its query read from the address (the same parameters as
``GET /api/v1/people``), links that change one of them, and the page's words (the
``[people]`` section of ``server/texts.toml``).

A console address is typed and shared: a value that makes no sense (an unknown role, a
page size of a million) is dropped for the default rather than refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from starlette.datastructures import QueryParams

from portique.access import Role
from portique.server.texts import CATALOGUE, translator
from portique.services import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    CredentialStatus,
    PeopleQuery,
    PeopleSort,
)

PAGE_SIZES = (25, DEFAULT_PAGE_SIZE, 100, MAX_PAGE_SIZE)
FILTERS = ("q", "role", "class", "consent", "credential_status", "sort", "order", "limit")
"""The parameters a search keeps from one page to the next (``offset`` is the page)."""
SELECTION = ("q", "role", "class", "consent", "credential_status")
"""The parameters that say who a search finds (not in which order, nor which page)."""
CONSENT_VALUES = {"yes": True, "no": False, "true": True, "false": False}


def people_translator(lang: str) -> Callable[[str], str]:
    """``p(key)``: the People page's text ``key`` in ``lang``."""
    return translator(lang, CATALOGUE["people"])


def _number(value: str | None, default: int, low: int, high: int) -> int:
    try:
        number = int(value or "")
    except ValueError:
        return default
    return number if low <= number <= high else default


def people_query(params: Mapping[str, str]) -> PeopleQuery:
    """The search the address asks for; what cannot be read is left at its default."""
    roles = {role.value: role for role in Role}
    statuses = {status.value: status for status in CredentialStatus}
    sorts = {sort.value: sort for sort in PeopleSort}
    return PeopleQuery(
        text=params.get("q", "")[:200],
        role=roles.get(params.get("role", "")),
        group_id=params.get("class", "")[:64] or None,
        consent=CONSENT_VALUES.get(params.get("consent", "")),
        credential_status=statuses.get(params.get("credential_status", "")),
        sort=sorts.get(params.get("sort", ""), PeopleSort.NAME),
        descending=params.get("order") == "desc",
        limit=_number(params.get("limit"), DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
        offset=_number(params.get("offset"), 0, 0, 1_000_000),
    )


def people_link(params: QueryParams) -> Callable[..., str]:
    """``link(**changes)``: the People page's address with the current search and
    ``changes`` (a None value drops the parameter; a new sort or filter starts at the
    first page)."""
    kept = {name: params[name] for name in FILTERS if params.get(name)}

    def link(**changes: object) -> str:
        merged: dict[str, object] = dict(kept)
        if "offset" not in changes:
            merged.pop("offset", None)
        for name, value in changes.items():
            if value is None or value == "":
                merged.pop(name, None)
            else:
                merged[name] = value
        shown = QueryParams({name: str(value) for name, value in merged.items()})
        return f"/people?{shown}" if shown else "/people"

    return link


def selection_fields(params: Mapping[str, str]) -> dict[str, str]:
    """The search as hidden fields of a form acting on everyone it finds."""
    return {name: params[name] for name in SELECTION if params.get(name)}
