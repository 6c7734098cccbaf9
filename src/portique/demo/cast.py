"""The demo's cast: the school's forty people, their roles, classes, parents, consents
and credentials, and the export a school would hand over (``people.csv``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from datetime import time as clock_time
from typing import Any

SITE_ID = "lycee-demo"
SITE_NAME = "Lycée Marie Curie (démonstration)"
TIMEZONE = "Europe/Paris"
ENTRY = "entree"
EXIT = "sortie"
AGENT = "agent"
ADMINISTRATION = "direction"
SETUP_AGO = timedelta(days=7)
"""The school was set up a week before the demo: consents and cards predate the morning."""
VISITOR_DAYS = 7
INVITED = ("Morel", "Claire", date(1979, 5, 2))
"""The visitor invited each demo day (an inspector), received by Sophie Fontaine."""
INVITED_HOST = "sophie"
INVITED_WINDOW = (clock_time(9, 0), clock_time(10, 30))
LATE_CLASS = "1re B"
LATE_TIMETABLE: dict[str, Any] = {
    "week": {
        day: {"ranges": ["10:00-12:00", "13:30-17:00"], "lunch": "12:00-13:30"}
        for day in ("monday", "tuesday", "thursday", "friday")
    }
    | {"wednesday": {"ranges": ["10:00-12:00"]}},
    "exceptions": [],
}
"""The timetable of the class that starts at 10:00 (the others keep the default one)."""

PREFERRED_FACES = (
    "Kofi_Annan",
    "Jacques_Chirac",
    "Ariel_Sharon",
    "Junichiro_Koizumi",
    "Gloria_Macapagal_Arroyo",
    "George_W_Bush",
    "Colin_Powell",
    "Serena_Williams",
    "Luiz_Inacio_Lula_da_Silva",
    "Vladimir_Putin",
)
"""LFW people whose second photo, held up to the demo lane, matches their first well."""
PREFERRED_IMPOSTOR = "Tony_Blair"


# The cast ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """Someone of the demo school, as the generated export lists them.

    ``age``: years on the build day. ``guardian``: the key of their parent (minors).
    ``consent``: they (or their parent) opted in to face comparison. ``badge``: the UID
    of their badge instead of a card. ``card``: how their card is issued.
    """

    key: str
    last_name: str
    first_name: str
    role: str
    age: int
    group: str = ""
    guardian: str | None = None
    consent: bool = False
    badge: str | None = None
    card: str = "normal"  # normal | expired | revoked | short | none

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def _cast() -> tuple[Member, ...]:
    parents = [
        ("p-martin", "Martin", "Claire"),
        ("p-bernard", "Bernard", "Olivier"),
        ("p-dubois", "Dubois", "Nathalie"),
        ("p-thomas", "Thomas", "Sébastien"),
        ("p-robert", "Robert", "Isabelle"),
        ("p-richard", "Richard", "Stéphane"),
        ("p-petit", "Petit", "Sandrine"),
        ("p-durand", "Durand", "Laurent"),
    ]
    minors = [
        ("lea", "Martin", "Léa", "2nde A", "p-martin", True),
        ("hugo", "Martin", "Hugo", "2nde A", "p-martin", False),
        ("chloe", "Bernard", "Chloé", "2nde A", "p-bernard", True),
        ("lucas", "Bernard", "Lucas", "2nde A", "p-bernard", False),
        ("emma", "Dubois", "Emma", "2nde A", "p-dubois", False),
        ("nathan", "Thomas", "Nathan", "2nde A", "p-thomas", True),
        ("manon", "Robert", "Manon", "2nde A", "p-robert", False),
        ("louis", "Richard", "Louis", "2nde A", "p-richard", False),
        ("camille", "Petit", "Camille", "2nde A", "p-petit", False),
        ("jules", "Durand", "Jules", "2nde A", "p-durand", True),
        ("ines", "Dubois", "Inès", LATE_CLASS, "p-dubois", False),
        ("gabriel", "Thomas", "Gabriel", LATE_CLASS, "p-thomas", False),
        ("zoe", "Robert", "Zoé", LATE_CLASS, "p-robert", True),
        ("arthur", "Richard", "Arthur", LATE_CLASS, "p-richard", False),
        ("lina", "Petit", "Lina", LATE_CLASS, "p-petit", False),
        ("adam", "Durand", "Adam", LATE_CLASS, "p-durand", False),
        ("raphael", "Martin", "Raphaël", "Tle C", "p-martin", False),
        ("alice", "Bernard", "Alice", "Tle C", "p-bernard", False),
        ("louise", "Thomas", "Louise", "Tle C", "p-thomas", False),
        ("sacha", "Durand", "Sacha", "Tle C", "p-durand", False),
    ]
    members = [Member(key, last, first, "parent", 45) for key, last, first in parents]
    members += [
        Member(key, last, first, "élève", 15 if group != "Tle C" else 17, group, parent, consent)
        for key, last, first, group, parent, consent in minors
    ]
    members += [
        Member("mathis", "Lefebvre", "Mathis", "élève", 18, "Tle C"),
        Member("sarah", "Leroy", "Sarah", "élève", 18, "Tle C", consent=True),
        Member("enzo", "Roux", "Enzo", "élève", 19, "Tle C", card="revoked"),
        Member("lou", "Fournier", "Lou", "élève", 18, "Tle C", card="expired"),
        Member("marc", "Girard", "Marc", "personnel", 48, badge="04:A2:B3:C4:5D:6E:80"),
        Member("anne", "Bonnet", "Anne", "personnel", 39, consent=True),
        Member("julien", "Lambert", "Julien", "personnel", 52, badge="04:19:7F:22"),
        Member("sophie", "Fontaine", "Sophie", "personnel", 31),
        Member("pierre", "Rousseau", "Pierre", "personnel", 56),
        Member("helene", "Vincent", "Hélène", "personnel", 44),
        Member("franck", "Muller", "Franck", "prestataire", 41),
        Member("elodie", "Garnier", "Élodie", "visiteur", 36, card="short"),
    ]
    return tuple(members)


CAST = _cast()
UNKNOWN_BADGE = "04:DE:AD:BE:EF:00:01"


def roster_csv(members: Sequence[Member], today: date) -> bytes:
    """The people as a school export writes them: ``;``-separated, UTF-8 with a BOM,
    dates ``dd/mm/yyyy`` (what ``portique person import`` reads)."""
    lines = ["Nom;Prénom;Né(e) le;Classe;Statut"]
    for member in members:
        born = date(today.year - member.age - 1, 9 + len(member.key) % 4, 1 + len(member.key))
        lines.append(
            f"{member.last_name};{member.first_name};{born:%d/%m/%Y};{member.group};{member.role}"
        )
    return ("\n".join(lines) + "\n").encode("utf-8-sig")
