"""A class at a time: its cards issued as an A4 sheet and a ZIP (each card passing at a
lane), its credentials revoked (refused at the lane afterwards), its paper consents
recorded; each previewed, confirmed, run as a job and audited person by person."""

from __future__ import annotations

import io
import re
import zipfile

import httpx
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from server_support import Server, add_person, present

from portique.credentials.qr import decode_qr
from portique.credentials.text import payload_to_text
from portique.privacy import audit

CLASS_SIZE = 35


def _class(admin: TestClient, size: int, name: str = "2nde B") -> list[str]:
    lines = ["Nom;Prénom;Né(e) le;Classe"] + [
        f"Élève{index:02d};Zoé;01/02/2000;{name}" for index in range(size)
    ]
    files = {"file": ("classe.csv", "\n".join(lines).encode(), "text/csv")}
    report = admin.post("/api/v1/people/import", files=files).json()
    assert report["imported"] == size, report
    people: list[str] = report["people"]
    return people


def _post(client: TestClient, path: str, data: dict[str, object]) -> httpx.Response:
    """A console form posted with its session's CSRF token."""
    return client.post(path, data={"csrf": client.headers["X-CSRF-Token"], **data})


def _ticked(html: str) -> list[str]:
    return re.findall(r'name="person" value="(p-[a-z0-9]+)"', html)


def _finish(admin: TestClient, started: httpx.Response) -> str:
    """The job's page once it is done (the page reloads itself while it runs)."""
    assert started.status_code == 303, started.text
    location = started.headers["location"]
    for _ in range(2000):
        page = admin.get(location)
        assert page.status_code == 200
        if 'data-state="running"' not in page.text:
            assert 'data-state="done"' in page.text, page.text
            return page.text
    raise AssertionError("the job never finished")


def _card_images(pdf: bytes) -> list[bytes]:
    """The JPEG images of a PDF written by Pillow (one per card, or one per page)."""
    return re.findall(rb"\xff\xd8.*?\xff\xd9(?=\s*endstream)", pdf, flags=re.S)


def test_a_class_of_35_gets_its_cards_as_a_sheet_and_a_zip_that_pass_at_the_lane(
    server: Server,
) -> None:
    admin = server.signed_in("administration")
    people = _class(admin, CLASS_SIZE)
    listed = admin.get("/people", params={"class": "2nde-b"})
    assert "/people/bulk/cards?class=2nde-b" in listed.text

    preview = admin.get("/people/bulk/cards", params={"class": "2nde-b"})
    assert preview.status_code == 200
    assert sorted(_ticked(preview.text)) == sorted(people)
    unconfirmed = _post(
        admin, "/people/bulk/cards?class=2nde-b", {"person": people, "skip_holders": "yes"}
    )
    assert unconfirmed.status_code == 400
    report = _finish(
        admin,
        _post(
            admin,
            "/people/bulk/cards?class=2nde-b",
            {"person": people, "skip_holders": "yes", "confirm": "yes"},
        ),
    )
    assert report.count('class="done"') == CLASS_SIZE
    job = re.search(r'href="(/jobs/[^/"]+)/planche.pdf"', report)
    assert job is not None
    sheet = admin.get(f"{job.group(1)}/planche.pdf")
    assert sheet.headers["content-type"] == "application/pdf"
    assert sheet.content.count(b"/Type /Page\n") + sheet.content.count(b"/Type /Page\r") >= 4
    archive = zipfile.ZipFile(io.BytesIO(admin.get(f"{job.group(1)}/cartes.zip").content))
    assert len(archive.namelist()) == CLASS_SIZE

    codes = [
        payload_to_text(decode_qr(_card_images(archive.read(n))[0])) for n in archive.namelist()
    ]
    on_sheet = [
        payload_to_text(bytes(found.bytes))
        if not bytes(found.bytes).startswith(b"PQ:")
        else bytes(found.bytes).decode()
        for page in _card_images(sheet.content)
        for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(page)).convert("L"))
    ]
    assert set(codes) <= set(on_sheet)  # zxing may also see a stray pattern on a page
    lane = server.lane()
    for code in codes:
        passage = present(lane, code)
        assert passage["outcome"] == "grant", passage

    # A card is handed over to the account that made it, and to nobody else.
    other = server.signed_in("dpo")
    assert other.get(f"{job.group(1)}/cartes.zip").status_code == 404


