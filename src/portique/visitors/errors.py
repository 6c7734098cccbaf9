"""Errors of the visitor flows, each mapped once to an exit code and an HTTP status."""

from __future__ import annotations

from portique.errors import BadInputError, PortiqueError


class VisitInputError(BadInputError):
    """A visit cannot be recorded as asked (a window, a host, a zone, an e-mail address)."""

    code = "bad_visit"


class UnknownVisitError(BadInputError):
    """No visit with this id (or this pass) at the site."""

    code = "unknown_visit"


class VisitStateError(BadInputError):
    """The visit is not in a state that allows this (checking out someone never checked
    in, checking in a cancelled visit)."""

    code = "visit_state"


class VisitorBarredError(BadInputError):
    """The visitor is on the site's refusal list: no invitation can be made for them."""

    code = "visitor_barred"


class UnknownRefusalError(BadInputError):
    """No refusal with this id at the site."""

    code = "unknown_refusal"


class MailError(PortiqueError):
    """The pass could not be sent by e-mail (no SMTP server configured, or it refused)."""

    code = "mail"
