"""Each request speaks its own language: the console page and the API answer show the
services' errors in the language the page or the call asked for, whatever the language
of the server process."""

from __future__ import annotations

from collections.abc import Iterator
from html import unescape

import pytest
from server_support import Server

from portique.i18n import process_language

ENGLISH = "No person 'p-nobody' at this site."
FRENCH = "Aucune personne 'p-nobody' dans l'établissement."


@pytest.fixture
def process_speaks(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Set the process's language with ``PORTIQUE_LANG`` (read once, hence the cache)."""
    process_language.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    process_language.cache_clear()


def test_an_english_page_shows_a_service_error_in_english_on_a_french_server(
    server: Server, process_speaks: pytest.MonkeyPatch
) -> None:
    process_speaks.setenv("PORTIQUE_LANG", "fr")
    admin = server.signed_in("administration")
    page = admin.get("/people/p-nobody?lang=en")
    assert page.status_code == 404
    assert ENGLISH in unescape(page.text) and "Unknown person" in page.text
    assert FRENCH not in unescape(page.text)
    remembered = admin.get("/people/p-nobody")
    assert ENGLISH in unescape(remembered.text)


def test_an_english_api_call_gets_a_service_error_in_english_on_a_french_server(
    server: Server, process_speaks: pytest.MonkeyPatch
) -> None:
    process_speaks.setenv("PORTIQUE_LANG", "fr")
    admin = server.signed_in("administration")
    english = admin.get("/api/v1/people/p-nobody", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert english.json()["message"] == ENGLISH
    french = admin.get("/api/v1/people/p-nobody")
    assert french.json()["message"] == FRENCH


def test_a_french_page_and_call_get_service_errors_in_french_on_an_english_server(
    server: Server, process_speaks: pytest.MonkeyPatch
) -> None:
    process_speaks.setenv("PORTIQUE_LANG", "en")
    admin = server.signed_in("administration")
    page = admin.get("/people/p-nobody", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert FRENCH in unescape(page.text) and "Personne inconnue" in page.text
    call = admin.get("/api/v1/people/p-nobody?lang=fr")
    assert call.json()["message"] == FRENCH


def test_a_request_that_names_no_language_speaks_the_servers(
    server: Server, process_speaks: pytest.MonkeyPatch
) -> None:
    process_speaks.setenv("PORTIQUE_LANG", "en")
    admin = server.signed_in("administration")
    assert admin.get("/api/v1/people/p-nobody").json()["message"] == ENGLISH
    assert 'lang="en"' in admin.get("/people/p-nobody").text


def test_a_validation_error_speaks_the_language_of_the_call(
    server: Server, process_speaks: pytest.MonkeyPatch
) -> None:
    process_speaks.setenv("PORTIQUE_LANG", "fr")
    admin = server.signed_in("administration")
    english = admin.post("/api/v1/people?lang=en", json={"last_name": "Roux"})
    assert english.status_code == 422
    assert english.json()["message"].startswith("Invalid request: ")
