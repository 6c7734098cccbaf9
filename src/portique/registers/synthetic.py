"""A fictitious lycée's exports, written like the real ones: SIECLE pupils and guardians,
STS-Web staff and divisions, the EDT timetable export, alone or zipped.

Nobody in them exists: names are drawn at random from lists of common French given
names and surnames, numbers from a seeded generator. The files follow the structure
described in :mod:`portique.registers.siecle` and :mod:`portique.registers.sts` (root
elements, attributes, dates as dd/mm/yyyy, ISO-8859-15 or UTF-8), so tests, the
benchmark and the demo exercise the readers on what a school would hand over::

    school = synthetic_school(pupils=1200, uaj="0130001A", year=2026)
    Path("ElevesSansAdresses.xml").write_bytes(pupils_xml(school))
"""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from xml.etree.ElementTree import Element, SubElement, tostring

GIVEN_NAMES = (
    "Léa", "Emma", "Chloé", "Inès", "Manon", "Jade", "Louise", "Zoé", "Camille", "Lina",
    "Anaïs", "Maëlle", "Océane", "Noémie", "Héloïse", "Clémence", "Agathe", "Mathilde",
    "Lucas", "Hugo", "Louis", "Gabriel", "Nathan", "Jules", "Théo", "Raphaël", "Arthur",
    "Enzo", "Maël", "Noé", "Timothée", "Baptiste", "Mathéo", "Loïc", "Jérémy", "Benoît",
)  # fmt: skip
SURNAMES = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois",
    "Moreau", "Laurent", "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand",
    "Morel", "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau",
    "Vincent", "Muller", "Lefebvre", "Faure", "André", "Mercier", "Blanc", "Guérin",
    "Boyer", "Garnier", "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin",
    "Robin", "Clément", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson",
)  # fmt: skip
ADULT_NAMES = (
    "Claire", "Isabelle", "Nathalie", "Sophie", "Valérie", "Sandrine", "Céline", "Hélène",
    "Stéphane", "Laurent", "Olivier", "Frédéric", "Christophe", "Éric", "Jérôme", "Pascal",
)  # fmt: skip
LEVELS = (("2NDE", 15), ("1G", 16), ("TG", 17))
"""Lycée levels: the division prefix and the pupils' age at the rentrée."""
CLASS_SIZE = 35
SUBJECTS = (("020700", "FRANC"), ("061300", "MATHS"), ("030201", "ANGLAIS"), ("100100", "EPS"))


@dataclass(frozen=True)
class SyntheticPupil:
    eleve_id: str
    ine: str
    last_name: str
    first_name: str
    birth_date: date
    entry_date: date
    leaving_date: date | None
    division: str
    groups: tuple[str, ...]
    guardians: tuple[str, ...]


@dataclass(frozen=True)
class SyntheticGuardian:
    personne_id: str
    last_name: str
    first_name: str


@dataclass(frozen=True)
class SyntheticStaff:
    individu_id: str
    last_name: str
    first_name: str
    birth_date: date
    function: str
    divisions: tuple[str, ...]


@dataclass(frozen=True)
class SyntheticSchool:
    """A lycée's register for one school year (the year it starts in)."""

    uaj: str
    year: int
    pupils: tuple[SyntheticPupil, ...]
    guardians: tuple[SyntheticGuardian, ...]
    staff: tuple[SyntheticStaff, ...]

    @property
    def divisions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(pupil.division for pupil in self.pupils))

    def without(self, eleve_ids: Iterable[str]) -> SyntheticSchool:
        """The same register with these pupils gone (a later, complete export)."""
        gone = set(eleve_ids)
        return replace(self, pupils=tuple(p for p in self.pupils if p.eleve_id not in gone))

    def leaving(self, leaving: Mapping[str, date]) -> SyntheticSchool:
        """The same register with these pupils given a leaving date (``DATE_SORTIE``)."""
        return replace(
            self,
            pupils=tuple(
                replace(p, leaving_date=leaving[p.eleve_id]) if p.eleve_id in leaving else p
                for p in self.pupils
            ),
        )


