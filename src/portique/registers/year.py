"""The school year: closing it (cards end with it, retention purge, classes archived) and
opening the next (the new register, consent carried over only where it still holds, the
cards of every class issued in one batch).

A school year runs from 1 September to 31 August (``2026-2027``), as credentials' default
validity does. Closing is done once the pupils no longer need their cards (after the
exams, usually early July); opening once SIECLE has the next year's register (late
August), so the cards can be printed before the rentrée.

Consent is carried over to the new year only where it still holds in law (see
docs/registers.md): the person is still at the school, the giver still has standing (a
legal guardian of a minor per the new register, or the person themselves once of age),
and the face processing they agreed to is unchanged (on or off, model, template
storage). Otherwise the consent lapses: it is withdrawn by the system, every credential
carrying a template is revoked, and the consent must be asked again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from portique.access import Role
from portique.credentials import CredentialKind, Keyring
from portique.errors import BadInputError
from portique.i18n import text
from portique.privacy import audit
from portique.privacy.retention import PurgeReport, purge
from portique.registers.cards import CardBatch, issue_class_cards
from portique.registers.sync import GROUP_KIND, RegisterFiles, SyncReport, sync_register
from portique.services.batches import Progress
from portique.services.consent import withdraw_consent
from portique.services.rows import consent_from_row, person_from_row, site_row
from portique.services.settings import parse_settings
from portique.store import (
    ACTIVE,
    REVOKED,
    ArchivedGroupRow,
    CredentialRow,
    GroupRow,
    MembershipRow,
    People,
    PersonRow,
    SchoolYearRow,
    Sites,
)

YEAR_CLOSED = "year_closed"
"""The revocation reason of a card made to outlive the school year it was issued for."""
OPEN, CLOSED = "open", "closed"
_YEAR = re.compile(r"(\d{4})(?:\s*[-/]\s*(\d{4}))?")


class SchoolYearError(BadInputError):
    """A school year cannot be closed or opened as asked."""

    code = "school_year"


@dataclass(frozen=True)
class SchoolYear:
    year_id: str
    starts_on: date
    ends_on: date

    @classmethod
    def parse(cls, value: str) -> SchoolYear:
        """``2026-2027`` (or ``2026``, the year it starts in)."""
        match = _YEAR.fullmatch(value.strip())
        if match is None or (match[2] and int(match[2]) != int(match[1]) + 1):
            raise SchoolYearError(
                text(
                    f"« {value} » n'est pas une année scolaire (par exemple 2026-2027).",
                    f"{value!r} is not a school year (e.g. 2026-2027).",
                )
            )
        start = int(match[1])
        return cls(f"{start}-{start + 1}", date(start, 9, 1), date(start + 1, 8, 31))

    def end_at(self, timezone: str) -> datetime:
        """The last second of the year on the site's clock."""
        return datetime.combine(
            self.ends_on, time(23, 59, 59), tzinfo=ZoneInfo(timezone)
        ).astimezone(UTC)


@dataclass(frozen=True)
class YearClosing:
    year_id: str
    revoked: int
    badges_shortened: int
    archived: tuple[str, ...]
    purge: PurgeReport


@dataclass(frozen=True)
class YearOpening:
    year_id: str
    register: SyncReport
    consents_carried: tuple[str, ...]
    consents_lapsed: tuple[str, ...]
    batches: tuple[CardBatch, ...]

    @property
    def cards(self) -> int:
        return sum(len(batch.cards) for batch in self.batches)


def processing_of(settings: dict[str, Any]) -> dict[str, Any]:
    """What people consent to: whether faces are compared, by which model, stored where."""
    stored = parse_settings(settings)
    return {
        "face_enabled": stored.face_enabled,
        "face_model": stored.face_model,
        "template_store": stored.template_store.value,
    }


def _year_row(session: Session, site_id: str, year: SchoolYear) -> SchoolYearRow | None:
    return session.get(SchoolYearRow, (site_id, year.year_id))


