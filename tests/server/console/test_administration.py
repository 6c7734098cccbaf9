"""The administration's pages and endpoints: CSV import (console and API), consent on
the person page, cards handed over as files, lanes and timetables; closed to the other
roles and to forms without their CSRF token."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from server_support import Server, add_person
from sqlalchemy import select

from portique.bootstrap import open_site
from portique.store import CredentialRow, GroupRow, LaneRow, SiteRow

LATIN1_CSV = (
    "Nom;Prénom;Né(e) le;Classe\r\n"
    "Durand;Hélène;12/03/2010;2nde A\r\n"
    "Lefèvre;Noé;31/02/2010;2nde A\r\n"
    "Béranger;Zoé;01/09/2009;1re B\r\n"
).encode("latin-1")
"""An export as Excel writes it in France: Windows-1252/Latin-1, ``;``, CRLF; line 3 has
an impossible date."""
NO_BIRTH_DATE_CSV = "Nom;Prénom;Classe\nDurand;Hélène;2nde A\n".encode()


def _csrf(client: TestClient) -> str:
    return client.headers["X-CSRF-Token"]


def _upload(client: TestClient, data: bytes, **fields: str) -> object:
    """The import form sent, and the page of its report (the import runs before the answer
    in these tests)."""
    sent = client.post(
        "/people/import",
        data={"csrf": _csrf(client), **fields},
        files={"file": ("eleves.csv", data, "text/csv")},
    )
    if sent.status_code != 303:
        return sent
    assert sent.headers["location"].startswith("/people/import/jobs/")
    return client.get(sent.headers["location"])


def _people_count(client: TestClient) -> int:
    return len(client.get("/api/v1/people").json())


def _page_text(response: object) -> str:
    return html.unescape(response.text)  # type: ignore[attr-defined]


def _family(admin: TestClient, server: Server) -> tuple[str, str, str]:
    """A parent, another parent, and the first one's child (a minor): their ids."""
    parent = add_person(admin, last_name="Martin", first_name="Claire", role="parent")
    stranger = add_person(admin, last_name="Roux", first_name="Marc", role="parent")
    minor = add_person(
        admin,
        last_name="Martin",
        first_name="Léa",
        birth_date=f"{server.clock.now.year - 15}-01-15",
        role="student",
        guardian_ids=[parent],
    )
    return parent, stranger, minor


def _enrolled_card(server: Server, admin: TestClient, person_id: str) -> str:
    """A card whose credential carries the face, as the enrollment station issues it (the
    server never enrolls a face): a card issued here, marked so in the store."""
    credential_id: str = admin.post("/api/v1/credentials", json={"person_id": person_id}).json()[
        "credential_id"
    ]
    with open_site(server.directory) as site, site.session() as session:
        row = session.get(CredentialRow, credential_id)
        assert row is not None
        row.has_template = True
    return credential_id


# Roles and CSRF -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["agent", "dpo", "auditor"])
@pytest.mark.parametrize("path", ["/people/import", "/lanes"])
def test_only_the_administration_reaches_the_import_and_lanes_pages(
    server: Server, role: str, path: str
) -> None:
    assert server.signed_in(role).get(path).status_code == 403
    assert server.signed_in("administration").get(path).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/people/import",
        "/people/p-x/consent",
        "/people/p-x/consent/withdraw",
        "/people/p-x/credentials",
        "/lanes/opening-hours",
        "/lanes/classes/2nde-a/timetable",
        "/lanes/entree/face",
    ],
)
def test_an_agent_cannot_post_the_administration_forms(server: Server, path: str) -> None:
    agent = server.signed_in("agent")
    response = agent.post(
        path,
        data={"csrf": _csrf(agent), "confirm": "yes"},
        files={"file": ("eleves.csv", LATIN1_CSV, "text/csv")},
    )
    assert response.status_code == 403
    assert "Votre rôle ne donne pas accès" in _page_text(response)


