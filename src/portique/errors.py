"""Errors a user can meet, each with a stable code, mapped once to exit codes."""

from __future__ import annotations


class PortiqueError(Exception):
    """Base of every error Portique reports to a user.

    ``code`` is stable and machine-readable (it appears in JSON output);
    the message says what happened and what to do about it.
    """

    code: str = "error"
    exit_code: int = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(PortiqueError):
    """The configuration or an installed file is wrong; the user must fix it."""

    code = "configuration"


class BadInputError(PortiqueError):
    """Input given by the user cannot be used (exit code 2)."""

    code = "bad_input"
