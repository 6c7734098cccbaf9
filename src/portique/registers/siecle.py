"""The SIECLE exports read into typed records: pupils (``BEE_ELEVES``) and their legal
guardians (``BEE_RESPONSABLES``).

What the files hold, as public importers of them (SACoche, GEPI, Pix) read them:

- ``ElevesSansAdresses.xml`` / ``ElevesAvecAdresses.xml``, root ``BEE_ELEVES``:
  ``PARAMETRES`` (``UAJ``, ``ANNEE_SCOLAIRE``, ``DATE_EXPORT``), then under ``DONNEES``
  one ``ELEVES/ELEVE`` per pupil (attribute ``ELEVE_ID``, the pupil's number in the
  establishment's base; ``ID_NATIONAL``, the INE; ``NOM_DE_FAMILLE`` or, in older
  exports, ``NOM``; ``NOM_USAGE``; ``PRENOM``; ``DATE_NAISS``, ``DATE_ENTREE`` and
  ``DATE_SORTIE`` as dd/mm/yyyy) and one ``STRUCTURES/STRUCTURES_ELEVE`` per pupil
  (attribute ``ELEVE_ID``) listing ``STRUCTURE`` elements: ``CODE_STRUCTURE`` and
  ``TYPE_STRUCTURE``, ``D`` for the division (the class) and ``G`` for a group.
- ``ResponsablesAvecAdresses.xml``, root ``BEE_RESPONSABLES``: ``PERSONNES/PERSONNE``
  (attribute ``PERSONNE_ID``; ``NOM_DE_FAMILLE`` or ``NOM``, ``PRENOM``) and
  ``RESPONSABLES/RESPONSABLE_ELEVE`` linking ``ELEVE_ID`` to ``PERSONNE_ID`` with
  ``RESP_LEGAL``: 1 or 2 for a legal guardian, 0 for another contact (not kept).

Everything a line gets wrong is reported as a :class:`LineError` naming the element by
its SIECLE number, never by a name, a birth date or an INE.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from xml.etree.ElementTree import Element

from portique.access.names import name_problem
from portique.dates import DateRangeError, check_date
from portique.i18n import text
from portique.registers.errors import RegisterFormatError
from portique.registers.xmlfile import XmlExport, child_text, read_export

PUPILS_ROOT = "BEE_ELEVES"
GUARDIANS_ROOT = "BEE_RESPONSABLES"
PUPIL_FILES = ("elevessansadresses.xml", "elevesavecadresses.xml")
GUARDIAN_FILES = ("responsablesavecadresses.xml", "responsablessansadresses.xml")
DIVISION = "D"
GROUP = "G"
INACTIVE_DIVISIONS = frozenset({"inactifs"})
"""Pseudo-divisions some bases keep for pupils without a class."""
LEGAL_GUARDIAN_RANKS = frozenset({"1", "2"})
MAX_NAME_LENGTH = 200
MAX_CODE_LENGTH = 64

_INE = re.compile(r"[0-9A-Z]{11}")
FRENCH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
"""A date as the exports of the ministry write it: dd/mm/yyyy."""


@dataclass(frozen=True)
class LineError:
    """A problem with one element of an export: which one, and what is wrong."""

    element: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"element": self.element, "message": self.message}


@dataclass(frozen=True)
class RegisterPupil:
    """A pupil as the register has them. ``division`` is the class code."""

    eleve_id: str
    ine: str | None
    last_name: str
    first_name: str
    birth_date: date
    entry_date: date | None
    leaving_date: date | None
    division: str | None
    groups: tuple[str, ...]


@dataclass(frozen=True)
class PupilsExport:
    """A ``BEE_ELEVES`` export: establishment, year, pupils and the lines refused."""

    uaj: str
    school_year: int | None
    exported_on: date | None
    encoding: str
    digest: str
    pupils: tuple[RegisterPupil, ...]
    errors: tuple[LineError, ...]


@dataclass(frozen=True)
class RegisterGuardian:
    """A legal guardian and the register numbers (``ELEVE_ID``) of their pupils."""

    personne_id: str
    last_name: str
    first_name: str
    pupils: tuple[str, ...]


@dataclass(frozen=True)
class GuardiansExport:
    """A ``BEE_RESPONSABLES`` export: the legal guardians linked to a pupil."""

    uaj: str
    school_year: int | None
    encoding: str
    digest: str
    guardians: tuple[RegisterGuardian, ...]
    errors: tuple[LineError, ...]


class _LineProblem(Exception):
    """One element cannot be used; becomes a LineError."""


def read_pupils(data: bytes, *, name: str = "ElevesSansAdresses.xml") -> PupilsExport:
    """The pupils of a SIECLE "élèves" export (XML, or the ZIP SIECLE hands out).

    Raises:
        RegisterFormatError, RegisterEncodingError: the file cannot be used at all.
    """
    export = _open(data, name, PUPILS_ROOT, PUPIL_FILES)
    structures = _structures(export.data)
    pupils: list[RegisterPupil] = []
    errors: list[LineError] = []
    seen_ids: set[str] = set()
    seen_ines: set[str] = set()
    for element in export.data.iterfind("ELEVES/ELEVE"):
        label = _label("ELEVE", "ELEVE_ID", element.get("ELEVE_ID"))
        try:
            pupil = _pupil(element, structures, errors, label)
            if pupil.eleve_id in seen_ids:
                raise _LineProblem(text("ELEVE_ID en double", "duplicate ELEVE_ID"))
            if pupil.ine is not None and pupil.ine in seen_ines:
                raise _LineProblem(
                    text("INE déjà porté par un autre élève", "INE held by another pupil")
                )
        except _LineProblem as problem:
            errors.append(LineError(label, str(problem)))
            continue
        seen_ids.add(pupil.eleve_id)
        if pupil.ine is not None:
            seen_ines.add(pupil.ine)
        pupils.append(pupil)
    return PupilsExport(
        export.uaj,
        export.year,
        export.exported_on,
        export.xml.encoding,
        export.xml.digest,
        tuple(pupils),
        tuple(errors),
    )


def read_guardians(data: bytes, *, name: str = "ResponsablesAvecAdresses.xml") -> GuardiansExport:
    """The legal guardians (``RESP_LEGAL`` 1 or 2) of a SIECLE "responsables" export.

    Raises:
        RegisterFormatError, RegisterEncodingError: the file cannot be used at all.
    """
    export = _open(data, name, GUARDIANS_ROOT, GUARDIAN_FILES)
    pupils_of: dict[str, list[str]] = {}
    errors: list[LineError] = []
    for link in export.data.iterfind("RESPONSABLES/RESPONSABLE_ELEVE"):
        personne_id = child_text(link, "PERSONNE_ID") or link.get("PERSONNE_ID", "").strip()
        eleve_id = child_text(link, "ELEVE_ID") or link.get("ELEVE_ID", "").strip()
        if child_text(link, "RESP_LEGAL") not in LEGAL_GUARDIAN_RANKS:
            continue  # another contact: not someone who holds parental authority
        if not personne_id or not eleve_id:
            errors.append(
                LineError(
                    _label("RESPONSABLE_ELEVE", "PERSONNE_ID", personne_id or None),
                    text("ELEVE_ID ou PERSONNE_ID manquant", "ELEVE_ID or PERSONNE_ID missing"),
                )
            )
            continue
        pupils_of.setdefault(personne_id, []).append(eleve_id)
    guardians: list[RegisterGuardian] = []
    for element in export.data.iterfind("PERSONNES/PERSONNE"):
        personne_id = (element.get("PERSONNE_ID") or child_text(element, "PERSONNE_ID")).strip()
        if personne_id not in pupils_of:
            continue  # a contact only, or a guardian of pupils who left long ago
        label = _label("PERSONNE", "PERSONNE_ID", personne_id)
        try:
            guardians.append(
                RegisterGuardian(
                    personne_id=_code(personne_id, "PERSONNE_ID"),
                    last_name=_name(element, ("NOM_DE_FAMILLE", "NOM"), "NOM_DE_FAMILLE"),
                    first_name=_name(element, ("PRENOM",), "PRENOM"),
                    pupils=tuple(dict.fromkeys(pupils_of.pop(personne_id))),
                )
            )
        except _LineProblem as problem:
            errors.append(LineError(label, str(problem)))
    for personne_id in pupils_of:
        errors.append(
            LineError(
                _label("RESPONSABLE_ELEVE", "PERSONNE_ID", personne_id),
                text("aucune PERSONNE avec ce numéro", "no PERSONNE with this number"),
            )
        )
    return GuardiansExport(
        export.uaj,
        export.year,
        export.xml.encoding,
        export.xml.digest,
        tuple(guardians),
        tuple(errors),
    )


@dataclass(frozen=True)
class _Export:
    """A SIECLE file read: its XML, its parameters (establishment, year, date), its data."""

    xml: XmlExport
    uaj: str
    year: int | None
    exported_on: date | None
    data: Element


def _open(data: bytes, name: str, root: str, files: Sequence[str]) -> _Export:
    """A SIECLE export whose root is ``root`` (the XML, or the member of SIECLE's ZIP named
    like one of ``files``), with its PARAMETRES and DONNEES found."""
    xml = read_export(data, name=name, roots=(root,), choose=_chooser(files))
    return _Export(xml, *_parameters(xml, name), _data(xml, name))


def _chooser(wanted: Sequence[str]) -> Callable[[Sequence[str]], str | None]:
    """Picks the member named like a SIECLE file of this kind, else the only XML member."""

    def choose(names: Sequence[str]) -> str | None:
        for candidate in names:
            if candidate.rsplit("/", 1)[-1].lower() in wanted:
                return candidate
        return names[0] if len(names) == 1 else None

    return choose


def _label(tag: str, attribute: str, value: str | None) -> str:
    return f"{tag} {attribute}={value}" if value else tag


def _parameters(export: XmlExport, name: str) -> tuple[str, int | None, date | None]:
    """The establishment code (UAJ), the school year and the export date."""
    uaj = child_text(export.root, "PARAMETRES/UAJ").upper()
    if not uaj:
        raise RegisterFormatError(
            text(
                f"{name} : pas de code établissement (PARAMETRES/UAJ) ; ce n'est pas un export "
                "SIECLE complet.",
                f"{name}: no establishment code (PARAMETRES/UAJ); this is not a whole SIECLE "
                "export.",
            )
        )
    year_text = child_text(export.root, "PARAMETRES/ANNEE_SCOLAIRE")
    year = int(year_text) if year_text.isdigit() else None
    exported = child_text(export.root, "PARAMETRES/DATE_EXPORT")
    try:
        exported_on = _date(exported, "DATE_EXPORT") if exported else None
    except _LineProblem:
        exported_on = None
    return uaj, year, exported_on


def _data(export: XmlExport, name: str) -> Element:
    found = export.root.find("DONNEES")
    if found is None:
        raise RegisterFormatError(
            text(
                f"{name} : pas de section DONNEES ; l'export est vide ou tronqué.",
                f"{name}: no DONNEES section; the export is empty or truncated.",
            )
        )
    return found


def _structures(data: Element) -> dict[str, tuple[str | None, tuple[str, ...]]]:
    """Each pupil's division and groups, by ``ELEVE_ID``."""
    found: dict[str, tuple[str | None, tuple[str, ...]]] = {}
    for element in data.iterfind("STRUCTURES/STRUCTURES_ELEVE"):
        eleve_id = (element.get("ELEVE_ID") or "").strip()
        division: str | None = None
        groups: list[str] = []
        for structure in element.iterfind("STRUCTURE"):
            code = " ".join(child_text(structure, "CODE_STRUCTURE").split())[:MAX_CODE_LENGTH]
            kind = child_text(structure, "TYPE_STRUCTURE").upper()
            if (
                not code
                or code.casefold() in INACTIVE_DIVISIONS
                or name_problem(code, "CODE_STRUCTURE") is not None
            ):
                continue
            if kind == DIVISION and division is None:
                division = code
            elif kind == GROUP and code not in groups:
                groups.append(code)
        if eleve_id:
            found[eleve_id] = (division, tuple(groups))
    return found


