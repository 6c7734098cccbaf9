"""French and English texts, French by default: the language of the process, or of the
request being served.

The process speaks ``PORTIQUE_LANG`` (else the locale, else French). A server serving
several people speaks each request's language instead: it runs the request inside
:func:`speaking`, and every message made meanwhile (``text``, ``number``, ``percent``,
the errors the services raise) is in that language.
"""

from __future__ import annotations

import locale
import os
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache, lru_cache
from importlib import resources
from types import MappingProxyType

LANGUAGES = ("fr", "en")

Texts = Mapping[str, tuple[str, str]]
"""Words by key, each as (French, English): a section of a catalogue."""

_spoken: ContextVar[str | None] = ContextVar("portique_language", default=None)
"""The language of the request being served in this context; None: the process's."""


@lru_cache(maxsize=1)
def process_language() -> str:
    """The language of the process: PORTIQUE_LANG, else the locale, else French."""
    wanted = os.environ.get("PORTIQUE_LANG", "").strip().lower()[:2]
    if wanted in LANGUAGES:
        return wanted
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "")
        if value:
            code = value.lower()[:2]
            return code if code in LANGUAGES else "fr"
    try:
        code = (locale.getlocale()[0] or "").lower()[:2]
    except ValueError:
        code = ""
    return code if code in LANGUAGES else "fr"


def language() -> str:
    """The language of what is being done now: the request's, else the process's."""
    return _spoken.get() or process_language()


@contextmanager
def speaking(lang: str | None) -> Iterator[None]:
    """Everything made in this block (and in the tasks and threads it starts) speaks
    ``lang``; an unknown language or None leaves the process's."""
    token = _spoken.set(lang if lang in LANGUAGES else None)
    try:
        yield
    finally:
        _spoken.reset(token)


def text(fr: str, en: str) -> str:
    """The French or English form of a text, by the interface language."""
    return en if language() == "en" else fr


def number(value: float, digits: int = 3) -> str:
    """A decimal number as the interface language writes it (comma in French)."""
    formatted = f"{value:.{digits}f}"
    return formatted.replace(".", ",") if language() == "fr" else formatted


def percent(value: float, digits: int = 2) -> str:
    """A fraction (0.9878) as a percentage (98,78 %)."""
    formatted = number(value * 100.0, digits)
    return f"{formatted} %" if language() == "fr" else f"{formatted}%"


@cache
def catalogue(package: str, name: str) -> Mapping[str, Texts]:
    """The sections of the TOML catalogue ``name`` shipped in ``package``: each table of
    the file a section (``[console]``...), each of its keys ``["French", "English"]``.

    Raises:
        ValueError: an entry is not a pair of strings (the catalogue itself is broken).
    """
    with resources.files(package).joinpath(name).open("rb") as file:
        tables = tomllib.load(file)
    return MappingProxyType(
        {section: _section(f"{name} [{section}]", entries) for section, entries in tables.items()}
    )


def _section(where: str, entries: object) -> Texts:
    if not isinstance(entries, dict):
        raise ValueError(f"{where}: a section is a table of keys")
    texts: dict[str, tuple[str, str]] = {}
    for key, pair in entries.items():
        if not (
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(s, str) for s in pair)
        ):
            raise ValueError(f"{where} {key}: a text is [French, English]")
        texts[key] = (pair[0], pair[1])
    return MappingProxyType(texts)


ERROR_HEADLINES: dict[str, tuple[str, str]] = {
    "unreadable_image": ("Image illisible", "Unreadable image"),
    "image_too_large": ("Image trop grande", "Image too large"),
    "no_face": ("Aucun visage", "No face"),
    "multiple_faces": ("Plusieurs visages", "Several faces"),
    "low_quality": ("Qualité insuffisante", "Quality too low"),
    "template_mismatch": ("Gabarits incompatibles", "Incompatible templates"),
    "configuration": ("Configuration incorrecte", "Configuration problem"),
    "model": ("Modèle inutilisable", "Unusable model"),
    "dataset": ("Jeu de données inutilisable", "Unusable dataset"),
    "store_unavailable": ("Base de données injoignable", "Database unreachable"),
    "store_conflict": ("Conflit dans la base de données", "Database conflict"),
    "store_schema": ("Schéma de base de données incompatible", "Incompatible database schema"),
    "no_site": ("Aucun établissement", "No site"),
    "site_exists": ("Établissement déjà créé", "Site already exists"),
    "unknown_person": ("Personne inconnue", "Unknown person"),
    "unknown_credential": ("Titre d'accès inconnu", "Unknown credential"),
    "bad_person": ("Personne invalide", "Invalid person"),
    "consent": ("Consentement", "Consent"),
    "face_not_allowed": ("Visage non autorisé", "Face not allowed"),
    "bad_roster": ("Fichier d'élèves invalide", "Invalid roster file"),
    "bad_qr_image": ("QR code illisible", "Unreadable QR code"),
    "keyring": ("Trousseau de clés", "Keyring"),
    "credential": ("Titre d'accès refusé", "Credential refused"),
    "bad_input": ("Entrée invalide", "Invalid input"),
    "bad_register": ("Export du registre inutilisable", "Unusable register export"),
    "bad_encoding": ("Encodage incorrect", "Wrong encoding"),
    "wrong_establishment": ("Autre établissement", "Another establishment"),
    "no_uai": ("Code UAI manquant", "No UAI code"),
    "mass_departure": ("Départ massif refusé", "Mass departure refused"),
    "unknown_departure": ("Départ inconnu", "Unknown departure"),
}


def error_headline(code: str) -> str:
    """A short, translated title for an error code."""
    fr, en = ERROR_HEADLINES.get(code, ("Erreur", "Error"))
    return text(fr, en)
