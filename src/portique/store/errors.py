"""The errors the store can raise: an unreachable database, an outdated schema, a conflict."""

from __future__ import annotations

from portique.errors import ConfigurationError, PortiqueError


class StoreError(PortiqueError):
    """The database refused an operation; the message says which and why."""

    code = "store"


class StoreUnavailableError(StoreError):
    """The database cannot be reached or opened (server down, wrong host, unwritable file).

    The message names the database URL without its password.
    """

    code = "store_unavailable"


class StoreConflictError(StoreError):
    """A write clashes with what is stored (an id taken meanwhile, a broken reference)."""

    code = "store_conflict"


class SchemaError(ConfigurationError):
    """The database has no Portique schema, or one this version does not use."""

    code = "store_schema"
