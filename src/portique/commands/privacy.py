"""Privacy commands: `portique audit verify|list`, `portique purge`, `portique subject
export|erase`, `portique dpia` and `portique privacy template-store`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from portique import clock
from portique.commands.common import CommandApp, err, out, print_json
from portique.commands.options import DirOption, HelpSection, JsonOption, OutDirOption
from portique.commands.sitedir import open_cli_site
from portique.errors import BadInputError
from portique.i18n import text

_help = HelpSection("privacy")

audit_app = CommandApp(help=_help("audit_app"), no_args_is_help=True)
subject_app = CommandApp(help=_help("subject_app"), no_args_is_help=True)
privacy_app = CommandApp(help=_help("privacy_app"), no_args_is_help=True)

PersonArgument = Annotated[str, typer.Argument(help=_help("person"))]

BROKEN_CHAIN_EXIT = 1
BREACH_FR = {
    "modified": "modifiée",
    "deleted": "précédée d'entrées supprimées",
    "reordered": "déplacée",
    "unauthenticated": "non authentifiée",
    "truncated": "tronquée : entrées finales supprimées",
}


@audit_app.command("verify", help=_help("audit_verify"))
def audit_verify(directory: DirOption = None, as_json: JsonOption = False) -> None:
    from portique.privacy import audit

    with open_cli_site(directory) as site, site.session() as session:
        report = audit.verify(session, site.site_id)
    if as_json:
        print_json(report.as_json())
    elif report.intact:
        out.print(
            text(
                f"Journal d'audit intact : {report.entries} entrées (n° {report.first_seq} à "
                f"{report.last_seq}), dernière empreinte {report.last_hash}.",
                f"Audit log intact: {report.entries} entries (seq {report.first_seq} to "
                f"{report.last_seq}), last hash {report.last_hash}.",
            )
            if report.entries
            else text("Journal d'audit vide.", "The audit log is empty.")
        )
    else:
        entry = "" if report.entry_id is None else f" (id {report.entry_id})"
        err.print(
            text(
                f"[bold red]Journal d'audit altéré[/] : entrée n° {report.seq}{entry} "
                f"{BREACH_FR.get(str(report.breach), '')} — {escape(report.explanation)}.",
                f"[bold red]Audit log tampered with[/]: entry seq {report.seq}{entry} "
                f"{report.breach} — {escape(report.explanation)}.",
            )
        )
    if not report.intact:
        raise typer.Exit(BROKEN_CHAIN_EXIT)


@audit_app.command("checkpoint", help=_help("audit_checkpoint"))
def audit_checkpoint(directory: DirOption = None, as_json: JsonOption = False) -> None:
    from portique.privacy import audit, audit_keys

    with open_cli_site(directory) as site, site.session() as session:
        signed = audit.checkpoint(session, site.site_id, now=clock.now())
        path = audit_keys.keys_of(session, site.site_id)
    shown = "" if path is None else str(path.checkpoint_path)
    if as_json:
        print_json({"site_id": signed.site_id, **signed.as_json(), "file": shown})
        return
    out.print(
        text(
            f"Point de contrôle écrit dans {shown} : seq {signed.seq}, empreinte "
            f"{signed.entry_hash}.",
            f"Checkpoint written to {shown}: seq {signed.seq}, hash {signed.entry_hash}.",
        )
    )


@audit_app.command("list", help=_help("audit_list"))
def audit_list(
    limit: Annotated[int, typer.Option("--limit", min=1, help=_help("limit"))] = 20,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.privacy import audit

    with open_cli_site(directory) as site, site.session() as session:
        entries = audit.entries(session, site.site_id, limit=limit, newest_first=True)
    if as_json:
        print_json({"entries": [entry.as_json() for entry in entries]})
        return
    table = Table(
        "seq", text("quand", "when"), text("qui", "who"), "action", text("objet", "target")
    )
    for entry in entries:
        table.add_row(
            str(entry.seq),
            entry.at.isoformat(timespec="seconds"),
            entry.actor,
            entry.action,
            entry.target or "",
        )
    out.print(table)


def purge(
    dry_run: Annotated[bool, typer.Option("--dry-run", help=_help("dry_run"))] = False,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Delete what is past retention; help text in PURGE_HELP."""
    from portique.privacy.retention import RETENTION_ACTOR, purge_site
    from portique.privacy.retention import purge as run_purge

    now = clock.now()
    with open_cli_site(directory) as site:
        if dry_run:
            with site.session() as session:
                report = run_purge(session, site.site_id, now=now, dry_run=True)
        else:
            report = purge_site(site.database, site.site_id, now=now)
    if as_json:
        print_json(report.as_json())
        return
    table = Table(
        text("catégorie", "category"),
        text("à effacer" if dry_run else "effacés", "to delete" if dry_run else "deleted"),
    )
    for category, count in report.counts.items():
        table.add_row(category, str(count))
    out.print(table)
    if not dry_run:
        out.print(
            text(
                f"Purge inscrite au journal d'audit ({RETENTION_ACTOR}).",
                f"Purge recorded in the audit log ({RETENTION_ACTOR}).",
            )
        )


