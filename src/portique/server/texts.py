"""The console's words in French (by default) and English, and the language of a request.

The words themselves are in the catalogue ``texts.toml`` beside this module, a section
per set of pages; a page's words are read through :func:`translator`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fastapi import Request

from portique.i18n import Texts, catalogue, process_language

LANGUAGES = ("fr", "en")
LANG_COOKIE = "portique_lang"

CATALOGUE: Mapping[str, Texts] = catalogue("portique.server", "texts.toml")
"""The console's words by section (``texts.toml`` beside this module)."""
TEXTS: Texts = CATALOGUE["console"]
"""The words every page shares."""


def negotiate(request: Request) -> str:
    """``?lang=``, else the language chosen before (cookie), else Accept-Language, else the
    process's (French unless PORTIQUE_LANG or the locale says otherwise)."""
    asked = request.query_params.get("lang", "").strip().lower()[:2]
    if asked in LANGUAGES:
        return asked
    chosen = request.cookies.get(LANG_COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    weighted: list[tuple[float, str]] = []
    for part in request.headers.get("Accept-Language", "").split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        code = tag.strip().lower()[:2]
        if code in LANGUAGES:
            weighted.append((quality, code))
    if weighted:
        return max(weighted, key=lambda item: item[0])[1]
    return process_language()


def translator(lang: str, table: Texts = TEXTS) -> Callable[[str], str]:
    """``t(key)``: the console text ``key`` in ``lang`` (from ``table``: a page's own
    words, or by default those every page shares)."""
    index = LANGUAGES.index(lang) if lang in LANGUAGES else 0

    def t(key: str) -> str:
        pair = table.get(key)
        return key if pair is None else pair[index]

    return t
