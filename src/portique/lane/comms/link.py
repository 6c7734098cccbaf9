"""The link key: what seals the messages between one lane and its server.

Over MQTT the broker, and anyone allowed to subscribe, sees every message. A lane's
snapshot may carry template keys and its events say who passed when, so each message is
sealed with AES-256-GCM under a key that only that lane and the server hold (written by
``portique lane provision``): another lane cannot open it. The topic is authenticated
with it, so a message cannot be moved to another topic. Sealing hides; it does not say
who sent a message: that is the signature's job (``envelope.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from portique.files import read_secret_text, write_private
from portique.lane.errors import EventFormatError, LinkError

LINK_KEY_BYTES = 32
SEAL_VERSION = 1
NONCE_BYTES = 12
_AAD_LABEL = b"portique-lane-link\x00"


def new_link_key() -> bytes:
    """A fresh random link key (AES-256)."""
    return AESGCM.generate_key(bit_length=LINK_KEY_BYTES * 8)


def write_link_key(path: Path, key: bytes) -> None:
    """Stores a link key in a new owner-only file."""
    _checked(key)
    try:
        write_private(path, key.hex().encode("ascii") + b"\n")
    except OSError as exc:
        raise LinkError(f"Cannot write the link key {path}: {exc.strerror or exc}.") from None


def load_link_key(path: Path) -> bytes:
    """The link key in ``path`` (64 hex digits), refused if other users can read it."""
    text = read_secret(path, "link key")
    try:
        return _checked(bytes.fromhex(text))
    except ValueError:
        raise LinkError(f"{path} does not hold a link key (64 hex digits).") from None


def read_secret(path: Path, what: str) -> str:
    """The text of an owner-only file of the link (a key, the lane registry).

    Raises:
        LinkError: missing, unreadable, or readable by other users.
    """
    return read_secret_text(
        path,
        what,
        error=LinkError,
        missing=f"No {what} at {path}: provision the lane (`portique lane provision`) and "
        "copy its files there (mode 600).",
        exposed=f"fix it with `chmod 600 {path}`, and replace the key if others could read it.",
    )


def seal(key: bytes, topic: str, plaintext: bytes) -> bytes:
    """``plaintext`` sealed for ``topic``."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(_checked(key)).encrypt(nonce, plaintext, _aad(topic))
    return bytes([SEAL_VERSION]) + nonce + sealed


def unseal(key: bytes, topic: str, message: bytes) -> bytes:
    """The plaintext of a message sealed for ``topic``.

    Raises:
        EventFormatError: the message was not sealed with this key for this topic.
    """
    if len(message) < 1 + NONCE_BYTES + 16 or message[0] != SEAL_VERSION:
        raise EventFormatError(f"A message on {topic} is not sealed in a known format.")
    try:
        return AESGCM(_checked(key)).decrypt(
            message[1 : 1 + NONCE_BYTES], message[1 + NONCE_BYTES :], _aad(topic)
        )
    except InvalidTag:
        raise EventFormatError(
            f"A message on {topic} does not open with the site's link key: it was sealed "
            "with another key, for another topic, or altered."
        ) from None


def _aad(topic: str) -> bytes:
    return _AAD_LABEL + topic.encode("utf-8")


def _checked(key: bytes) -> bytes:
    if not isinstance(key, bytes) or len(key) != LINK_KEY_BYTES:
        raise LinkError(f"A link key is {LINK_KEY_BYTES} bytes (AES-256).")
    return key
