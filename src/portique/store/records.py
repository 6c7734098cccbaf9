"""A row turned into a frozen record of the layers above, column by column by name."""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

RecordT = TypeVar("RecordT", bound="DataclassInstance")


def record_from(record: type[RecordT], row: object, **computed: object) -> RecordT:
    """A ``record`` (a dataclass) whose fields are ``row``'s attributes of the same names,
    but for those given in ``computed`` (an enum parsed, a name looked up elsewhere...).

    One copy per record, written once: a field the row lacks and ``computed`` does not
    give is an ``AttributeError`` at the first read, never a silent default.
    """
    copied = {
        field.name: getattr(row, field.name)
        for field in fields(record)
        if field.init and field.name not in computed
    }
    return record(**copied, **computed)
