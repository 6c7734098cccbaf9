"""Visitor commands: `portique visitor invite|walk-in|check-in|check-out|list|path` and
`portique refusal add|list|lift`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from portique import clock
from portique.commands.common import CommandApp, err, out, print_json
from portique.commands.options import DirOption, HelpSection, JsonOption
from portique.commands.sitedir import moment, open_cli_site, site_in_zone
from portique.errors import BadInputError
from portique.i18n import language, text

if TYPE_CHECKING:
    from portique.serializers import EmailOut
    from portique.services import SiteHandle
    from portique.visitors import (
        NewVisit,
        ReceptionResult,
        RefusalRecord,
        VisitEvent,
        Visitor,
        VisitRecord,
    )

_help = HelpSection("visitors")

visitor_app = CommandApp(help=_help("visitor_app"), no_args_is_help=True)
refusal_app = CommandApp(help=_help("refusal_app"), no_args_is_help=True)

REFUSED_EXIT = 1
"""Exit code when reception refuses: a barred walk-in, a pass checked in twice."""

LastName = Annotated[str, typer.Option("--name", "--last-name", help=_help("name"))]
FirstName = Annotated[str, typer.Option("--first-name", help=_help("first_name"))]
BirthDate = Annotated[str | None, typer.Option("--birth-date", help=_help("birth_date"))]
Purpose = Annotated[str, typer.Option("--purpose", help=_help("purpose"))]
Host = Annotated[str, typer.Option("--host", help=_help("host"))]
Zones = Annotated[list[str] | None, typer.Option("--zone", help=_help("zone"))]
VisitArgument = Annotated[str, typer.Argument(help=_help("visit"))]


def _when(value: str, timezone: str, what: str) -> datetime:
    try:
        return moment(value, timezone)
    except BadInputError:
        raise BadInputError(
            text(
                f"{what} : « {value} » n'est pas une date ISO-8601 (ex. 2026-11-24T10:00).",
                f"{what}: {value!r} is not an ISO-8601 time (e.g. 2026-11-24T10:00).",
            )
        ) from None


def _visit_json(visit: VisitRecord) -> dict[str, Any]:
    """A visit as the commands print it (the API's shape, with the earlier keys)."""
    from portique.serializers import VisitOut

    return VisitOut.of(visit).for_cli()


def _event_json(event: VisitEvent) -> dict[str, Any]:
    from portique.serializers import VisitEventOut

    return VisitEventOut.of(event).for_cli()


def _refusal_json(refusal: RefusalRecord) -> dict[str, Any]:
    from portique.serializers import RefusalOut

    return RefusalOut.of(refusal).for_cli()


def _table(title: str, *headings: str) -> Table:
    """An empty table with these column headings, folding long cells."""
    table = Table(title=title)
    for heading in headings:
        table.add_column(heading, overflow="fold")
    return table


def _local(moment_: datetime | None, timezone: str) -> str:
    if moment_ is None:
        return "—"
    return moment_.astimezone(ZoneInfo(timezone)).strftime("%d/%m/%Y %H:%M")


def _visitor(last_name: str, first_name: str, birth_date: str | None, email: str | None) -> Visitor:
    """A visitor as the options name them: the birth date only if given."""
    from portique.services import parse_date
    from portique.visitors import Visitor

    return Visitor(last_name, first_name, parse_date(birth_date) if birth_date else None, email)


def _write_pass(site: SiteHandle, new: NewVisit, path: Path) -> None:
    """The pass as a badge (PDF or PNG, by the suffix of ``path``)."""
    from portique.services import card_format, write_card
    from portique.visitors import site_badge, site_labels

    assert new.visitor_pass is not None
    fmt = card_format(path)
    with site.session() as session:
        labels = site_labels(session, site.site_id)
    badge = site_badge(new.visit, new.visitor_pass, labels, fmt=fmt, lang=language())
    write_card(path, badge)


def _report_new(new: NewVisit, timezone: str, *, out_path: Path | None, sent: bool | None) -> None:
    visit = new.visit
    if new.visitor_pass is None:
        err.print(
            text(
                f"[bold red]Accès refusé[/] : {visit.display_name} fait l'objet d'une "
                "interdiction d'accès. Prévenez la direction.",
                f"[bold red]Access refused[/]: {visit.display_name} is barred from the site. "
                "Tell the administration.",
            )
        )
        return
    out.print(
        text(
            f"Visite [bold]{visit.visit_id}[/] : {visit.display_name}, reçu(e) par "
            f"{visit.host_name}, du {_local(visit.expected_from, timezone)} au "
            f"{_local(visit.expected_until, timezone)} ({', '.join(visit.zones)}).",
            f"Visit [bold]{visit.visit_id}[/]: {visit.display_name}, host {visit.host_name}, "
            f"from {_local(visit.expected_from, timezone)} to "
            f"{_local(visit.expected_until, timezone)} ({', '.join(visit.zones)}).",
        )
    )
    if out_path is not None:
        out.print(text("Badge : ", "Badge: ") + str(out_path))
    if sent:
        out.print(text("Laissez-passer envoyé à ", "Pass sent to ") + str(visit.email))
    err.print(text("Texte du laissez-passer (QR) :", "Pass text (QR):"))
    out.print(new.visitor_pass.payload_text, soft_wrap=True)


def _new_json(new: NewVisit, *, out_path: Path | None, email: EmailOut | None) -> None:
    from portique.serializers import PassOut

    issued = new.visitor_pass
    print_json(
        {
            **_visit_json(new.visit),
            "alert": new.alert,
            "pass": None if issued is None else PassOut.of(issued).for_cli(),
            "badge": None if out_path is None else str(out_path),
            "email": None if email is None else email.model_dump(),
        }
    )


@visitor_app.command("invite", help=_help("visitor_invite"))
def visitor_invite(
    last_name: LastName,
    first_name: FirstName,
    purpose: Purpose,
    host: Host,
    start: Annotated[str, typer.Option("--from", help=_help("from"))],
    end: Annotated[str, typer.Option("--until", help=_help("invite_until"))],
    birth_date: BirthDate = None,
    email: Annotated[str | None, typer.Option("--email", help=_help("email"))] = None,
    zones: Zones = None,
    out_path: Annotated[Path | None, typer.Option("--out", help=_help("out"))] = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.actors import current_actor
    from portique.serializers import EmailOut
    from portique.visitors import MailError, VisitRequest, invite, send_pass, site_labels

    email_report: EmailOut | None = None
    with site_in_zone(directory) as (site, timezone):
        visitor = _visitor(last_name, first_name, birth_date, email)
        when = _when(start, timezone, "--from"), _when(end, timezone, "--until")
        request = VisitRequest(visitor, purpose, host, *when, tuple(zones or ()))
        with site.session() as session:
            keyring, by = site.keyring(), current_actor()
            new = invite(session, site.site_id, keyring, request, by=by, now=clock.now())
            labels = site_labels(session, site.site_id)
        if out_path is not None:
            _write_pass(site, new, out_path)
        if email and new.visitor_pass is not None:
            try:
                send_pass(new.visit, new.visitor_pass, labels)
                email_report = EmailOut(sent=True, error=None)
            except MailError as error:
                email_report = EmailOut(sent=False, error=error.message)
                err.print(error.message)
    if as_json:
        _new_json(new, out_path=out_path, email=email_report)
        return
    _report_new(
        new,
        timezone,
        out_path=out_path,
        sent=None if email_report is None else email_report.sent,
    )


@visitor_app.command("walk-in", help=_help("visitor_walk_in"))
def visitor_walk_in(
    last_name: LastName,
    first_name: FirstName,
    purpose: Purpose,
    host: Host,
    out_path: Annotated[Path, typer.Option("--out", help=_help("out"))],
    birth_date: BirthDate = None,
    end: Annotated[str | None, typer.Option("--until", help=_help("walk_in_until"))] = None,
    zones: Zones = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.actors import current_actor
    from portique.services import card_format
    from portique.visitors import WALK_IN_DURATION, VisitRequest, walk_in

    now = clock.now()
    card_format(out_path)
    with site_in_zone(directory) as (site, timezone):
        until = now + WALK_IN_DURATION if end is None else _when(end, timezone, "--until")
        visitor = _visitor(last_name, first_name, birth_date, None)
        request = VisitRequest(visitor, purpose, host, now, until, tuple(zones or ()))
        with site.session() as session:
            new = walk_in(
                session, site.site_id, site.keyring(), request, by=current_actor(), now=now
            )
        if new.visitor_pass is not None:
            _write_pass(site, new, out_path)
    written = out_path if new.visitor_pass is not None else None
    if as_json:
        _new_json(new, out_path=written, email=None)
    else:
        _report_new(new, timezone, out_path=written, sent=None)
    if new.visitor_pass is None:
        raise typer.Exit(REFUSED_EXIT)


def _reception(visit: str, directory: Path | None, arriving: bool) -> ReceptionResult:
    from portique.visitors import check_in, check_out, visit_for_pass

    with open_cli_site(directory) as site, site.session() as session:
        visit_id = (
            visit_for_pass(session, site.site_id, site.keyring(), visit.strip())
            if visit.strip().startswith("PQ:")
            else visit.strip()
        )
        change = check_in if arriving else check_out
        return change(session, site.site_id, visit_id, now=clock.now())


def _report_reception(result: ReceptionResult, as_json: bool) -> None:
    from portique.visitors import AlertKind, VisitStatus

    visit = result.visit
    if as_json:
        print_json({**_visit_json(visit), "alert": result.alert})
    else:
        status = {
            VisitStatus.ON_SITE: text("sur place", "on site"),
            VisitStatus.LEFT: text("parti(e)", "left"),
            VisitStatus.REFUSED: text("refusé(e)", "refused"),
        }.get(visit.status, visit.status.value)
        out.print(f"{visit.visit_id} · {visit.display_name} : {status}")
        if result.alert is not None:
            err.print(text("[bold red]Alerte[/] : ", "[bold red]Alert[/]: ") + result.alert.value)
    if result.alert in (AlertKind.BARRED, AlertKind.PASS_REUSED):
        raise typer.Exit(REFUSED_EXIT)


CHECK_IN_HELP = _help("check_in")
CHECK_OUT_HELP = _help("check_out")


def visitor_reception(
    context: typer.Context,
    visit: VisitArgument,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Checks a visitor in (`check-in`) or out (`check-out`) at reception."""
    result = _reception(visit, directory, arriving=context.info_name == "check-in")
    _report_reception(result, as_json)


visitor_app.command("check-in", help=CHECK_IN_HELP)(visitor_reception)
visitor_app.command("check-out", help=CHECK_OUT_HELP)(visitor_reception)


@visitor_app.command("list", help=_help("visitor_list"))
def visitor_list(
    every: Annotated[bool, typer.Option("--all", help=_help("visitor_all"))] = False,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.visitors import PASS_IN_FORCE, list_visits

    with site_in_zone(directory) as (site, timezone), site.session() as session:
        visits = list_visits(session, site.site_id, statuses=None if every else PASS_IN_FORCE)
    if as_json:
        print_json({"visits": [_visit_json(visit) for visit in visits]})
        return
    table = _table(
        text("Visites", "Visits"),
        text("Visite", "Visit"),
        text("Visiteur", "Visitor"),
        text("Reçu par", "Host"),
        text("Prévue", "Expected"),
        text("Zones", "Zones"),
        text("État", "Status"),
    )
    for visit in visits:
        table.add_row(
            visit.visit_id,
            visit.display_name,
            visit.host_name or "—",
            f"{_local(visit.expected_from, timezone)} – {_local(visit.expected_until, timezone)}",
            ", ".join(visit.zones),
            visit.status.value,
        )
    out.print(table)


@visitor_app.command("path", help=_help("visitor_path"))
def visitor_path(
    visit_id: Annotated[str, typer.Argument(help=_help("visit_id"))],
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.visitors import get_visit, visit_path

    with site_in_zone(directory) as (site, timezone), site.session() as session:
        visit = get_visit(session, site.site_id, visit_id)
        path = visit_path(session, site.site_id, visit_id)
    if as_json:
        print_json({**_visit_json(visit), "path": [_event_json(event) for event in path]})
        return
    table = _table(
        f"{visit.display_name} · {visit.visit_id}",
        text("Heure", "Time"),
        text("Étape", "Step"),
        text("Où", "Where"),
        text("Zone", "Zone"),
        text("Passé", "Through"),
        text("Alerte", "Alert"),
    )
    yes, no = text("oui", "yes"), text("non", "no")
    for event in path:
        table.add_row(
            _local(event.at, timezone),
            event.kind.value,
            event.checkpoint,
            event.zone_id or "—",
            yes if event.allowed else no,
            "" if event.alert is None else event.alert.value,
        )
    out.print(table)


# The refusal list ---------------------------------------------------------------------


@refusal_app.command("add", help=_help("refusal_add"))
def refusal_add(
    last_name: LastName,
    first_name: FirstName,
    birth_date: Annotated[str, typer.Option("--birth-date", help=_help("refusal_birth_date"))],
    reason: Annotated[str, typer.Option("--reason", help=_help("reason"))],
    ordered_by: Annotated[str, typer.Option("--ordered-by", help=_help("ordered_by"))],
    until: Annotated[str, typer.Option("--until", help=_help("refusal_until"))],
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.actors import current_actor
    from portique.visitors import add_refusal, typed_refusal

    bad_authority = text(
        f"--ordered-by : {ordered_by!r} (court ou head_teacher).",
        f"--ordered-by: {ordered_by!r} (court or head_teacher).",
    )
    typed = (last_name, first_name, birth_date, reason, ordered_by, until)
    refusal = typed_refusal(*typed, bad_authority=bad_authority)
    with open_cli_site(directory) as site, site.session() as session:
        record = add_refusal(session, site.site_id, refusal, by=current_actor(), now=clock.now())
    if as_json:
        print_json(_refusal_json(record))
        return
    out.print(
        text(
            f"Interdiction n° {record.refusal_id} : {record.first_name} {record.last_name}, "
            f"jusqu'au {record.until:%d/%m/%Y}.",
            f"Refusal {record.refusal_id}: {record.first_name} {record.last_name}, until "
            f"{record.until:%d/%m/%Y}.",
        )
    )


@refusal_app.command("list", help=_help("refusal_list"))
def refusal_list(
    every: Annotated[bool, typer.Option("--all", help=_help("refusal_all"))] = False,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.visitors import list_refusals

    with open_cli_site(directory) as site, site.session() as session:
        refusals = list_refusals(session, site.site_id, now=clock.now(), include_ended=every)
    if as_json:
        print_json({"refusals": [_refusal_json(refusal) for refusal in refusals]})
        return
    table = _table(
        text("Interdictions d'accès", "Refusal list"),
        text("N°", "No."),
        text("Nom", "Last name"),
        text("Prénom", "First name"),
        text("Né(e) le", "Born"),
        text("Motif", "Reason"),
        text("Jusqu'au", "Until"),
        text("Levée", "Lifted"),
    )
    for refusal in refusals:
        table.add_row(
            str(refusal.refusal_id),
            refusal.last_name,
            refusal.first_name,
            refusal.birth_date.strftime("%d/%m/%Y"),
            refusal.reason,
            refusal.until.strftime("%d/%m/%Y"),
            "" if refusal.lifted_at is None else refusal.lifted_at.strftime("%d/%m/%Y"),
        )
    out.print(table)


@refusal_app.command("lift", help=_help("refusal_lift"))
def refusal_lift(
    refusal_id: Annotated[int, typer.Argument(help=_help("refusal_id"))],
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.actors import current_actor
    from portique.visitors import lift_refusal

    with open_cli_site(directory) as site, site.session() as session:
        record = lift_refusal(
            session, site.site_id, refusal_id, by=current_actor(), now=clock.now()
        )
    if as_json:
        print_json(_refusal_json(record))
        return
    out.print(
        text(f"Interdiction n° {record.refusal_id} levée.", f"Refusal {record.refusal_id} lifted.")
    )