def _pupil(
    element: Element,
    structures: dict[str, tuple[str | None, tuple[str, ...]]],
    errors: list[LineError],
    label: str,
) -> RegisterPupil:
    eleve_id = _code((element.get("ELEVE_ID") or "").strip(), "ELEVE_ID")
    ine = child_text(element, "ID_NATIONAL").upper() or None
    if ine is not None and not _INE.fullmatch(ine):
        # The pupil is still matched by their ELEVE_ID; the INE is never echoed.
        errors.append(LineError(label, text("INE mal formé, ignoré", "malformed INE, ignored")))
        ine = None
    division, groups = structures.get(eleve_id, (None, ()))
    return RegisterPupil(
        eleve_id=eleve_id,
        ine=ine,
        last_name=_name(element, ("NOM_USAGE", "NOM_DE_FAMILLE", "NOM"), "NOM_DE_FAMILLE"),
        first_name=_name(element, ("PRENOM",), "PRENOM"),
        birth_date=_date(child_text(element, "DATE_NAISS"), "DATE_NAISS"),
        entry_date=_optional_date(element, "DATE_ENTREE"),
        leaving_date=_optional_date(element, "DATE_SORTIE"),
        division=division,
        groups=groups,
    )


def _code(value: str, what: str) -> str:
    if not value:
        raise _LineProblem(text(f"{what} manquant", f"{what} missing"))
    if len(value) > MAX_CODE_LENGTH:
        raise _LineProblem(text(f"{what} trop long", f"{what} too long"))
    return value


