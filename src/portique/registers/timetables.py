"""Class timetables from EDT's export to STS-Web, or from a documented CSV.

**EDT → STS-Web** (``emp_sts_<UAI>_<année>.xml``, root ``EDT_STS``), the file the
timetable software sends back to STS-Web, as GEPI and other public importers read it:
under ``DONNEES/STRUCTURE``, each ``DIVISIONS/DIVISION`` and ``GROUPES/GROUPE``
(attribute ``CODE``) lists ``SERVICES/SERVICE/ENSEIGNANTS/ENSEIGNANT/COURS_RATTACHES/COURS``
with ``JOUR`` (1 for Monday), ``HEURE_DEBUT`` and ``DUREE`` (both ``HHMM``) and
``CODE_ALTERNANCE`` (the weeks a lesson takes place: every lesson is counted, whatever its
weeks, since the gate only needs to know when a class may be on site).

**CSV** (``Classe;Jour;Début;Fin``, one lesson a line, ``;`` or ``,``, UTF-8 or
Windows-1252): ``Jour`` is ``lundi``…``samedi`` (or ``monday``…, or 1 to 7), times are
``08:00`` or ``8h00``. Pronote's own exports are not read: their format could not be
confirmed from public material; Pronote and EDT can both produce this CSV.

A class's day becomes the ranges when it has lessons, merged when they are less than
:data:`MERGE_GAP` apart (breaks are on site), and a lunch window when a gap falls around
midday. The class's exceptions (holidays, outings) are kept.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy.orm import Session

from portique.access import Weekday
from portique.access.names import name_problem
from portique.i18n import text
from portique.privacy import audit
from portique.registers.errors import RegisterFormatError, WrongEstablishmentError
from portique.registers.identifiers import site_uai
from portique.registers.siecle import LineError
from portique.registers.sts import uaj_of
from portique.registers.sync import DIVISION_KIND, GROUP_KIND
from portique.registers.xmlfile import child_text, read_export
from portique.services.errors import TimetableInputError
from portique.services.roster import decode, slug
from portique.services.rows import site_row
from portique.services.timetables import WEEKDAY_NAMES, parse_timetable
from portique.store import GroupRow, Sites

EDT_ROOT = "EDT_STS"
IMPORT_ACTION = "registers.timetable"
MERGE_GAP = timedelta(minutes=30)
LUNCH_WINDOW = (time(11, 0), time(14, 30))
"""A gap between lessons within these hours is the lunch break."""
MAX_CSV_BYTES = 5_000_000

_DAY_WORDS = {
    "lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5,
    "dimanche": 6, "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
    "saturday": 5, "sunday": 6, "lun": 0, "mar": 1, "mer": 2, "jeu": 3, "ven": 4, "sam": 5,
}  # fmt: skip
_CLOCK = re.compile(r"(\d{1,2})\s*[:hH]\s*(\d{2})")
_HHMM = re.compile(r"(\d{2})(\d{2})")


@dataclass(frozen=True)
class Lesson:
    start: time
    end: time


@dataclass(frozen=True)
class ClassWeek:
    """The lessons of one class (``division``) or teaching group, by weekday."""

    code: str
    division: bool
    days: Mapping[Weekday, tuple[Lesson, ...]]


@dataclass(frozen=True)
class TimetableExport:
    source: str
    """``edt`` (EDT's export to STS-Web) or ``csv``."""
    uaj: str | None
    weeks: tuple[ClassWeek, ...]
    errors: tuple[LineError, ...]


def read_timetables(data: bytes, *, name: str) -> TimetableExport:
    """The class weeks in an EDT export (XML or ZIP) or a timetable CSV.

    Raises:
        RegisterFormatError (and kinds): the file cannot be used at all.
    """
    head = data.lstrip()[:1]
    if head == b"<" or data.startswith(b"PK\x03\x04") or data.startswith(b"\xef\xbb\xbf<"):
        return _read_edt(data, name)
    return _read_csv(data, name)


def _read_edt(data: bytes, name: str) -> TimetableExport:
    export = read_export(data, name=name, roots=(EDT_ROOT,))
    lessons: dict[tuple[str, bool], dict[Weekday, list[Lesson]]] = {}
    errors: list[LineError] = []
    for path, division in (("DIVISIONS/DIVISION", True), ("GROUPES/GROUPE", False)):
        for structure in export.root.iterfind(f"DONNEES/STRUCTURE/{path}"):
            code = " ".join((structure.get("CODE") or "").split())
            if not code or name_problem(code, "CODE") is not None:
                continue
            days = lessons.setdefault((code, division), {})
            for lesson in structure.iter("COURS"):
                found = _edt_lesson(
                    child_text(lesson, "JOUR"),
                    child_text(lesson, "HEURE_DEBUT"),
                    child_text(lesson, "DUREE"),
                )
                if isinstance(found, str):
                    errors.append(LineError(f"{structure.tag} CODE={code} COURS", found))
                else:
                    days.setdefault(found[0], []).append(found[1])
    return TimetableExport("edt", uaj_of(export, name), _weeks(lessons), tuple(errors))


def _edt_lesson(day: str, start: str, duration: str) -> tuple[Weekday, Lesson] | str:
    begin, length = _HHMM.fullmatch(start), _HHMM.fullmatch(duration)
    if not day.isdigit() or not 1 <= int(day) <= 7 or begin is None or length is None:
        return text(
            "JOUR, HEURE_DEBUT ou DUREE invalide (attendu 1-7, HHMM, HHMM)",
            "invalid JOUR, HEURE_DEBUT or DUREE (expected 1-7, HHMM, HHMM)",
        )
    minutes = int(begin[1]) * 60 + int(begin[2])
    end = minutes + int(length[1]) * 60 + int(length[2])
    if not 0 <= minutes < end <= 24 * 60 - 1 or int(begin[2]) > 59:
        return text("horaire impossible", "impossible time")
    return Weekday(int(day) - 1), Lesson(_time(minutes), _time(end))


def _time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def _fold(value: str) -> str:
    bare = unicodedata.normalize("NFKD", value)
    return "".join(c for c in bare if not unicodedata.combining(c)).strip().casefold()


def _read_csv(data: bytes, name: str) -> TimetableExport:
    if len(data) > MAX_CSV_BYTES:
        raise RegisterFormatError(
            text(f"{name} : fichier trop volumineux.", f"{name}: file too large.")
        )
    content, _ = decode(data)
    lines = [line for line in content.splitlines() if line.strip()]
    if not lines:
        raise RegisterFormatError(text(f"{name} : fichier vide.", f"{name}: empty file."))
    delimiter = ";" if lines[0].count(";") >= lines[0].count(",") else ","
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    header = [_fold(cell) for cell in rows[0]]
    if header[:4] != ["classe", "jour", "debut", "fin"] and header[:4] != [
        "class", "day", "start", "end",
    ]:  # fmt: skip
        raise RegisterFormatError(
            text(
                f"{name} : ni un export EDT (XML) ni un CSV d'emploi du temps ; la première "
                "ligne doit être Classe;Jour;Début;Fin.",
                f"{name}: neither an EDT export (XML) nor a timetable CSV; the first line "
                "must be Classe;Jour;Début;Fin.",
            )
        )
    lessons: dict[tuple[str, bool], dict[Weekday, list[Lesson]]] = {}
    errors: list[LineError] = []
    for number, row in enumerate(rows[1:], start=2):
        found = _csv_lesson(row)
        if isinstance(found, str):
            errors.append(LineError(text(f"ligne {number}", f"line {number}"), found))
            continue
        code, day, lesson = found
        lessons.setdefault((code, True), {}).setdefault(day, []).append(lesson)
    return TimetableExport("csv", None, _weeks(lessons), tuple(errors))


def _csv_lesson(row: list[str]) -> tuple[str, Weekday, Lesson] | str:
    if len(row) < 4 or not row[0].strip():
        return text("quatre colonnes attendues", "four columns expected")
    code = " ".join(row[0].split())
    problem = name_problem(code, "Classe")
    if problem is not None:
        return problem
    day_text = _fold(row[1])
    day = int(day_text) - 1 if day_text.isdigit() and 1 <= int(day_text) <= 7 else None
    day = _DAY_WORDS.get(day_text, day)
    start, end = _CLOCK.fullmatch(row[2].strip()), _CLOCK.fullmatch(row[3].strip())
    if day is None:
        return text(f"jour inconnu « {row[1]} »", f"unknown day {row[1]!r}")
    if start is None or end is None:
        return text("heure invalide (attendu 08:00 ou 8h00)", "invalid time (expected 08:00)")
    try:
        lesson = Lesson(time(int(start[1]), int(start[2])), time(int(end[1]), int(end[2])))
    except ValueError:
        return text("heure impossible", "impossible time")
    if lesson.end <= lesson.start:
        return text("la fin précède le début", "the end comes before the start")
    return code, Weekday(day), lesson


def _weeks(
    lessons: Mapping[tuple[str, bool], Mapping[Weekday, list[Lesson]]],
) -> tuple[ClassWeek, ...]:
    return tuple(
        ClassWeek(
            code,
            division,
            {day: tuple(sorted(ls, key=lambda lesson: lesson.start)) for day, ls in days.items()},
        )
        for (code, division), days in sorted(lessons.items())
    )


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def day_json(lessons: Iterable[Lesson]) -> dict[str, Any]:
    """A timetable day from lessons: merged ranges, and the lunch gap if one is midday."""
    merged: list[list[int]] = []
    for lesson in sorted(lessons, key=lambda item: item.start):
        start, end = _minutes(lesson.start), _minutes(lesson.end)
        if merged and start - merged[-1][1] < MERGE_GAP.total_seconds() // 60:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    day: dict[str, Any] = {
        "ranges": [
            f"{_time(a).isoformat('minutes')}-{_time(b).isoformat('minutes')}" for a, b in merged
        ]
    }
    low, high = (_minutes(limit) for limit in LUNCH_WINDOW)
    for (_, before_end), (after_start, _) in pairwise(merged):
        if low <= before_end and after_start <= high:
            day["lunch"] = (
                f"{_time(before_end).isoformat('minutes')}-{_time(after_start).isoformat('minutes')}"
            )
            break
    return day


