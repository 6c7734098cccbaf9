"""Building the demo school through the services (once), and finding it again on disk."""

from __future__ import annotations

import itertools
import json
import logging
import secrets
import shutil
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from portique import clock
from portique.access import ConsentGiver
from portique.demo.cast import (
    ADMINISTRATION,
    AGENT,
    CAST,
    LATE_CLASS,
    LATE_TIMETABLE,
    PREFERRED_FACES,
    PREFERRED_IMPOSTOR,
    SETUP_AGO,
    SITE_ID,
    SITE_NAME,
    TIMEZONE,
    VISITOR_DAYS,
    Member,
    roster_csv,
)
from portique.errors import ConfigurationError, PortiqueError
from portique.i18n import text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from portique.biometrics import FaceEngine
    from portique.services import IssuedCredential, SiteHandle

log = logging.getLogger(__name__)

DEMO_FILE = "demo.json"
DEMO_FORMAT = 1
SITE_DIR = "site"
CARDS_DIR = "cards"
PEOPLE_FILE = "people.csv"


DLIB_MODEL = "dlib-resnet-v1"


class DemoError(PortiqueError):
    """The demo cannot start: its folder, its port or its faces folder."""

    code = "demo"


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

    def face_model(self) -> str:
        """The model of the school's face templates (the site's setting)."""
        from portique.bootstrap import open_site
        from portique.services.rows import site_row
        from portique.services.settings import site_settings

        with open_site(self.site_dir) as site, site.session() as session:
            model = site_settings(site_row(session, site.site_id)).face_model
        return model or DLIB_MODEL

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
    from portique.files import exposed_mode

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
    from portique.biometrics.pipeline import preferred_model
    from portique.bootstrap import init_site, open_site
    from portique.files import private_directory, write_private
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
        # EdgeFace where its files are installed (`make demo` installs them), else dlib.
        face_model=preferred_model(),
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
        progress(text("Consentements, cartes et badges", "Consents, cards and badges"))
        office = _Office(site, ids, faces_dir, faces, today, now, directory / CARDS_DIR)
        holders = {member.key: office.equip(member) for member in CAST}
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


class _Office:
    """The school office equipping the cast: consents, cards (with a face for those who
    opted in, when a faces folder is given), badges, revoked and lost cards."""

    def __init__(
        self,
        site: SiteHandle,
        ids: dict[str, str],
        faces_dir: Path | None,
        faces: dict[str, str],
        today: date,
        now: datetime,
        cards_dir: Path,
    ) -> None:
        self.site = site
        self.keyring = site.keyring()
        self.ids = ids
        self.faces_dir = faces_dir
        self.faces = faces
        self.today = today
        self.now = now
        self.cards_dir = cards_dir
        self.year = today + timedelta(days=365)
        self._engine: FaceEngine | None = None

    def equip(self, member: Member) -> Holder:
        """What ``member`` is given, in the order an office would do it."""
        from portique.services import bind_badge, grant_consent

        person_id = self.ids[member.key]
        if member.consent:
            with self.site.session() as session:
                by = self.ids[member.guardian] if member.guardian else None
                giver = ConsentGiver.PARENT if member.guardian else None
                grant_consent(session, self.site.site_id, person_id, by=by, now=self.now,
                              giver=giver)  # fmt: skip
        if member.badge is not None:
            with self.site.session() as session:
                bind_badge(session, self.site.site_id, person_id, member.badge, now=self.now,
                           valid_until=self.year)  # fmt: skip
            return Holder(member.key, person_id, member.name, badge=member.badge)
        return self._card(member, person_id)

    def _card(self, member: Member, person_id: str) -> Holder:
        from portique.services import write_card

        face = self.faces.get(member.key) if self.faces_dir is not None else None
        photos = _photos(self.faces_dir, face) if self.faces_dir and face else []
        issued, face = self._issue(member, person_id, photos, face)
        probe = None
        if face is not None and self.faces_dir is not None:
            probe = str(photos[1].relative_to(self.faces_dir))
        write_card(self.cards_dir / f"{member.key}.png", issued.card)
        holder = Holder(
            member.key, person_id, member.name, card=issued.payload_text, face=face, probe=probe
        )
        if member.card == "revoked":
            self._revoke(issued.credential_id, "départ de l'établissement")
        if member.key == "hugo":
            # Hugo lost his first card: it is revoked, and he carries a new one.
            lost = self._credential(person_id, (self.today - SETUP_AGO, self.year))
            self._revoke(lost.credential_id, "perte")
            holder = Holder(**{**vars(holder), "old_card": lost.payload_text})
        return holder

    def _issue(
        self, member: Member, person_id: str, photos: list[Path], face: str | None
    ) -> tuple[IssuedCredential, str | None]:
        """The member's card, enrolled from their first photo when it has a usable face
        (else without a face); the face it carries."""
        from portique.biometrics import BiometricInputError

        window = {
            "expired": (self.today - timedelta(days=300), self.today - timedelta(days=1)),
            "short": (self.today, self.today + timedelta(days=VISITOR_DAYS - 1)),
        }.get(member.card, (self.today - SETUP_AGO, self.year))
        if photos:
            try:
                return self._credential(person_id, window, photos[:1]), face
            except BiometricInputError as error:
                log.warning("no demo face for %s: %s", member.name, error.message)
        return self._credential(person_id, window), None

    def _credential(
        self, person_id: str, window: tuple[date, date], photos: Sequence[Path] = ()
    ) -> IssuedCredential:
        from portique.services import issue_credential

        with self.site.session() as session:
            return issue_credential(
                session,
                self.site.site_id,
                self.keyring,
                person_id,
                now=self.now,
                faces=photos,
                valid_from=window[0],
                valid_until=window[1],
                face_engine=self._enrollment_engine,
            )

    def _revoke(self, credential_id: str, reason: str) -> None:
        from portique.services import revoke_credential

        with self.site.session() as session:
            revoke_credential(session, self.site.site_id, credential_id, reason=reason,
                              now=self.now)  # fmt: skip

    def _enrollment_engine(self) -> FaceEngine:
        from portique.biometrics import FaceEngine, create_backend
        from portique.biometrics.pipeline import backend_for_model, preferred_model

        if self._engine is None:
            self._engine = FaceEngine(create_backend(backend_for_model(preferred_model())))
        return self._engine
