"""Rows to records of the domain: a site, a person, a consent, and what they say together.

Every service reads the store through these helpers rather than through rows of its own
making: a row missing is one specific error, and a person, a consent or a site becomes
the domain's frozen record the same way everywhere (the snapshot, consent, credentials,
people, visitors).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from portique.access import Consent, ConsentGiver, Person, Role, Site
from portique.access.codec import calendar_from_json, timetable_from_json
from portique.dates import check_moment
from portique.i18n import text
from portique.services.errors import PersonInputError, SiteNotFoundError, UnknownPersonError
from portique.store import ConsentRow, People, PersonRow, SiteRow, Sites


def site_row(session: Session, site_id: str) -> SiteRow:
    """The site's row; raises SiteNotFoundError when the database does not hold it."""
    site = Sites(session).get(site_id)
    if site is None:
        raise SiteNotFoundError(
            text(
                f"La base ne contient pas l'établissement {site_id!r} : créez-le avec "
                "`portique init`.",
                f"The database holds no site {site_id!r}: create it with `portique init`.",
            )
        )
    return site


def get_person_row(session: Session, site_id: str, person_id: str) -> PersonRow:
    """The person's row; raises UnknownPersonError when not at the site."""
    row = People(session).get(site_id, person_id)
    if row is None:
        raise UnknownPersonError(
            text(
                f"Aucune personne {person_id!r} dans l'établissement.",
                f"No person {person_id!r} at this site.",
            )
        )
    return row


def active_person_row(session: Session, site_id: str, person_id: str) -> PersonRow:
    """The row of a person still active (consent and credentials are for them only).

    Raises:
        UnknownPersonError: not at the site. PersonInputError: no longer active.
    """
    row = get_person_row(session, site_id, person_id)
    if not row.active:
        raise PersonInputError(
            text(f"{person_id} n'est plus actif.", f"{person_id} is no longer active.")
        )
    return row


class Identity(Protocol):
    """Who a new person is, as a form, a roster line or a register gives it."""

    @property
    def last_name(self) -> str: ...
    @property
    def first_name(self) -> str: ...
    @property
    def birth_date(self) -> date: ...
    @property
    def role(self) -> Role: ...


def new_person_row(person_id: str, site_id: str, who: Identity, now: datetime) -> PersonRow:
    """The row of a person added at ``now``: active, with no zones of their own."""
    return PersonRow(
        person_id=person_id,
        site_id=site_id,
        last_name=who.last_name,
        first_name=who.first_name,
        birth_date=who.birth_date,
        role=who.role.value,
        zones=None,
        active=True,
        created_at=now,
        left_on=None,
    )


def person_from_row(
    row: PersonRow, group_ids: Iterable[str] = (), guardian_ids: Iterable[str] = ()
) -> Person:
    """The domain person of a stored row."""
    return Person(
        person_id=row.person_id,
        role=Role(row.role),
        birth_date=row.birth_date,
        group_ids=frozenset(group_ids),
        guardian_ids=frozenset(guardian_ids),
        zones=None if row.zones is None else frozenset(str(zone) for zone in row.zones),
        active=row.active,
    )


def consent_from_row(row: ConsentRow) -> Consent:
    return Consent(
        person_id=row.person_id,
        giver=ConsentGiver(row.giver),
        given_by=row.given_by,
        given_at=row.given_at,
        withdrawn_at=row.withdrawn_at,
    )


def site_from_row(row: SiteRow) -> Site:
    return Site(
        site_id=row.site_id,
        opening_hours=timetable_from_json(row.opening_hours),
        calendar=calendar_from_json(row.calendar),
        timezone=row.timezone,
        name=row.name,
    )


def local_date(site: SiteRow, moment: datetime) -> date:
    """The date on the site's wall clock at ``moment``.

    Raises:
        DateRangeError: ``moment`` cannot be moved to the site's zone (year 1 or 9999).
    """
    try:
        return moment.astimezone(ZoneInfo(site.timezone)).date()
    except OverflowError:
        check_moment(moment, text("heure", "time"))
        raise  # unreachable: check_moment refuses what overflows


def consent_in_force(session: Session, site_id: str, person_id: str, now: datetime) -> bool:
    """Whether the person's consent allows face comparison at ``now``: both the consent
    services and the enrollment of a face at issue ask it."""
    site = site_row(session, site_id)
    row = get_person_row(session, site_id, person_id)
    people = People(session)
    consent = people.consent(person_id)
    if consent is None:
        return False
    guardians = people.guardian_ids(site_id, [person_id]).get(person_id, set())
    person = person_from_row(row, guardian_ids=guardians)
    return consent_from_row(consent).is_effective(person, now, local_date(site, now))