def synthetic_school(
    pupils: int = 1200, *, uaj: str = "0130001A", year: int = 2026, seed: int = 0, staff: int = 60
) -> SyntheticSchool:
    """A fictitious lycée of ``pupils`` pupils in classes of 35 over three levels, each
    pupil with one or two legal guardians, and ``staff`` staff members."""
    rng = random.Random(seed)
    per_level = -(-pupils // len(LEVELS))
    made: list[SyntheticPupil] = []
    guardians: list[SyntheticGuardian] = []
    for index in range(pupils):
        prefix, age = LEVELS[min(index // per_level, len(LEVELS) - 1)]
        division = f"{prefix}{(index % per_level) // CLASS_SIZE + 1}"
        surname = rng.choice(SURNAMES)
        family = [
            SyntheticGuardian(f"{700000 + len(guardians) + n}", surname, rng.choice(ADULT_NAMES))
            for n in range(1 if rng.random() < 0.2 else 2)
        ]
        guardians.extend(family)
        made.append(
            SyntheticPupil(
                eleve_id=f"{100000 + index}",
                ine=f"{rng.randrange(10**9, 10**10)}{rng.choice('ABCDEFGHJK')}",
                last_name=surname.upper(),
                first_name=rng.choice(GIVEN_NAMES),
                birth_date=date(year - age, rng.randint(1, 12), rng.randint(1, 28)),
                entry_date=date(year - (age - 15), 9, 1),
                leaving_date=None,
                division=division,
                groups=(f"{prefix} {'ESP' if rng.random() < 0.6 else 'ALL'}",),
                guardians=tuple(g.personne_id for g in family),
            )
        )
    divisions = tuple(dict.fromkeys(p.division for p in made))
    members = tuple(
        SyntheticStaff(
            individu_id=f"{50000 + n}",
            last_name=rng.choice(SURNAMES).upper(),
            first_name=rng.choice(ADULT_NAMES),
            birth_date=date(rng.randint(1962, 1998), rng.randint(1, 12), rng.randint(1, 28)),
            function="ENS" if n % 6 else "EDU",
            divisions=tuple(rng.sample(divisions, k=min(3, len(divisions)))) if n % 6 else (),
        )
        for n in range(staff)
    )
    return SyntheticSchool(uaj, year, tuple(made), tuple(guardians), members)


def _french(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _document(root: Element, encoding: str) -> bytes:
    """The XML of ``root`` with the declaration SIECLE writes, in ``encoding``."""
    body = tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="{encoding}"?>\n{body}\n'.encode(encoding)


def _leaf(parent: Element, tag: str, value: str) -> None:
    SubElement(parent, tag).text = value


def _parameters(root: Element, school: SyntheticSchool, exported_on: date) -> None:
    parameters = SubElement(root, "PARAMETRES")
    _leaf(parameters, "UAJ", school.uaj)
    _leaf(parameters, "ANNEE_SCOLAIRE", str(school.year))
    _leaf(parameters, "DATE_EXPORT", _french(exported_on))
    _leaf(parameters, "HORODATAGE", f"{_french(exported_on)} 08:00:00")


def pupils_xml(
    school: SyntheticSchool, *, encoding: str = "ISO-8859-15", exported_on: date | None = None
) -> bytes:
    """``ElevesSansAdresses.xml`` of the school (root ``BEE_ELEVES``)."""
    root = Element("BEE_ELEVES", VERSION="3.1")
    _parameters(root, school, exported_on or date(school.year, 9, 15))
    data = SubElement(root, "DONNEES")
    eleves = SubElement(data, "ELEVES")
    for pupil in school.pupils:
        eleve = SubElement(eleves, "ELEVE", ELEVE_ID=pupil.eleve_id, ELENOET=pupil.eleve_id[-5:])
        _leaf(eleve, "ID_NATIONAL", pupil.ine)
        _leaf(eleve, "ELENOET", pupil.eleve_id[-5:])
        _leaf(eleve, "NOM_DE_FAMILLE", pupil.last_name)
        _leaf(eleve, "PRENOM", pupil.first_name)
        _leaf(eleve, "DATE_NAISS", _french(pupil.birth_date))
        _leaf(eleve, "CODE_SEXE", "1")
        _leaf(eleve, "DATE_ENTREE", _french(pupil.entry_date))
        if pupil.leaving_date is not None:
            _leaf(eleve, "DATE_SORTIE", _french(pupil.leaving_date))
        _leaf(eleve, "CODE_REGIME", "2")
    structures = SubElement(data, "STRUCTURES")
    for pupil in school.pupils:
        link = SubElement(structures, "STRUCTURES_ELEVE", ELEVE_ID=pupil.eleve_id)
        for code, kind in ((pupil.division, "D"), *((group, "G") for group in pupil.groups)):
            structure = SubElement(link, "STRUCTURE")
            _leaf(structure, "CODE_STRUCTURE", code)
            _leaf(structure, "TYPE_STRUCTURE", kind)
    return _document(root, encoding)


def guardians_xml(
    school: SyntheticSchool, *, encoding: str = "ISO-8859-15", exported_on: date | None = None
) -> bytes:
    """``ResponsablesAvecAdresses.xml`` of the school (root ``BEE_RESPONSABLES``), with a
    non-legal contact per family that the reader must leave out."""
    root = Element("BEE_RESPONSABLES", VERSION="1.7")
    _parameters(root, school, exported_on or date(school.year, 9, 15))
    data = SubElement(root, "DONNEES")
    people = SubElement(data, "PERSONNES")
    for guardian in school.guardians:
        person = SubElement(people, "PERSONNE", PERSONNE_ID=guardian.personne_id)
        _leaf(person, "NOM_DE_FAMILLE", guardian.last_name.upper())
        _leaf(person, "PRENOM", guardian.first_name)
        _leaf(person, "LC_CIVILITE", "MME")
    links = SubElement(data, "RESPONSABLES")
    for pupil in school.pupils:
        for rank, personne_id in enumerate(pupil.guardians, start=1):
            link = SubElement(links, "RESPONSABLE_ELEVE")
            _leaf(link, "ELEVE_ID", pupil.eleve_id)
            _leaf(link, "PERSONNE_ID", personne_id)
            _leaf(link, "RESP_LEGAL", str(rank))
            _leaf(link, "CODE_PARENTE", "10")
        contact = SubElement(links, "RESPONSABLE_ELEVE")
        _leaf(contact, "ELEVE_ID", pupil.eleve_id)
        _leaf(contact, "PERSONNE_ID", pupil.guardians[0])
        _leaf(contact, "RESP_LEGAL", "0")
    return _document(root, encoding)


def sts_xml(school: SyntheticSchool, *, encoding: str = "ISO-8859-15") -> bytes:
    """``sts_emp_<UAJ>_<year>.xml`` (root ``STS_EDT``): staff (``INDIVIDUS``) and
    divisions with their teachers (``STRUCTURE/DIVISIONS``)."""
    root = Element("STS_EDT")
    parameters = SubElement(root, "PARAMETRES")
    SubElement(parameters, "UAJ", CODE=school.uaj)
    year = SubElement(parameters, "ANNEE_SCOLAIRE", ANNEE=str(school.year))
    _leaf(year, "DATE_DEBUT", _french(date(school.year, 9, 1)))
    _leaf(year, "DATE_FIN", _french(date(school.year + 1, 8, 31)))
    nomenclatures = SubElement(SubElement(root, "NOMENCLATURES"), "MATIERES")
    for code, short in SUBJECTS:
        matiere = SubElement(nomenclatures, "MATIERE", CODE=code)
        _leaf(matiere, "CODE_GESTION", short)
        _leaf(matiere, "LIBELLE_COURT", short)
    data = SubElement(root, "DONNEES")
    individuals = SubElement(data, "INDIVIDUS")
    for member in school.staff:
        individual = SubElement(individuals, "INDIVIDU", ID=member.individu_id, TYPE="epp")
        _leaf(individual, "NOM_USAGE", member.last_name)
        _leaf(individual, "NOM_PATRONYMIQUE", member.last_name)
        _leaf(individual, "PRENOM", member.first_name)
        _leaf(individual, "DATE_NAISSANCE", member.birth_date.isoformat())
        _leaf(individual, "FONCTION", member.function)
    divisions = SubElement(SubElement(data, "STRUCTURE"), "DIVISIONS")
    for code in school.divisions:
        division = SubElement(divisions, "DIVISION", CODE=code)
        _leaf(division, "LIBELLE_LONG", f"Classe {code}")
        services = SubElement(division, "SERVICES")
        teachers = [m for m in school.staff if code in m.divisions]
        for (code_matiere, _short), teacher in zip(SUBJECTS, teachers, strict=False):
            service = SubElement(
                services, "SERVICE", CODE_MATIERE=code_matiere, CODE_MOD_COURS="CG"
            )
            SubElement(SubElement(service, "ENSEIGNANTS"), "ENSEIGNANT", ID=teacher.individu_id)
    return _document(root, encoding)


def emp_sts_xml(school: SyntheticSchool, *, encoding: str = "ISO-8859-15") -> bytes:
    """``emp_sts_<UAJ>_<year>.xml`` (root ``EDT_STS``), what EDT sends back to STS-Web:
    each division's lessons (``COURS``: ``JOUR`` 1 for Monday, ``HEURE_DEBUT`` and
    ``DUREE`` as HHMM). Mornings 08:00-12:00 for all; afternoons 13:30-16:30 on Monday,
    Tuesday, Thursday and Friday; the first level starts at 10:00 on Thursdays."""
    root = Element("EDT_STS")
    parameters = SubElement(root, "PARAMETRES")
    SubElement(parameters, "UAJ", CODE=school.uaj)
    SubElement(parameters, "ANNEE_SCOLAIRE", ANNEE=str(school.year))
    divisions = SubElement(SubElement(SubElement(root, "DONNEES"), "STRUCTURE"), "DIVISIONS")
    first_level = LEVELS[0][0]
    for code in school.divisions:
        division = SubElement(divisions, "DIVISION", CODE=code)
        service = SubElement(
            SubElement(division, "SERVICES"), "SERVICE", CODE_MATIERE="020700", CODE_MOD_COURS="CG"
        )
        teacher = SubElement(SubElement(service, "ENSEIGNANTS"), "ENSEIGNANT", ID="50001")
        lessons = SubElement(teacher, "COURS_RATTACHES")
        for day in range(1, 6):
            late = day == 4 and code.startswith(first_level)
            slots = [("1000", "0200")] if late else [("0800", "0200"), ("1000", "0200")]
            if day != 3:
                slots.append(("1330", "0300"))
            for start, duration in slots:
                lesson = SubElement(lessons, "COURS")
                _leaf(lesson, "CODE_ALTERNANCE", "H")
                _leaf(lesson, "JOUR", str(day))
                _leaf(lesson, "HEURE_DEBUT", start)
                _leaf(lesson, "DUREE", duration)
                _leaf(lesson, "CODE_SALLE", "B12")
    return _document(root, encoding)


def export_zip(members: Mapping[str, bytes]) -> bytes:
    """An archive like SIECLE's ``ExportXML_….zip`` holding ``members``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()
