"""Issuing the cards of many people at once: a class, a whole school at the rentrée.

Each card is an ordinary credential (``issue_credential``, audited like any other); the
batch adds what printing needs: an A4 sheet of ten CR80 cards per page, two columns of
five, for plain printers and pre-cut card stock, and one PDF per card for card printers.
Nothing is kept: the cards carry the credentials, so the batch is handed over once and
a lost card is revoked and issued again. Faces are never enrolled in a batch.

::

    batch = issue_class_cards(session, site_id, keyring, "2nde1", now=now)
    batch.write(Path("cartes"))          # cartes/2nde1/planche.pdf, cartes/2nde1/*.pdf
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from portique.access import Role
from portique.credentials import CredentialKind, Keyring
from portique.i18n import text
from portique.privacy import audit
from portique.services.batches import Progress
from portique.services.credentials import (
    IssuedCredential,
    issue_credential,
    validity_window,
    write_card,
)
from portique.services.errors import UnknownGroupError
from portique.services.roster import slug
from portique.services.rows import local_date, site_row
from portique.store import ACTIVE, CredentialRow, MembershipRow, People, PersonRow, Sites

DPI = 300
A4_PX = (2480, 3508)
"""210 x 297 mm at 300 dpi."""
CR80_PX = (1011, 638)
"""85.60 x 53.98 mm at 300 dpi: the size ``render_card`` draws."""
COLUMNS, ROWS = 2, 5
CARDS_PER_SHEET = COLUMNS * ROWS
BATCH_ACTION = "cards.batch"


@dataclass(frozen=True)
class BatchCard:
    """One card of a batch: who, its credential, and its PNG and PDF renderings."""

    person_id: str
    display_name: str
    credential: IssuedCredential = field(repr=False)
    png: bytes = field(repr=False)
    pdf: bytes = field(repr=False)

    @property
    def file_name(self) -> str:
        return f"{slug(self.display_name) or 'carte'}-{self.credential.credential_id}.pdf"


@dataclass(frozen=True)
class CardBatch:
    """The cards of a batch, in order, and the people left out with the reason."""

    name: str
    cards: tuple[BatchCard, ...]
    skipped: tuple[tuple[str, str], ...]

    def sheets(self) -> bytes:
        """The A4 PDF: ten cards a page, two columns of five, centred."""
        return render_sheets([card.png for card in self.cards], title=self.name)

    def archive(self) -> bytes:
        """A ZIP of one PDF per card, for a card printer."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for card in self.cards:
                archive.writestr(card.file_name, card.pdf)
        return buffer.getvalue()

    def write(self, folder: Path) -> list[Path]:
        """``folder/<name>/planche.pdf`` and one PDF per card beside it; the paths."""
        target = folder / (slug(self.name) or "cartes")
        written = []
        if self.cards:
            sheet = target / "planche.pdf"
            write_card(sheet, self.sheets())
            written.append(sheet)
        for card in self.cards:
            path = target / card.file_name
            write_card(path, card.pdf)
            written.append(path)
        return written


def render_sheets(cards: Sequence[bytes], *, title: str = "") -> bytes:
    """An A4 PDF of the card images (PNG, CR80 at 300 dpi), ten a page. The cards touch
    each other, as on micro-perforated card stock; each card carries its own cut guide."""
    width, height = A4_PX
    card_w, card_h = CR80_PX
    left = (width - COLUMNS * card_w) // 2
    top = (height - ROWS * card_h) // 2
    pages: list[Image.Image] = []
    for start in range(0, len(cards), CARDS_PER_SHEET):
        page = Image.new("RGB", A4_PX, "white")
        for index, data in enumerate(cards[start : start + CARDS_PER_SHEET]):
            row, column = divmod(index, COLUMNS)
            with Image.open(io.BytesIO(data)) as card:
                image = card.convert("RGB")
                if image.size != CR80_PX:
                    image = image.resize(CR80_PX, Image.Resampling.LANCZOS)
                page.paste(image, (left + column * card_w, top + row * card_h))
        pages.append(page)
    if not pages:
        pages.append(Image.new("RGB", A4_PX, "white"))
    buffer = io.BytesIO()
    pages[0].save(
        buffer, format="PDF", resolution=DPI, save_all=True, append_images=pages[1:], title=title
    )
    return buffer.getvalue()


def _pdf_of(png: bytes) -> bytes:
    with Image.open(io.BytesIO(png)) as card:
        buffer = io.BytesIO()
        card.convert("RGB").save(buffer, format="PDF", resolution=DPI)
    return buffer.getvalue()


def class_members(session: Session, site_id: str, group_id: str) -> list[PersonRow]:
    """The active people of a class, by name.

    Raises:
        UnknownGroupError: no such class at the site.
    """
    if Sites(session).group(site_id, group_id) is None:
        raise UnknownGroupError(
            text(f"Classe inconnue : {group_id!r}.", f"Unknown class: {group_id!r}.")
        )
    query = (
        select(PersonRow)
        .join(MembershipRow, MembershipRow.person_id == PersonRow.person_id)
        .where(
            MembershipRow.site_id == site_id,
            MembershipRow.group_id == group_id,
            PersonRow.active.is_(True),
        )
        .order_by(PersonRow.last_name, PersonRow.first_name, PersonRow.person_id)
    )
    return list(session.scalars(query))


def _holds_card_until(session: Session, person_id: str, until: datetime) -> bool:
    query = select(CredentialRow.credential_id).where(
        CredentialRow.person_id == person_id,
        CredentialRow.status == ACTIVE,
        CredentialRow.kind == CredentialKind.CARD.value,
        CredentialRow.valid_until >= until,
    )
    return session.scalars(query).first() is not None