def close_year(session: Session, site_id: str, year: SchoolYear, *, now: datetime) -> YearClosing:
    """Closes ``year``: pupils' cards end with it, its classes are archived (name,
    timetable and size, never who was in them), and the retention purge runs.

    Raises:
        SchoolYearError: the year is closed already.
    """
    site = site_row(session, site_id)
    row = _year_row(session, site_id, year)
    if row is not None and row.status == CLOSED:
        raise SchoolYearError(
            text(f"L'année {year.year_id} est déjà close.", f"Year {year.year_id} is closed.")
        )
    if row is None:
        row = SchoolYearRow(
            site_id=site_id, year_id=year.year_id, starts_on=year.starts_on,
            ends_on=year.ends_on, status=OPEN, processing=processing_of(site.settings),
            opened_at=None, closed_at=None,
        )  # fmt: skip
        session.add(row)
    end = year.end_at(site.timezone)
    revoked, shortened = _end_pupils_cards(session, site_id, end, now)
    archived = _archive_classes(session, site_id, year, now)
    row.status, row.closed_at = CLOSED, now
    session.flush()
    Sites(session).bump_version(site_id)
    report = purge(session, site_id, now=now)
    audit.record(
        session,
        site_id=site_id,
        action="year.close",
        target=f"school_years:{site_id}/{year.year_id}",
        details={"revoked": revoked, "badges_shortened": shortened, "archived": list(archived)},
        at=now,
    )
    return YearClosing(year.year_id, revoked, shortened, archived, report)


def _end_pupils_cards(
    session: Session, site_id: str, end: datetime, now: datetime
) -> tuple[int, int]:
    """A badge's validity lives in the database: it is cut to the year's end. A card's
    lives in its signed payload, which cannot be changed: one made to outlive the year is
    revoked. Cards issued by default already end on 31 August."""
    query = (
        select(CredentialRow)
        .join(PersonRow, PersonRow.person_id == CredentialRow.person_id)
        .where(
            CredentialRow.site_id == site_id,
            CredentialRow.status == ACTIVE,
            CredentialRow.valid_until > end,
            PersonRow.role == Role.STUDENT.value,
        )
    )
    revoked = shortened = 0
    for credential in session.scalars(query):
        if credential.kind == CredentialKind.BADGE.value:
            credential.valid_until = end
            shortened += 1
        else:
            credential.status, credential.revoked_at = REVOKED, now
            credential.revocation_reason = YEAR_CLOSED
            revoked += 1
    return revoked, shortened


def _archive_classes(
    session: Session, site_id: str, year: SchoolYear, now: datetime
) -> tuple[str, ...]:
    """Every group with students becomes an archived class of the year; its memberships
    and the group itself go (the new register makes next year's)."""
    counts = dict(
        session.execute(
            select(MembershipRow.group_id, func.count())
            .join(PersonRow, PersonRow.person_id == MembershipRow.person_id)
            .where(MembershipRow.site_id == site_id, PersonRow.role == Role.STUDENT.value)
            .group_by(MembershipRow.group_id)
        ).all()
    )
    archived = []
    for group in session.scalars(select(GroupRow).where(GroupRow.site_id == site_id)):
        members = int(counts.get(group.group_id, 0))
        if not members:
            continue
        session.add(
            ArchivedGroupRow(
                site_id=site_id, year_id=year.year_id, group_id=group.group_id,
                name=group.name, timetable=group.timetable, members=members, archived_at=now,
            )
        )  # fmt: skip
        for membership in session.scalars(
            select(MembershipRow).where(
                MembershipRow.site_id == site_id, MembershipRow.group_id == group.group_id
            )
        ):
            session.delete(membership)
        session.flush()
        session.delete(group)
        archived.append(group.group_id)
    session.flush()
    return tuple(archived)


