"""A site on disk and in the database: creating it, opening it, and its lockdown.

A site directory holds ``site.json`` (which site of the database it is), ``keys/`` (the
keyring, owner-only) and, with SQLite, ``portique.db``. With PostgreSQL
(``PORTIQUE_DATABASE_URL``) the database is shared and the directory keeps the keys.

A site is opened with its :class:`SiteWiring`: the listeners of its database's flushes
(the audit log) and the handlers of its passages (the visitors' checkpoints). The
composition root, ``portique.bootstrap``, is where they are chosen; open sites there.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Protocol, TypedDict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from portique import clock
from portique.access import Direction, Lane, Zone
from portique.access.codec import DEFAULT_OPENING_HOURS, DEFAULT_TIMETABLE
from portique.credentials import Keyring, init_keyring, load_keyring
from portique.credentials.claims import is_valid_id
from portique.credentials.keys import METADATA_FILE
from portique.errors import BadInputError, ConfigurationError
from portique.files import (
    AUDIT_CHECKPOINT_FILE,
    AUDIT_KEYS_FILE,
    KEYS_DIR,
    SITE_FILE,
    make_private,
)
from portique.i18n import text
from portique.services.errors import SiteExistsError, SiteNotFoundError
from portique.services.live import announce
from portique.services.passages import PassageHandler, PassageRecorder
from portique.services.rows import site_row
from portique.services.settings import initial_settings
from portique.store import (
    Database,
    LaneRow,
    LockdownRow,
    SiteRow,
    Sites,
    ZoneRow,
    sqlite_url,
)
from portique.store.database import SQLITE_FILE, FlushListener

SITE_FORMAT = 1
DEFAULT_TIMEZONE = "Europe/Paris"
UAI_PATTERN = re.compile(r"[0-9]{2}[0-9AB][0-9]{4}[A-Z]")
"""The shape of an establishment code (UAI)."""
DIRECTORY_MODE = 0o700

DEFAULT_ZONES = (Zone("main", "Bâtiment principal"),)
DEFAULT_LANES = (
    Lane("entree", "main", Direction.IN, face_enabled=True, name="Entrée principale"),
    Lane("sortie", "main", Direction.OUT, face_enabled=False, name="Sortie principale"),
)


def new_site_id() -> str:
    """A random site id; schools usually pass their UAI code (``0130001A``) instead."""
    return f"site-{secrets.token_hex(4)}"


class LogOpener(Protocol):
    """Opens a site's audit log on its database: the log's keys (in ``keys_dir``, made at
    first use) attached to every session, so that each entry is authenticated."""

    def __call__(
        self, database: Database, site_dir: Path, keys_dir: Path, site_id: str, *, now: datetime
    ) -> object: ...


@dataclass(frozen=True)
class SiteWiring:
    """What is plugged into a site as it is opened: ``flush_listeners`` hear every flush
    of its database's sessions (the audit log records the changes), ``audit_log`` opens
    the log's keys, ``passage_handlers`` hear every passage recorded (the visitors'
    checkpoints)."""

    flush_listeners: tuple[FlushListener, ...] = ()
    audit_log: LogOpener | None = None
    passage_handlers: tuple[PassageHandler, ...] = ()

    def open_log(self, database: Database, site_dir: Path, site_id: str, now: datetime) -> None:
        if self.audit_log is not None:
            self.audit_log(database, site_dir, site_dir / KEYS_DIR, site_id, now=now)


class SiteHandle:
    """An opened site: its directory, its id, its database and the recorder of its
    passages; close it when done."""

    def __init__(
        self, directory: Path, site_id: str, database: Database, passages: PassageRecorder
    ) -> None:
        self.directory = directory
        self.site_id = site_id
        self.database = database
        self.passages = passages

    def __repr__(self) -> str:
        return f"SiteHandle({str(self.directory)!r}, {self.site_id!r}, {self.database!r})"

    @property
    def keys_dir(self) -> Path:
        return self.directory / KEYS_DIR

    def keyring(self) -> Keyring:
        return load_keyring(self.keys_dir)

    def session(self) -> AbstractContextManager[Session]:
        """One transaction on the site's database."""
        return self.database.session()

    def close(self) -> None:
        self.database.dispose()

    def __enter__(self) -> SiteHandle:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def database_for(
    directory: Path,
    database_url: str | None,
    wiring: SiteWiring | None = None,
    *,
    engine: Engine | None = None,
) -> Database:
    """The site's database: ``database_url`` if given, else SQLite in ``directory``,
    owner-only (SQLite gives its -wal and -journal files the database file's mode), with
    the flush listeners of ``wiring`` (none for a migration, which flushes no session)."""
    if database_url is None and directory.is_dir():
        for name in (SQLITE_FILE, *(SQLITE_FILE + tail for tail in SQLITE_COMPANIONS)):
            if name == SQLITE_FILE or (directory / name).exists():
                make_private(directory / name)
    listeners = () if wiring is None else wiring.flush_listeners
    return Database(database_url or sqlite_url(directory), flush_listeners=listeners, engine=engine)


SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
"""The files SQLite keeps beside a database; they hold its pages too."""