def _card(
    session: Session,
    site_id: str,
    keyring: Keyring,
    person: PersonRow,
    *,
    now: datetime,
    end: datetime,
    valid_from: date | None,
    valid_until: date | None,
    skip_holders: bool,
    lang: str,
) -> BatchCard | str:
    """One person's card of a batch, or why they are left out (``inactive``, ``has_card``)."""
    if not person.active:
        return "inactive"
    if skip_holders and _holds_card_until(session, person.person_id, end):
        return "has_card"
    issued = issue_credential(
        session, site_id, keyring, person.person_id, now=now, card="png",
        valid_from=valid_from, valid_until=valid_until, lang=lang,
    )  # fmt: skip
    display = f"{person.first_name} {person.last_name}"
    return BatchCard(person.person_id, display, issued, issued.card, _pdf_of(issued.card))


@dataclass
class _Tally:
    """A batch being issued: the cards made and the people left out so far, each one
    told to ``progress`` (done, of ``total``)."""

    total: int
    progress: Progress | None
    cards: list[BatchCard] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def add(self, person_id: str, made: BatchCard | str) -> None:
        """One more person: their card, or why they are left out."""
        if isinstance(made, str):
            self.skipped.append((person_id, made))
        else:
            self.cards.append(made)
        if self.progress is not None:
            self.progress(len(self.cards) + len(self.skipped), self.total)

    def batch(self, name: str) -> CardBatch:
        return CardBatch(name, tuple(self.cards), tuple(self.skipped))


def _audit_batch(
    session: Session, site_id: str, name: str, batch: CardBatch, now: datetime
) -> None:
    audit.record(
        session,
        site_id=site_id,
        action=BATCH_ACTION,
        target=f"groups:{site_id}/{name}",
        details={"issued": len(batch.cards), "skipped": len(batch.skipped)},
        at=now,
    )


def issue_cards(
    session: Session,
    site_id: str,
    keyring: Keyring,
    people: Sequence[PersonRow],
    *,
    now: datetime,
    name: str,
    valid_from: date | None = None,
    valid_until: date | None = None,
    skip_holders: bool = True,
    lang: str = "fr",
    progress: Progress | None = None,
) -> CardBatch:
    """A card for each of ``people`` (without face), in the caller's transaction.

    With ``skip_holders``, someone who already holds an active card valid to the end of
    the new window is left out (a second card would be one more to lose). The window is
    ``valid_from``-``valid_until`` (whole days), by default today to 31 August.
    """
    site = site_row(session, site_id)
    _, end = validity_window(site.timezone, local_date(site, now), valid_from, valid_until)
    tally = _Tally(len(people), progress)
    for person in people:
        made = _card(
            session, site_id, keyring, person, now=now, end=end, valid_from=valid_from,
            valid_until=valid_until, skip_holders=skip_holders, lang=lang,
        )  # fmt: skip
        tally.add(person.person_id, made)
    batch = tally.batch(name)
    _audit_batch(session, site_id, name, batch, now)
    return batch


def issue_cards_each(
    sessions: Callable[[], AbstractContextManager[Session]],
    site_id: str,
    keyring: Keyring,
    person_ids: Sequence[str],
    *,
    now: datetime,
    name: str,
    skip_holders: bool = True,
    lang: str = "fr",
    progress: Progress | None = None,
    pause_s: float = 0.0,
) -> CardBatch:
    """Like :func:`issue_cards` (today to 31 August), each person in a transaction of
    their own from ``sessions()``: a batch run while the site works (the console's) never
    holds the database for long, so lanes go on recording passages meanwhile. Someone
    unknown at the site is left out (``unknown``).

    ``pause_s`` between two people lets others in: a SQLite writer waiting for the lock
    retries every 100 ms at most, and would otherwise find it taken again each time."""
    tally = _Tally(len(person_ids), progress)
    for done, person_id in enumerate(person_ids, start=1):
        with sessions() as session:
            site = site_row(session, site_id)
            _, end = validity_window(site.timezone, local_date(site, now), None, None)
            person = People(session).get(site_id, person_id)
            if person is None:
                made: BatchCard | str = "unknown"
            else:
                made = _card(
                    session, site_id, keyring, person, now=now, end=end, valid_from=None,
                    valid_until=None, skip_holders=skip_holders, lang=lang,
                )  # fmt: skip
        tally.add(person_id, made)
        if pause_s > 0 and done < len(person_ids):
            time.sleep(pause_s)
    batch = tally.batch(name)
    with sessions() as session:
        _audit_batch(session, site_id, name, batch, now)
    return batch


def issue_class_cards(
    session: Session,
    site_id: str,
    keyring: Keyring,
    group_id: str,
    *,
    now: datetime,
    valid_from: date | None = None,
    valid_until: date | None = None,
    skip_holders: bool = True,
    lang: str = "fr",
    progress: Progress | None = None,
) -> CardBatch:
    """The cards of the active students of class ``group_id`` (see :func:`issue_cards`).

    Raises:
        UnknownGroupError: no such class.
    """
    group = Sites(session).group(site_id, group_id)
    members = [
        person
        for person in class_members(session, site_id, group_id)
        if person.role == Role.STUDENT.value
    ]
    return issue_cards(
        session, site_id, keyring, members, now=now,
        name=group.name if group is not None and group.name else group_id,
        valid_from=valid_from, valid_until=valid_until, skip_holders=skip_holders,
        lang=lang, progress=progress,
    )  # fmt: skip