def open_year(
    session: Session,
    site_id: str,
    keys_dir: Path,
    keyring: Keyring,
    year: SchoolYear,
    files: RegisterFiles,
    *,
    now: datetime,
    lang: str = "fr",
    progress: Progress | None = None,
) -> YearOpening:
    """Opens ``year``: imports its register, carries consent over where it holds, and
    issues the cards of every class, valid for the year.

    Raises:
        SchoolYearError: the year exists already, or another year is still open.
        RegisterFormatError (and kinds): the register cannot be imported.
    """
    site = site_row(session, site_id)
    if _year_row(session, site_id, year) is not None:
        raise SchoolYearError(
            text(f"L'année {year.year_id} existe déjà.", f"Year {year.year_id} exists already.")
        )
    still_open = session.scalars(
        select(SchoolYearRow.year_id).where(
            SchoolYearRow.site_id == site_id, SchoolYearRow.status == OPEN
        )
    ).first()
    if still_open is not None:
        raise SchoolYearError(
            text(
                f"L'année {still_open} est encore ouverte : fermez-la d'abord "
                f"(`portique year close {still_open}`).",
                f"Year {still_open} is still open: close it first "
                f"(`portique year close {still_open}`).",
            )
        )
    previous = session.scalars(
        select(SchoolYearRow)
        .where(SchoolYearRow.site_id == site_id)
        .order_by(SchoolYearRow.starts_on.desc())
    ).first()
    processing = processing_of(site.settings)
    session.add(
        SchoolYearRow(
            site_id=site_id, year_id=year.year_id, starts_on=year.starts_on,
            ends_on=year.ends_on, status=OPEN, processing=processing, opened_at=now,
            closed_at=None,
        )
    )  # fmt: skip
    session.flush()
    register = sync_register(session, site_id, keys_dir, files, now=now)
    changed = previous is not None and previous.processing != processing
    carried, lapsed = _carry_consents(session, site_id, year, now=now, processing_changed=changed)
    batches = _issue_year_cards(
        session, site_id, keyring, year, now=now, lang=lang, progress=progress
    )
    audit.record(
        session,
        site_id=site_id,
        action="year.open",
        target=f"school_years:{site_id}/{year.year_id}",
        details={
            "consents_carried": len(carried),
            "consents_lapsed": len(lapsed),
            "cards": sum(len(batch.cards) for batch in batches),
        },
        at=now,
    )
    return YearOpening(year.year_id, register, carried, lapsed, batches)


def _carry_consents(
    session: Session, site_id: str, year: SchoolYear, *, now: datetime, processing_changed: bool
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Which consents in force go on into the year, and which lapse (withdrawn now)."""
    people = People(session)
    rows = {row.person_id: row for row in people.of_site(site_id)}
    guardians = people.guardian_ids(site_id, None)
    carried: list[str] = []
    lapsed: list[str] = []
    for consent in people.consents(site_id, None):
        if consent.withdrawn_at is not None:
            continue
        row = rows.get(consent.person_id)
        if row is None:
            continue
        person = person_from_row(row, guardian_ids=guardians.get(row.person_id, ()))
        holds = (
            not processing_changed
            and row.active
            and consent_from_row(consent).is_effective(person, now, year.starts_on)
        )
        if holds:
            carried.append(row.person_id)
            continue
        withdraw_consent(session, site_id, row.person_id, by=None, now=now)
        lapsed.append(row.person_id)
    return tuple(carried), tuple(lapsed)


def _issue_year_cards(
    session: Session,
    site_id: str,
    keyring: Keyring,
    year: SchoolYear,
    *,
    now: datetime,
    lang: str,
    progress: Progress | None,
) -> tuple[CardBatch, ...]:
    """One batch per class that has students, each card valid for the whole year."""
    classes = _classes_with_students(session, site_id)
    total = sum(count for _, count in classes)
    done = 0
    batches = []
    for group_id, count in classes:
        base = done

        def step(index: int, _size: int, base: int = base) -> None:
            if progress is not None:
                progress(base + index, total)

        batches.append(
            issue_class_cards(
                session, site_id, keyring, group_id, now=now, valid_from=year.starts_on,
                valid_until=year.ends_on, lang=lang, progress=step,
            )
        )  # fmt: skip
        done += count
    return tuple(batches)


def _classes_with_students(session: Session, site_id: str) -> Sequence[tuple[str, int]]:
    """Classes and their sizes, by id: teaching groups are left out, so no pupil gets
    two cards."""
    query = (
        select(MembershipRow.group_id, func.count())
        .join(PersonRow, PersonRow.person_id == MembershipRow.person_id)
        .join(
            GroupRow,
            (GroupRow.site_id == MembershipRow.site_id)
            & (GroupRow.group_id == MembershipRow.group_id),
        )
        .where(
            MembershipRow.site_id == site_id,
            PersonRow.role == Role.STUDENT.value,
            PersonRow.active.is_(True),
            or_(GroupRow.kind.is_(None), GroupRow.kind != GROUP_KIND),
        )
        .group_by(MembershipRow.group_id)
        .order_by(MembershipRow.group_id)
    )
    return [(str(group_id), int(count)) for group_id, count in session.execute(query)]
