"""The scripted morning: who arrives when, at which lane, with what, and what the
policy should say; the visitor invited each day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from portique.access import Outcome, Reason
from portique.demo.cast import (
    ENTRY,
    EXIT,
    INVITED,
    INVITED_HOST,
    INVITED_WINDOW,
    LATE_CLASS,
    TIMEZONE,
    UNKNOWN_BADGE,
    VISITOR_DAYS,
)
from portique.demo.school import DemoSchool

if TYPE_CHECKING:
    from portique.services import SiteHandle

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
    script = _Script(school)
    _before_eight(script)
    _after_eight(script, school)
    _after_nine(script, school, day, visitor)
    return script.scenes


class _Script:
    """The scenes of a morning, written in order."""

    def __init__(self, school: DemoSchool) -> None:
        self.holders = school.holders
        self.scenes: list[Scene] = []

    def arrive(self, hour: int, minute: int, key: str, story: str = "", lane: str = ENTRY) -> None:
        """Member ``key`` passes with what they hold, and is let through (by their face
        too when they enrolled one, at the entrance)."""
        holder = self.holders[key]
        enrolled = holder.probe is not None and lane == ENTRY
        if holder.badge is not None:
            self.add(Scene(hour, minute, lane, holder.name, story or "badge", holder.badge,
                           badge=True))  # fmt: skip
            return
        self.add(
            Scene(
                hour,
                minute,
                lane,
                holder.name,
                story or ("carte + visage" if enrolled else "carte"),
                self.card(key),
                face=holder.probe if enrolled else None,
                reason=Reason.FACE_MATCH if enrolled else Reason.CREDENTIAL_VALID,
            )
        )

    def card(self, key: str) -> str:
        card = self.holders[key].card
        assert card is not None, key
        return card

    def name(self, key: str) -> str:
        return self.holders[key].name

    def add(self, scene: Scene) -> None:
        self.scenes.append(scene)


def _before_eight(script: _Script) -> None:
    """The first arrivals: staff, then the classes, a late class and two revoked cards."""
    for minute, key in ((40, "marc"), (41, "anne"), (42, "julien"), (44, "pierre"), (46, "lea")):
        script.arrive(7, minute, key)
    script.arrive(7, 47, "hugo", "carte (nouvelle, l'ancienne a été perdue)")
    for minute, key in ((48, "chloe"), (49, "lucas"), (50, "emma")):
        script.arrive(7, minute, key)
    script.add(
        Scene(7, 51, ENTRY, script.name("ines"), f"{LATE_CLASS} commence à 10 h",
              script.card("ines"), expect=Outcome.REFER, reason=Reason.OUTSIDE_TIMETABLE)
    )  # fmt: skip
    script.arrive(7, 52, "nathan")
    script.arrive(7, 53, "manon")
    script.add(
        Scene(7, 54, ENTRY, script.name("enzo"), "ancien élève, carte révoquée",
              script.card("enzo"), expect=Outcome.DENY, reason=Reason.REVOKED)
    )  # fmt: skip
    for minute, key in ((55, "louis"), (56, "camille"), (57, "sarah"), (58, "mathis")):
        script.arrive(7, minute, key)
    lost = script.holders["hugo"].old_card
    assert lost is not None
    script.add(
        Scene(7, 59, ENTRY, "?", f"carte perdue de {script.name('hugo')}", lost,
              expect=Outcome.DENY, reason=Reason.REVOKED)
    )  # fmt: skip


def _after_eight(script: _Script, school: DemoSchool) -> None:
    """An expired card, an unknown badge, an impostor (with faces), staff and a parent."""
    script.add(
        Scene(8, 0, ENTRY, script.name("lou"), "carte de l'an dernier, expirée",
              script.card("lou"), expect=Outcome.DENY, reason=Reason.EXPIRED)
    )  # fmt: skip
    script.arrive(8, 1, "raphael")
    script.arrive(8, 2, "alice")
    script.add(
        Scene(8, 3, ENTRY, "?", "badge inconnu", UNKNOWN_BADGE, badge=True,
              expect=Outcome.DENY, reason=Reason.UNKNOWN_CREDENTIAL)
    )  # fmt: skip
    jules = school.holders["jules"]
    if school.impostor is not None and jules.probe is not None and jules.card is not None:
        script.add(
            Scene(8, 4, ENTRY, "?", f"quelqu'un d'autre avec la carte de {jules.name}",
                  jules.card, face=school.impostor,
                  expect=Outcome.REFER, reason=Reason.FACE_MISMATCH)
        )  # fmt: skip
    script.arrive(8, 5, "louise")
    script.arrive(8, 6, "sacha")
    script.arrive(8, 10, "sophie")
    script.arrive(8, 15, "helene")
    script.arrive(8, 20, "p-martin", "parent, rendez-vous")
    script.arrive(8, 30, "franck", "prestataire, cantine")


def _after_nine(script: _Script, school: DemoSchool, day: date, visitor: str | None) -> None:
    """Visitors, the first exits (one refused to a minor) and the late class."""
    elodie = school.holders["elodie"]
    if day < school.built_on + timedelta(days=VISITOR_DAYS):
        script.arrive(9, 0, "elodie", "visiteuse, carte d'une semaine")
    elif elodie.card is not None:
        script.add(
            Scene(9, 0, ENTRY, elodie.name, "visiteuse, sa carte d'une semaine a expiré",
                  elodie.card, expect=Outcome.DENY, reason=Reason.EXPIRED)
        )  # fmt: skip
    invited = f"{INVITED[1]} {INVITED[0]}"
    if visitor is not None:
        script.add(Scene(9, 5, ENTRY, invited, "visiteuse invitée, laissez-passer", visitor))
    script.arrive(9, 15, "p-martin", "parent, fin du rendez-vous", lane=EXIT)
    script.add(
        Scene(9, 40, EXIT, script.name("hugo"), "mineur, pas d'autorisation de sortie",
              script.card("hugo"), expect=Outcome.DENY, reason=Reason.EXIT_NOT_PERMITTED)
    )  # fmt: skip
    script.arrive(9, 45, "mathis", "majeur, sort librement", lane=EXIT)
    if visitor is not None:
        script.add(Scene(9, 50, EXIT, invited, "visiteuse invitée, départ", visitor))
    script.arrive(9, 52, "zoe")
    for minute, key in enumerate(("gabriel", "arthur", "lina", "adam"), start=53):
        script.arrive(9, minute, key)


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