def test_the_import_api_is_for_the_administration_only(server: Server) -> None:
    files = {"file": ("eleves.csv", LATIN1_CSV, "text/csv")}
    for role in ("agent", "dpo", "auditor"):
        response = server.signed_in(role).post("/api/v1/people/import", files=files)
        assert response.status_code == 403
        assert response.json()["error"] == "forbidden"
    assert server.lane().post("/api/v1/people/import", files=files).status_code == 403
    assert server.anonymous().post("/api/v1/people/import", files=files).status_code == 401


def test_an_import_without_its_csrf_token_imports_nobody(server: Server) -> None:
    admin = server.signed_in("administration")
    files = {"file": ("eleves.csv", LATIN1_CSV, "text/csv")}
    assert admin.post("/people/import", files=files).status_code == 403
    forged = admin.post("/people/import", data={"csrf": "forged"}, files=files)
    assert forged.status_code == 403
    del admin.headers["X-CSRF-Token"]
    api = admin.post("/api/v1/people/import", files=files)
    assert api.status_code == 403
    assert api.json()["error"] == "csrf"
    assert _people_count(admin) == 0


def test_consent_forms_without_their_csrf_token_are_refused(server: Server) -> None:
    admin = server.signed_in("administration")
    person_id = add_person(admin)
    assert admin.post(f"/people/{person_id}/consent").status_code == 403
    withdraw = admin.post(f"/people/{person_id}/consent/withdraw", data={"confirm": "yes"})
    assert withdraw.status_code == 403
    assert admin.get(f"/api/v1/people/{person_id}").json()["consent_in_force"] is False


# CSV import ---------------------------------------------------------------------------


def test_a_latin1_file_is_imported_and_its_bad_row_reported_with_line_and_reason(
    server: Server,
) -> None:
    admin = server.signed_in("administration")
    response = _upload(admin, LATIN1_CSV)
    assert response.status_code == 200
    page = _page_text(response)
    assert re.search(r'id="imported-count">2<', page)
    assert re.search(r'id="rejected-count">1<', page)
    assert re.search(r"<td>3</td><td>date invalide : « 31/02/2010 »", page)
    assert "Hélène" in page and "Béranger" in page and "Zoé" in page
    assert "Noé" not in page
    names = {(p["last_name"], p["first_name"]) for p in admin.get("/api/v1/people").json()}
    assert names == {("Durand", "Hélène"), ("Béranger", "Zoé")}

    again = _page_text(_upload(admin, LATIN1_CSV))
    assert re.search(r'id="imported-count">0<', again)
    assert "déjà présent dans l'établissement" in again
    assert _people_count(admin) == 2


def test_a_file_that_cannot_be_read_imports_nobody_and_says_why(server: Server) -> None:
    admin = server.signed_in("administration")
    response = _upload(admin, NO_BIRTH_DATE_CSV)
    assert response.status_code == 400
    page = _page_text(response)
    assert "Colonne(s) manquante(s) : Né(e) le" in page
    assert "Rien n'a été importé." in page
    assert _people_count(admin) == 0
    assert _upload(admin, b"").status_code == 400
    assert admin.post("/people/import", data={"csrf": _csrf(admin)}).status_code == 400


def test_the_import_page_speaks_english_when_asked(server: Server) -> None:
    admin = server.signed_in("administration")
    page = admin.get("/people/import?lang=en")
    assert "Import people (CSV)" in page.text
    assert 'enctype="multipart/form-data"' in page.text
    assert "refused" in _page_text(_upload(admin, LATIN1_CSV))