def test_the_revoked_credentials_of_a_class_are_refused_at_the_lane(server: Server) -> None:
    admin = server.signed_in("administration")
    people = _class(admin, 4, name="TG3")
    cards = {
        person_id: admin.post("/api/v1/credentials", json={"person_id": person_id}).json()
        for person_id in people
    }
    preview = admin.get("/people/bulk/revoke", params={"class": "tg3"})
    assert "4" in preview.text and sorted(_ticked(preview.text)) == sorted(people)
    missing_reason = _post(
        admin, "/people/bulk/revoke?class=tg3", {"person": people, "confirm": "yes"}
    )
    assert missing_reason.status_code == 400
    kept = people[0]
    report = _finish(
        admin,
        _post(
            admin,
            "/people/bulk/revoke?class=tg3",
            {"person": people[1:], "confirm": "yes", "reason": "départ de la classe"},
        ),
    )
    assert report.count('class="done"') == 3

    lane = server.lane()
    for person_id, card in cards.items():
        passage = present(lane, card["qr_text"])
        expected = "grant" if person_id == kept else "deny"
        assert passage["outcome"] == expected, passage
        codes = [reason["code"] for reason in passage["reasons"]]  # type: ignore[attr-defined]
        assert (expected == "deny") == ("revoked" in codes)

    with server.app.state.portique.site.session() as session:
        revoked = [
            entry
            for entry in audit.entries(session, server.app.state.portique.site.site_id)
            if entry.action == "credentials.update" and entry.actor == "account:administration"
        ]
    assert len(revoked) == 3


def test_paper_consents_are_recorded_for_the_forms_that_came_back(server: Server) -> None:
    admin = server.signed_in("administration")
    parent = add_person(admin, last_name="Morel", first_name="Claire", role="parent")
    minors = [
        add_person(admin, last_name="Morel", first_name=first, birth_date="2012-05-05",
                   role="student", groups=["6e A"], guardian_ids=[parent])
        for first in ("Léo", "Inès")
    ]  # fmt: skip
    adult = add_person(admin, last_name="Morel", first_name="Adam", role="student", groups=["6e A"])
    preview = admin.get("/people/bulk/consent", params={"class": "6e-a"})
    assert preview.status_code == 200
    assert f'name="signed-{minors[0]}"' in preview.text and "Claire Morel" in preview.text
    report = _finish(
        admin,
        _post(admin, "/people/bulk/consent?class=6e-a",
            {f"signed-{minors[0]}": parent, f"signed-{minors[1]}": "", f"signed-{adult}": "self",
                  "confirm": "yes"},
        ),
    )  # fmt: skip
    assert report.count('class="done"') == 2
    consents = {
        p["person_id"]: p["consent_in_force"]
        for p in admin.get("/api/v1/people", params={"class": "6e-a"}).json()
    }
    assert consents == {minors[0]: True, minors[1]: False, adult: True}


def test_an_action_needs_a_filter_and_the_right_role(server: Server) -> None:
    admin = server.signed_in("administration")
    add_person(admin)
    assert admin.get("/people/bulk/revoke").status_code == 400
    nobody = _post(admin, "/people/bulk/revoke?role=staff", {"confirm": "yes", "reason": "départ"})
    assert nobody.status_code == 400 and "Cochez entre 1 et 400 personnes." in nobody.text
    agent = server.signed_in("agent")
    assert agent.get("/people/bulk/revoke", params={"role": "staff"}).status_code == 403
