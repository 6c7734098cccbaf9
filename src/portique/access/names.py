"""People's names as Portique stores and compares them: no control characters, and a
likeness key that folds look-alike characters for the refusal list.

A name is typed by a person or read from a file or a request: an ESC or a NUL in it
would reach an agent's terminal through ``person list``, a right-to-left override would
show it reversed. :func:`name_problem` refuses those characters at every entry (the
services, the CSV reader, the API's models).

The refusal list compares names by :func:`likeness_key`: the Unicode confusable
skeleton of UTS #39 (ICU's spoof checker, through PyICU), without case, accents or
punctuation, so "Dupоnt" with a Cyrillic "о" (U+043E) is the barred "Dupont" and not a
stranger. ICU is loaded on first use only: a lane never compares names.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any

from portique.i18n import text

ALLOWED_FORMAT_CHARACTERS = frozenset({"\u200c", "\u200d"})
"""Zero-width non-joiner and joiner: part of the spelling of names in some scripts."""
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_WHITESPACE_CONTROLS = frozenset({"\t", "\n", "\r"})
"""Tabs and line breaks are turned into spaces by the name's cleaning, not refused."""


def refused_characters(value: str) -> list[str]:
    """The characters of ``value`` a name may not hold (controls, invisible format
    characters, unassigned or private code points), as ``U+XXXX``."""
    found = []
    for char in value:
        if char in _WHITESPACE_CONTROLS or char in ALLOWED_FORMAT_CHARACTERS:
            continue
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            code = f"U+{ord(char):04X}"
            if code not in found:
                found.append(code)
    return found


def name_problem(value: str, what: str) -> str | None:
    """Why ``value`` cannot be a name (``what`` names the field), or None when it can."""
    found = refused_characters(value)
    if not found:
        return None
    shown = ", ".join(found[:5])
    return text(
        f"{what} : caractère(s) de contrôle ou invisible(s) refusé(s) ({shown})",
        f"{what}: control or invisible character(s) refused ({shown})",
    )


def plain_name(value: str) -> str:
    """``value`` if it can be a name; for Pydantic models (a ValueError becomes a 422)."""
    problem = name_problem(value, text("nom", "name"))
    if problem is not None:
        raise ValueError(problem)
    return value


def shown(value: str) -> str:
    """``value`` with any refused character replaced by U+FFFD, for names stored before
    they were checked and printed to a terminal."""
    return "".join(
        "\ufffd"
        if char not in ALLOWED_FORMAT_CHARACTERS
        and unicodedata.category(char) in _REFUSED_CATEGORIES
        else char
        for char in value
    )


@lru_cache(maxsize=1)
def _spoof_checker() -> Any:
    import icu

    return icu.SpoofChecker()


def likeness_key(value: str) -> str:
    """What ``value`` looks like, for comparing names: the UTS #39 skeleton of its
    case-folded NFKC form, then without accents and with letters and digits only (of any
    script: a name written in Cyrillic keeps its letters)."""
    folded = unicodedata.normalize("NFKC", value).casefold()
    skeleton = str(_spoof_checker().getSkeleton(0, folded))
    decomposed = unicodedata.normalize("NFKD", skeleton.casefold())
    return "".join(
        char for char in decomposed if not unicodedata.combining(char) and char.isalnum()
    )