@dataclass(frozen=True)
class SiteCreated:
    """What ``init_site`` made."""

    directory: Path
    site_id: str
    name: str
    database: str
    key_id: str
    zones: tuple[Zone, ...]
    lanes: tuple[Lane, ...]
    face_enabled: bool


class NewSite(TypedDict, total=False):
    """The choices of a new site, all optional (see :func:`init_site`)."""

    site_id: str | None
    name: str | None
    timezone: str
    face: bool
    database_url: str | None
    now: datetime | None
    uai: str | None
    face_model: str | None


def init_site(
    directory: Path,
    *,
    wiring: SiteWiring,
    site_id: str | None = None,
    name: str | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    face: bool = False,
    database_url: str | None = None,
    now: datetime | None = None,
    uai: str | None = None,
    face_model: str | None = None,
) -> SiteCreated:
    """Creates a site: its directory, database schema, keyring and a default site.

    The default site has one zone, an entrance lane (face comparison offered there to
    those who opt in, only when ``face`` is True: off by default) and an exit lane,
    weekday opening hours and a default class timetable. Nothing is left half-made when
    a step fails. ``uai`` is the establishment code that register exports must carry
    (``portique.registers``); a site whose id is a UAI needs none. ``face_model``, when
    given, is the model of the site's templates (otherwise its first enrollment fixes it).
    """
    directory = Path(directory).expanduser()
    site_id = site_id or new_site_id()
    _check_new_site(directory, site_id, timezone)
    created_directory = not directory.exists()
    keys_dir = directory / KEYS_DIR
    created_keys = not (keys_dir / METADATA_FILE).exists()
    created_audit_keys = not (keys_dir / AUDIT_KEYS_FILE).exists()
    when = now or clock.now()
    lanes = tuple(replace(lane, face_enabled=lane.face_enabled and face) for lane in DEFAULT_LANES)
    site = SiteRow(
        site_id=site_id,
        name=name or site_id,
        timezone=timezone,
        opening_hours=DEFAULT_OPENING_HOURS,
        calendar=[],
        default_timetable=DEFAULT_TIMETABLE,
        settings=initial_settings(
            face_enabled=face, uai=normalize_uai(uai) if uai else None, face_model=face_model
        ),
        snapshot_version=1,
        created_at=when,
    )
    database: Database | None = None
    try:
        directory.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
        database = database_for(directory, database_url, wiring)
        database.upgrade()
        wiring.open_log(database, directory, site_id, when)
        with database.session() as session:
            _add_site(session, database, site, DEFAULT_ZONES, lanes)
            keyring = init_keyring(keys_dir, when) if created_keys else load_keyring(keys_dir)
            _write_site_file(directory, site_id)
    except BaseException:
        if created_keys:
            shutil.rmtree(keys_dir, ignore_errors=True)
        if created_audit_keys:
            (keys_dir / AUDIT_KEYS_FILE).unlink(missing_ok=True)
        (directory / AUDIT_CHECKPOINT_FILE).unlink(missing_ok=True)
        (directory / SITE_FILE).unlink(missing_ok=True)
        if database is not None:
            database.dispose()
        if created_directory:
            shutil.rmtree(directory, ignore_errors=True)
        raise
    database.dispose()
    return SiteCreated(
        directory=directory,
        site_id=site_id,
        name=site.name,
        database=database.shown_url,
        key_id=keyring.active_key_id,
        zones=DEFAULT_ZONES,
        lanes=lanes,
        face_enabled=face,
    )


def _check_new_site(directory: Path, site_id: str, timezone: str) -> None:
    """Refuses a bad site id, an unknown time zone or a folder that holds a site."""
    if not is_valid_id(site_id):
        raise BadInputError(
            text(
                f"Identifiant d'établissement {site_id!r} invalide : 1 à 64 caractères "
                "parmi lettres, chiffres et . _ ~ -",
                f"Invalid site id {site_id!r}: use 1 to 64 characters among letters, "
                "digits and . _ ~ -",
            )
        )
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadInputError(
            text(f"Fuseau horaire inconnu : {timezone!r}.", f"Unknown time zone: {timezone!r}.")
        ) from None
    if (directory / SITE_FILE).exists():
        raise SiteExistsError(
            text(
                f"{directory} contient déjà un établissement ({_read_site_id(directory)}).",
                f"{directory} already holds a site ({_read_site_id(directory)}).",
            )
        )


def _add_site(
    session: Session,
    database: Database,
    site: SiteRow,
    zones: tuple[Zone, ...],
    lanes: tuple[Lane, ...],
) -> None:
    """Adds the new site with its zones and lanes; refuses one the database holds."""
    if Sites(session).get(site.site_id) is not None:
        raise SiteExistsError(
            text(
                f"La base {database.shown_url} contient déjà l'établissement {site.site_id}.",
                f"The database {database.shown_url} already holds site {site.site_id}.",
            )
        )
    site_id = site.site_id
    Sites(session).add(
        site,
        [
            *(ZoneRow(site_id=site_id, zone_id=zone.zone_id, name=zone.name) for zone in zones),
            *(
                LaneRow(
                    site_id=site_id,
                    lane_id=lane.lane_id,
                    zone_id=lane.zone_id,
                    direction=lane.direction.value,
                    face_enabled=lane.face_enabled,
                    name=lane.name,
                )
                for lane in lanes
            ),
        ],
    )
    session.flush()


