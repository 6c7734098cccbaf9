"""The server's errors, and every Portique error mapped once to an HTTP status."""

from __future__ import annotations

from portique.credentials import CredentialError
from portique.dates import DateRangeError
from portique.errors import BadInputError, ConfigurationError, PortiqueError
from portique.services import (
    RosterTooLargeError,
    SiteExistsError,
    SiteNotFoundError,
    SpentEnrolmentLinkError,
    UnknownCredentialError,
    UnknownEnrolmentLinkError,
    UnknownPersonError,
)
from portique.store import StoreConflictError, StoreError, StoreUnavailableError
from portique.visitors import (
    MailError,
    UnknownRefusalError,
    UnknownVisitError,
    VisitorBarredError,
    VisitStateError,
)


class NotFoundError(BadInputError):
    """The thing named in the request does not exist at this site."""

    code = "not_found"


class ConflictError(BadInputError):
    """The request clashes with what is recorded (a referral decided already...)."""

    code = "conflict"


class AccountInputError(BadInputError):
    """An account cannot be created as asked (a name taken, a weak password, a role)."""

    code = "bad_account"


class AuthenticationError(PortiqueError):
    """No valid session or token, or wrong credentials; the message never says which."""

    code = "unauthenticated"


class LockedOutError(AuthenticationError):
    """Too many failed logins: the account or the client must wait."""

    code = "locked_out"


class ForbiddenError(PortiqueError):
    """The caller's role does not allow this."""

    code = "forbidden"


class CsrfError(ForbiddenError):
    """A console form came without the token of its session."""

    code = "csrf"


# Most specific first: a class is matched through its MRO, so the first hit wins.
STATUSES: tuple[tuple[type[PortiqueError], int], ...] = (
    (DateRangeError, 422),
    (RosterTooLargeError, 413),
    (LockedOutError, 429),
    (AuthenticationError, 401),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (UnknownPersonError, 404),
    (UnknownCredentialError, 404),
    (UnknownEnrolmentLinkError, 404),
    (SpentEnrolmentLinkError, 410),
    (UnknownVisitError, 404),
    (UnknownRefusalError, 404),
    (VisitorBarredError, 403),
    (VisitStateError, 409),
    (MailError, 503),
    (ConflictError, 409),
    (SiteExistsError, 409),
    (StoreConflictError, 409),
    (StoreUnavailableError, 503),
    (StoreError, 503),
    (SiteNotFoundError, 503),
    (ConfigurationError, 503),
    (CredentialError, 400),
    (BadInputError, 400),
)


def http_status(error: PortiqueError) -> int:
    """The HTTP status of a Portique error; 500 only for an error of no known kind."""
    for kind, status in STATUSES:
        if isinstance(error, kind):
            return status
    return 500
