"""Outcomes and reasons of a decision, with their French and English labels."""

from __future__ import annotations

import enum
from collections.abc import Mapping


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

    # The lane's own hardware: alarms, not passages (no credential, no person).
    DOOR_FORCED = "door_forced"
    DOOR_HELD_OPEN = "door_held_open"
    READER_SILENT = "reader_silent"


LANE_ALARMS: frozenset[Reason] = frozenset(
    {Reason.DOOR_FORCED, Reason.DOOR_HELD_OPEN, Reason.READER_SILENT}
)
"""Reasons of the events a lane raises about its door and reader: alerts for the agent,
never counted as passages."""

LANGUAGES: tuple[str, ...] = ("fr", "en")

_REASON_LABELS: Mapping[Reason, tuple[str, str]] = {
    Reason.CREDENTIAL_VALID: ("Titre d'accès valide", "Valid credential"),
    Reason.FACE_MATCH: ("Visage concordant", "Face matches"),
    Reason.UNKNOWN_LANE: ("Voie inconnue", "Unknown lane"),
    Reason.MALFORMED_CREDENTIAL: ("Titre d'accès illisible", "Unreadable credential"),
    Reason.UNSUPPORTED_VERSION: (
        "Version de titre d'accès non prise en charge",
        "Unsupported credential version",
    ),
    Reason.BAD_SIGNATURE: (
        "Signature invalide (titre falsifié ?)",
        "Invalid signature (forged credential?)",
    ),
    Reason.UNKNOWN_KEY: ("Clé de signature inconnue", "Unknown signing key"),
    Reason.WRONG_SITE: (
        "Titre d'accès d'un autre établissement",
        "Credential from another site",
    ),
    Reason.UNKNOWN_CREDENTIAL: ("Titre d'accès inconnu", "Unknown credential"),
    Reason.REVOKED: ("Titre d'accès révoqué", "Revoked credential"),
    Reason.EXPIRED: ("Titre d'accès expiré", "Expired credential"),
    Reason.NOT_YET_VALID: ("Titre d'accès pas encore valide", "Credential not yet valid"),
    Reason.STALE_CODE: (
        "Code du téléphone périmé (capture d'écran ? horloge du téléphone ?)",
        "Out-of-date phone code (a screenshot? the phone's clock?)",
    ),
    Reason.REPLAYED_CODE: (
        "Code du téléphone déjà utilisé (copie du titre ?)",
        "Phone code already used (a copied pass?)",
    ),
    Reason.UNKNOWN_PERSON: ("Personne inconnue", "Unknown person"),
    Reason.PERSON_INACTIVE: ("Personne désactivée", "Person no longer active"),
    Reason.LOCKDOWN: ("Mise en sûreté en cours", "Lockdown in progress"),
    Reason.SITE_CLOSED: ("Établissement fermé à cette heure", "Site closed at this time"),
    Reason.OUTSIDE_TIMETABLE: ("En dehors de l'emploi du temps", "Outside the timetable"),
    Reason.WRONG_ZONE: ("Zone non autorisée", "Zone not allowed"),
    Reason.ANTI_PASSBACK: (
        "Passage déjà enregistré dans ce sens (anti-retour)",
        "Passage already recorded in this direction (anti-passback)",
    ),
    Reason.EXIT_NOT_PERMITTED: ("Sortie non autorisée à cette heure", "Exit not allowed now"),
    Reason.EXIT_REQUIRES_AGENT: (
        "Sortie accompagnée uniquement : à vérifier par l'agent",
        "Accompanied exit only: the agent must check",
    ),
    Reason.FACE_MISMATCH: ("Visage non concordant", "Face does not match"),
    Reason.FACE_QUALITY_TOO_LOW: (
        "Image du visage de qualité insuffisante",
        "Face capture quality too low",
    ),
    Reason.NO_FACE_CAPTURED: ("Aucun visage capturé", "No face captured"),
    Reason.FACE_NOT_CHECKED: ("Visage non vérifié", "Face not checked"),
    Reason.DOOR_FORCED: ("Porte forcée", "Door forced"),
    Reason.DOOR_HELD_OPEN: ("Porte maintenue ouverte", "Door held open"),
    Reason.READER_SILENT: ("Lecteur muet (ne répond plus)", "Reader silent (no longer answers)"),
}

_OUTCOME_LABELS: Mapping[Outcome, tuple[str, str]] = {
    Outcome.GRANT: ("Autorisé", "Granted"),
    Outcome.DENY: ("Refusé", "Denied"),
    Outcome.REFER: ("À vérifier par l'agent", "Referred to the agent"),
}


def _language_index(lang: str) -> int:
    base = lang.strip().lower().replace("_", "-").split("-")[0]
    try:
        return LANGUAGES.index(base)
    except ValueError:
        raise ValueError(f"no labels in language {lang!r}; use one of {LANGUAGES}") from None


def reason_label(reason: Reason, lang: str = "fr") -> str:
    """The plain-words label of ``reason`` in ``lang`` ("fr" or "en", "fr-FR" accepted)."""
    return _REASON_LABELS[reason][_language_index(lang)]


def outcome_label(outcome: Outcome, lang: str = "fr") -> str:
    """The plain-words label of ``outcome`` in ``lang`` ("fr" or "en", "fr-FR" accepted)."""
    return _OUTCOME_LABELS[outcome][_language_index(lang)]
