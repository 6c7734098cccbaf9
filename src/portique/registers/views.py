"""How an import's outcome reads, in French and English, for the command line and console
(the labels in ``labels.toml``)."""

from __future__ import annotations

from portique.i18n import catalogue, language
from portique.registers.departures import DepartureCause
from portique.registers.plan import Change, PupilPlan, SyncOutcome


def _label(section: str, value: str, lang: str | None) -> str:
    """The label of an enum's ``value`` in ``section`` of ``labels.toml`` (beside this module)."""
    french, english = catalogue("portique.registers", "labels.toml")[section][value]
    return english if (lang or language()) == "en" else french


def change_label(change: Change, lang: str | None = None) -> str:
    return _label("change", change.value, lang)


def cause_label(cause: DepartureCause, lang: str | None = None) -> str:
    return _label("cause", cause.value, lang)


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
