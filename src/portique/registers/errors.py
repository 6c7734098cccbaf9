"""Errors of the register imports: a file that cannot be used at all, nothing imported."""

from __future__ import annotations

from portique.errors import BadInputError


class RegisterFormatError(BadInputError):
    """A register export cannot be read (not XML, a broken archive, the wrong file, too
    large): nothing was imported."""

    code = "bad_register"


class RegisterEncodingError(RegisterFormatError):
    """The export's bytes are not in the encoding it declares (or in none accepted)."""

    code = "bad_encoding"


class WrongEstablishmentError(RegisterFormatError):
    """The export belongs to another establishment (its UAJ is not the site's)."""

    code = "wrong_establishment"


class MissingUaiError(RegisterFormatError):
    """The site has no UAI recorded, so no export can be checked against it."""

    code = "no_uai"
