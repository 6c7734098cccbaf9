"""How an import's outcome reads, in French and English, for the command line and console."""

from __future__ import annotations

from collections.abc import Mapping

from portique.i18n import language
from portique.registers.departures import DepartureCause
from portique.registers.plan import Change, PupilPlan, SyncOutcome

CHANGE_LABELS: Mapping[Change, tuple[str, str]] = {
    Change.NAME: ("nom", "name"),
    Change.BIRTH_DATE: ("date de naissance", "birth date"),
    Change.CLASS: ("classe", "class"),
    Change.GROUPS: ("groupes", "groups"),
    Change.GUARDIANS: ("représentants légaux", "guardians"),
    Change.RETURNED: ("de retour dans l'établissement", "back at the school"),
    Change.LEAVING_DATE: ("date de sortie", "leaving date"),
    Change.REGISTER: ("rattaché au registre", "linked to the register"),
}
CAUSE_LABELS: Mapping[DepartureCause, tuple[str, str]] = {
    DepartureCause.LEAVING_DATE: ("date de sortie passée", "leaving date passed"),
    DepartureCause.ABSENT: ("absent de l'export", "missing from the export"),
}


def _pick(pair: tuple[str, str], lang: str | None) -> str:
    return pair[1] if (lang or language()) == "en" else pair[0]


def change_label(change: Change, lang: str | None = None) -> str:
    return _pick(CHANGE_LABELS[change], lang)


def cause_label(cause: DepartureCause, lang: str | None = None) -> str:
    return _pick(CAUSE_LABELS[cause], lang)


def pupil_detail(plan: PupilPlan, lang: str | None = None) -> str:
    """One line saying what happens to the pupil, without any register number."""
    english = (lang or language()) == "en"
    if plan.outcome is SyncOutcome.LEFT and plan.left_on is not None:
        cause = "" if plan.cause is None else cause_label(plan.cause, lang)
        day = plan.left_on.isoformat() if english else plan.left_on.strftime("%d/%m/%Y")
        revoked = (
            f"{plan.credentials} credential(s) revoked"
            if english
            else f"{plan.credentials} titre(s) révoqué(s)"
        )
        return f"{cause}, {day} — {revoked}"
    if plan.outcome is SyncOutcome.UPDATED:
        return ", ".join(change_label(change, lang) for change in plan.changes)
    if plan.left_on is not None:
        day = plan.left_on.isoformat() if english else plan.left_on.strftime("%d/%m/%Y")
        return f"leaves on {day}" if english else f"sortie prévue le {day}"
    return ""
