"""Badge UIDs (RFID cards) as typed by keyboard-wedge readers, brought to one canonical form."""

from __future__ import annotations

import re

from portique.credentials.errors import InvalidBadgeUidError

MIN_UID_BYTES = 4  # MIFARE single-size UID
MAX_UID_BYTES = 10  # ISO/IEC 14443 triple-size UID
DECIMAL_DIGITS = 10  # "10D" output of wedge readers: a 4-byte UID as a decimal number

# A reader sends key codes for a US layout; on a French AZERTY keyboard the unshifted
# digit row then types these characters, and the A key types Q.
_AZERTY_TO_US = str.maketrans(
    {
        "&": "1",
        "é": "2",
        '"': "3",
        "'": "4",
        "(": "5",
        "-": "6",
        "è": "7",
        "_": "8",
        "ç": "9",
        "à": "0",
        "q": "a",
        "Q": "A",
    }
)
_AZERTY_MARKS = frozenset("&é\"'(è_çàqQ")
_SEPARATORS = re.compile(r"[:\- ]+")
_HEX = re.compile(r"[0-9A-F]+")


def normalize_badge_uid(raw: str) -> str:
    """The canonical form of a badge UID: upper-case hex bytes joined by colons.

    ``04:A2:B3:C4`` is the form NFC tools show, and it is its own canonical form: a
    canonical UID normalises to itself, which a bare hex string of ten digits would not.

    Accepted forms, as keyboard-wedge readers and people type them:

    - hex, any case, with or without ``0x``: ``04a2b3c4``, ``0x04A2B3C4``;
    - hex bytes split by ``:``, ``-`` or spaces: ``04:A2:B3:C4``, ``4-a2-b3-c4``;
    - exactly 10 decimal digits, the "10D" output of many readers: a 4-byte UID read as
      a big-endian number (``0077771716`` is ``04:A2:B3:C4``). Ten digits too large for
      32 bits can only be hex (a 5-byte EM4100 id); a 10-digit hex id that happens to
      be a valid decimal must be typed with ``0x`` or separators;
    - any of the above typed by a reader on a French AZERTY keyboard, where the digit
      row types ``&é"'(-è_çà`` and A types Q (``à'QéB"C'`` is ``04:A2:B3:C4``).

    Surrounding whitespace (the Enter a reader sends) is ignored. Byte order is kept as
    typed. A UID is 4 to 10 bytes; anything else raises :class:`InvalidBadgeUidError`.
    """
    if not isinstance(raw, str):
        raise InvalidBadgeUidError(f"A badge UID must be text, not {type(raw).__name__}.")
    text = raw.strip()
    shown = _shown(text)
    if not text:
        raise InvalidBadgeUidError("The badge UID is empty: present the badge again.")
    if not _AZERTY_MARKS.isdisjoint(text):
        text = text.translate(_AZERTY_TO_US)
    text = text.upper()

    explicit_hex = text.startswith("0X")
    if explicit_hex:
        text = text[2:]
    if _SEPARATORS.search(text):
        groups = _SEPARATORS.split(text)
        if not all(0 < len(group) <= 2 and _HEX.fullmatch(group) for group in groups):
            raise InvalidBadgeUidError(
                f"Badge UID {shown} is not hex bytes split by ':', '-' or spaces."
            )
        digits = "".join(group.rjust(2, "0") for group in groups)
    elif (
        not explicit_hex
        and text.isascii()
        and text.isdigit()
        and len(text) == DECIMAL_DIGITS
        and int(text) <= 0xFFFFFFFF
    ):
        digits = f"{int(text):08X}"
    else:
        if not _HEX.fullmatch(text):
            raise InvalidBadgeUidError(f"Badge UID {shown} holds characters that are not hex.")
        if len(text) % 2:
            raise InvalidBadgeUidError(
                f"Badge UID {shown} has an odd number of hex digits; a UID is whole bytes."
            )
        digits = text
    size = len(digits) // 2
    if not MIN_UID_BYTES <= size <= MAX_UID_BYTES:
        raise InvalidBadgeUidError(
            f"Badge UID {shown} is {size} bytes long; a badge UID is "
            f"{MIN_UID_BYTES} to {MAX_UID_BYTES} bytes."
        )
    return ":".join(digits[i : i + 2] for i in range(0, len(digits), 2))


def _shown(text: str) -> str:
    """The input as shown in an error message: quoted, and cut when very long."""
    return repr(text if len(text) <= 40 else text[:40] + "…")
