"""Assessment commands: `portique simulate` (the rush hour) and `portique report`."""

from __future__ import annotations

from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from portique.commands.common import out, print_json
from portique.commands.options import DirOption, HelpSection, JsonOption
from portique.commands.sitedir import open_cli_site
from portique.dates import check_date
from portique.errors import BadInputError
from portique.i18n import number, text

if TYPE_CHECKING:
    from portique.evaluation.simulate import Scenario, SimulationResult

_help = HelpSection("assessment")

SeedOption = Annotated[int, typer.Option("--seed", help=_help("seed"))]


def parse_clock(value: str, option: str) -> clock_time:
    """``HH:MM`` as a time of day."""
    try:
        return datetime.strptime(value.strip(), "%H:%M").time()
    except ValueError:
        raise BadInputError(
            text(
                f"{option} : « {value} » n'est pas une heure HH:MM (ex. 07:45).",
                f"{option}: {value!r} is not an HH:MM time (e.g. 07:45).",
            )
        ) from None


def parse_day(value: str | None, option: str) -> date | None:
    """A date as ISO (2026-11-24) or as French readers write it (24/11/2026)."""
    if value is None:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            day = datetime.strptime(value.strip(), pattern).date()
        except ValueError:
            continue
        return check_date(day, option)
    raise BadInputError(
        text(
            f"{option} : « {value} » n'est pas une date (2026-11-24 ou 24/11/2026).",
            f"{option}: {value!r} is not a date (2026-11-24 or 24/11/2026).",
        )
    )


SIMULATE_HELP = _help("simulate")


