"""A row becomes a frozen record by field names, the caller giving only what is computed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from portique.store import record_from
from portique.store.models import RefusalRow


@dataclass(frozen=True)
class _Barred:
    refusal_id: int
    last_name: str
    until_text: str


def _row() -> RefusalRow:
    return RefusalRow(
        refusal_id=7,
        site_id="lycee-test",
        last_name="Martin",
        first_name="Léa",
        until=datetime(2027, 6, 30, tzinfo=UTC).date(),
    )


def test_a_record_takes_the_columns_of_its_field_names_and_what_is_computed() -> None:
    row = _row()
    record = record_from(_Barred, row, until_text=row.until.isoformat())
    assert record == _Barred(7, "Martin", "2027-06-30")


def test_a_field_the_row_lacks_is_an_error_never_a_default() -> None:
    with pytest.raises(AttributeError, match="until_text"):
        record_from(_Barred, _row())
