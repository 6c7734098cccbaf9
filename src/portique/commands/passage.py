"""The passage command: `portique pass`, one person at one lane, decided and recorded."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from portique.commands.common import out, print_json
from portique.commands.options import AtOption, DirOption, HelpSection, JsonOption
from portique.commands.sitedir import moment, site_in_zone
from portique.errors import BadInputError
from portique.i18n import language, text

if TYPE_CHECKING:
    from portique.access import Outcome, Presented
    from portique.lane import PassageResult

_help = HelpSection("passage")

PASS_HELP = _help("pass")
EXIT_CODES = {"grant": 0, "deny": 1, "refer": 3}


def pass_(
    lane: Annotated[str, typer.Option("--lane", help=_help("lane"))],
    qr: Annotated[Path | None, typer.Option("--qr", help=_help("qr"))] = None,
    qr_text: Annotated[str | None, typer.Option("--qr-text", help=_help("qr_text"))] = None,
    badge: Annotated[str | None, typer.Option("--badge", help=_help("badge"))] = None,
    face: Annotated[Path | None, typer.Option("--face", help=_help("face"))] = None,
    at: AtOption = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Decide one passage; help text in PASS_HELP."""
    from portique.access import BadgeUid
    from portique.services import Gate, presented_from_qr_image, presented_from_text

    given = [value for value in (qr, qr_text, badge) if value is not None]
    if len(given) != 1:
        raise BadInputError(
            text(
                "Présentez un seul titre : --qr IMAGE, --qr-text TEXTE ou --badge UID.",
                "Present exactly one credential: --qr IMAGE, --qr-text TEXT or --badge UID.",
            )
        )
    with site_in_zone(directory) as (site, timezone):
        when = moment(at, timezone)
        presented: Presented
        if qr is not None:
            presented = presented_from_qr_image(qr)
        elif qr_text is not None:
            presented = presented_from_text(qr_text)
        else:
            presented = BadgeUid(str(badge))
        gate = Gate(site)
        gate.warm_up(when)
        report = gate.pass_through(lane, presented, at=when, face=face)
    decision = report.decision
    if as_json:
        print_json(
            {
                "decision": decision.outcome.value.upper(),
                "reasons": [reason.value for reason in decision.reasons],
                "credential": decision.credential_id,
                "latency_ms": round(report.latency_ms, 3),
                "person": decision.person_id,
                "lane": decision.lane_id,
                "time": decision.time.isoformat(),
                "alert": decision.alert,
                "face_requested": report.face_requested,
                "face_compared": report.face_compared,
                "passage": report.passage_id,
                "snapshot_version": decision.snapshot_version,
            }
        )
    else:
        _tell(report, timezone)
    raise typer.Exit(EXIT_CODES[decision.outcome.value])


_COLOURS = {"grant": "green", "deny": "red", "refer": "yellow"}


def _tell(report: PassageResult, timezone: str) -> None:
    from portique.access import outcome_label, reason_label

    decision = report.decision
    lang = language()
    outcome: Outcome = decision.outcome
    local = decision.time.astimezone(ZoneInfo(timezone))
    colour = _COLOURS[outcome.value]
    out.print(
        f"[bold {colour}]{outcome_label(outcome, lang)}[/] — "
        + text("voie ", "lane ")
        + f"{decision.lane_id}, {local:%d/%m/%Y %H:%M}"
    )
    for reason in decision.reasons:
        out.print(f"  • {reason_label(reason, lang)}")
    if decision.alert:
        out.print(
            text("  [bold red]Alerte transmise à l'agent.[/]", "  [bold red]Agent alerted.[/]")
        )
    if decision.credential_id:
        out.print(text("  Titre ", "  Credential ") + decision.credential_id)
