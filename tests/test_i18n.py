"""The language of a message: the process's, or the one spoken in the current context."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from portique.i18n import language, number, process_language, speaking, text


@pytest.fixture
def french_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PORTIQUE_LANG", "fr")
    process_language.cache_clear()
    yield
    monkeypatch.undo()
    process_language.cache_clear()


def test_a_context_speaking_english_gets_english_texts_from_a_french_process(
    french_process: None,
) -> None:
    assert text("oui", "yes") == "oui"
    with speaking("en"):
        assert language() == "en"
        assert text("oui", "yes") == "yes" and number(1.5, 1) == "1.5"
    assert text("oui", "yes") == "oui" and number(1.5, 1) == "1,5"


def test_an_unknown_language_leaves_the_process_language(french_process: None) -> None:
    with speaking("de"):
        assert language() == "fr"
    with speaking(None):
        assert language() == "fr"


def test_another_thread_keeps_its_own_language(french_process: None) -> None:
    seen: list[str] = []
    with speaking("en"):
        thread = threading.Thread(target=lambda: seen.append(language()))
        thread.start()
        thread.join()
        assert language() == "en"
    # A thread started plainly does not inherit the context: it speaks the process's.
    assert seen == ["fr"]