def simulate_command(
    students: Annotated[int, typer.Option("--students", help=_help("students"))] = 1200,
    lanes: Annotated[int, typer.Option("--lanes", help=_help("lanes"))] = 3,
    start: Annotated[str, typer.Option("--start", help=_help("start"))] = "07:45",
    end: Annotated[str, typer.Option("--end", help=_help("end"))] = "08:05",
    modes: Annotated[list[str] | None, typer.Option("--modes", help=_help("modes"))] = None,
    seed: SeedOption = 0,
    from_site: Annotated[Path | None, typer.Option("--from-site", help=_help("from_site"))] = None,
    profile: Annotated[str, typer.Option("--profile", help=_help("profile"))] = "poisson",
    queue: Annotated[str, typer.Option("--queue", help=_help("queue"))] = "per-lane",
    out_dir: Annotated[Path | None, typer.Option("--out", help=_help("simulate_out"))] = None,
    referrals: Annotated[str, typer.Option("--referrals", help=_help("referrals"))] = "at-lane",
    face_step: Annotated[
        list[Path] | None, typer.Option("--face-step", help=_help("face_step"))
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Simulate the rush hour; help text in SIMULATE_HELP."""
    from portique.evaluation.field import fitted_modes, load_field
    from portique.evaluation.simulate import (
        DEFAULT_SOURCE,
        MODE_NAMES,
        default_modes,
        measured_face_step,
        simulate,
        write_simulation,
    )

    chosen = _mode_names(modes)
    scenario = _scenario(students, lanes, start, end, profile, queue, seed, referrals)
    if from_site is not None:
        with open_cli_site(from_site) as site, site.session() as session:
            every_mode, source = fitted_modes(load_field(session, site.site_id))
    elif face_step:
        every_mode = default_modes(face_compute=measured_face_step(*face_step))
        source = ", ".join(str(path) for path in face_step) + " + " + DEFAULT_SOURCE
    else:
        every_mode, source = default_modes(), DEFAULT_SOURCE
    selected = {name: every_mode[name] for name in (chosen or MODE_NAMES)}
    result = simulate(scenario, selected, source=source)
    summary = result.as_json() if out_dir is None else write_simulation(result, out_dir)
    if as_json:
        print_json(summary)
        return
    _show_simulation(
        result,
        text(
            f"{students} élèves, {lanes} voies, {start}–{end}",
            f"{students} students, {lanes} lanes, {start}–{end}",
        ),
    )
    if "plot" in summary:
        out.print(text("Graphiques : ", "Plots: ") + str(summary["plot"]))


def _mode_names(modes: list[str] | None) -> list[str]:
    """The modes named by --modes (repeatable, comma-separated); none: every mode."""
    from portique.evaluation.simulate import MODE_NAMES

    chosen = [name.strip() for item in modes or [] for name in item.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in MODE_NAMES]
    if unknown:
        raise BadInputError(
            text(
                f"--modes : mode(s) inconnu(s) {', '.join(unknown)} ; choisir parmi "
                f"{', '.join(MODE_NAMES)}.",
                f"--modes: unknown mode(s) {', '.join(unknown)}; choose among "
                f"{', '.join(MODE_NAMES)}.",
            )
        )
    return chosen


def _scenario(
    students: int,
    lanes: int,
    start: str,
    end: str,
    profile: str,
    queue: str,
    seed: int,
    referrals: str,
) -> Scenario:
    from portique.evaluation.simulate import ArrivalProfile, Queueing, Referrals, Scenario

    try:
        return Scenario(
            people=students,
            lanes=lanes,
            start=parse_clock(start, "--start"),
            end=parse_clock(end, "--end"),
            profile=ArrivalProfile(profile),
            queueing=Queueing(queue),
            seed=seed,
            referrals=Referrals(referrals),
        )
    except ValueError as error:
        raise BadInputError(f"--profile / --queue / --referrals: {error}.") from None


def _show_simulation(result: SimulationResult, title: str) -> None:
    """Each mode's service, waits, longest queue and last one in, as a table."""
    table = Table(title=title)
    for column in (
        text("Mode", "Mode"),
        text("Service moyen (s)", "Mean service (s)"),
        text("Attente p50 (min)", "Wait p50 (min)"),
        text("Attente p95 (min)", "Wait p95 (min)"),
        text("File max", "Longest queue"),
        text("Dernière entrée", "Last one in"),
    ):
        table.add_column(column, justify="right")
    for mode in result.results.values():
        facts = mode.as_json(result.scenario.start)
        table.add_row(
            mode.mode,
            number(mode.mean_service_s, 2),
            number(mode.wait_p50 / 60, 1),
            number(mode.wait_p95 / 60, 1),
            str(mode.longest_queue),
            str(facts["cleared_at"]),
        )
    out.print(table)


REPORT_HELP = _help("report")


def report_command(
    out_dir: Annotated[Path, typer.Option("--out", help=_help("report_out"))],
    directory: DirOption = None,
    first: Annotated[str | None, typer.Option("--from", help=_help("from"))] = None,
    last: Annotated[str | None, typer.Option("--to", help=_help("to"))] = None,
    lfw: Annotated[Path | None, typer.Option("--lfw", help=_help("lfw"))] = None,
    seed: SeedOption = 0,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help=_help("pdf"))] = True,
    as_json: JsonOption = False,
) -> None:
    """Write the assessment report; help text in REPORT_HELP."""
    from portique.evaluation.field import Period, load_field
    from portique.evaluation.report import build_report, write_report

    period = Period(parse_day(first, "--from"), parse_day(last, "--to"))
    if period.first and period.last and period.first > period.last:
        raise BadInputError(text("--from doit précéder --to.", "--from must come before --to."))
    with open_cli_site(directory) as site, site.session() as session:
        data = load_field(session, site.site_id, period)
    report = build_report(data, out_dir, lfw_json=lfw, seed=seed)
    html, printed = write_report(report, out_dir, pdf=pdf)
    summary = report.summary()
    summary["html"] = str(html)
    summary["pdf"] = str(printed) if printed else None
    if as_json:
        print_json(summary)
        return
    table = Table(title=text("Hypothèses", "Hypotheses"))
    table.add_column(text("Domaine", "Area"))
    table.add_column(text("Hypothèse", "Hypothesis"))
    table.add_column(text("Verdict", "Verdict"))
    for hypothesis in report.hypotheses:
        verdict = hypothesis.verdict
        table.add_row(
            hypothesis.area, hypothesis.key, text(verdict.label, verdict.value.replace("_", " "))
        )
    out.print(table)
    out.print(text("Rapport : ", "Report: ") + str(html))
    if printed:
        out.print("PDF : " + str(printed))