def test_the_import_api_returns_the_report_as_json(server: Server) -> None:
    admin = server.signed_in("administration")
    files = {"file": ("eleves.csv", LATIN1_CSV, "text/csv")}
    response = admin.post("/api/v1/people/import", files=files)
    assert response.status_code == 200
    report = response.json()
    assert report["imported"] == 2
    assert len(report["people"]) == 2
    assert report["rejected"] == [
        {"line": 3, "reason": "date invalide : « 31/02/2010 » (attendu jj/mm/aaaa)"}
    ]
    assert report["groups_created"] == ["2nde-a", "1re-b"]
    assert report["encoding"] == "cp1252"
    assert report["delimiter"] == ";"
    assert report["lines"] == 3

    bad = admin.post(
        "/api/v1/people/import", files={"file": ("x.csv", NO_BIRTH_DATE_CSV, "text/csv")}
    )
    assert bad.status_code == 400
    assert bad.json()["error"] == "bad_roster"
    assert admin.post("/api/v1/people/import").status_code == 422
    assert _people_count(admin) == 2


# Consent ------------------------------------------------------------------------------


def test_a_guardian_gives_the_consent_of_a_minor_from_the_person_page(server: Server) -> None:
    admin = server.signed_in("administration")
    parent, _, minor = _family(admin, server)
    page = _page_text(admin.get(f"/people/{minor}"))
    assert "Aucun consentement en vigueur" in page
    assert f'<option value="{parent}">Claire Martin</option>' in page

    given = admin.post(
        f"/people/{minor}/consent", data={"csrf": _csrf(admin), "by": parent, "giver": "parent"}
    )
    assert given.status_code == 303
    page = _page_text(admin.get(f"/people/{minor}"))
    assert "Consentement en vigueur — donné par" in page
    assert "<strong>Claire Martin</strong>" in page
    assert "(parent), le " in page
    assert admin.get(f"/api/v1/people/{minor}").json()["consent_in_force"] is True


@pytest.mark.parametrize("by", ["stranger", "minor", ""])
def test_only_a_listed_guardian_gives_the_consent_of_a_minor(server: Server, by: str) -> None:
    admin = server.signed_in("administration")
    _, stranger, minor = _family(admin, server)
    giver = {"stranger": stranger, "minor": minor, "": ""}[by]
    response = admin.post(f"/people/{minor}/consent", data={"csrf": _csrf(admin), "by": giver})
    assert response.status_code == 400
    assert "est mineur : le consentement est donné par un représentant légal" in _page_text(
        response
    )
    assert admin.get(f"/api/v1/people/{minor}").json()["consent_in_force"] is False


def test_an_adult_consents_for_themself_and_not_through_someone_else(server: Server) -> None:
    admin = server.signed_in("administration")
    parent, _, _ = _family(admin, server)
    adult = add_person(admin)
    for_them = admin.post(f"/people/{adult}/consent", data={"csrf": _csrf(admin), "by": parent})
    assert for_them.status_code == 400
    assert "est majeur : lui seul peut consentir" in _page_text(for_them)
    assert admin.post(f"/people/{adult}/consent", data={"csrf": _csrf(admin)}).status_code == 303
    page = _page_text(admin.get(f"/people/{adult}"))
    assert "donné par <strong>Paul Bernard</strong>" in page
    assert "(la personne elle-même)" in page


