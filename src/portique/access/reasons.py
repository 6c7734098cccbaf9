"""Outcomes and reasons of a decision, with their French and English labels (``labels.toml``)."""

from __future__ import annotations

import enum
from collections.abc import Mapping

from portique.i18n import catalogue


class Outcome(enum.StrEnum):
    """What the lane does: open, stay closed, or hand over to the agent."""

    GRANT = "grant"
    DENY = "deny"
    REFER = "refer"

    @property
    def severity(self) -> int:
        """Rank used to combine outcomes: DENY beats REFER beats GRANT."""
        return _SEVERITY[self]


_SEVERITY: Mapping[Outcome, int] = {Outcome.GRANT: 0, Outcome.REFER: 1, Outcome.DENY: 2}


class Action(enum.StrEnum):
    """What a site does when a check fails but the case is not a clear refusal."""

    REFER = "refer"
    DENY = "deny"

    @property
    def outcome(self) -> Outcome:
        return Outcome.REFER if self is Action.REFER else Outcome.DENY


class Reason(enum.StrEnum):
    """Why a decision came out as it did; the string values are stable (logs, API)."""

    # Positive reasons, carried by a GRANT.
    CREDENTIAL_VALID = "credential_valid"
    FACE_MATCH = "face_match"

    # The lane itself.
    UNKNOWN_LANE = "unknown_lane"

    # The credential.
    MALFORMED_CREDENTIAL = "malformed_credential"
    UNSUPPORTED_VERSION = "unsupported_version"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_KEY = "unknown_key"
    WRONG_SITE = "wrong_site"
    UNKNOWN_CREDENTIAL = "unknown_credential"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    STALE_CODE = "stale_code"
    REPLAYED_CODE = "replayed_code"

    # The person.
    UNKNOWN_PERSON = "unknown_person"
    PERSON_INACTIVE = "person_inactive"

    # The site and the policy.
    LOCKDOWN = "lockdown"
    SITE_CLOSED = "site_closed"
    STALE_SNAPSHOT = "stale_snapshot"
    OUTSIDE_TIMETABLE = "outside_timetable"
    WRONG_ZONE = "wrong_zone"
    ANTI_PASSBACK = "anti_passback"
    EXIT_NOT_PERMITTED = "exit_not_permitted"
    EXIT_REQUIRES_AGENT = "exit_requires_agent"

    # The face comparison (only for people who opted in).
    FACE_MISMATCH = "face_mismatch"
    FACE_QUALITY_TOO_LOW = "face_quality_too_low"
    NO_FACE_CAPTURED = "no_face_captured"
    FACE_NOT_CHECKED = "face_not_checked"
    FACE_PRESENTATION_ATTACK = "face_presentation_attack"

    # The lane's own hardware: alarms, not passages (no credential, no person).
    DOOR_FORCED = "door_forced"
    DOOR_HELD_OPEN = "door_held_open"
    READER_SILENT = "reader_silent"

    # The link between lanes and server: alerts about a lane device, not passages.
    LANE_UNTRUSTED = "lane_untrusted"
    LANE_REVOKED = "lane_revoked"
    INCONSISTENT_GRANT = "inconsistent_grant"


LANE_ALARMS: frozenset[Reason] = frozenset(
    {
        Reason.DOOR_FORCED,
        Reason.DOOR_HELD_OPEN,
        Reason.READER_SILENT,
        Reason.LANE_UNTRUSTED,
        Reason.LANE_REVOKED,
    }
)
"""Reasons of the events about a lane's door, reader or device (raised by the lane, or by
the server's hub about what a lane sent): alerts for the agent, never counted as
passages."""

SERVER_FLAGS: frozenset[Reason] = frozenset({Reason.INCONSISTENT_GRANT})
"""Reasons the server adds to an event a lane sent, when the event does not fit what the
server knows (never given by the engine)."""

LANGUAGES: tuple[str, ...] = ("fr", "en")


def _language_index(lang: str) -> int:
    base = lang.strip().lower().replace("_", "-").split("-")[0]
    try:
        return LANGUAGES.index(base)
    except ValueError:
        raise ValueError(f"no labels in language {lang!r}; use one of {LANGUAGES}") from None


def _label(section: str, value: str, lang: str) -> str:
    """The label of an enum's ``value`` in ``section`` of ``labels.toml`` (beside this module)."""
    return catalogue("portique.access", "labels.toml")[section][value][_language_index(lang)]


def reason_label(reason: Reason, lang: str = "fr") -> str:
    """The plain-words label of ``reason`` in ``lang`` ("fr" or "en", "fr-FR" accepted)."""
    return _label("reason", reason.value, lang)


def outcome_label(outcome: Outcome, lang: str = "fr") -> str:
    """The plain-words label of ``outcome`` in ``lang`` ("fr" or "en", "fr-FR" accepted)."""
    return _label("outcome", outcome.value, lang)
