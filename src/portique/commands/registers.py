"""Register commands: `portique import siecle|sts|timetable`, `portique uai`,
`portique departures ...`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from portique.commands.common import CommandApp, err, out, print_json, progress_bar
from portique.commands.options import AtOption, DirOption, HelpSection, JsonOption
from portique.commands.sitedir import open_cli_site, site_at
from portique.i18n import text

if TYPE_CHECKING:
    from rich.progress import Progress

    from portique.registers.plan import PupilPlan
    from portique.registers.siecle import LineError
    from portique.registers.sync import SyncReport

_help = HelpSection("registers")

import_app = CommandApp(help=_help("import_app"), no_args_is_help=True)
departures_app = CommandApp(help=_help("departures_app"), no_args_is_help=True)

DryRunOption = Annotated[bool, typer.Option("--dry-run", help=_help("dry_run"))]
SHOWN_ROWS = 40
"""Rows of each section shown on screen (JSON never lists people: counts only)."""


def show_errors(errors: Sequence[LineError]) -> None:
    """Line errors on stderr, one a line, never wrapped."""
    for problem in errors:
        err.print(f"{problem.element} : {problem.message}", soft_wrap=True)


def show_summary(summary: str, errors: Sequence[LineError], *, dry_run: bool) -> None:
    """An import's one-line summary (a preview after --dry-run), then its line errors."""
    out.print((text("Aperçu : ", "Preview: ") if dry_run else "") + summary)
    show_errors(errors)


def read_input(path: Path) -> bytes:
    """The bytes of an export given on the command line: a regular file (never a device
    or a pipe), size-capped before it is read."""
    from portique.files import read_input_file
    from portique.registers.xmlfile import MAX_XML_BYTES

    return read_input_file(path, max_bytes=MAX_XML_BYTES)


