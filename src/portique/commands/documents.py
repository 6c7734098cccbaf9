"""`portique documents` (the information notices, the entrance sign, the consent and
withdrawal forms) and `portique privacy contacts` (the controller and DPO they name)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from portique.commands.common import err, out, print_json, progress_bar
from portique.commands.options import AtOption, DirOption, HelpSection, JsonOption, OutDirOption
from portique.commands.sitedir import open_cli_site, site_at
from portique.i18n import text

if TYPE_CHECKING:
    from portique.services.settings import InformationSettings

_help = HelpSection("documents")

DOCUMENTS_HELP = _help("documents")


def documents(
    out_dir: OutDirOption,
    no_pdf: Annotated[bool, typer.Option("--no-pdf", help=_help("no_pdf"))] = False,
    at: AtOption = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Generate the documents; help text in DOCUMENTS_HELP."""
    from portique.privacy.notices import generate

    with site_at(directory, at) as (site, now):
        printing = text("Impression des PDF", "Printing PDFs")
        with progress_bar(printing, enabled=not no_pdf) as bar:
            task = bar.task_ids[0]
            generated = generate(
                site,
                out_dir,
                now=now,
                pdf=not no_pdf,
                on_start=lambda total: bar.update(task, total=total),
                progress=lambda _kind: bar.advance(task),
            )
    summary = generated.as_json(out_dir)
    if as_json:
        print_json(summary)
        return
    _print_summary(summary)


def _print_summary(summary: dict[str, Any]) -> None:
    out.print(
        text(f"Documents écrits dans {summary['out']} :", f"Documents written to {summary['out']}:")
    )
    table = Table(text("document", "document"), text("fichiers", "files"))
    for document in summary["documents"]:
        files = [Path(document["html"]).name, Path(document["pdf"]).name if document["pdf"] else ""]
        table.add_row(document["title"], " ".join(files).strip())
    out.print(table)
    out.print(
        text(
            f"Version de la configuration décrite : {summary['configuration_version']}.",
            f"Configuration version described: {summary['configuration_version']}.",
        )
    )
    if not summary["face_comparison"]:
        out.print(
            text(
                "Aucune voie ne compare les visages : pas de formulaire de consentement, et les "
                "notices disent qu'il n'y a pas de biométrie.",
                "No lane compares faces: no consent form, and the notices say there is no "
                "biometrics.",
            )
        )
    if summary["missing"]:
        err.print(
            text(
                "[yellow]À compléter[/] (portique privacy contacts) : "
                + ", ".join(summary["missing"])
                + " ; les documents portent des blancs à ces endroits.",
                "[yellow]To fill in[/] (portique privacy contacts): "
                + ", ".join(summary["missing"])
                + "; the documents have blanks there.",
            )
        )


CONTACTS_HELP = _help("contacts")


def contacts(
    controller: Annotated[
        str | None, typer.Option("--controller", help=_help("controller"))
    ] = None,
    controller_address: Annotated[
        str | None, typer.Option("--controller-address", help=_help("controller_address"))
    ] = None,
    dpo: Annotated[str | None, typer.Option("--dpo", help=_help("dpo"))] = None,
    dpo_email: Annotated[str | None, typer.Option("--dpo-email", help=_help("dpo_email"))] = None,
    dpo_address: Annotated[
        str | None, typer.Option("--dpo-address", help=_help("dpo_address"))
    ] = None,
    notice_url: Annotated[
        str | None, typer.Option("--notice-url", help=_help("notice_url"))
    ] = None,
    recipients: Annotated[
        list[str] | None, typer.Option("--recipient", help=_help("recipient"))
    ] = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show or set the contacts; help text in CONTACTS_HELP."""
    from portique.privacy.information import (
        information_settings,
        parse_information,
        set_information,
    )
    from portique.services.rows import site_row
    from portique.services.settings import site_settings

    given: dict[str, Any] = {
        name: value
        for name, value in {
            "controller": controller,
            "controller_address": controller_address,
            "dpo": dpo,
            "dpo_email": dpo_email,
            "dpo_address": dpo_address,
            "notice_url": notice_url,
            "recipients": None if recipients is None else tuple(recipients),
        }.items()
        if value is not None
    }
    with open_cli_site(directory) as site, site.session() as session:
        row = site_row(session, site.site_id)
        current = information_settings(site_settings(row))
        if given:
            current = parse_information({**current.model_dump(), **given})
            set_information(row, current)
    _print_contacts(current, as_json=as_json)


def _print_contacts(information: InformationSettings, *, as_json: bool) -> None:
    from portique.privacy.information import FIELD_LABELS

    payload = information.model_dump(mode="json")
    if as_json:
        print_json({"contacts": payload, "missing": list(information.missing())})
        return
    table = Table(text("champ", "field"), text("valeur", "value"))
    for name, value in payload.items():
        label = FIELD_LABELS[name][0 if text("fr", "en") == "fr" else 1]
        shown = "; ".join(value) if isinstance(value, list) else value
        if not shown:
            shown = (
                text("par défaut : le chef d'établissement", "default: the head of the school")
                if name == "controller"
                else text("[yellow]à compléter[/]", "[yellow]to fill in[/]")
            )
        table.add_row(label, shown)
    out.print(table)
