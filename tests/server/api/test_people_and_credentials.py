"""The administration's API: people, credentials and consent, with clear errors."""

from __future__ import annotations

import pytest
from server_support import Server, add_person


def test_administration_adds_lists_and_gets_people(server: Server) -> None:
    admin = server.signed_in("administration")
    person_id = add_person(admin, last_name="Durand", first_name="Alice", groups=["2nde A"])

    listed = admin.get("/api/v1/people").json()
    assert [p["person_id"] for p in listed] == [person_id]
    got = admin.get(f"/api/v1/people/{person_id}").json()
    assert got["last_name"] == "Durand"
    assert got["group_ids"] == ["2nde-a"]
    assert got["minor"] is False


def test_an_unknown_person_is_a_404_with_a_message(server: Server) -> None:
    admin = server.signed_in("administration")
    response = admin.get("/api/v1/people/p-nobody")
    assert response.status_code == 404
    assert response.json()["error"] == "unknown_person"
    assert "p-nobody" in response.json()["message"]


def test_an_impossible_birth_date_is_a_400_not_a_500(server: Server) -> None:
    admin = server.signed_in("administration")
    response = admin.post(
        "/api/v1/people",
        json={"last_name": "X", "first_name": "Y", "birth_date": "1850-01-01"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "bad_person"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"first_name": "Léa", "birth_date": "2001-01-01"}, "last_name"),
        ({"last_name": "M", "first_name": "L", "birth_date": "31/02/2001"}, "birth_date"),
        ({"last_name": "M", "first_name": "L", "birth_date": "2001-01-01", "role": "x"}, "role"),
        ({"last_name": "", "first_name": "L", "birth_date": "2001-01-01"}, "last_name"),
        ({"last_name": "M", "first_name": "L", "birth_date": "2001-01-01", "age": 3}, "age"),
        ([1, 2, 3], "body"),
    ],
)
def test_a_malformed_person_is_a_422_naming_the_field(
    server: Server, body: object, field: str
) -> None:
    admin = server.signed_in("administration")
    response = admin.post("/api/v1/people", json=body)
    assert response.status_code == 422
    payload = response.json()
    assert payload["error"] == "invalid_request"
    assert any(line.startswith(field) for line in payload["details"]), payload


def test_a_body_that_is_not_json_is_a_422(server: Server) -> None:
    admin = server.signed_in("administration")
    response = admin.post(
        "/api/v1/people", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"


def test_a_card_is_issued_without_a_face_and_revoked(server: Server) -> None:
    admin = server.signed_in("administration")
    person_id = add_person(admin)
    issued = admin.post("/api/v1/credentials", json={"person_id": person_id}).json()
    assert issued["qr_text"].startswith("PQ:")
    assert issued["face_enrolled"] is False

    revoked = admin.post(
        f"/api/v1/credentials/{issued['credential_id']}/revoke", json={"reason": "lost"}
    )
    assert revoked.status_code == 200
    assert revoked.json()["changed"] is True
    again = admin.post(
        f"/api/v1/credentials/{issued['credential_id']}/revoke", json={"reason": "lost"}
    )
    assert again.json()["changed"] is False


def test_a_badge_is_bound_and_a_bad_uid_is_a_400(server: Server) -> None:
    admin = server.signed_in("administration")
    person_id = add_person(admin)
    bound = admin.post(
        "/api/v1/credentials",
        json={"person_id": person_id, "kind": "badge", "badge_uid": "04:a1:b2:c3"},
    )
    assert bound.status_code == 201
    assert bound.json()["badge_uid"] == "04:A1:B2:C3"
    bad = admin.post(
        "/api/v1/credentials",
        json={"person_id": person_id, "kind": "badge", "badge_uid": "not a uid!"},
    )
    assert bad.status_code == 400
    missing = admin.post("/api/v1/credentials", json={"person_id": person_id, "kind": "badge"})
    assert missing.status_code == 422


def test_revoking_an_unknown_credential_is_a_404(server: Server) -> None:
    admin = server.signed_in("administration")
    response = admin.post("/api/v1/credentials/nope/revoke", json={"reason": "lost"})
    assert response.status_code == 404
    assert response.json()["error"] == "unknown_credential"


def test_consent_is_given_by_a_guardian_for_a_minor_and_withdrawn(server: Server) -> None:
    admin = server.signed_in("administration")
    parent = add_person(admin, last_name="Martin", first_name="Claire", role="parent")
    year = server.clock.now.year - 15
    minor = add_person(
        admin,
        last_name="Martin",
        first_name="Léa",
        birth_date=f"{year}-01-15",
        role="student",
        guardian_ids=[parent],
    )
    alone = admin.post(f"/api/v1/people/{minor}/consent", json={})
    assert alone.status_code == 400
    assert alone.json()["error"] == "consent"

    given = admin.post(f"/api/v1/people/{minor}/consent", json={"by": parent})
    assert given.status_code == 200
    assert given.json()["giver"] == "parent"
    assert admin.get(f"/api/v1/people/{minor}").json()["consent_in_force"] is True

    withdrawn = admin.post(f"/api/v1/people/{minor}/consent/withdraw", json={"by": parent})
    assert withdrawn.status_code == 200
    assert admin.get(f"/api/v1/people/{minor}").json()["consent_in_force"] is False
    again = admin.post(f"/api/v1/people/{minor}/consent/withdraw", json={"by": parent})
    assert again.status_code == 400


def test_the_openapi_schema_lists_the_api(server: Server) -> None:
    schema = server.anonymous().get("/api/v1/openapi.json").json()
    for path in (
        "/api/v1/people",
        "/api/v1/credentials",
        "/api/v1/passages",
        "/api/v1/alerts",
        "/api/v1/lockdown",
        "/api/v1/roster",
        "/api/v1/lanes",
    ):
        assert path in schema["paths"]
    assert not any(path.startswith("/login") for path in schema["paths"])