@import_app.command("siecle", help=_help("import_siecle"))
def import_siecle(
    eleves: Annotated[Path, typer.Argument(help=_help("siecle_eleves"))],
    responsables: Annotated[
        Path | None, typer.Option("--responsables", help=_help("siecle_responsables"))
    ] = None,
    dry_run: DryRunOption = False,
    partial: Annotated[bool, typer.Option("--partial", help=_help("siecle_partial"))] = False,
    allow_mass_departure: Annotated[
        bool, typer.Option("--allow-mass-departure", help=_help("allow_mass_departure"))
    ] = False,
    at: AtOption = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.registers.sync import read_register, sync_register

    files = read_register(
        read_input(eleves),
        None if responsables is None else read_input(responsables),
        pupils_name=eleves.name,
        guardians_name=responsables.name if responsables else "",
    )
    with (
        site_at(directory, at) as (site, when),
        ExitStack() as bars,
        site.session() as session,
    ):
        report = sync_register(
            session,
            site.site_id,
            site.keys_dir,
            files,
            now=when,
            dry_run=dry_run,
            complete=not partial,
            allow_mass_departure=allow_mass_departure,
            progress=None if as_json else lazy_progress(bars, text("Élèves", "Pupils")),
        )
    if as_json:
        print_json(report.as_json())
        return
    show_report(report)


@import_app.command("sts", help=_help("import_sts"))
def import_sts(
    file: Annotated[Path, typer.Argument(help=_help("sts_file"))],
    dry_run: DryRunOption = False,
    partial: Annotated[bool, typer.Option("--partial", help=_help("sts_partial"))] = False,
    at: AtOption = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.registers.sts import read_sts, sync_staff

    export = read_sts(read_input(file), name=file.name)
    with site_at(directory, at) as (site, when), site.session() as session:
        report = sync_staff(
            session, site.site_id, site.keys_dir, export, now=when, dry_run=dry_run,
            complete=not partial,
        )  # fmt: skip
    if as_json:
        print_json(report.as_json())
        return
    counts = report.as_json()
    summary = text(
        f"personnels : {counts['added']} ajouté(s), {counts['updated']} modifié(s), "
        f"{counts['left']} parti(s), {counts['unchanged']} inchangé(s) ; "
        f"{len(report.structures_added)} division(s) ou groupe(s) créé(s).",
        f"staff: {counts['added']} added, {counts['updated']} changed, {counts['left']} "
        f"left, {counts['unchanged']} unchanged; {len(report.structures_added)} "
        "division(s) or group(s) created.",
    )
    show_summary(summary, report.errors, dry_run=dry_run)


@import_app.command("timetable", help=_help("import_timetable"))
def import_timetable(
    file: Annotated[Path, typer.Argument(help=_help("timetable_file"))],
    dry_run: DryRunOption = False,
    at: AtOption = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.registers.timetables import import_timetables, read_timetables

    export = read_timetables(read_input(file), name=file.name)
    with site_at(directory, at) as (site, when), site.session() as session:
        report = import_timetables(session, site.site_id, export, now=when, dry_run=dry_run)
    if as_json:
        print_json(report.as_json())
        return
    summary = text(
        f"{len(report.updated)} emploi(s) du temps remplacé(s), {len(report.created)} "
        f"classe(s) créée(s), {len(report.unchanged)} inchangé(s).",
        f"{len(report.updated)} timetable(s) replaced, {len(report.created)} class(es) "
        f"created, {len(report.unchanged)} unchanged.",
    )
    show_summary(summary, report.errors, dry_run=dry_run)


def lazy_progress(bars: ExitStack, description: str) -> Callable[[int, int], None]:
    """A progress callback whose bar appears at its first call (a refused file shows its
    one error line, no bar)."""
    shown: list[Progress] = []

    def update(done: int, total: int) -> None:
        if not shown:
            shown.append(bars.enter_context(progress_bar(description)))
        bar = shown[0]
        bar.update(bar.task_ids[0], completed=done, total=total)

    return update


def show_report(report: SyncReport) -> None:
    """The import's summary, then who is added, changed and gone, on screen."""
    counts = report.as_json()
    head = text("Aperçu (rien n'a été écrit) : ", "Preview (nothing was written): ")
    out.print(
        (head if report.dry_run else "")
        + text(
            f"{counts['added']} ajouté(s), {counts['updated']} modifié(s), "
            f"{counts['left']} parti(s), {counts['unchanged']} inchangé(s), "
            f"{counts['revoked']} titre(s) révoqué(s).",
            f"{counts['added']} added, {counts['updated']} changed, {counts['left']} left, "
            f"{counts['unchanged']} unchanged, {counts['revoked']} credential(s) revoked.",
        )
    )
    for title, rows in (
        (text("Ajoutés", "Added"), report.added),
        (text("Modifiés", "Changed"), report.updated),
        (text("Partis", "Left"), report.left),
    ):
        if rows:
            out.print(_table(title, rows))
    show_errors(report.errors)


def _table(title: str, rows: tuple[PupilPlan, ...]) -> Table:
    from portique.registers.views import pupil_detail

    table = Table(title=f"{title} ({len(rows)})")
    for heading in (text("Nom", "Name"), text("Classe", "Class"), text("Détail", "Detail")):
        table.add_column(heading, overflow="fold")
    for row in rows[:SHOWN_ROWS]:
        table.add_row(f"{row.last_name} {row.first_name}", row.class_name or "", pupil_detail(row))
    if len(rows) > SHOWN_ROWS:
        more = len(rows) - SHOWN_ROWS
        table.add_row(text(f"… et {more} autres", f"… and {more} more"), "", "")
    return table


def uai(
    code: Annotated[str | None, typer.Argument(help=_help("code"))] = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show or record the site's establishment code (UAI)."""
    from portique.registers.identifiers import set_site_uai, site_uai

    with open_cli_site(directory) as site, site.session() as session:
        found = (
            site_uai(session, site.site_id)
            if code is None
            else set_site_uai(session, site.site_id, code)
        )
    if as_json:
        print_json({"site": site.site_id, "uai": found})
    else:
        out.print(found or text("aucun code UAI", "no UAI code"))


UAI_HELP = _help("uai")


@departures_app.command("list", help=_help("departures_list"))
def departures_list(
    days: Annotated[int, typer.Option("--days", min=1, max=366)] = 30,
    at: AtOption = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.registers.departures import recent_departures

    with site_at(directory, at) as (site, when), site.session() as session:
        found = recent_departures(session, site.site_id, now=when, days=days)
    if as_json:
        print_json(
            {
                "departures": [
                    {
                        "departure": d.departure_id,
                        "person": d.person_id,
                        "class": d.class_name,
                        "left_on": d.left_on.isoformat(),
                        "cause": d.cause.value,
                        "revoked": d.revoked,
                        "acknowledged": d.acknowledged_at is not None,
                    }
                    for d in found
                ]
            }
        )
        return
    table = Table(title=text("Départs récents", "Recent departures"))
    for heading in (
        text("Nom", "Name"), text("Classe", "Class"), text("Sorti(e) le", "Left on"),
        text("Titres révoqués", "Credentials revoked"),
    ):  # fmt: skip
        table.add_column(heading, overflow="fold")
    for d in found:
        table.add_row(
            f"{d.last_name} {d.first_name}",
            d.class_name or "",
            d.left_on.strftime("%d/%m/%Y"),
            str(d.revoked),
        )
    out.print(table)


@departures_app.command("sweep", help=_help("departures_sweep"))
def departures_sweep(
    at: AtOption = None, directory: DirOption = None, as_json: JsonOption = False
) -> None:
    from portique.registers.departures import sweep_leavers

    with site_at(directory, at) as (site, when), site.session() as session:
        gone = sweep_leavers(session, site.site_id, now=when)
    if as_json:
        print_json({"left": len(gone), "people": list(gone)})
    else:
        out.print(text(f"{len(gone)} départ(s).", f"{len(gone)} departure(s)."))


year_app = CommandApp(help=_help("year_app"), no_args_is_help=True)
cards_app = CommandApp(help=_help("cards_app"), no_args_is_help=True)
YearArgument = Annotated[str, typer.Argument(help=_help("year"))]
OutOption = Annotated[Path, typer.Option("--out", help=_help("out"))]


@year_app.command("close", help=_help("year_close"))
def year_close(
    year: YearArgument,
    at: AtOption = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.registers.year import SchoolYear, close_year

    chosen = SchoolYear.parse(year)
    with site_at(directory, at) as (site, when), site.session() as session:
        closing = close_year(session, site.site_id, chosen, now=when)
    if as_json:
        print_json(
            {
                "year": closing.year_id,
                "revoked": closing.revoked,
                "badges_shortened": closing.badges_shortened,
                "archived": list(closing.archived),
                "purge": closing.purge.counts,
            }
        )
        return
    out.print(
        text(
            f"Année {closing.year_id} close : {len(closing.archived)} classe(s) archivée(s), "
            f"{closing.revoked} carte(s) révoquée(s), {closing.badges_shortened} badge(s) "
            f"raccourci(s), {closing.purge.total} donnée(s) purgée(s).",
            f"Year {closing.year_id} closed: {len(closing.archived)} class(es) archived, "
            f"{closing.revoked} card(s) revoked, {closing.badges_shortened} badge(s) "
            f"shortened, {closing.purge.total} record(s) purged.",
        )
    )


@year_app.command("open", help=_help("year_open"))
def year_open(
    year: YearArgument,
    eleves: Annotated[Path, typer.Argument(help=_help("open_eleves"))],
    cards_dir: OutOption,
    responsables: Annotated[
        Path | None, typer.Option("--responsables", help=_help("open_responsables"))
    ] = None,
    at: AtOption = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.i18n import language
    from portique.registers.sync import read_register
    from portique.registers.year import SchoolYear, open_year

    chosen = SchoolYear.parse(year)
    files = read_register(
        read_input(eleves),
        None if responsables is None else read_input(responsables),
        pupils_name=eleves.name,
        guardians_name=responsables.name if responsables else "",
    )
    with site_at(directory, at) as (site, when), ExitStack() as bars:
        with site.session() as session:
            opening = open_year(
                session, site.site_id, site.keys_dir, site.keyring(), chosen, files,
                now=when, lang=language(),
                progress=None if as_json else lazy_progress(bars, text("Cartes", "Cards")),
            )  # fmt: skip
        written = [path for batch in opening.batches for path in batch.write(cards_dir)]
    if as_json:
        print_json(
            {
                "year": opening.year_id,
                "register": opening.register.as_json(),
                "consents_carried": len(opening.consents_carried),
                "consents_to_ask": list(opening.consents_lapsed),
                "cards": opening.cards,
                "files": len(written),
            }
        )
        return
    show_report(opening.register)
    out.print(
        text(
            f"Année {opening.year_id} ouverte : {opening.cards} carte(s) dans {cards_dir}, "
            f"{len(opening.consents_carried)} consentement(s) reconduit(s), "
            f"{len(opening.consents_lapsed)} à redemander.",
            f"Year {opening.year_id} open: {opening.cards} card(s) in {cards_dir}, "
            f"{len(opening.consents_carried)} consent(s) carried over, "
            f"{len(opening.consents_lapsed)} to ask again.",
        )
    )


@cards_app.command("issue", help=_help("cards_issue"))
def cards_issue(
    group: Annotated[str, typer.Option("--class", help=_help("class"))],
    cards_dir: OutOption,
    valid_from: Annotated[
        str | None, typer.Option("--valid-from", help=_help("valid_from"))
    ] = None,
    valid_until: Annotated[
        str | None, typer.Option("--valid-until", help=_help("valid_until"))
    ] = None,
    at: AtOption = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.i18n import language
    from portique.registers.cards import issue_class_cards
    from portique.services import parse_date

    start = None if valid_from is None else parse_date(valid_from)
    end = None if valid_until is None else parse_date(valid_until)
    with site_at(directory, at) as (site, when), ExitStack() as bars:
        with site.session() as session:
            batch = issue_class_cards(
                session, site.site_id, site.keyring(), group, now=when, valid_from=start,
                valid_until=end, lang=language(),
                progress=None if as_json else lazy_progress(bars, text("Cartes", "Cards")),
            )  # fmt: skip
        written = batch.write(cards_dir)
    if as_json:
        print_json(
            {
                "class": group,
                "cards": [
                    {"person": card.person_id, "credential": card.credential.credential_id}
                    for card in batch.cards
                ],
                "skipped": [{"person": p, "reason": r} for p, r in batch.skipped],
                "files": [str(path) for path in written],
            }
        )
        return
    out.print(
        text(
            f"{len(batch.cards)} carte(s) délivrée(s), {len(batch.skipped)} élève(s) passé(s) ; "
            f"fichiers dans {cards_dir}.",
            f"{len(batch.cards)} card(s) issued, {len(batch.skipped)} pupil(s) skipped; "
            f"files in {cards_dir}.",
        )
    )