def test_withdrawal_needs_a_confirmation_and_revokes_the_credentials_carrying_the_face(
    server: Server,
) -> None:
    admin = server.signed_in("administration")
    person_id = add_person(admin)
    given = admin.post(f"/people/{person_id}/consent", data={"csrf": _csrf(admin)})
    assert given.status_code == 303
    plain = admin.post("/api/v1/credentials", json={"person_id": person_id}).json()
    enrolled = _enrolled_card(server, admin, person_id)
    page = _page_text(admin.get(f"/people/{person_id}"))
    assert "1 titre(s) d'accès actif(s) avec visage enrôlé" in page
    assert "tout titre d'accès portant le visage enrôlé de la personne est révoqué" in page

    path = f"/people/{person_id}/consent/withdraw"
    unconfirmed = admin.post(path, data={"csrf": _csrf(admin), "by": person_id})
    assert unconfirmed.status_code == 400
    assert "Cochez la case de confirmation" in _page_text(unconfirmed)
    stranger = admin.post(path, data={"csrf": _csrf(admin), "by": "p-other", "confirm": "yes"})
    assert stranger.status_code == 400
    assert admin.get(f"/api/v1/people/{person_id}").json()["consent_in_force"] is True

    withdrawn = admin.post(path, data={"csrf": _csrf(admin), "by": person_id, "confirm": "yes"})
    assert withdrawn.status_code == 200
    page = _page_text(withdrawn)
    assert f"Consentement retiré. Titres d'accès révoqués : {enrolled}." in page
    assert "Dernier consentement retiré le" in page
    assert "Révoqué (consentement retiré)" in page
    assert admin.get(f"/api/v1/people/{person_id}").json()["consent_in_force"] is False
    with open_site(server.directory) as site, site.session() as session:
        statuses = dict(
            session.execute(
                select(CredentialRow.credential_id, CredentialRow.status).where(
                    CredentialRow.person_id == person_id
                )
            ).all()
        )
    assert statuses.pop(enrolled) == "revoked"
    assert statuses.pop(plain["credential_id"]) == "active"
    assert list(statuses.values()) == ["active"]  # its replacement, without face


def test_a_guardian_withdraws_the_consent_of_a_minor(server: Server) -> None:
    admin = server.signed_in("administration")
    parent, stranger, minor = _family(admin, server)
    admin.post(f"/people/{minor}/consent", data={"csrf": _csrf(admin), "by": parent})
    path = f"/people/{minor}/consent/withdraw"
    refused = admin.post(path, data={"csrf": _csrf(admin), "by": stranger, "confirm": "yes"})
    assert refused.status_code == 400
    assert "par la personne ou par l'un de ses représentants légaux" in _page_text(refused)
    done = admin.post(path, data={"csrf": _csrf(admin), "by": parent, "confirm": "yes"})
    assert done.status_code == 200
    assert "Dernier consentement retiré le" in _page_text(done)
    assert "par Claire Martin" in _page_text(done)


def test_the_dpo_sees_the_consent_but_has_no_form_to_change_it(server: Server) -> None:
    admin = server.signed_in("administration")
    person_id = add_person(admin)
    admin.post(f"/people/{person_id}/consent", data={"csrf": _csrf(admin)})
    page = _page_text(server.signed_in("dpo").get(f"/people/{person_id}"))
    assert "Consentement en vigueur" in page
    assert "/consent" not in page
    assert "/credentials" not in page


