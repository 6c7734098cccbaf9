"""A builder of policy snapshots and signed credentials, for the access tests.

``World`` holds a small lycée on a school Tuesday (11 March 2025, Paris time): zones,
lanes, one class with its timetable, opening hours, and real Ed25519 keys. A test adds
people and credentials, tweaks settings, then asks for a decision::

    def test_x(world: World) -> None:
        world.student("s1")
        decision = world.decide("in-main", world.card("s1"), world.at(10))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from portique.access import (
    BadgeBinding,
    Consent,
    ConsentGiver,
    DaySchedule,
    Decision,
    Direction,
    ExitPermission,
    ExitRule,
    FaceOutcome,
    Group,
    Lane,
    LastPassage,
    Lockdown,
    Passage,
    Person,
    PolicySnapshot,
    Role,
    Site,
    SiteSettings,
    Timetable,
    TimetableException,
    VisitorPass,
    Weekday,
    Zone,
    decide,
    needs_face,
)
from portique.credentials import (
    Claims,
    CodeStamp,
    CredentialKind,
    HolderKey,
    PhoneKey,
    Revocation,
    RevocationList,
    SigningKey,
    new_template_key,
    seal_template,
    sign_credential,
)
from portique.credentials.keys import key_id_for

PARIS = ZoneInfo("Europe/Paris")
SITE_ID = "lycee-0130001A"
SCHOOL_DAY = date(2025, 3, 11)  # a Tuesday in term time
YEAR_START = datetime(2024, 9, 1, tzinfo=PARIS)
YEAR_END = datetime(2025, 8, 31, 23, 59, 59, tzinfo=PARIS)
CLASS = "2nde-a"
FACE_THRESHOLD = 0.6


def _signing_key() -> SigningKey:
    private_key = Ed25519PrivateKey.generate()
    return SigningKey(key_id_for(private_key.public_key()), private_key)


# Made once per run: key generation is the slow part of building a world.
SITE_KEY = _signing_key()
RETIRED_KEY = _signing_key()  # not among the verifiers: a key the site no longer trusts
TEMPLATE_KEY = new_template_key()
PHONE = PhoneKey()  # the phone of every phone pass unless a test gives another

WEEKDAY_LESSONS = DaySchedule.of("08:00-12:00", "13:30-17:00", lunch="12:00-13:30")
WEDNESDAY_LESSONS = DaySchedule.of("08:00-12:00")
CLASS_TIMETABLE = Timetable.weekly(
    {
        Weekday.MONDAY: WEEKDAY_LESSONS,
        Weekday.TUESDAY: WEEKDAY_LESSONS,
        Weekday.WEDNESDAY: WEDNESDAY_LESSONS,
        Weekday.THURSDAY: WEEKDAY_LESSONS,
        Weekday.FRIDAY: WEEKDAY_LESSONS,
    }
)
OPENING_HOURS = Timetable.weekly(
    {
        **{day: DaySchedule.of("07:00-19:00") for day in Weekday if day < Weekday.SATURDAY},
        Weekday.SATURDAY: DaySchedule.of("08:00-12:30"),
    }
)

ZONES = (Zone("main", "Bâtiment principal"), Zone("workshop", "Ateliers"), Zone("reception"))
LANES = (
    Lane("in-main", "main", Direction.IN, face_enabled=True),
    Lane("out-main", "main", Direction.OUT),
    Lane("in-workshop", "workshop", Direction.IN),
    Lane("in-reception", "reception", Direction.IN),
)


def born_years_before(years: int, on: date = SCHOOL_DAY) -> date:
    """A birth date making someone ``years`` old on ``on`` (their birthday was yesterday)."""
    day_before = on - timedelta(days=1)
    return day_before.replace(year=day_before.year - years)


class World:
    """A site under construction; ``snapshot()`` freezes it, ``decide()`` asks the engine.

    Test modules reach this module's constants through a world (``world.school_day``)
    rather than importing ``conftest``, whose module name other test folders share.
    """

    site_id = SITE_ID
    school_day = SCHOOL_DAY
    year_start = YEAR_START
    year_end = YEAR_END
    site_key = SITE_KEY
    retired_key = RETIRED_KEY
    face_threshold = FACE_THRESHOLD

    def __init__(self) -> None:
        self.version = 1
        self.settings = SiteSettings(face_enabled=True, face_threshold=FACE_THRESHOLD)
        self.calendar: list[TimetableException] = []
        self.people: dict[str, Person] = {}
        self.groups: dict[str, Group] = {CLASS: Group(CLASS, CLASS_TIMETABLE, "Seconde A")}
        self.exit_permissions: dict[str, ExitPermission] = {}
        self.consents: dict[str, Consent] = {}
        self.badge_bindings: list[BadgeBinding] = []
        self.visitor_passes: list[VisitorPass] = []
        self.last_passages: dict[str, LastPassage] = {}
        self.revocations: list[Revocation] = []
        self.lockdown: Lockdown | None = None
        self.opening_hours = OPENING_HOURS
        self.seen_codes: set[CodeStamp] = set()

    # Time -------------------------------------------------------------------------

    def at(self, hour: int, minute: int = 0, day: date = SCHOOL_DAY) -> datetime:
        """A Paris wall-clock time, as a UTC datetime (what a lane's clock gives)."""
        return datetime.combine(day, time(hour, minute), tzinfo=PARIS).astimezone(UTC)

    # People -----------------------------------------------------------------------

    def person(
        self,
        person_id: str,
        role: Role,
        *,
        age: int = 40,
        birth_date: date | None = None,
        groups: Iterable[str] = (),
        guardians: Iterable[str] = (),
        zones: Iterable[str] | None = None,
        active: bool = True,
    ) -> Person:
        person = Person(
            person_id=person_id,
            role=role,
            birth_date=birth_date or born_years_before(age),
            group_ids=frozenset(groups),
            guardian_ids=frozenset(guardians),
            zones=None if zones is None else frozenset(zones),
            active=active,
        )
        self.people[person_id] = person
        return person

    def student(
        self, person_id: str = "s1", *, age: int = 15, groups: Iterable[str] = (CLASS,), **kw: Any
    ) -> Person:
        """A student of the class (a minor by default), with a parent ``parent-<id>``."""
        kw.setdefault("guardians", (f"parent-{person_id}",))
        return self.person(person_id, Role.STUDENT, age=age, groups=groups, **kw)

    def staff(self, person_id: str = "t1", **kw: Any) -> Person:
        return self.person(person_id, Role.STAFF, **kw)

    def visitor(self, person_id: str = "v1", **kw: Any) -> Person:
        return self.person(person_id, Role.VISITOR, **kw)

    # Credentials ------------------------------------------------------------------

    def card(
        self,
        person_id: str,
        *,
        credential_id: str | None = None,
        kind: CredentialKind = CredentialKind.CARD,
        valid_from: datetime = YEAR_START,
        valid_until: datetime = YEAR_END,
        template: bool = False,
        key: SigningKey = SITE_KEY,
        site_id: str = SITE_ID,
        holder_key: HolderKey | None = None,
    ) -> bytes:
        """A signed QR payload; its id is ``card-<person_id>`` unless given."""
        credential_id = credential_id or f"card-{person_id}"
        sealed = None
        if template:
            vector = np.random.default_rng(len(person_id)).normal(size=128).astype(np.float32)
            sealed = seal_template(vector, TEMPLATE_KEY, credential_id, person_id)
        claims = Claims(
            credential_id=credential_id,
            person_id=person_id,
            site_id=site_id,
            kind=kind,
            valid_from=valid_from,
            valid_until=valid_until,
            key_id=key.key_id,
            sealed_template=sealed,
            holder_key=holder_key,
        )
        return sign_credential(claims, key)

    def phone(
        self,
        person_id: str,
        shown_at: datetime,
        *,
        phone: PhoneKey | None = None,
        shown_by: PhoneKey | None = None,
        credential_id: str | None = None,
        **card: Any,
    ) -> bytes:
        """The living code of ``person_id``'s phone pass (``phone-<person_id>``), as the
        phone ``phone`` shows it at ``shown_at``; ``shown_by`` signs it instead (another
        phone holding a copy of the pass)."""
        phone = phone or PHONE
        credential_id = credential_id or f"phone-{person_id}"
        payload = self.card(
            person_id,
            credential_id=credential_id,
            kind=CredentialKind.PHONE,
            holder_key=phone.holder_key,
            **card,
        )
        return (shown_by or phone).living_code(
            payload, site_id=card.get("site_id", SITE_ID), credential_id=credential_id, at=shown_at
        )

    def visitor_pass(
        self,
        person_id: str,
        zones: Iterable[str] = ("reception",),
        *,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        recorded: bool = True,
    ) -> bytes:
        """A visitor's pass for the school day from 9:00 to 11:00, recorded with its zones."""
        credential_id = f"pass-{person_id}"
        if recorded:
            self.visitor_passes.append(VisitorPass(credential_id, frozenset(zones), "t1"))
        return self.card(
            person_id,
            credential_id=credential_id,
            kind=CredentialKind.VISITOR_PASS,
            valid_from=valid_from or self.at(9),
            valid_until=valid_until or self.at(11),
        )

    def badge(
        self,
        person_id: str,
        uid: str = "04:a2:b3:c4",
        *,
        valid_from: datetime = YEAR_START,
        valid_until: datetime = YEAR_END,
    ) -> str:
        """Binds a badge to ``person_id`` (credential ``badge-<person_id>``); returns its UID."""
        self.badge_bindings.append(
            BadgeBinding(uid, f"badge-{person_id}", person_id, valid_from, valid_until)
        )
        return uid

    def revoke(self, credential_id: str) -> None:
        self.revocations.append(Revocation(credential_id, YEAR_START, "left the school"))

    # Consent, permissions, state --------------------------------------------------

    def consent(
        self,
        person_id: str,
        *,
        giver: ConsentGiver | None = None,
        given_by: str | None = None,
        given_at: datetime = YEAR_START,
        withdrawn_at: datetime | None = None,
    ) -> Consent:
        """A consent in the right form: a parent's for a minor, the person's own otherwise."""
        person = self.people[person_id]
        minor = person.is_minor_on(SCHOOL_DAY)
        if giver is None:
            giver = ConsentGiver.PARENT if minor else ConsentGiver.SELF
        if given_by is None:
            given_by = sorted(person.guardian_ids)[0] if minor else person_id
        consent = Consent(person_id, giver, given_by, given_at, withdrawn_at)
        self.consents[person_id] = consent
        return consent

    def permit_exit(self, person_id: str, rule: ExitRule) -> None:
        self.exit_permissions[person_id] = ExitPermission(
            person_id, rule, f"parent-{person_id}", SCHOOL_DAY - timedelta(days=180)
        )

    def passed(self, person_id: str, direction: Direction, when: datetime) -> None:
        """Records ``person_id``'s last passage, for anti-passback."""
        self.last_passages[person_id] = LastPassage(direction, when)

    def used(self, credential_id: str, shown_at: datetime) -> None:
        """Remembers the living code of ``credential_id`` shown at ``shown_at`` as used."""
        self.seen_codes.add(CodeStamp(credential_id, shown_at))

    def lock_down(self) -> None:
        self.lockdown = Lockdown(self.at(7), "principal")

    def configure(self, **changes: Any) -> None:
        self.settings = replace(self.settings, **changes)

    # Asking the engine -------------------------------------------------------------

    def snapshot(self) -> PolicySnapshot:
        return PolicySnapshot.build(
            version=self.version,
            site=Site(SITE_ID, self.opening_hours, tuple(self.calendar), name="Lycée test"),
            verifiers={SITE_KEY.key_id: SITE_KEY.public_key},
            revocations=RevocationList.of(self.revocations),
            settings=self.settings,
            zones=ZONES,
            lanes=LANES,
            people=self.people.values(),
            groups=self.groups.values(),
            exit_permissions=self.exit_permissions.values(),
            consents=self.consents.values(),
            badge_bindings=self.badge_bindings,
            visitor_passes=self.visitor_passes,
            last_passages=self.last_passages,
            lockdown=self.lockdown,
            seen_codes=self.seen_codes,
        )

    def passage(
        self, lane_id: str, credential: bytes | str, when: datetime, face: FaceOutcome | None = None
    ) -> Passage:
        """A passage with a QR payload (bytes) or a badge UID (str)."""
        if isinstance(credential, bytes):
            return Passage.qr(lane_id, when, credential, face)
        return Passage.badge(lane_id, when, credential, face)

    def decide(
        self, lane_id: str, credential: bytes | str, when: datetime, face: FaceOutcome | None = None
    ) -> Decision:
        return decide(self.snapshot(), self.passage(lane_id, credential, when, face))

    def needs_face(self, lane_id: str, credential: bytes | str, when: datetime) -> bool:
        return needs_face(self.snapshot(), self.passage(lane_id, credential, when))


@pytest.fixture
def world() -> World:
    """A fresh site with no one in it yet."""
    return World()


@pytest.fixture(scope="session")
def new_world() -> Callable[[], World]:
    """A factory of fresh worlds, for property tests that build one per example."""
    return World
