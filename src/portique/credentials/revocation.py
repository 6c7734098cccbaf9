"""Revoked credentials: a list of credential ids with when and why, and the check."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType

from portique.credentials.claims import Claims


@dataclass(frozen=True)
class Revocation:
    """One revoked credential: refused from ``revoked_at`` on, for ``reason``."""

    credential_id: str
    revoked_at: datetime
    reason: str

    def __post_init__(self) -> None:
        if self.revoked_at.tzinfo is None or self.revoked_at.utcoffset() is None:
            raise ValueError("revoked_at must be timezone-aware.")
        object.__setattr__(self, "revoked_at", self.revoked_at.astimezone(UTC))


@dataclass(frozen=True)
class RevocationList:
    """An immutable set of revocations, indexed by credential id.

    A credential listed here is refused whatever the time: revocation takes effect
    when the list reaches the lane, and ``revoked_at`` records when it was decided.
    When a credential appears twice, the earliest revocation is kept.
    """

    entries: frozenset[Revocation] = frozenset()
    _index: Mapping[str, Revocation] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, Revocation] = {}
        for entry in sorted(self.entries, key=lambda e: (e.revoked_at, e.reason)):
            index.setdefault(entry.credential_id, entry)
        object.__setattr__(self, "entries", frozenset(self.entries))
        object.__setattr__(self, "_index", MappingProxyType(index))

    @classmethod
    def of(cls, revocations: Iterable[Revocation]) -> RevocationList:
        """A list holding ``revocations``."""
        return cls(frozenset(revocations))

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, credential_id: object) -> bool:
        return credential_id in self._index

    def is_revoked(self, credential_id: str) -> bool:
        """Whether the credential with this id is revoked."""
        return credential_id in self._index

    def get(self, credential_id: str) -> Revocation | None:
        """The revocation of this credential (when and why), or None."""
        return self._index.get(credential_id)

    def with_revocation(self, revocation: Revocation) -> RevocationList:
        """A new list with ``revocation`` added."""
        return RevocationList(self.entries | {revocation})


def check_revocation(claims: Claims, revocations: RevocationList) -> Revocation | None:
    """The revocation that refuses these claims, or None when they are not revoked.

    Pure: the decision engine turns a result into a DENY with the agent alerted.
    """
    return revocations.get(claims.credential_id)
