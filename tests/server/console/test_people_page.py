"""The People page: search, filters, sorting and pages, kept together in its links."""

from __future__ import annotations

import re

from server_support import Server, add_person


def _rows(html: str) -> list[str]:
    body = html.split('id="people-table"', 1)[1].split("</tbody>", 1)[0]
    cells = re.findall(r'<a href="/people/p-[a-z0-9]+">([^<]+)</a></td><td>([^<]+)</td>', body)
    return [f"{first} {last}" for last, first in cells]


def test_the_people_page_searches_filters_sorts_and_pages_together(server: Server) -> None:
    admin = server.signed_in("administration")
    for first in ("Anaïs", "Bérénice", "Chloé"):
        add_person(admin, last_name="Lefèvre", first_name=first, groups=["2nde B"])
    add_person(admin, last_name="Lefèvre", first_name="Dominique", groups=["1re A"])
    add_person(admin, last_name="Martin", first_name="Paul", groups=["2nde B"])

    page = admin.get(
        "/people",
        params={"q": "lefevre", "class": "2nde-b", "sort": "first_name", "order": "desc",
                "limit": 25},
    )  # fmt: skip
    assert page.status_code == 200
    assert _rows(page.text) == ["Chloé Lefèvre", "Bérénice Lefèvre", "Anaïs Lefèvre"]
    assert 'aria-sort="descending"' in page.text
    assert 'role="search"' in page.text

    everyone = admin.get("/people", params={"limit": 25, "sort": "first_name"})
    assert _rows(everyone.text)[0] == "Anaïs Lefèvre"


def test_a_long_list_is_shown_a_page_at_a_time_with_links_that_keep_the_search(
    server: Server,
) -> None:
    admin = server.signed_in("administration")
    for index in range(27):
        add_person(admin, last_name="Durand", first_name=f"Élève {index:02d}", groups=["TG1"])
    first = admin.get("/people", params={"q": "durand", "limit": 25})
    assert len(_rows(first.text)) == 25
    following = re.search(r'rel="next" href="([^"]+)"', first.text)
    assert following is not None
    link = following.group(1).replace("&amp;", "&")
    assert "q=durand" in link and "offset=25" in link
    second = admin.get(link)
    assert _rows(second.text) == ["Élève 25 Durand", "Élève 26 Durand"]


def test_nonsense_in_the_address_falls_back_to_the_defaults(server: Server) -> None:
    admin = server.signed_in("administration")
    add_person(admin)
    page = admin.get("/people", params={"limit": "9999", "role": "wizard", "offset": "-4"})
    assert page.status_code == 200
    assert _rows(page.text) == ["Paul Bernard"]
