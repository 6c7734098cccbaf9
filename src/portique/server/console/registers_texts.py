"""The words of the console's register pages, in French (by default) and English: the
``[registers]`` section of the console's catalogue (``server/texts.toml``)."""

from __future__ import annotations

from collections.abc import Callable

from portique.i18n import Texts
from portique.server.texts import CATALOGUE, translator

REGISTER_TEXTS: Texts = CATALOGUE["registers"]


def register_translator(lang: str) -> Callable[[str], str]:
    """``r(key)``: the register pages' text ``key`` in ``lang``."""
    return translator(lang, REGISTER_TEXTS)
