"""The text form of a payload: ``PQ:`` and Base45 (RFC 9285), for scanners that type.

Base45 uses only the 45 characters of the QR alphanumeric mode, so the text form also
fits a QR code compactly, and it survives being typed by a keyboard-wedge QR scanner,
pasted in a terminal (``--qr-text``) or read aloud.
"""

from __future__ import annotations

from portique.credentials.errors import CredentialError, CredentialFault
from portique.credentials.payload import MAX_PAYLOAD_BYTES

TEXT_PREFIX = "PQ:"
BASE45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_BASE45_VALUES = {char: value for value, char in enumerate(BASE45_ALPHABET)}
MAX_TEXT_LENGTH = len(TEXT_PREFIX) + (MAX_PAYLOAD_BYTES * 3 + 1) // 2


def payload_to_text(payload: bytes) -> str:
    """``PQ:`` followed by the Base45 encoding of ``payload``."""
    return TEXT_PREFIX + base45_encode(payload)


def payload_from_text(text: str) -> bytes:
    """The payload in a text form made by :func:`payload_to_text`.

    Surrounding whitespace is ignored and lower case is read as upper case (a scanner
    typing with Caps Lock on). Anything else raises :class:`CredentialError` (``GARBAGE``).
    """
    if not isinstance(text, str):
        raise CredentialError(CredentialFault.GARBAGE, "The credential text must be a string.")
    # Base45 text never starts or ends with a space after the prefix, so strip is safe.
    text = text.strip()
    if len(text) > MAX_TEXT_LENGTH:
        raise CredentialError(
            CredentialFault.GARBAGE, "The text is too long to be a Portique credential."
        )
    text = text.upper()
    if not text.startswith(TEXT_PREFIX):
        raise CredentialError(
            CredentialFault.GARBAGE,
            f"The text is not a Portique credential (it should start with {TEXT_PREFIX!r}).",
        )
    try:
        return base45_decode(text[len(TEXT_PREFIX) :])
    except ValueError as exc:
        raise CredentialError(
            CredentialFault.GARBAGE, f"The credential text is damaged: {exc}"
        ) from None


def base45_encode(data: bytes) -> str:
    """Base45 (RFC 9285): each 2 bytes become 3 characters, a last odd byte 2."""
    chars = []
    for start in range(0, len(data) - 1, 2):
        value = data[start] * 256 + data[start + 1]
        value, low = divmod(value, 45)
        high, middle = divmod(value, 45)
        chars += [BASE45_ALPHABET[low], BASE45_ALPHABET[middle], BASE45_ALPHABET[high]]
    if len(data) % 2:
        high, low = divmod(data[-1], 45)
        chars += [BASE45_ALPHABET[low], BASE45_ALPHABET[high]]
    return "".join(chars)


def base45_decode(text: str) -> bytes:
    """The bytes of a Base45 string; raises ValueError on a character or length it refuses."""
    if len(text) % 3 == 1:
        raise ValueError(f"a Base45 text cannot be {len(text)} characters long")
    values = []
    for position, char in enumerate(text):
        value = _BASE45_VALUES.get(char)
        if value is None:
            raise ValueError(f"{char!r} at position {position} is not a Base45 character")
        values.append(value)
    out = bytearray()
    for start in range(0, len(values), 3):
        group = values[start : start + 3]
        number = sum(value * 45**power for power, value in enumerate(group))
        if len(group) == 3:
            if number > 0xFFFF:
                raise ValueError(f"characters {start} to {start + 2} do not encode two bytes")
            out += number.to_bytes(2, "big")
        else:
            if number > 0xFF:
                raise ValueError("the last two characters do not encode a byte")
            out.append(number)
    return bytes(out)