def week_json(week: ClassWeek, exceptions: list[Any]) -> dict[str, Any]:
    return {
        "week": {
            WEEKDAY_NAMES[day]: day_json(lessons) for day, lessons in sorted(week.days.items())
        },
        "exceptions": exceptions,
    }


@dataclass(frozen=True)
class TimetableReport:
    dry_run: bool
    source: str
    created: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    errors: tuple[LineError, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "errors": [error.as_json() for error in self.errors],
        }


def import_timetables(
    session: Session, site_id: str, export: TimetableExport, *, now: datetime, dry_run: bool = False
) -> TimetableReport:
    """Replaces the week of each class the export names (its exceptions kept), creating
    the classes the site lacks. Each week is checked whole before anything is stored.

    Raises:
        WrongEstablishmentError: an EDT export of another establishment.
        TimetableInputError: a week the site cannot use (nothing stored).
    """
    if export.uaj is not None and export.uaj != site_uai(session, site_id):
        raise WrongEstablishmentError(
            text(
                f"Cet export EDT est celui de l'établissement {export.uaj} : rien n'a été importé.",
                f"This EDT export belongs to establishment {export.uaj}: nothing was imported.",
            )
        )
    site = site_row(session, site_id)
    sites = Sites(session)
    created, updated, unchanged = [], [], []
    for week in export.weeks:
        group_id = slug(week.code)
        if not group_id:
            continue
        group = sites.group(site_id, group_id)
        exceptions = [] if group is None else list(group.timetable.get("exceptions", []))
        wanted = week_json(week, exceptions)
        try:
            parse_timetable(wanted)
        except TimetableInputError as error:
            raise TimetableInputError(f"{week.code} : {error.message}") from None
        if group is None:
            created.append(week.code)
            if not dry_run:
                sites.add_group(
                    GroupRow(
                        site_id=site_id, group_id=group_id, name=week.code, timetable=wanted,
                        kind=DIVISION_KIND if week.division else GROUP_KIND,
                    )
                )  # fmt: skip
        elif group.timetable != wanted:
            updated.append(week.code)
            if not dry_run:
                group.timetable = wanted
        else:
            unchanged.append(week.code)
    if not dry_run and (created or updated):
        sites.bump_version(site.site_id)
    if not dry_run:
        audit.record(
            session, site_id=site_id, action=IMPORT_ACTION, target=f"sites:{site_id}",
            details={"source": export.source, "created": len(created), "updated": len(updated)},
            at=now,
        )  # fmt: skip
    return TimetableReport(
        dry_run, export.source, tuple(created), tuple(updated), tuple(unchanged), export.errors
    )
