"""One JSON shape per record: the API and the commands print a record the same way, and
the commands keep the keys they printed before the shapes were shared."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, fields
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cli_support import Cli
from portique import clock
from portique.bootstrap import open_site
from portique.serializers import CredentialOut, RecordOut
from portique.server import create_api_token, create_app
from portique.services import BadgeRecord

MOMENT = datetime(2026, 11, 24, 9, tzinfo=UTC)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    site = Cli(tmp_path / "site")
    site.json("init")
    return site


@pytest.fixture
def api(cli: Cli) -> Iterator[TestClient]:
    """The API of the same site, called with an administration token."""
    with open_site(cli.directory) as site:
        token = create_api_token(site, "tests", "administration", now=clock.now())
    app = create_app(cli.directory)
    with TestClient(app, base_url="https://testserver") as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def _without_earlier_names(printed: dict[str, Any], model: type[RecordOut]) -> dict[str, Any]:
    return {key: value for key, value in printed.items() if key not in model.cli_names}


def test_a_person_listed_by_the_command_is_the_person_the_api_returns(
    cli: Cli, api: TestClient
) -> None:
    from portique.serializers import PersonOut

    kid = cli.student(cli.parent())
    listed = {p["person_id"]: p for p in cli.json("person", "list")["people"]}[kid]
    assert _without_earlier_names(listed, PersonOut) == api.get(f"/api/v1/people/{kid}").json()


def test_the_command_keeps_the_earlier_names_beside_the_fields(cli: Cli) -> None:
    kid = cli.student(cli.parent())
    listed = {p["person"]: p for p in cli.json("person", "list")["people"]}[kid]
    assert listed["person"] == listed["person_id"] == kid
    assert listed["groups"] == listed["group_ids"] == ["2nde-a"]
    assert listed["guardians"] == listed["guardian_ids"]
    assert listed["consent"] is listed["consent_in_force"] is False

    issued = cli.issue(kid)
    assert issued["credential"] == issued["credential_id"]
    assert issued["has_template"] is issued["face_enrolled"] is False
    assert issued["qr_text"].startswith("PQ:") and issued["badge"] is issued["badge_uid"] is None


def test_a_revocation_printed_by_the_command_is_the_one_the_api_returns(
    cli: Cli, api: TestClient
) -> None:
    from portique.serializers import RevocationOut

    credential = cli.issue(cli.staff())["credential_id"]
    printed = cli.json("credential", "revoke", credential, "--reason", "perte")
    answered = api.post(f"/api/v1/credentials/{credential}/revoke", json={"reason": "perte"})
    body = answered.json()
    assert _without_earlier_names(printed, RevocationOut).keys() - {"revoked"} == body.keys()
    for key in ("credential_id", "person_id", "reason"):
        assert printed[key] == body[key]
    assert (printed["changed"], body["changed"]) == (True, False)
    revoked_at = datetime.fromisoformat(printed["revoked_at"])
    assert revoked_at == datetime.fromisoformat(body["revoked_at"])


def test_a_bound_badge_is_a_credential_of_kind_badge() -> None:
    badge = BadgeRecord("c-1", "p-1", "04A1B2C3", MOMENT, MOMENT)
    shaped = CredentialOut.of(badge)
    assert (shaped.kind, shaped.badge_uid, shaped.face_enrolled, shaped.qr_text) == (
        "badge",
        "04A1B2C3",
        False,
        None,
    )
    assert shaped.for_cli()["badge"] == "04A1B2C3"


def test_a_shape_derived_from_its_record_has_the_records_fields_in_their_order() -> None:
    from portique.serializers import VisitAlertOut
    from portique.visitors import AlertKind, VisitAlert

    alert = VisitAlert(7, "v-1", "Ada Martin", AlertKind.OVERSTAY, MOMENT, None, None, None, None)
    shaped = VisitAlertOut.of(alert)
    assert list(shaped.model_dump()) == [field.name for field in fields(VisitAlert)]
    assert shaped.model_dump() == asdict(alert)


def test_a_visit_is_shown_without_the_visitors_birth_date_nor_its_creation_time() -> None:
    from portique.serializers import VisitOut
    from portique.visitors import VisitKind, VisitRecord, VisitStatus

    visit = VisitRecord(
        visit_id="v-1",
        person_id="p-1",
        last_name="Martin",
        first_name="Ada",
        birth_date=date(1980, 5, 4),
        host_id=None,
        host_name=None,
        purpose="Rendez-vous",
        kind=VisitKind.INVITED,
        status=VisitStatus.EXPECTED,
        expected_from=MOMENT,
        expected_until=MOMENT,
        zones=("z-1",),
        email=None,
        credential_id=None,
        checked_in_at=None,
        checked_out_at=None,
        created_by="accueil",
        created_at=MOMENT,
    )
    printed = VisitOut.of(visit).for_cli()
    assert "birth_date" not in printed and "created_at" not in printed
    assert printed["visit"] == printed["visit_id"] == "v-1"
    assert list(VisitOut.model_json_schema(mode="serialization")["properties"]) == [
        name for name in printed if name not in VisitOut.cli_names
    ]
