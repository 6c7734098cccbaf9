"""Errors the services raise for what a user asked that cannot be done."""

from __future__ import annotations

from portique.errors import BadInputError, ConfigurationError


class SiteNotFoundError(ConfigurationError):
    """No site in the given directory, or its site is missing from the database."""

    code = "no_site"


class SiteExistsError(BadInputError):
    """A site is already set up in the directory (or under that id in the database)."""

    code = "site_exists"


class UnknownPersonError(BadInputError):
    """No person with this id at the site."""

    code = "unknown_person"


class UnknownCredentialError(BadInputError):
    """No credential with this id at the site."""

    code = "unknown_credential"


class UnknownEnrolmentLinkError(BadInputError):
    """No phone enrolment link with this secret at the site."""

    code = "unknown_enrolment_link"


class SpentEnrolmentLinkError(BadInputError):
    """A phone enrolment link already used, or expired: ask the administration for a new one."""

    code = "enrolment_link_spent"


class PersonInputError(BadInputError):
    """A person's record is incomplete or inconsistent (a date, a role, a guardian)."""

    code = "bad_person"


class ConsentError(BadInputError):
    """A consent cannot be given or withdrawn as asked (a minor alone, no consent in force)."""

    code = "consent"


class FaceNotAllowedError(BadInputError):
    """A face enrollment was asked for where it is not allowed (no consent, site opted out)."""

    code = "face_not_allowed"


class RosterFormatError(BadInputError):
    """A people file cannot be read at all (encoding, columns): nothing was imported."""

    code = "bad_roster"


class RosterTooLargeError(RosterFormatError):
    """A people file past the import's limits (bytes, lines or columns): nothing was
    read further, nothing imported."""

    code = "roster_too_large"


class TimetableInputError(BadInputError):
    """A timetable or opening hours cannot be used (a bad or overlapping range, a day)."""

    code = "bad_timetable"


class UnknownGroupError(BadInputError):
    """No class (group) with this id at the site."""

    code = "unknown_group"


class UnknownLaneError(BadInputError):
    """No lane with this id at the site."""

    code = "unknown_lane"
