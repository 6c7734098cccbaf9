"""Reading the people files French school systems export (CSV), and the values in them.

Exports from school software (SIECLE, Pronote, ÉDT...) are CSV files with a header line
such as ``Nom;Prénom;Né(e) le;Classe`` (maybe under a title line, or Excel's ``sep=;``),
separated by ``;`` (or ``,`` or a tab), in
UTF-8 with or without a byte-order mark, or in Windows-1252 / Latin-1, with dates as
``dd/mm/yyyy``. Other columns are ignored. Each row becomes a :class:`RosterRow` or a
:class:`RejectedRow` with its line number and the reason; a file that cannot be read
at all (no header, a missing column) raises :class:`RosterFormatError`.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from portique.access import Role
from portique.access.names import name_problem
from portique.dates import DateRangeError, check_date
from portique.i18n import text
from portique.services.errors import PersonInputError, RosterFormatError, RosterTooLargeError

MAX_ROSTER_BYTES = 20_000_000
MAX_ROSTER_LINES = 100_000
"""Lines of a people file (a large school has a few thousand people): a file with more is
refused before its lines are read."""
MAX_ROSTER_COLUMNS = 64
"""Separators on one line past which a file is refused before its lines are split."""
HEADER_SEARCH_LINES = 10
"""The header is looked for in the first lines that are not blank."""
MAX_NAME_LENGTH = 200
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
SHOWN_COLUMNS = 6
SHOWN_CELL_LENGTH = 24
"""How much of a header that names no required column an error message shows."""

# Header cells are compared without accents, case, spaces or punctuation: "Né(e) le" is "neele".
_COLUMNS: dict[str, tuple[str, ...]] = {
    "last_name": ("nom", "nomdefamille", "nomdusage", "nomeleve", "lastname", "surname"),
    "first_name": ("prenom", "prenoms", "prenom1", "prenomeleve", "firstname", "givenname"),
    "birth_date": (
        "neele",
        "nele",
        "neel",
        "datedenaissance",
        "datenaissance",
        "datenais",
        "naissance",
        "birthdate",
        "dateofbirth",
    ),
    "group": ("classe", "division", "classes", "groupe", "class", "group"),
    "role": ("role", "statut", "profil", "qualite"),
}
_REQUIRED = ("last_name", "first_name", "birth_date")
_COLUMN_LABELS = {"last_name": "Nom", "first_name": "Prénom", "birth_date": "Né(e) le"}
_DELIMITERS = (";", ",", "\t")

_ROLE_WORDS: dict[str, Role] = {
    **{role.value: role for role in Role},
    "eleve": Role.STUDENT,
    "etudiant": Role.STUDENT,
    "apprenti": Role.STUDENT,
    "personnel": Role.STAFF,
    "enseignant": Role.STAFF,
    "professeur": Role.STAFF,
    "agent": Role.STAFF,
    "responsable": Role.PARENT,
    "representantlegal": Role.PARENT,
    "prestataire": Role.CONTRACTOR,
    "entreprise": Role.CONTRACTOR,
    "visiteur": Role.VISITOR,
}
_DATE_PATTERNS = (
    re.compile(r"(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4})"),
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"),
)


def fold(value: str) -> str:
    """``value`` without accents, case or anything but letters and digits."""
    decomposed = unicodedata.normalize("NFKD", value)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[^a-z0-9]", "", bare.casefold())


def slug(value: str) -> str:
    """An id made from a name: ``"2nde A"`` gives ``"2nde-a"``."""
    decomposed = unicodedata.normalize("NFKD", value)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[^a-z0-9]+", "-", bare.casefold()).strip("-")[:64].strip("-")


def parse_role(value: str) -> Role:
    """A role from its code or a French word (``élève``, ``personnel``, ``prestataire``...)."""
    role = _ROLE_WORDS.get(fold(value))
    if role is None:
        raise PersonInputError(
            text(
                f"Rôle inconnu : « {value} » (élève, personnel, parent, prestataire, visiteur).",
                f"Unknown role: {value!r} (student, staff, parent, contractor, visitor).",
            )
        )
    return role


def parse_date(value: str) -> date:
    """A date written ``dd/mm/yyyy`` (also with ``-`` or ``.``) or ``yyyy-mm-dd``."""
    cleaned = value.strip()
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(cleaned)
        if match:
            try:
                day = date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                break
            return check_date(day, text("date", "date"))
    raise PersonInputError(
        text(
            f"date invalide : « {value} » (attendu jj/mm/aaaa)",
            f"invalid date: {value!r} (expected dd/mm/yyyy)",
        )
    )


def check_birth_date(born: date, today: date) -> date:
    if not EARLIEST_BIRTH_DATE <= born <= today:
        raise PersonInputError(
            text(
                f"date de naissance impossible : {born:%d/%m/%Y}",
                f"impossible birth date: {born:%d/%m/%Y}",
            )
        )
    return born


def check_name(value: str, what: str) -> str:
    """``value`` with its spaces tidied, if it can be a name (see ``access.names``)."""
    problem = name_problem(value, what)
    if problem is not None:
        raise PersonInputError(problem)
    cleaned = " ".join(value.split())
    if not cleaned:
        raise PersonInputError(text(f"{what} manquant", f"{what} missing"))
    if len(cleaned) > MAX_NAME_LENGTH:
        raise PersonInputError(
            text(
                f"{what} trop long ({len(cleaned)} caractères)",
                f"{what} too long ({len(cleaned)} characters)",
            )
        )
    return cleaned


@dataclass(frozen=True)
class RosterRow:
    """One person read from the file, at line ``line`` (the header is line 1)."""

    line: int
    last_name: str
    first_name: str
    birth_date: date
    group: str | None
    role: Role


@dataclass(frozen=True)
class RejectedRow:
    """A line that was not imported, and why."""

    line: int
    reason: str


@dataclass(frozen=True)
class Roster:
    """What a people file holds: the rows read, the rows refused, how it was read."""

    rows: tuple[RosterRow, ...]
    rejected: tuple[RejectedRow, ...]
    encoding: str
    delimiter: str


def decode(data: bytes) -> tuple[str, str]:
    """The text of a file and the encoding it was read in: UTF-8 (BOM or not), UTF-16
    with a BOM, else Windows-1252, else Latin-1 (which reads any byte)."""
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise RosterFormatError(f"The file is not valid UTF-16: {exc}") from None
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError:
            data = data[len(codecs.BOM_UTF8) :]
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _delimiter(lines: list[str]) -> str:
    """The separator: Excel's ``sep=;`` line if there is one, else the most frequent
    one on the first line that has any (title lines above the header have none)."""
    for line in lines:
        stripped = line.strip()
        if stripped.lower().startswith("sep=") and len(stripped) == 5:
            return stripped[4]
        counts = {delimiter: line.count(delimiter) for delimiter in _DELIMITERS}
        best = max(_DELIMITERS, key=lambda d: counts[d])
        if counts[best]:
            return best
    return ";"


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = fold(cell)
        for field, aliases in _COLUMNS.items():
            if key in aliases and field not in found:
                found[field] = index
    missing = [field for field in _REQUIRED if field not in found]
    if missing:
        shown = ", ".join(_COLUMN_LABELS[field] for field in missing)
        # A hostile file's "header" can be anything: show a little of it, escaped.
        cells = [repr(cell[:SHOWN_CELL_LENGTH]) for cell in header[:SHOWN_COLUMNS]]
        seen = ", ".join(cells + (["…"] if len(header) > SHOWN_COLUMNS else [])) or "—"
        raise RosterFormatError(
            text(
                f"Colonne(s) manquante(s) : {shown} (colonnes trouvées : {seen}). "
                "Il faut au moins Nom, Prénom et Né(e) le ; rien n'a été importé.",
                f"Missing column(s): {shown} (columns found: {seen}). At least Nom (last "
                "name), Prénom (first name) and Né(e) le (birth date) are needed; nothing "
                "was imported.",
            )
        )
    return found


def _empty() -> RosterFormatError:
    return RosterFormatError(
        text(
            "Le fichier ne contient aucune ligne de personnes.",
            "The file holds no line about people.",
        )
    )


def read_roster(data: bytes, *, today: date) -> Roster:
    """The people in a CSV export; ``today`` bounds the birth dates.

    Raises:
        RosterFormatError: the file is too large, empty, or lacks a required column.
    """
    if len(data) > MAX_ROSTER_BYTES:
        raise RosterTooLargeError(
            text(
                f"Fichier trop volumineux ({len(data):,} octets, au plus {MAX_ROSTER_BYTES:,}) "
                "; rien n'a été importé.",
                f"The file is too large ({len(data):,} bytes, at most {MAX_ROSTER_BYTES:,}); "
                "nothing was imported.",
            )
        )
    content, encoding = decode(data)
    lines = content.splitlines()
    head = [line for line in lines if line.strip()][:HEADER_SEARCH_LINES]
    if not head:
        raise _empty()
    delimiter = _delimiter(head)
    _check_shape(lines, delimiter)
    del lines
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    rows: list[RosterRow] = []
    rejected: list[RejectedRow] = []
    columns: dict[str, int] | None = None
    no_header: RosterFormatError | None = None
    searched = 0
    try:
        line = 1
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if columns is None:
                # Exports may open with a title or Excel's "sep=;" line: the header is
                # the first line naming the required columns.
                searched += 1
                try:
                    columns = _columns(record)
                except RosterFormatError as error:
                    no_header = no_header or error
                    if searched >= HEADER_SEARCH_LINES:
                        raise no_header from None
                continue
            try:
                rows.append(_row(record, columns, start, today))
            except (PersonInputError, DateRangeError) as error:
                rejected.append(RejectedRow(start, error.message))
    except csv.Error as exc:
        raise RosterFormatError(
            text(
                f"Ligne {reader.line_num} illisible ({exc}) ; rien n'a été importé.",
                f"Line {reader.line_num} cannot be read ({exc}); nothing was imported.",
            )
        ) from None
    if columns is None:
        raise no_header or _empty()
    return Roster(tuple(rows), tuple(rejected), encoding, delimiter)


def _check_shape(lines: list[str], delimiter: str) -> None:
    """Refuses a file of too many lines, or with a line of too many columns, before the
    CSV reader splits any line (a line of separators would be millions of cells)."""
    if len(lines) > MAX_ROSTER_LINES:
        raise RosterTooLargeError(
            text(
                f"Fichier trop long ({len(lines):,} lignes, au plus {MAX_ROSTER_LINES:,}) : "
                "découpez-le ; rien n'a été importé.",
                f"The file is too long ({len(lines):,} lines, at most {MAX_ROSTER_LINES:,}): "
                "split it; nothing was imported.",
            )
        )
    for number, line in enumerate(lines, start=1):
        if line.count(delimiter) >= MAX_ROSTER_COLUMNS:
            raise RosterTooLargeError(
                text(
                    f"Ligne {number} : plus de {MAX_ROSTER_COLUMNS} colonnes ; rien n'a été "
                    "importé.",
                    f"Line {number}: more than {MAX_ROSTER_COLUMNS} columns; nothing was imported.",
                )
            )


def _row(record: list[str], columns: dict[str, int], line: int, today: date) -> RosterRow:
    def cell(field: str) -> str:
        index = columns.get(field)
        return record[index].strip() if index is not None and index < len(record) else ""

    last_name = check_name(cell("last_name"), text("nom", "last name"))
    first_name = check_name(cell("first_name"), text("prénom", "first name"))
    born_text = cell("birth_date")
    if not born_text:
        raise PersonInputError(text("date de naissance manquante", "birth date missing"))
    birth_date = check_birth_date(parse_date(born_text), today)
    role_text = cell("role")
    group = " ".join(cell("group").split()) or None
    return RosterRow(
        line=line,
        last_name=last_name,
        first_name=first_name,
        birth_date=birth_date,
        group=group,
        role=parse_role(role_text) if role_text else Role.STUDENT,
    )
