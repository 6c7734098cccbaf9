"""Looking for face data where none may be: embedding-like arrays, long encoded blobs and
image bytes in logs, audit details and events.

Used by the tests (every log of the test suite, the demo's data) and usable on a
deployed site's logs. A hit names where it is and what it looks like, never its content.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from portique.store import Base

MIN_FLOATS = 32
"""A run of this many comma- or space-separated decimals looks like an embedding."""
MIN_BLOB_BYTES = 512
"""Base64 or hex text decoding to this many bytes looks like a template or an image."""

_FLOAT = r"[-+]?(?:\d+\.\d+|\.\d+|\d+\.?\d*[eE][-+]?\d+)"
_FLOAT_RUN = re.compile(rf"(?:{_FLOAT}[\s,;]+){{{MIN_FLOATS - 1},}}{_FLOAT}")
_BASE64_RUN = re.compile(rf"[A-Za-z0-9+/_-]{{{MIN_BLOB_BYTES * 4 // 3},}}={{0,2}}")
_HEX_RUN = re.compile(rf"(?:[0-9a-fA-F]{{2}}){{{MIN_BLOB_BYTES},}}")

IMAGE_MAGICS = {
    "jpeg": b"\xff\xd8\xff",
    "png": b"\x89PNG\r\n\x1a\n",
}


class LeakKind(StrEnum):
    EMBEDDING = "embedding-like numbers"
    BLOB = "encoded blob"
    IMAGE = "image bytes"


@dataclass(frozen=True)
class Leak:
    """Something that looks like face data: where, and what kind (never the content)."""

    where: str
    kind: LeakKind
    offset: int
    length: int


def _decodes_to_blob(candidate: str) -> bool:
    try:
        decoded = base64.b64decode(candidate + "=" * (-len(candidate) % 4), altchars=b"-_")
    except (binascii.Error, ValueError):
        return False
    return len(decoded) >= MIN_BLOB_BYTES


def scan_text(where: str, content: str) -> list[Leak]:
    """Leaks in text: number runs, base64 or hex blobs, and image signatures (also when
    written as Python bytes reprs or base64)."""
    found = [
        Leak(where, LeakKind.EMBEDDING, match.start(), len(match.group()))
        for match in _FLOAT_RUN.finditer(content)
    ]
    found += [
        Leak(where, LeakKind.BLOB, match.start(), len(match.group()))
        for match in _BASE64_RUN.finditer(content)
        if _decodes_to_blob(match.group())
    ]
    found += [
        Leak(where, LeakKind.BLOB, match.start(), len(match.group()))
        for match in _HEX_RUN.finditer(content)
    ]
    for name, magic in IMAGE_MAGICS.items():
        encoded = base64.b64encode(magic).decode()[:4]
        for marker in (repr(magic)[2:-1], magic.hex(), f"data:image/{name};base64,{encoded}"):
            start = content.find(marker)
            if start >= 0:
                found.append(Leak(where, LeakKind.IMAGE, start, len(marker)))
    return found


def scan_bytes(where: str, content: bytes) -> list[Leak]:
    """Leaks in raw bytes: image signatures, then the text scan of what decodes."""
    found = []
    for magic in IMAGE_MAGICS.values():
        start = content.find(magic)
        if start >= 0:
            found.append(Leak(where, LeakKind.IMAGE, start, len(magic)))
    return found + scan_text(where, content.decode("utf-8", errors="replace"))


def scan_all(items: Iterable[tuple[str, str]]) -> list[Leak]:
    """Leaks in many named texts."""
    return [leak for where, content in items for leak in scan_text(where, content)]


SEALED_COLUMNS = frozenset({("template_vault", "sealed")})
"""Where sealed templates belong (the central template store): not a leak."""


def scan_database(
    session: Session, *, skip: frozenset[tuple[str, str]] = SEALED_COLUMNS
) -> list[Leak]:
    """Leaks in every column of every table (audit details, events, settings...)."""
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [column for column in table.columns if (table.name, column.name) not in skip]
        for row in session.execute(select(*columns)).all():
            for column, value in zip(columns, row, strict=True):
                where = f"{table.name}.{column.name}"
                if isinstance(value, bytes | bytearray | memoryview):
                    found += scan_bytes(where, bytes(value))
                elif isinstance(value, dict | list):
                    found += scan_text(where, json.dumps(value, ensure_ascii=False))
                elif isinstance(value, str):
                    found += scan_text(where, value)
    return found
