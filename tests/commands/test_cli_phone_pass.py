"""`portique credential phone-link`, and a phone pass presented with `portique pass`:
the living code granted once, then refused as replayed, then as stale."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from cli_support import Cli
from portique.bootstrap import open_site
from portique.config import get_settings
from portique.credentials import PhoneKey, decode_qr, payload_to_text
from portique.services import enrol_phone

BASE = "https://portique.lycee.fr"


def _link(cli: Cli, person: str, *options: str) -> dict[str, object]:
    return cli.json("credential", "phone-link", "--person", person, "--base-url", BASE, *options)


def _enrol(cli: Cli, token: str, phone: PhoneKey, now: datetime) -> tuple[bytes, str, str]:
    """What the phone app does with the link; the pass, its credential id and site."""
    url = get_settings().database_url
    with open_site(cli.directory, database_url=url) as site, site.session() as session:
        enrolled = enrol_phone(
            session, site.site_id, site.keyring(), token, phone.holder_key, now=now
        )
    return enrolled.payload, enrolled.credential_id, enrolled.site_id


def test_a_link_is_printed_with_its_qr_code_and_enrols_once(cli: Cli, tmp_path: Path) -> None:
    person = cli.student(cli.parent())
    qr = tmp_path / "lien.png"
    link = _link(cli, person, "--minutes", "30", "--qr", str(qr))
    assert set(link) == {"person", "enrolment", "link", "expires_at", "qr"}
    assert link["person"] == person and link["qr"] == str(qr)
    url = str(link["link"])
    assert url.startswith(f"{BASE}/phone/#enrol=")
    assert decode_qr(qr.read_bytes()).decode() == url
    assert qr.stat().st_mode & 0o077 == 0  # the link is a secret: owner-only
    token = url.partition("#enrol=")[2]
    now = datetime.fromisoformat(str(link["expires_at"])) - timedelta(minutes=29)
    _enrol(cli, token, PhoneKey(), now)
    from portique.services import SpentEnrolmentLinkError

    with pytest.raises(SpentEnrolmentLinkError):
        _enrol(cli, token, PhoneKey(), now)


def test_the_public_url_setting_is_the_default_base(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTIQUE_PUBLIC_URL", "https://acces.lycee.fr")
    get_settings.cache_clear()
    person = cli.student(cli.parent())
    link = cli.json("credential", "phone-link", "--person", person)
    assert str(link["link"]).startswith("https://acces.lycee.fr/phone/#enrol=")


@pytest.mark.parametrize(
    "options",
    [("--base-url", "portique.lycee.fr"), ("--minutes", "0"), ("--minutes", "20000")],
)
def test_a_bad_link_request_is_exit_2_with_one_line(cli: Cli, options: tuple[str, str]) -> None:
    person = cli.student(cli.parent())
    result = cli.run("credential", "phone-link", "--person", person, *options)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_no_link_without_an_address(cli: Cli) -> None:
    result = cli.run("credential", "phone-link", "--person", cli.student(cli.parent()))
    assert result.exit_code == 2
    assert "PORTIQUE_PUBLIC_URL" in result.output


def test_a_static_phone_code_is_not_issued_any_more(cli: Cli, tmp_path: Path) -> None:
    person = cli.student(cli.parent())
    result = cli.run(
        "credential",
        "issue",
        "--person",
        person,
        "--kind",
        "phone",
        "--out",
        str(tmp_path / "x.png"),
    )
    assert result.exit_code == 2
    assert "phone-link" in result.output


def test_a_living_code_passes_once_then_is_replayed_then_stale(cli: Cli) -> None:
    person = cli.student(cli.parent())
    link = _link(cli, person)
    token = str(link["link"]).partition("#enrol=")[2]
    shown = datetime.fromisoformat(cli.at(10))
    phone = PhoneKey()
    made = datetime.fromisoformat(str(link["expires_at"])) - timedelta(hours=1)
    payload, credential_id, site_id = _enrol(cli, token, phone, made)
    code = phone.living_code(payload, site_id=site_id, credential_id=credential_id, at=shown)
    text = payload_to_text(code)

    def present(at: datetime, code_: int) -> dict[str, object]:
        return cli.json(
            "pass", "--lane", "entree", "--qr-text", text, "--at", at.isoformat(), code=code_
        )

    granted = present(shown + timedelta(seconds=3), 0)
    assert (granted["decision"], granted["credential"]) == ("GRANT", credential_id)
    replayed = present(shown + timedelta(seconds=6), 1)
    assert replayed["reasons"] == ["replayed_code"]
    stale = present(shown + timedelta(seconds=60), 1)
    assert stale["reasons"] == ["stale_code"]
    # The pass alone, out of the code, opens nothing.
    bare = cli.json(
        "pass", "--lane", "entree", "--qr-text", payload_to_text(payload),
        "--at", (shown + timedelta(seconds=4)).isoformat(), code=1,
    )  # fmt: skip
    assert bare["reasons"] == ["bad_signature"]


def test_the_link_is_told_in_words_without_json(sqlite_cli: Cli) -> None:
    person = sqlite_cli.staff()
    result = sqlite_cli.run("credential", "phone-link", "--person", person, "--base-url", BASE)
    assert result.exit_code == 0, result.output
    assert "usage unique" in result.output or "single use" in result.output
    assert f"{BASE}/phone/#enrol=" in result.output