def _name(element: Element, tags: Iterable[str], shown: str) -> str:
    for tag in tags:
        value = " ".join(child_text(element, tag).split())
        if value:
            if len(value) > MAX_NAME_LENGTH:
                raise _LineProblem(text(f"{tag} trop long", f"{tag} too long"))
            # A hostile file may hide control or invisible characters in a name.
            problem = name_problem(value, tag)
            if problem is not None:
                raise _LineProblem(problem)
            return value
    raise _LineProblem(text(f"{shown} manquant", f"{shown} missing"))


def _date(value: str, what: str) -> date:
    match = FRENCH_DATE.fullmatch(value)
    if match is None:
        raise _LineProblem(
            text(
                f"{what} absente ou invalide (attendu jj/mm/aaaa)",
                f"{what} missing or invalid (expected dd/mm/yyyy)",
            )
        )
    day, month, year = (int(part) for part in match.groups())
    try:
        return check_date(date(year, month, day), what)
    except ValueError:
        raise _LineProblem(
            text(f"{what} impossible (jour ou mois)", f"{what} impossible (day or month)")
        ) from None
    except DateRangeError:
        raise _LineProblem(
            text(f"{what} hors de la plage 1900-2100", f"{what} outside 1900-2100")
        ) from None


def _optional_date(element: Element, tag: str) -> date | None:
    value = child_text(element, tag)
    return _date(value, tag) if value else None
