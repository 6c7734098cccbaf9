"""Staff and divisions from STS-Web: ``sts_emp_<UAI>_<année>.xml`` (root ``STS_EDT``).

What the file holds, as public importers of it (GEPI, SACoche) read it: ``PARAMETRES/UAJ``
(the code in its ``CODE`` attribute), ``PARAMETRES/ANNEE_SCOLAIRE`` (``ANNEE``); under
``DONNEES``, ``INDIVIDUS/INDIVIDU`` (attributes ``ID``, ``TYPE``; ``NOM_USAGE``,
``NOM_PATRONYMIQUE``, ``PRENOM``, ``DATE_NAISSANCE``, ``FONCTION`` such as ``ENS`` for a
teacher) and ``STRUCTURE/DIVISIONS/DIVISION`` and ``STRUCTURE/GROUPES/GROUPE``
(attribute ``CODE``, ``LIBELLE_LONG``).

Staff are matched by their STS number through its keyed hash, like pupils; a member of
staff that a complete export no longer lists has left (credentials revoked). Divisions
and groups the site lacks are created, so a timetable can be imported before the pupils.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from sqlalchemy.orm import Session

from portique.access import Role
from portique.access.names import name_problem
from portique.dates import EARLIEST, LATEST
from portique.i18n import text
from portique.privacy import audit
from portique.registers.departures import DepartureCause, record_departure
from portique.registers.errors import RegisterFormatError, WrongEstablishmentError
from portique.registers.identifiers import (
    RegisterIdKind,
    RegisterKey,
    load_register_key,
    site_uai,
)
from portique.registers.plan import NewGroup
from portique.registers.siecle import FRENCH_DATE, LineError
from portique.registers.state import load_state
from portique.registers.sync import add_groups, new_person
from portique.registers.xmlfile import XmlExport, child_text, read_export
from portique.services.roster import slug
from portique.services.rows import local_date, site_row
from portique.store import PersonRow, RegisterIdRow, Sites

STS_ROOT = "STS_EDT"
IMPORT_ACTION = "registers.sts"
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True)
class StaffMember:
    individu_id: str
    last_name: str
    first_name: str
    birth_date: date
    function: str


@dataclass(frozen=True)
class Structure:
    """A division (a class) or a teaching group of the establishment."""

    code: str
    label: str
    division: bool


@dataclass(frozen=True)
class StsExport:
    uaj: str
    school_year: int | None
    encoding: str
    digest: str
    staff: tuple[StaffMember, ...]
    structures: tuple[Structure, ...]
    errors: tuple[LineError, ...]


def uaj_of(export: XmlExport, name: str) -> str:
    """The establishment code of an STS-Web or EDT export (``UAJ`` ``CODE`` attribute, or
    its text in some versions)."""
    element = export.root.find("PARAMETRES/UAJ")
    code = "" if element is None else (element.get("CODE") or element.text or "").strip()
    if not code:
        raise RegisterFormatError(
            text(
                f"{name} : pas de code établissement (PARAMETRES/UAJ).",
                f"{name}: no establishment code (PARAMETRES/UAJ).",
            )
        )
    return code.upper()


def read_sts(data: bytes, *, name: str = "sts_emp.xml") -> StsExport:
    """Staff and structures of an STS-Web export (XML, or a ZIP holding it).

    Raises:
        RegisterFormatError (and kinds): the file cannot be used at all.
    """
    export = read_export(data, name=name, roots=(STS_ROOT,))
    year_element = export.root.find("PARAMETRES/ANNEE_SCOLAIRE")
    year_text = "" if year_element is None else (year_element.get("ANNEE") or "").strip()
    staff: list[StaffMember] = []
    errors: list[LineError] = []
    for element in export.root.iterfind("DONNEES/INDIVIDUS/INDIVIDU"):
        individu_id = (element.get("ID") or "").strip()
        label = f"INDIVIDU ID={individu_id}" if individu_id else "INDIVIDU"
        member, problem = _member(element, individu_id)
        if member is None:
            errors.append(LineError(label, problem))
        else:
            staff.append(member)
    structures = [
        Structure(code, " ".join(child_text(element, "LIBELLE_LONG").split()) or code, kind == "D")
        for kind, path in (("D", "DIVISIONS/DIVISION"), ("G", "GROUPES/GROUPE"))
        for element in export.root.iterfind(f"DONNEES/STRUCTURE/{path}")
        if (code := " ".join((element.get("CODE") or "").split()))
        and name_problem(code, "CODE") is None
    ]
    return StsExport(
        uaj_of(export, name),
        int(year_text) if year_text.isdigit() else None,
        export.encoding,
        export.digest,
        tuple(staff),
        tuple(structures),
        tuple(errors),
    )


def _member(element: Element, individu_id: str) -> tuple[StaffMember | None, str]:
    if not individu_id:
        return None, text("ID manquant", "ID missing")
    last = child_text(element, "NOM_USAGE") or child_text(element, "NOM_PATRONYMIQUE")
    last = " ".join(last.split())
    first = " ".join(child_text(element, "PRENOM").split())
    if not last or not first:
        return None, text("NOM_USAGE ou PRENOM manquant", "NOM_USAGE or PRENOM missing")
    problem = name_problem(last, "NOM_USAGE") or name_problem(first, "PRENOM")
    if problem is not None:
        return None, problem
    born = _birth_date(child_text(element, "DATE_NAISSANCE"))
    if born is None:
        return None, text(
            "DATE_NAISSANCE absente ou invalide (une personne sans date n'est pas importée)",
            "DATE_NAISSANCE missing or invalid (someone without one is not imported)",
        )
    function = child_text(element, "FONCTION")
    return StaffMember(individu_id, last[:200], first[:200], born, function), ""


def _birth_date(value: str) -> date | None:
    for pattern, order in ((_ISO, (0, 1, 2)), (FRENCH_DATE, (2, 1, 0))):
        match = pattern.fullmatch(value)
        if match:
            parts = [int(match.group(i + 1)) for i in order]
            try:
                born = date(parts[0], parts[1], parts[2])
            except ValueError:
                return None
            return born if EARLIEST <= born <= LATEST else None
    return None


@dataclass(frozen=True)
class StsReport:
    """What an STS-Web import did (or would do): staff counts and new structures."""

    dry_run: bool
    added: int
    updated: int
    left: int
    unchanged: int
    revoked: int
    errors: tuple[LineError, ...]
    structures_added: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "left": self.left,
            "unchanged": self.unchanged,
            "revoked": self.revoked,
            "errors": [error.as_json() for error in self.errors],
        }


def sync_staff(
    session: Session,
    site_id: str,
    keys_dir: Path,
    export: StsExport,
    *,
    now: datetime,
    dry_run: bool = False,
    complete: bool = True,
) -> StsReport:
    """Brings the site's staff and structures in line with STS-Web.

    Raises:
        WrongEstablishmentError, MissingUaiError: not this site's export.
    """
    uai = site_uai(session, site_id)
    if uai != export.uaj:
        raise WrongEstablishmentError(
            text(
                f"Cet export STS-Web est celui de l'établissement {export.uaj}, pas de "
                f"{uai or '(aucun code UAI)'} : rien n'a été importé.",
                f"This STS-Web export belongs to establishment {export.uaj}, not "
                f"{uai or '(no UAI code)'}: nothing was imported.",
            )
        )
    key = load_register_key(keys_dir, create=not dry_run) or RegisterKey.ephemeral()
    state = load_state(session, site_id)
    kind = RegisterIdKind.STS_INDIVIDUAL.value
    plan: dict[str, list[Any]] = {"added": [], "updated": [], "unchanged": [], "left": []}
    seen: set[str] = set()
    for member in export.staff:
        digest = key.digest(RegisterIdKind.STS_INDIVIDUAL, member.individu_id)
        person_id = state.person_of.get((kind, digest))
        known = state.people.get(person_id) if person_id else None
        if known is None:
            plan["added"].append((member, digest))
            continue
        seen.add(known.person_id)
        changed = (known.last_name, known.first_name, known.birth_date, known.active) != (
            member.last_name, member.first_name, member.birth_date, True,
        )  # fmt: skip
        plan["updated" if changed else "unchanged"].append((member, known.person_id))
    if complete:
        plan["left"] = [
            person
            for person in state.people.values()
            if person.active
            and person.person_id not in seen
            and kind in state.hashes_of.get(person.person_id, {})
        ]
    missing = [
        s for s in export.structures if (group_id := slug(s.code)) and group_id not in state.groups
    ]
    revoked = sum(person.credentials for person in plan["left"])
    if not dry_run:
        _apply_staff(session, site_id, plan, missing, now=now)
        audit.record(
            session, site_id=site_id, action=IMPORT_ACTION, target=f"sites:{site_id}",
            details={k: len(v) for k, v in plan.items()} | {"sha256": export.digest}, at=now,
        )  # fmt: skip
    return StsReport(
        dry_run, len(plan["added"]), len(plan["updated"]), len(plan["left"]),
        len(plan["unchanged"]), revoked, export.errors,
        tuple(dict.fromkeys(s.code for s in missing)),
    )  # fmt: skip


def _apply_staff(
    session: Session,
    site_id: str,
    plan: dict[str, list[Any]],
    structures: list[Structure],
    *,
    now: datetime,
) -> None:
    site = site_row(session, site_id)
    groups: dict[str, NewGroup] = {}
    for structure in structures:
        group_id = slug(structure.code)
        groups.setdefault(group_id, NewGroup(group_id, structure.code, structure.division))
    add_groups(session, site_id, groups.values(), site.default_timetable)
    new_rows = []
    for member, digest in plan["added"]:
        row = new_person(
            session,
            site_id,
            member.last_name,
            member.first_name,
            member.birth_date,
            Role.STAFF,
            now,
        )
        new_rows.append((row, digest))
    session.flush()
    session.add_all(
        RegisterIdRow(
            site_id=site_id,
            kind=RegisterIdKind.STS_INDIVIDUAL.value,
            key_hash=digest,
            person_id=row.person_id,
        )
        for row, digest in new_rows
    )
    for member, person_id in plan["updated"]:
        known = session.get(PersonRow, person_id)
        if known is not None:
            known.last_name, known.first_name = member.last_name, member.first_name
            known.birth_date, known.active, known.left_on = member.birth_date, True, None
    today = local_date(site, now)
    for person in plan["left"]:
        gone = session.get(PersonRow, person.person_id)
        if gone is not None:
            record_departure(
                session, gone, left_on=today, cause=DepartureCause.ABSENT, class_name=None, now=now
            )
    session.flush()
    if any(plan[k] for k in ("added", "updated", "left")) or structures:
        Sites(session).bump_version(site_id)
