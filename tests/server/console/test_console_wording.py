"""Each language its own punctuation: no French spacing before a colon, no guillemets in
the English console; French keeps its no-break space before a colon."""

from __future__ import annotations

import re

import pytest
from server_support import Server, add_person

FRENCH_SPACING = re.compile(r"[\s\u00a0\u202f][:;!?](?=[\s<]|$)|«|»")


def _text(html: str) -> str:
    """The words of a page (its scripts, styles and tags left out)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize(
    ("role", "paths"),
    [
        ("administration", ["/people", "/people/{guardian}", "/people/{minor}", "/people/import",
                            "/lanes", "/registers", "/documents"]),
        ("agent", ["/live", "/alerts", "/roster", "/lockdown", "/departures"]),
    ],
)  # fmt: skip
def test_the_english_console_has_no_french_spacing(
    server: Server, role: str, paths: list[str]
) -> None:
    admin = server.signed_in("administration")
    guardian = add_person(admin, last_name="Morel", first_name="Claire", role="parent")
    minor = add_person(admin, last_name="Morel", first_name="Léo", birth_date="2012-05-05",
                       role="student", groups=["6e A"], guardian_ids=[guardian])  # fmt: skip
    client = admin if role == "administration" else server.signed_in(role)
    for path in paths:
        page = client.get(path.format(guardian=guardian, minor=minor), params={"lang": "en"})
        assert page.status_code == 200, path
        found = FRENCH_SPACING.findall(_text(page.text))
        assert not found, f"{path}: {found}"


def test_guardians_are_introduced_in_each_language_s_way(server: Server) -> None:
    admin = server.signed_in("administration")
    guardian = add_person(admin, last_name="Morel", first_name="Claire", role="parent")
    minor = add_person(admin, last_name="Morel", first_name="Léo", birth_date="2012-05-05",
                       role="student", guardian_ids=[guardian])  # fmt: skip
    english = admin.get(f"/people/{minor}", params={"lang": "en"}).text
    french = admin.get(f"/people/{minor}", params={"lang": "fr"}).text
    assert "Guardians:" in english and "themself" not in english
    assert "Représentants légaux\u00a0:" in french
