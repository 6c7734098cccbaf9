"""Who the writes of this context are done for: the actor the audit log names.

Set once per command (``cli:<os user>``) or per request (``account:<username>``,
``token:<hash>``), read by every database session opened in that context. It lives
apart from the store so that the command line names its actor without loading the
database layer (a lane device has none).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

DEFAULT_ACTOR = "system"
"""Who acts when nobody said: the audit log names this actor for unattributed writes."""

_actor: ContextVar[str | None] = ContextVar("portique_actor", default=None)


def current_actor() -> str:
    """Who the writes of this context are done for (``account:<username>`` in the server,
    ``cli:<os user>`` on the command line, ``system:retention`` for the purge)."""
    return _actor.get() or DEFAULT_ACTOR


def set_actor(actor: str) -> Token[str | None]:
    """Names the actor for the rest of this context (a command, a request); the token
    gives the previous actor back to :func:`reset_actor`."""
    return _actor.set(actor)


def reset_actor(token: Token[str | None]) -> None:
    """Restores the actor that :func:`set_actor` replaced."""
    _actor.reset(token)


@contextmanager
def acting_as(actor: str) -> Iterator[None]:
    """Names the actor of the sessions opened inside the block, then restores the previous one."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)