# Cards --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("card", "media_type", "magic"),
    [("pdf", "application/pdf", b"%PDF"), ("png", "image/png", b"\x89PNG")],
)
def test_a_card_is_downloaded_as_a_file_in_the_answer_that_issues_it(
    server: Server, card: str, media_type: str, magic: bytes
) -> None:
    admin = server.signed_in("administration")
    person_id = add_person(admin)
    response = admin.post(
        f"/people/{person_id}/credentials", data={"csrf": _csrf(admin), "card": card}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.headers["cache-control"] == "no-store"
    disposition = re.fullmatch(
        r'attachment; filename="carte-([A-Za-z0-9_~.-]+)\.' + card + '"',
        response.headers["content-disposition"],
    )
    assert disposition
    assert response.content.startswith(magic)
    page = admin.get(f"/people/{person_id}").text
    assert disposition.group(1) in page
    assert "data:image/png" not in page  # listed, never shown or served again


def test_a_card_asked_in_an_unknown_format_is_not_issued(server: Server) -> None:
    admin = server.signed_in("administration")
    person_id = add_person(admin)
    response = admin.post(
        f"/people/{person_id}/credentials", data={"csrf": _csrf(admin), "card": "svg"}
    )
    assert response.status_code == 400
    assert "Choisissez : afficher, PNG ou PDF." in _page_text(response)
    assert admin.get(f"/api/v1/people/{person_id}").json()["credentials"] == 0


# Lanes and timetables -----------------------------------------------------------------


def test_the_lanes_page_shows_lanes_hours_timetables_and_exceptions(server: Server) -> None:
    admin = server.signed_in("administration")
    add_person(admin, last_name="Durand", first_name="Alice", role="student", groups=["2nde A"])
    first = server.clock.now.date() + timedelta(days=14)
    with open_site(server.directory) as site, site.session() as session:
        row = session.get(SiteRow, site.site_id)
        assert row is not None
        row.calendar = [
            {
                "first": first.isoformat(),
                "last": (first + timedelta(days=11)).isoformat(),
                "kind": "holiday",
                "label": "Vacances de printemps",
            }
        ]
        group = session.get(GroupRow, (site.site_id, "2nde-a"))
        assert group is not None
        group.timetable = {
            **group.timetable,
            "exceptions": [{"first": "2030-05-02", "last": "2030-05-02", "kind": "closure"}],
        }

    page = _page_text(admin.get("/lanes"))
    lanes = page.split('id="lanes"')[1].split("</table>")[0]
    assert re.search(r"Entrée principale.*?<td>entrée</td>.*?Bâtiment principal", lanes, re.S)
    assert re.search(r"Sortie principale.*?<td>sortie</td>", lanes, re.S)
    assert lanes.count("non proposée") == 2
    assert "ne propose pas la comparaison faciale" in page
    hours = page.split('id="opening-hours"')[1].split("</table>")[0]
    assert "07:00-19:00" in hours and "08:00-12:30" in hours and "fermé" in hours
    assert f"vacances</span>\n    {first:%d/%m/%Y} → " in page
    assert "Vacances de printemps" in page
    classes = page.split('id="class-timetables"')[1].split("</table>")[0]
    assert "2nde A" in classes
    assert "13:30-17:00" in classes and "(12:00-13:30)" in classes
    assert f"{date(2030, 5, 2):%d/%m/%Y}" in classes and "fermeture" in classes

    english = admin.get("/lanes?lang=en").text
    assert "Lanes and timetables" in english and "Monday" in english


def test_the_lanes_page_says_where_face_comparison_is_offered(server: Server) -> None:
    with open_site(server.directory) as site, site.session() as session:
        row = session.get(SiteRow, site.site_id)
        assert row is not None
        row.settings = {**row.settings, "face_enabled": True}
        entrance = session.get(LaneRow, (site.site_id, "entree"))
        assert entrance is not None
        entrance.face_enabled = True
    page = _page_text(server.signed_in("administration").get("/lanes"))
    lanes = page.split('id="lanes"')[1].split("</table>")[0]
    assert re.search(r"Entrée principale.*?<td>proposée</td>", lanes, re.S)
    assert re.search(r"Sortie principale.*?<td>non proposée</td>", lanes, re.S)
    assert "propose la comparaison faciale à qui y a consenti" in page


WEEK_FORM = {
    "day-monday": "08:00-12:00, 13:30-16:00",
    "lunch-monday": "12:00-13:30",
    "day-wednesday": "09:00-11:00",
}


def _setup(server: Server) -> tuple[dict[str, object], dict[str, object], bool, int]:
    """The class 2nde A's timetable, the opening hours, whether the entrance offers face
    comparison, and the snapshot version."""
    with open_site(server.directory) as site, site.session() as session:
        group = session.get(GroupRow, (site.site_id, "2nde-a"))
        row = session.get(SiteRow, site.site_id)
        lane = session.get(LaneRow, (site.site_id, "entree"))
        assert group is not None and row is not None and lane is not None
        return group.timetable, row.opening_hours, lane.face_enabled, row.snapshot_version


def test_the_administration_edits_a_class_week_and_sees_it_on_the_page(server: Server) -> None:
    admin = server.signed_in("administration")
    add_person(admin, last_name="Durand", first_name="Alice", role="student", groups=["2nde A"])
    version = _setup(server)[3]
    response = admin.post(
        "/lanes/classes/2nde-a/timetable",
        data={"csrf": _csrf(admin), **WEEK_FORM},
    )
    assert response.status_code == 303
    timetable, _, _, after = _setup(server)
    assert after == version + 1
    assert timetable["week"] == {
        "monday": {"ranges": ["08:00-12:00", "13:30-16:00"], "lunch": "12:00-13:30"},
        "wednesday": {"ranges": ["09:00-11:00"]},
    }
    page = _page_text(admin.get("/lanes"))
    classes = page.split('id="class-timetables"')[1].split("</table>")[0]
    assert "13:30-16:00" in classes and "09:00-11:00" in classes and "13:30-17:00" not in classes


def test_the_administration_edits_the_opening_hours(server: Server) -> None:
    admin = server.signed_in("administration")
    response = admin.post(
        "/lanes/opening-hours", data={"csrf": _csrf(admin), "day-tuesday": "07:30-18:00"}
    )
    assert response.status_code == 303
    hours = _page_text(admin.get("/lanes")).split('id="opening-hours"')[1].split("</table>")[0]
    assert "07:30-18:00" in hours and "07:00-19:00" not in hours


@pytest.mark.parametrize(
    ("path", "day", "says"),
    [
        ("/lanes/classes/2nde-a/timetable", "08:00-12:00, 11:00-13:00", "se chevauchent"),
        ("/lanes/classes/2nde-a/timetable", "12:00-08:00", "plage horaire invalide"),
        ("/lanes/opening-hours", "7h-19h", "plage horaire invalide"),
        ("/lanes/opening-hours", "x" * 300, "trop long"),
    ],
)
def test_a_bad_range_is_refused_with_a_400_and_nothing_saved(
    server: Server, path: str, day: str, says: str
) -> None:
    admin = server.signed_in("administration")
    add_person(admin, last_name="Durand", first_name="Alice", role="student", groups=["2nde A"])
    before = _setup(server)
    response = admin.post(path, data={"csrf": _csrf(admin), "day-monday": day})
    assert response.status_code == 400
    assert says in _page_text(response)
    assert _setup(server) == before


def test_the_administration_offers_face_comparison_per_lane(server: Server) -> None:
    admin = server.signed_in("administration")
    add_person(admin, last_name="Durand", first_name="Alice", role="student", groups=["2nde A"])
    assert _setup(server)[2] is False
    page = _page_text(admin.get("/lanes"))
    assert "seulement pour qui y a consenti" in page
    offer = admin.post("/lanes/entree/face", data={"csrf": _csrf(admin), "offered": "yes"})
    assert offer.status_code == 303
    assert "Ne plus proposer" in _page_text(admin.get("/lanes"))
    assert _setup(server)[2] is True
    refused = admin.post("/lanes/entree/face", data={"csrf": _csrf(admin), "offered": "maybe"})
    assert refused.status_code == 400
    unknown = admin.post("/lanes/garage/face", data={"csrf": _csrf(admin), "offered": "no"})
    assert unknown.status_code == 400 and "Voie inconnue" in _page_text(unknown)
    assert _setup(server)[2] is True


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/lanes/opening-hours", {"day-monday": "10:00-11:00"}),
        ("/lanes/classes/2nde-a/timetable", {"day-monday": "10:00-11:00"}),
        ("/lanes/entree/face", {"offered": "yes"}),
    ],
)
def test_the_lanes_forms_without_their_csrf_token_change_nothing(
    server: Server, path: str, data: dict[str, str]
) -> None:
    admin = server.signed_in("administration")
    add_person(admin, last_name="Durand", first_name="Alice", role="student", groups=["2nde A"])
    before = _setup(server)
    assert admin.post(path, data=data).status_code == 403
    assert admin.post(path, data={"csrf": "forged", **data}).status_code == 403
    assert _setup(server) == before