PURGE_HELP = _help("purge")


@subject_app.command("export", help=_help("subject_export"))
def subject_export(
    person: PersonArgument,
    out_dir: OutDirOption,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.privacy.subject import export_subject

    with open_cli_site(directory) as site, site.session() as session:
        export, json_path, html_path = export_subject(
            session, site.site_id, person, out_dir, now=clock.now()
        )
    if as_json:
        print_json(
            {
                "person": person,
                "json": str(json_path),
                "html": str(html_path),
                "rows": export.counts(),
            }
        )
        return
    out.print(
        text(
            f"Export de {person} : {json_path} et {html_path} "
            f"({sum(export.counts().values())} lignes).",
            f"Export of {person}: {json_path} and {html_path} "
            f"({sum(export.counts().values())} rows).",
        )
    )


@subject_app.command("erase", help=_help("subject_erase"))
def subject_erase(
    person: PersonArgument,
    yes: Annotated[bool, typer.Option("--yes", help=_help("yes"))] = False,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.privacy.subject import erase_subject

    if not yes:
        if as_json:
            raise BadInputError(
                text(
                    "--json sans --yes : l'effacement doit être confirmé par --yes.",
                    "--json without --yes: confirm the erasure with --yes.",
                )
            )
        typer.confirm(
            text(f"Effacer définitivement {person} ?", f"Erase {person} for good?"),
            abort=True,
        )
    with open_cli_site(directory) as site, site.session() as session:
        erasure = erase_subject(session, site.site_id, person, now=clock.now())
    if as_json:
        print_json(erasure.as_json())
        return
    out.print(
        text(
            f"{person} effacé : titres révoqués {', '.join(erasure.revoked) or 'aucun'} ; "
            f"{sum(erasure.deleted.values())} lignes effacées.",
            f"{person} erased: credentials revoked {', '.join(erasure.revoked) or 'none'}; "
            f"{sum(erasure.deleted.values())} rows deleted.",
        )
    )
    out.print(text("Ce qui reste, et pourquoi :", "What stays, and why:"))
    for line in erasure.kept:
        out.print(f" • {line}")


def dpia(
    out_file: Annotated[Path, typer.Option("--out", help=_help("out"))],
    record_file: Annotated[Path | None, typer.Option("--record", help=_help("record"))] = None,
    png_dir: Annotated[Path | None, typer.Option("--png-dir", help=_help("png_dir"))] = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Generate the DPIA draft; help text in DPIA_HELP."""
    from portique.privacy import audit, notices
    from portique.privacy.dpia import gather, render_dpia, render_png, render_record

    with open_cli_site(directory) as site, site.session() as session:
        backend = "PostgreSQL" if not site.database.is_sqlite else "SQLite"
        now = clock.now()
        facts = gather(session, site.site_id, now=now, database=backend)
        documents = notices.status(notices.gather(session, site.site_id, now=now), session)
        written = [_write(out_file, render_dpia(facts, documents))]
        if record_file is not None:
            written.append(_write(record_file, render_record(facts, documents)))
        images = [] if png_dir is None else render_png(out_file, png_dir)
        audit.record(
            session,
            site_id=site.site_id,
            action="dpia.generate",
            target=f"sites:{site.site_id}",
            details={"files": [path.name for path in [*written, *images]]},
        )
    if as_json:
        print_json(
            {
                "dpia": str(out_file),
                "record": None if record_file is None else str(record_file),
                "png": [str(path) for path in images],
            }
        )
        return
    out.print(
        text(
            f"Projet d'AIPD écrit dans {', '.join(map(str, [*written, *images]))}.",
            f"DPIA draft written to {', '.join(map(str, [*written, *images]))}.",
        )
    )


def _write(path: Path, html: str) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise BadInputError(
            text(
                f"Impossible d'écrire {path} : {exc.strerror or exc}.",
                f"Cannot write {path}: {exc.strerror or exc}.",
            )
        ) from None
    return path


DPIA_HELP = _help("dpia")


@privacy_app.command("template-store", help=_help("template_store"))
def template_store(
    store: Annotated[str | None, typer.Argument(help=_help("store"))] = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.services.rows import site_row
    from portique.services.settings import site_settings
    from portique.services.vault import parse_template_store, set_template_store

    chosen = None if store is None else parse_template_store(store)
    with open_cli_site(directory) as site, site.session() as session:
        row = site_row(session, site.site_id)
        if chosen is not None:
            set_template_store(row, chosen)
        now_store = site_settings(row).template_store
    if as_json:
        print_json({"template_store": now_store.value})
        return
    out.print(text(f"Stockage des gabarits : {now_store}.", f"Template store: {now_store}."))
