"""The demo: a school built through the services, the real server, and simulated lanes
replaying a morning arrival, all in one process (the embedded default).

``prepare_demo`` builds the demo school in a folder (or reuses it): a site with face
comparison offered at the entrance, three classes (one starting late), forty people
imported from a generated French CSV, parents recorded as guardians, consents, cards
and badges, revoked and expired cards, a visitor with a short-validity card, and two
console accounts. With an LFW-style faces folder, those who opted in are enrolled from
one photo each (read in memory, never copied); otherwise nobody is enrolled and every
passage takes the credential + agent path. Each day of the replay, a visitor is also
invited: her pass lets her in and out, and her path shows on the console's visitor pages.

``run_demo`` starts the console (uvicorn in a thread), links an entrance lane and an
exit lane in process to the site's store, and replays the morning through the real lane
runtime: QR codes decoded from composed camera frames, faces compared 1:1, decisions on
the lane's own snapshot, events stored by the server.

The folder holds ``site/`` (the site: database and keys), ``lanes/`` (each lane's
snapshot and outbox), ``cards/`` (printable cards, QR PNGs), ``people.csv`` (the
generated export) and ``demo.json`` (owner-only: the cast, its credentials and the
console passwords, so a second run reuses everything).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import secrets
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from portique import clock
from portique.access import ConsentGiver, Outcome, Reason
from portique.errors import BadInputError, ConfigurationError, PortiqueError
from portique.i18n import text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from portique.services import SiteHandle

log = logging.getLogger(__name__)

DEMO_FILE = "demo.json"
DEMO_FORMAT = 1
SITE_DIR = "site"
LANES_DIR = "lanes"
CARDS_DIR = "cards"
PEOPLE_FILE = "people.csv"
SITE_ID = "lycee-demo"
SITE_NAME = "Lycée Marie Curie (démonstration)"
TIMEZONE = "Europe/Paris"
ENTRY = "entree"
EXIT = "sortie"
AGENT = "agent"
ADMINISTRATION = "direction"
FACE_BACKEND = "dlib"
PACE_S = (1.2, 1.8, 1.5, 1.0, 2.0)
"""Seconds between two passages at speed 1 (a calm morning an agent can follow)."""
ROUND_PAUSE_S = 6.0
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


class DemoError(PortiqueError):
    """The demo cannot start: its folder, its port or its faces folder."""

    code = "demo"


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


# The demo school on disk ---------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class Holder:
    """What a member holds: their person id, their credentials, and (enrolled) the LFW
    person whose face they have: ``face`` (photo 1 enrolled) and ``probe`` (the photo
    the lane camera sees)."""

    key: str
    person_id: str
    name: str
    card: str | None = field(default=None, repr=False)
    old_card: str | None = field(default=None, repr=False)
    badge: str | None = None
    face: str | None = None
    probe: str | None = None


@dataclass(frozen=True)
class DemoSchool:
    """The demo school as ``demo.json`` keeps it."""

    directory: Path
    site_id: str
    faces: bool
    faces_dir: Path | None
    impostor: str | None
    accounts: tuple[Account, ...]
    holders: dict[str, Holder]
    built_on: date

    @property
    def site_dir(self) -> Path:
        return self.directory / SITE_DIR

    def to_json(self) -> dict[str, Any]:
        return {
            "format": DEMO_FORMAT,
            "site_id": self.site_id,
            "faces": self.faces,
            "faces_dir": None if self.faces_dir is None else str(self.faces_dir),
            "impostor": self.impostor,
            "built_on": self.built_on.isoformat(),
            "accounts": [vars(account) for account in self.accounts],
            "holders": [vars(holder) for holder in self.holders.values()],
        }

    @classmethod
    def from_json(cls, directory: Path, data: dict[str, Any]) -> DemoSchool:
        if data.get("format") != DEMO_FORMAT:
            raise ConfigurationError(f"{directory / DEMO_FILE} is not a demo of this version.")
        holders = [Holder(**item) for item in data["holders"]]
        return cls(
            directory=directory,
            site_id=str(data["site_id"]),
            faces=bool(data["faces"]),
            faces_dir=Path(data["faces_dir"]) if data.get("faces_dir") else None,
            impostor=data.get("impostor"),
            accounts=tuple(Account(**item) for item in data["accounts"]),
            holders={holder.key: holder for holder in holders},
            built_on=date.fromisoformat(data["built_on"]),
        )


def default_demo_dir() -> Path:
    """Where ``portique demo`` keeps its school without --dir: ``portique-demo`` in the
    user's data folder (``~/.local/share/portique-demo`` on Linux), apart from any real
    site."""
    import platformdirs

    return Path(platformdirs.user_data_dir("portique-demo"))


def prepare_demo(
    directory: Path,
    faces_dir: Path | None = None,
    *,
    now: datetime | None = None,
    progress: Callable[[str], None] = lambda _message: None,
) -> DemoSchool:
    """The demo school in ``directory``: built on first use, reused afterwards.

    Raises:
        DemoError: the folder holds something else, or a demo built with (without)
            faces is asked for without (with) them.
    """
    from portique.lane.files import exposed_mode

    directory = Path(directory).expanduser()
    path = directory / DEMO_FILE
    if path.exists():
        if exposed_mode(path) is not None:
            raise DemoError(f"{path} is readable by other users: `chmod 600 {path}`.")
        school = DemoSchool.from_json(directory, json.loads(path.read_text(encoding="utf-8")))
        if faces_dir is not None and not school.faces:
            raise DemoError(
                text(
                    f"La démo de {directory} a été créée sans visages : choisissez un autre "
                    "--dir pour une démo avec --faces (ou supprimez ce dossier).",
                    f"The demo in {directory} was built without faces: pick another --dir "
                    "for a demo with --faces (or delete that folder).",
                )
            )
        if school.faces:
            faces_dir = faces_dir or school.faces_dir
            if faces_dir is None or not faces_dir.is_dir():
                raise DemoError(
                    text(
                        f"La démo de {directory} a des visages : indiquez le dossier LFW "
                        "avec --faces.",
                        f"The demo in {directory} has faces: give the LFW folder with --faces.",
                    )
                )
            school = DemoSchool(**{**vars(school), "faces_dir": faces_dir})
        return school
    if directory.exists() and any(directory.iterdir()):
        raise DemoError(
            text(
                f"{directory} n'est pas vide et ne contient pas de démo : choisissez un "
                "dossier vide ou nouveau.",
                f"{directory} is not empty and holds no demo: choose an empty or new folder.",
            )
        )
    if faces_dir is not None and not faces_dir.is_dir():
        raise DemoError(
            text(f"Pas de dossier de visages à {faces_dir}.", f"No faces folder at {faces_dir}.")
        )
    created = not directory.exists()
    try:
        return _build(directory, faces_dir, now or clock.now(), progress)
    except BaseException:
        if created:
            shutil.rmtree(directory, ignore_errors=True)
        else:
            for child in directory.iterdir():
                if child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
        raise


def _build(
    directory: Path, faces_dir: Path | None, now: datetime, progress: Callable[[str], None]
) -> DemoSchool:
    from portique.bootstrap import init_site, open_site
    from portique.lane.files import private_directory, write_private
    from portique.server import create_account
    from portique.services import import_people

    private_directory(directory)
    today = now.astimezone(ZoneInfo(TIMEZONE)).date()
    # Records are dated a week back, as if the school had been set up then: a consent
    # given "now" would not yet be in force for this morning's passages.
    now = now - SETUP_AGO
    progress(text("Création de l'établissement", "Creating the site"))
    init_site(
        directory / SITE_DIR,
        site_id=SITE_ID,
        name=SITE_NAME,
        timezone=TIMEZONE,
        face=True,
        now=now,
    )
    roster = roster_csv(CAST, today)
    (directory / PEOPLE_FILE).write_bytes(roster)
    site = open_site(directory / SITE_DIR)
    try:
        progress(text("Import des personnes (CSV)", "Importing people (CSV)"))
        with site.session() as session:
            report = import_people(session, site.site_id, roster, now=now)
            if report.rejected or len(report.imported) != len(CAST):
                raise DemoError(f"The demo roster was not imported whole: {report.rejected}.")
            ids = {member.key: pid for member, pid in zip(CAST, report.imported, strict=True)}
            _link_guardians(session, site.site_id, ids)
            _set_timetable(session, site.site_id, LATE_CLASS, LATE_TIMETABLE)
        faces = _choose_faces(faces_dir) if faces_dir is not None else {}
        holders = _issue(site, ids, faces_dir, faces, today, now, directory / CARDS_DIR, progress)
        accounts = (
            Account(AGENT, "agent", _password()),
            Account(ADMINISTRATION, "administration", _password()),
        )
        for account in accounts:
            create_account(
                site,
                account.username,
                account.password,
                account.role,
                now=now,
                display_name=text("Démo", "Demo") + f" — {account.role}",
            )
    finally:
        site.close()
    enrolled = {holder.face for holder in holders.values() if holder.face}
    impostor = None
    if faces_dir is not None:
        impostor = _impostor(faces_dir, enrolled)
    school = DemoSchool(
        directory=directory,
        site_id=SITE_ID,
        faces=faces_dir is not None,
        faces_dir=faces_dir,
        impostor=impostor,
        accounts=accounts,
        holders=holders,
        built_on=today,
    )
    write_private(
        directory / DEMO_FILE,
        (json.dumps(school.to_json(), ensure_ascii=False, indent=2) + "\n").encode("utf-8"),
    )
    return school


def _password() -> str:
    return f"{secrets.token_hex(3)}-{secrets.token_hex(3)}-{secrets.token_hex(2)}"


def _link_guardians(session: Session, site_id: str, ids: dict[str, str]) -> None:
    """Records each minor's parent as their guardian (a school export has no such
    column; the administration records it afterwards)."""
    from portique.store import People, Sites

    people = People(session)
    for member in CAST:
        if member.guardian is not None:
            people.add_links(ids[member.key], site_id, (), (ids[member.guardian],))
    Sites(session).bump_version(site_id)


def _set_timetable(session: Session, site_id: str, group: str, timetable: dict[str, Any]) -> None:
    from portique.services.roster import slug
    from portique.store import Sites

    sites = Sites(session)
    row = sites.group(site_id, slug(group))
    if row is None:
        raise DemoError(f"The demo class {group} was not created.")
    row.timetable = timetable
    sites.bump_version(site_id)


def _photos(faces_dir: Path, name: str) -> list[Path]:
    folder = faces_dir / name
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if path.suffix.lower() in (".jpg", ".png"))


def _choose_faces(faces_dir: Path) -> dict[str, str]:
    """Which LFW person each member who opted in looks like: the preferred people when
    the folder has them, else the first people (by name) with two photos or more."""
    wanted = [member.key for member in CAST if member.consent]
    candidates = [name for name in PREFERRED_FACES if len(_photos(faces_dir, name)) >= 2]
    if len(candidates) < len(wanted):
        others = (
            entry.name
            for entry in sorted(faces_dir.iterdir())
            if entry.is_dir() and entry.name not in candidates and entry.name != PREFERRED_IMPOSTOR
        )
        for name in others:
            if len(_photos(faces_dir, name)) >= 2:
                candidates.append(name)
            if len(candidates) >= 3 * len(wanted):
                break
    if not candidates:
        raise DemoError(
            text(
                f"{faces_dir} ne contient aucune personne avec deux photos (dossier LFW attendu).",
                f"{faces_dir} holds nobody with two photos (an LFW-style folder is expected).",
            )
        )
    return dict(zip(wanted, itertools.cycle(candidates), strict=False))


def _impostor(faces_dir: Path, enrolled: Collection[str]) -> str | None:
    """An LFW photo of someone none of the enrolled people look like."""
    photos = _photos(faces_dir, PREFERRED_IMPOSTOR)
    if photos:
        return str(photos[0].relative_to(faces_dir))
    for entry in sorted(faces_dir.iterdir()):
        if (
            entry.is_dir()
            and entry.name not in enrolled
            and (found := _photos(faces_dir, entry.name))
        ):
            return str(found[0].relative_to(faces_dir))
    return None


def _issue(
    site: SiteHandle,
    ids: dict[str, str],
    faces_dir: Path | None,
    faces: dict[str, str],
    today: date,
    now: datetime,
    cards_dir: Path,
    progress: Callable[[str], None],
) -> dict[str, Holder]:
    from portique.biometrics import BiometricInputError, FaceEngine, create_backend
    from portique.services import (
        bind_badge,
        grant_consent,
        issue_credential,
        revoke_credential,
        write_card,
    )

    engine: FaceEngine | None = None

    def enrollment_engine() -> FaceEngine:
        nonlocal engine
        if engine is None:
            engine = FaceEngine(create_backend(FACE_BACKEND))
        return engine

    keyring = site.keyring()
    setup_day = today - SETUP_AGO
    year = today + timedelta(days=365)
    progress(text("Consentements, cartes et badges", "Consents, cards and badges"))
    holders: dict[str, Holder] = {}
    for member in CAST:
        person_id = ids[member.key]
        if member.consent:
            with site.session() as session:
                by = ids[member.guardian] if member.guardian else None
                giver = ConsentGiver.PARENT if member.guardian else None
                grant_consent(session, site.site_id, person_id, by=by, now=now, giver=giver)
        if member.badge is not None:
            with site.session() as session:
                bind_badge(
                    session, site.site_id, person_id, member.badge, now=now, valid_until=year
                )
            holders[member.key] = Holder(member.key, person_id, member.name, badge=member.badge)
            continue
        window = {
            "expired": (today - timedelta(days=300), today - timedelta(days=1)),
            "short": (today, today + timedelta(days=VISITOR_DAYS - 1)),
        }.get(member.card, (setup_day, year))
        face: str | None = None
        probe: str | None = None
        photos: list[Path] = []
        if faces_dir is not None and member.key in faces:
            face = faces[member.key]
            photos = _photos(faces_dir, face)
        issued = None
        for enrolled in (True, False) if photos else (False,):
            try:
                with site.session() as session:
                    issued = issue_credential(
                        session,
                        site.site_id,
                        keyring,
                        person_id,
                        now=now,
                        faces=photos[:1] if enrolled else (),
                        valid_from=window[0],
                        valid_until=window[1],
                        face_engine=enrollment_engine,
                    )
                break
            except BiometricInputError as error:
                log.warning("no demo face for %s: %s", member.name, error.message)
                face = None
        assert issued is not None
        if face is not None and faces_dir is not None:
            probe = str(photos[1].relative_to(faces_dir))
        write_card(cards_dir / f"{member.key}.png", issued.card)
        holder = Holder(
            member.key, person_id, member.name, card=issued.payload_text, face=face, probe=probe
        )
        if member.card == "revoked":
            with site.session() as session:
                revoke_credential(
                    session,
                    site.site_id,
                    issued.credential_id,
                    reason="départ de l'établissement",
                    now=now,
                )
        if member.key == "hugo":
            # Hugo lost his first card: it is revoked, and he carries a new one.
            with site.session() as session:
                lost = issue_credential(
                    session,
                    site.site_id,
                    keyring,
                    person_id,
                    now=now,
                    valid_from=setup_day,
                    valid_until=year,
                )
                revoke_credential(
                    session, site.site_id, lost.credential_id, reason="perte", now=now
                )
            holder = Holder(**{**vars(holder), "old_card": lost.payload_text})
        holders[member.key] = holder
    return holders


# The morning ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scene:
    """One passage of the morning: at ``hour:minute`` on the demo day, at ``lane``,
    ``who`` presents ``credential`` (a card's ``PQ:`` text or a badge UID), showing
    ``face`` (a photo of the faces folder) or no face; ``expect``: the outcome the
    policy should give, and the reason that tells the story."""

    hour: int
    minute: int
    lane: str
    who: str
    story: str
    credential: str
    badge: bool = False
    face: str | None = None
    expect: Outcome = Outcome.GRANT
    reason: Reason = Reason.CREDENTIAL_VALID


def invite_visitor(site: SiteHandle, school: DemoSchool, day: date) -> str:
    """Invites the day's visitor (main building, 9:00 to 10:30) as reception would the
    day before; the text of the pass."""
    from portique.visitors import Visitor, VisitRequest, invite

    zone = ZoneInfo(TIMEZONE)
    start, end = (datetime.combine(day, moment, tzinfo=zone) for moment in INVITED_WINDOW)
    host = school.holders[INVITED_HOST].person_id
    visitor = Visitor(*INVITED)
    request = VisitRequest(visitor, "Inspection pédagogique", host, start, end, ("main",))
    with site.session() as session:
        new = invite(
            session,
            site.site_id,
            site.keyring(),
            request,
            by="system:demo",
            now=datetime.combine(day - timedelta(days=1), clock_time(12), tzinfo=zone),
        )
    assert new.visitor_pass is not None
    return new.visitor_pass.payload_text


def morning(school: DemoSchool, day: date, visitor: str | None = None) -> list[Scene]:
    """The morning arrival of the demo school on ``day``, in order; ``visitor`` is the
    pass of the day's invited visitor, whose path the lanes follow."""
    h = school.holders
    scenes: list[Scene] = []

    def arrive(hour: int, minute: int, key: str, story: str = "", lane: str = ENTRY) -> None:
        holder = h[key]
        enrolled = holder.probe is not None and lane == ENTRY
        if holder.badge is not None:
            scenes.append(
                Scene(hour, minute, lane, holder.name, story or "badge", holder.badge, badge=True)
            )
            return
        assert holder.card is not None
        scenes.append(
            Scene(
                hour,
                minute,
                lane,
                holder.name,
                story or ("carte + visage" if enrolled else "carte"),
                holder.card,
                face=holder.probe if enrolled else None,
                reason=Reason.FACE_MATCH if enrolled else Reason.CREDENTIAL_VALID,
            )
        )

    arrive(7, 40, "marc")
    arrive(7, 41, "anne")
    arrive(7, 42, "julien")
    arrive(7, 44, "pierre")
    arrive(7, 46, "lea")
    arrive(7, 47, "hugo", "carte (nouvelle, l'ancienne a été perdue)")
    arrive(7, 48, "chloe")
    arrive(7, 49, "lucas")
    arrive(7, 50, "emma")
    ines = h["ines"]
    assert ines.card is not None
    scenes.append(
        Scene(7, 51, ENTRY, ines.name, f"{LATE_CLASS} commence à 10 h", ines.card,
              expect=Outcome.REFER, reason=Reason.OUTSIDE_TIMETABLE)
    )  # fmt: skip
    arrive(7, 52, "nathan")
    arrive(7, 53, "manon")
    enzo = h["enzo"]
    assert enzo.card is not None
    scenes.append(
        Scene(7, 54, ENTRY, enzo.name, "ancien élève, carte révoquée", enzo.card,
              expect=Outcome.DENY, reason=Reason.REVOKED)
    )  # fmt: skip
    arrive(7, 55, "louis")
    arrive(7, 56, "camille")
    arrive(7, 57, "sarah")
    arrive(7, 58, "mathis")
    hugo = h["hugo"]
    assert hugo.old_card is not None
    scenes.append(
        Scene(7, 59, ENTRY, "?", f"carte perdue de {hugo.name}", hugo.old_card,
              expect=Outcome.DENY, reason=Reason.REVOKED)
    )  # fmt: skip
    lou = h["lou"]
    assert lou.card is not None
    scenes.append(
        Scene(8, 0, ENTRY, lou.name, "carte de l'an dernier, expirée", lou.card,
              expect=Outcome.DENY, reason=Reason.EXPIRED)
    )  # fmt: skip
    arrive(8, 1, "raphael")
    arrive(8, 2, "alice")
    scenes.append(
        Scene(8, 3, ENTRY, "?", "badge inconnu", UNKNOWN_BADGE, badge=True,
              expect=Outcome.DENY, reason=Reason.UNKNOWN_CREDENTIAL)
    )  # fmt: skip
    jules = h["jules"]
    if school.impostor is not None and jules.probe is not None and jules.card is not None:
        scenes.append(
            Scene(8, 4, ENTRY, "?", f"quelqu'un d'autre avec la carte de {jules.name}",
                  jules.card, face=school.impostor,
                  expect=Outcome.REFER, reason=Reason.FACE_MISMATCH)
        )  # fmt: skip
    arrive(8, 5, "louise")
    arrive(8, 6, "sacha")
    arrive(8, 10, "sophie")
    arrive(8, 15, "helene")
    arrive(8, 20, "p-martin", "parent, rendez-vous")
    arrive(8, 30, "franck", "prestataire, cantine")
    elodie = h["elodie"]
    if day < school.built_on + timedelta(days=VISITOR_DAYS):
        arrive(9, 0, "elodie", "visiteuse, carte d'une semaine")
    elif elodie.card is not None:
        scenes.append(
            Scene(9, 0, ENTRY, elodie.name, "visiteuse, sa carte d'une semaine a expiré",
                  elodie.card, expect=Outcome.DENY, reason=Reason.EXPIRED)
        )  # fmt: skip
    invited = f"{INVITED[1]} {INVITED[0]}"
    if visitor is not None:
        scenes.append(Scene(9, 5, ENTRY, invited, "visiteuse invitée, laissez-passer", visitor))
    arrive(9, 15, "p-martin", "parent, fin du rendez-vous", lane=EXIT)
    hugo_card = hugo.card
    assert hugo_card is not None
    scenes.append(
        Scene(9, 40, EXIT, hugo.name, "mineur, pas d'autorisation de sortie", hugo_card,
              expect=Outcome.DENY, reason=Reason.EXIT_NOT_PERMITTED)
    )  # fmt: skip
    arrive(9, 45, "mathis", "majeur, sort librement", lane=EXIT)
    if visitor is not None:
        scenes.append(Scene(9, 50, EXIT, invited, "visiteuse invitée, départ", visitor))
    arrive(9, 52, "zoe")
    for minute, key in enumerate(("gabriel", "arthur", "lina", "adam"), start=53):
        arrive(9, minute, key)
    return scenes


def demo_day(start: date, round_: int = 0) -> date:
    """The school day of round ``round_``: ``start`` if a weekday, else the next Monday,
    then one weekday more per round (so anti-passback never links two rounds)."""
    day = start
    while day.weekday() >= 5:
        day += timedelta(days=1)
    for _ in range(round_):
        day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
    return day


@dataclass(frozen=True)
class Played:
    """One passage of the replay, as the summary lists it."""

    round: int
    time: datetime
    lane: str
    who: str
    story: str
    outcome: Outcome
    reasons: tuple[Reason, ...]
    alert: bool
    expected: Outcome
    expected_reason: Reason
    latency_ms: float

    @property
    def as_expected(self) -> bool:
        return self.outcome is self.expected and self.expected_reason in self.reasons

    def as_json(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "time": self.time.isoformat(),
            "lane": self.lane,
            "who": self.who,
            "story": self.story,
            "outcome": self.outcome.value,
            "reasons": [reason.value for reason in self.reasons],
            "alert": self.alert,
            "expected": self.expected.value,
            "expected_reason": self.expected_reason.value,
            "as_expected": self.as_expected,
            "latency_ms": round(self.latency_ms, 1),
        }


@dataclass
class DemoSummary:
    """What a replay did: every passage, the console's answer, the events forwarded."""

    site_id: str
    directory: Path
    url: str
    faces: bool
    console_status: int | None = None
    played: list[Played] = field(default_factory=list)
    forwarded: bool = False

    def as_json(self) -> dict[str, Any]:
        outcomes = Counter(item.outcome.value for item in self.played)
        reasons = Counter(reason.value for item in self.played for reason in item.reasons)
        return {
            "site_id": self.site_id,
            "directory": str(self.directory),
            "url": self.url,
            "faces": self.faces,
            "console": {"url": f"{self.url}login", "status": self.console_status},
            "rounds": len({item.round for item in self.played}),
            "passages": len(self.played),
            "outcomes": {outcome.value: outcomes.get(outcome.value, 0) for outcome in Outcome},
            "reasons": dict(sorted(reasons.items())),
            "unexpected": sum(not item.as_expected for item in self.played),
            "forwarded": self.forwarded,
            "decisions": [item.as_json() for item in self.played],
        }


# Running it ----------------------------------------------------------------------------


class ConsoleServer:
    """The real server app under uvicorn, in a thread of this process."""

    def __init__(self, app: Any, host: str, port: int) -> None:
        import uvicorn

        self.url = f"http://{host}:{port}/"
        self._server = uvicorn.Server(
            uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
        )
        self._thread = threading.Thread(
            target=self._server.run, name="portique-demo-server", daemon=True
        )

    def start(self, timeout: float = 30.0) -> None:
        """Starts serving; raises DemoError when the server does not come up."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise DemoError(
                    text(
                        f"Le serveur n'a pas démarré sur {self.url} (port occupé ?).",
                        f"The server did not start on {self.url} (port in use?).",
                    )
                )
            time.sleep(0.02)

    def status(self, path: str = "login") -> int | None:
        """The HTTP status the server answers for ``path`` (None: no answer)."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except OSError:
            return None

    def close(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def check_port(host: str, port: int) -> None:
    """Raises DemoError when ``host:port`` cannot be listened on."""
    with socket.socket() as probe:
        # As uvicorn does: a port left in TIME_WAIT by a previous run is free to use.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise DemoError(
                text(
                    f"Impossible d'écouter sur {host}:{port} ({exc.strerror}) : choisissez "
                    "un autre --port.",
                    f"Cannot listen on {host}:{port} ({exc.strerror}): choose another --port.",
                )
            ) from None


@dataclass(frozen=True)
class DemoOptions:
    """How to run the demo: ``speed`` divides the pauses between passages; ``once``
    replays the morning once and returns."""

    host: str = "127.0.0.1"
    port: int = 8000
    speed: float = 1.0
    once: bool = False
    lang: str = "fr"

    def __post_init__(self) -> None:
        if not self.speed > 0:
            raise BadInputError(text("--speed doit être > 0.", "--speed must be > 0."))


def run_demo(
    school: DemoSchool,
    options: DemoOptions,
    *,
    stop: threading.Event,
    signals: Sequence[Any] = (),
    ready: Callable[[str], None] = lambda _url: None,
    played: Callable[[Played], None] = lambda _item: None,
) -> DemoSummary:
    """Serves the console and replays the morning at the lanes until ``stop`` is set
    (or once, with ``options.once``); the summary of what the lanes decided.

    ``signals`` are lane signals (a console line per decision, for instance); ``ready``
    is called with the console URL once everything runs; ``played`` after each passage.
    """
    from portique.biometrics import load_image
    from portique.bootstrap import in_process_hub, open_site, serving_lanes
    from portique.credentials import payload_from_text
    from portique.lane import (
        LaneConfig,
        PresentBadge,
        ShowCode,
        SimulatedLane,
        lane_face_engine,
    )
    from portique.server import ServerSettings, create_app
    from portique.services.vault import vault_lookup

    check_port(options.host, options.port)
    zone = ZoneInfo(TIMEZONE)
    first = clock.now().astimezone(zone).date()
    images: dict[str, Any] = {}
    if school.faces and school.faces_dir is not None:
        # Photos stay in memory for the replay; they are never copied anywhere.
        for scene in morning(school, demo_day(first)):
            if scene.face is not None and scene.face not in images:
                images[scene.face] = load_image(school.faces_dir / scene.face)
    engine = lane_face_engine(FACE_BACKEND) if images else None

    summary = DemoSummary(
        school.site_id, school.directory, f"http://{options.host}:{options.port}/", school.faces
    )
    with contextlib.ExitStack() as stack:
        site = open_site(school.site_dir)
        stack.callback(site.close)
        # The first round's visitor is invited before the server and lanes write too.
        first_visitor = invite_visitor(site, school, demo_day(first))
        server = ConsoleServer(
            create_app(school.site_dir, settings=ServerSettings(plain_http=True)),
            options.host,
            options.port,
        )
        server.start()
        stack.callback(server.close)
        summary.console_status = server.status("login")

        served = stack.enter_context(serving_lanes(site, in_process_hub, interval_s=1.0))
        hub, publisher = served.hub, served.publisher
        lanes: dict[str, SimulatedLane] = {}
        for lane_id in (ENTRY, EXIT):
            lane = SimulatedLane(
                LaneConfig(
                    school.site_id, lane_id, school.directory / LANES_DIR / lane_id, options.lang
                ),
                transport=hub.connect(school.site_id, lane_id),
                face_engine=engine,
                signals=signals,
                # In process, the lanes reach the central template store, if the site uses it.
                vault=vault_lookup(site.database, site.site_id),
            )
            stack.callback(lane.close)
            lane.start()
            lanes[lane_id] = lane
        ready(server.url)

        pauses = itertools.cycle(PACE_S)
        for round_ in itertools.count():
            day = demo_day(first, round_)
            visitor = first_visitor if round_ == 0 else invite_visitor(site, school, day)
            publisher.refresh()
            for scene in morning(school, day, visitor):
                if stop.is_set():
                    break
                at = datetime.combine(day, clock_time(scene.hour, scene.minute), tzinfo=zone)
                step: PresentBadge | ShowCode
                if scene.badge:
                    step = PresentBadge(scene.credential, at=at)
                else:
                    face = images.get(scene.face) if scene.face is not None else None
                    step = ShowCode(payload_from_text(scene.credential), face, at=at)
                result = lanes[scene.lane].play(step)
                if result is not None:
                    item = Played(
                        round_,
                        at,
                        scene.lane,
                        scene.who,
                        scene.story,
                        result.decision.outcome,
                        result.decision.reasons,
                        result.decision.alert,
                        scene.expect,
                        scene.reason,
                        result.latency_ms,
                    )
                    summary.played.append(item)
                    played(item)
                stop.wait(next(pauses) / options.speed)
            if options.once or stop.is_set():
                break
            stop.wait(ROUND_PAUSE_S / options.speed)
        summary.forwarded = all(lane.lane.wait_forwarded(10) for lane in lanes.values())
    return summary
