"""The language of a message: the process's, or the one spoken in the current context."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from portique.i18n import catalogue, language, number, process_language, speaking, text


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


@pytest.mark.parametrize(
    ("package", "name", "sections"),
    [
        (
            "portique.server",
            "texts.toml",
            {"console", "registers", "documents", "people", "accounts"},
        ),
        ("portique.access", "labels.toml", {"outcome", "reason"}),
        ("portique.registers", "labels.toml", {"change", "cause"}),
        ("portique.privacy", "labels.toml", {"field"}),
        (
            "portique.commands",
            "help.toml",
            {
                "options",
                "assessment",
                "backup",
                "broker",
                "credentials",
                "demo",
                "documents",
                "faces",
                "lane",
                "models",
                "pad",
                "passage",
                "people",
                "privacy",
                "registers",
                "server",
                "site",
                "visitors",
            },
        ),
    ],
)
def test_every_shipped_catalogue_gives_french_and_english_words(
    package: str, name: str, sections: set[str]
) -> None:
    found = catalogue(package, name)
    assert set(found) == sections
    for texts in found.values():
        assert texts and all(french and english for french, english in texts.values())


def test_a_catalogue_entry_that_is_not_a_pair_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "broken_words"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "words.toml").write_text(
        '[console]\nyes = ["oui", "yes"]\nno = ["non"]\n', encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError, match=r"words.toml \[console\] no"):
        catalogue("broken_words", "words.toml")
