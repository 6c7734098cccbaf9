"""``GET /api/v1/people``: a name typed any way, filters, sorting and pages of at most 200."""

from __future__ import annotations

import pytest
from server_support import Server, add_person, issue_card


def test_the_api_finds_a_name_typed_without_accents_a_page_at_a_time(server: Server) -> None:
    admin = server.signed_in("administration")
    for first in ("Anaïs", "Bérénice", "Chloé", "Élodie"):
        add_person(admin, last_name="Lefèvre", first_name=first, groups=["2nde B"])
    add_person(admin, last_name="Martin", first_name="Paul")

    page = admin.get("/api/v1/people", params={"q": "LEFEVRE", "limit": 3})
    assert page.status_code == 200
    assert [p["first_name"] for p in page.json()] == ["Anaïs", "Bérénice", "Chloé"]
    assert page.headers["X-Total-Count"] == "4"
    assert 'rel="next"' in page.headers["Link"] and "offset=3" in page.headers["Link"]
    assert "q=LEFEVRE" in page.headers["Link"]
    rest = admin.get("/api/v1/people", params={"q": "lefevre", "limit": 3, "offset": 3})
    assert [p["first_name"] for p in rest.json()] == ["Élodie"]
    assert "Link" not in rest.headers

    by_class = admin.get(
        "/api/v1/people", params={"class": "2nde-b", "sort": "first_name", "order": "desc"}
    )
    assert [p["first_name"] for p in by_class.json()] == ["Élodie", "Chloé", "Bérénice", "Anaïs"]


def test_the_api_filters_by_credential_status(server: Server) -> None:
    admin = server.signed_in("administration")
    holder = add_person(admin, last_name="Roux", first_name="Anne")
    add_person(admin, last_name="Morel", first_name="Luc")
    issue_card(admin, holder)
    active = admin.get("/api/v1/people", params={"credential_status": "active"}).json()
    assert [(p["person_id"], p["credential_status"]) for p in active] == [(holder, "active")]
    none = admin.get("/api/v1/people", params={"credential_status": "none"}).json()
    assert [p["last_name"] for p in none] == ["Morel"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 201},
        {"limit": "ten"},
        {"offset": -1},
        {"role": "wizard"},
        {"credential_status": "lost"},
        {"sort": "shoe_size"},
        {"order": "up"},
        {"consent": "maybe"},
        {"q": "x" * 201},
    ],
)
def test_an_invalid_paging_or_filter_value_is_a_422(
    server: Server, params: dict[str, object]
) -> None:
    admin = server.signed_in("administration")
    assert admin.get("/api/v1/people", params=params).status_code == 422


def test_the_largest_page_is_accepted(server: Server) -> None:
    admin = server.signed_in("administration")
    add_person(admin)
    response = admin.get("/api/v1/people", params={"limit": 200})
    assert response.status_code == 200 and response.headers["X-Total-Count"] == "1"
