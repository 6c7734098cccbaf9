"""Cards of a class in one batch: A4 sheets of ten CR80 cards and a PDF per card, every
card readable from the printed sheet and granted at the lane."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pypdfium2
import pytest
from registers_support import NOW, RegisterSite
from sqlalchemy import select

from portique.credentials import payload_to_text
from portique.credentials.qr import decode_qr
from portique.registers.cards import A4_PX, CR80_PX, issue_class_cards
from portique.registers.synthetic import synthetic_school
from portique.services import Gate, UnknownGroupError, presented_from_text
from portique.store import AuditEntryRow

SCHOOL = synthetic_school(69, uaj="0130001A", seed=2)
"""Three classes of 23: the first, 2NDE1, fills three sheets (10, 10, 3)."""
AT_THE_GATE = NOW + timedelta(days=1)  # Tuesday 10:00 in Paris


def _batch(site: RegisterSite, group: str = "2nde1", **options: object):  # type: ignore[no-untyped-def]
    with site.site.database.session(actor="cli:test") as session:
        return issue_class_cards(
            session, site.site_id, site.site.keyring(), group, now=NOW, **options
        )


def _pages(pdf: bytes) -> list[np.ndarray]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [
            np.asarray(document[i].render(scale=300 / 72).to_pil().convert("L"))
            for i in range(len(document))
        ]
    finally:
        document.close()


def test_a_class_gets_its_cards_on_a4_sheets_of_ten_each_granted_at_the_lane(
    register_site: RegisterSite,
) -> None:
    register_site.sync(SCHOOL)
    batch = _batch(register_site)
    assert len(batch.cards) == 23 and batch.skipped == ()

    pages = _pages(batch.sheets())
    assert len(pages) == 3
    assert abs(pages[0].shape[1] - A4_PX[0]) <= 2 and abs(pages[0].shape[0] - A4_PX[1]) <= 2
    width, height = CR80_PX
    left = (A4_PX[0] - 2 * width) // 2
    top = (A4_PX[1] - 5 * height) // 2
    read = []
    for number, page in enumerate(pages):
        for slot in range(10 if number < 2 else 3):
            row, column = divmod(slot, 2)
            x, y = left + column * width, top + row * height
            read.append(payload_to_text(decode_qr(page[y : y + height, x : x + width])))
    assert read == [card.credential.payload_text for card in batch.cards]

    gate = Gate(register_site.site)
    for text in read:
        assert gate.pass_through(
            "entree", presented_from_text(text), at=AT_THE_GATE
        ).decision.granted


def test_each_card_also_comes_as_its_own_pdf_for_card_printers(
    register_site: RegisterSite, tmp_path: Path
) -> None:
    register_site.sync(SCHOOL)
    batch = _batch(register_site)
    with zipfile.ZipFile(io.BytesIO(batch.archive())) as archive:
        names = archive.namelist()
        first = archive.read(names[0])
    assert len(names) == 23
    card_page = _pages(first)[0]
    assert abs(card_page.shape[1] - CR80_PX[0]) <= 2
    assert payload_to_text(decode_qr(card_page)) == batch.cards[0].credential.payload_text
    written = batch.write(tmp_path)
    assert written[0] == tmp_path / "2nde1" / "planche.pdf"
    assert len(written) == 24


def test_a_pupil_who_holds_a_card_for_as_long_is_skipped(register_site: RegisterSite) -> None:
    register_site.sync(SCHOOL)
    first = _batch(register_site)
    again = _batch(register_site)
    assert again.cards == () and len(again.skipped) == 23
    assert {reason for _, reason in again.skipped} == {"has_card"}
    next_year = _batch(register_site, valid_from=date(2027, 9, 1), valid_until=date(2028, 8, 31))
    assert len(next_year.cards) == len(first.cards)
    assert next_year.cards[0].credential.valid_until.date() == date(2028, 8, 31)


def test_leavers_get_no_card_and_the_batch_is_audited(register_site: RegisterSite) -> None:
    register_site.sync(SCHOOL)
    leaver = next(p for p in SCHOOL.pupils if p.division == "2NDE1")
    register_site.sync(SCHOOL.without([leaver.eleve_id]))
    batch = _batch(register_site)
    assert len(batch.cards) == 22
    with register_site.site.session() as session:
        actions = list(
            session.scalars(
                select(AuditEntryRow.action).where(AuditEntryRow.site_id == register_site.site_id)
            )
        )
    assert actions.count("cards.batch") == 1
    assert actions.count("credentials.create") == 22


def test_an_unknown_class_is_a_clear_error(register_site: RegisterSite) -> None:
    with pytest.raises(UnknownGroupError, match="3eme-z"):
        _batch(register_site, "3eme-z")