def open_site(
    directory: Path,
    *,
    wiring: SiteWiring,
    database_url: str | None = None,
    upgrade: bool = False,
    engine: Engine | None = None,
) -> SiteHandle:
    """The site set up in ``directory`` by ``init_site``, with its database checked and
    ``wiring`` plugged in; with ``upgrade``, a database made by an earlier version is
    first brought to this version's schema (what the server does as it starts). With
    ``engine`` (another site's, on the same ``database_url``), the sites share their
    pool of connections."""
    directory = Path(directory).expanduser()
    site_id = _read_site_id(directory)
    if database_url is None and not (directory / SQLITE_FILE).exists():
        raise SiteNotFoundError(
            text(
                f"Pas de base de données dans {directory} ; si l'établissement utilise "
                "PostgreSQL, indiquez-la avec PORTIQUE_DATABASE_URL.",
                f"No database in {directory}; if the site uses PostgreSQL, give its URL "
                "in PORTIQUE_DATABASE_URL.",
            )
        )
    database = database_for(directory, database_url, wiring, engine=engine)
    try:
        if upgrade:
            database.upgrade_if_behind()
        database.check_schema()
        with database.session() as session:
            site_row(session, site_id)
        wiring.open_log(database, directory, site_id, clock.now())
    except BaseException:
        database.dispose()
        raise
    return SiteHandle(directory, site_id, database, PassageRecorder(wiring.passage_handlers))


def read_site_id(directory: Path) -> str:
    """The id of the site set up in ``directory`` (its ``site.json``).

    Raises:
        SiteNotFoundError: no site there; ConfigurationError: an unreadable file.
    """
    return _read_site_id(directory)


def _read_site_id(directory: Path) -> str:
    path = directory / SITE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SiteNotFoundError(
            text(
                f"Aucun établissement dans {directory} : créez-le avec "
                f"`portique init --dir {directory}` (ou indiquez --dir / PORTIQUE_DATA_DIR).",
                f"No site in {directory}: create one with `portique init --dir {directory}` "
                "(or give --dir / PORTIQUE_DATA_DIR).",
            )
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigurationError(f"{path} cannot be read: {exc}") from None
    site_id = data.get("site_id") if isinstance(data, dict) else None
    if not isinstance(site_id, str) or not is_valid_id(site_id):
        raise ConfigurationError(f"{path} does not name a valid site id.")
    return site_id


def _write_site_file(directory: Path, site_id: str) -> None:
    path = directory / SITE_FILE
    temporary = path.with_name(f".{SITE_FILE}.{secrets.token_hex(4)}.tmp")
    temporary.write_text(
        json.dumps({"format": SITE_FORMAT, "site_id": site_id}, indent=2) + "\n", encoding="utf-8"
    )
    os.replace(temporary, path)


@dataclass(frozen=True)
class LockdownState:
    """The lockdown of a site as ``declare_lockdown`` or ``lift_lockdown`` left it."""

    in_force: bool
    since: datetime | None
    changed: bool


def declare_lockdown(
    session: Session, site_id: str, *, by: str | None, now: datetime
) -> LockdownState:
    """Locks the site down: every entry is refused and the agent alerted, until lifted."""
    return _set_lockdown(session, site_id, True, by=by, now=now)


def lift_lockdown(
    session: Session, site_id: str, *, by: str | None, now: datetime
) -> LockdownState:
    """Ends the lockdown in force, if there is one."""
    return _set_lockdown(session, site_id, False, by=by, now=now)


def _set_lockdown(
    session: Session, site_id: str, in_force: bool, *, by: str | None, now: datetime
) -> LockdownState:
    """Declares or lifts the lockdown; nothing changes when it already is as asked."""
    sites = Sites(session)
    site_row(session, site_id)
    current = sites.lockdown(site_id)
    if current is None and not in_force:
        return LockdownState(False, None, changed=False)
    if current is not None and in_force:
        return LockdownState(True, current.since, changed=False)
    if current is None:
        sites.add_lockdown(LockdownRow(site_id=site_id, since=now, declared_by=by))
        since = now
    else:
        current.lifted_at = now
        current.lifted_by = by
        since = current.since
    sites.bump_version(site_id)
    announce(session, site_id)
    return LockdownState(in_force, since, changed=True)


def normalize_uai(value: str) -> str:
    """A UAI (formerly RNE: department, number, check letter, like ``0130001A``; Corsica
    ``620…`` as ``02A``/``02B``) in capitals, checked for its shape.

    Raises:
        BadInputError: not a UAI.
    """
    uai = "".join(value.split()).upper()
    if not UAI_PATTERN.fullmatch(uai):
        raise BadInputError(
            text(
                f"« {value} » n'est pas un code UAI (sept caractères et une lettre, "
                "par exemple 0130001A).",
                f"{value!r} is not a UAI code (seven characters and a letter, e.g. 0130001A).",
            )
        )
    return uai
