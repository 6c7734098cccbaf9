"""People imports the console runs in the background: the request that sends the file
answers at once, the import goes on in short transactions beside the gate
(``import_people_in_steps``), and its progress and report are kept in the database
(``import_jobs``), so that whichever server process answers shows them."""

from __future__ import annotations

import contextvars
import logging
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update

from portique.errors import PortiqueError
from portique.i18n import text
from portique.server.state import AppState
from portique.services import ImportReport, SiteHandle, import_people_in_steps
from portique.services.roster import RejectedRow
from portique.store import find_at_site
from portique.store.models import ImportJobRow

log = logging.getLogger(__name__)

QUICK_IMPORT_SECONDS = 2.0
"""How long the request that starts an import waits for it before showing its progress."""


@dataclass(frozen=True)
class ImportJob:
    """An import as the console shows it: its progress, then its report or its error."""

    job_id: str
    file_name: str
    started_by: str
    started_at: datetime
    finished_at: datetime | None
    lines: int
    lines_done: int
    report: ImportReport | None
    error: str | None

    @property
    def percent(self) -> int:
        return 100 if self.finished_at else int(100 * self.lines_done / max(self.lines, 1))


def start_import(state: AppState, data: bytes, *, file_name: str, by: str) -> str:
    """Starts importing ``data`` for ``by``; its job id. The import runs in a thread of its
    own, waited for :data:`QUICK_IMPORT_SECONDS` (unless ``background_imports`` is off:
    then wholly before this returns), in the language and under the actor of the request
    that started it."""
    job_id = secrets.token_hex(16)
    now = state.now()
    site = state.site
    with site.session() as session:
        session.add(
            ImportJobRow(
                job_id=job_id,
                site_id=site.site_id,
                started_by=by[:64],
                file_name=file_name[:200],
                started_at=now,
                finished_at=None,
                lines=0,
                lines_done=0,
                report=None,
                error=None,
            )
        )
    context = contextvars.copy_context()

    def run() -> None:
        context.run(_run, site, job_id, data, now, state)

    if state.settings.background_imports:
        thread = threading.Thread(target=run, name=f"import-{job_id[:8]}", daemon=True)
        thread.start()
        # A class list is done at once: its report then shows without a progress page.
        thread.join(QUICK_IMPORT_SECONDS)
    else:
        run()
    return job_id


def _run(site: SiteHandle, job_id: str, data: bytes, now: datetime, state: AppState) -> None:
    def progress(done: int, lines: int) -> None:
        _save(site, job_id, lines=lines, lines_done=done)

    try:
        report = import_people_in_steps(
            site.session, site.site_id, data, now=now, progress=progress
        )
    except PortiqueError as error:
        _save(site, job_id, error=error.message, finished_at=state.now())
    except Exception:
        log.exception("import %s stopped", job_id)
        message = text(
            "L'import s'est arrêté sur une erreur interne ; les personnes déjà ajoutées le "
            "restent, relancez le même fichier pour ajouter les autres.",
            "The import stopped on an internal error; the people already added stay, send "
            "the same file again to add the others.",
        )
        _save(site, job_id, error=message, finished_at=state.now())
    else:
        _save(
            site,
            job_id,
            report=_report_json(report),
            lines=report.lines,
            lines_done=report.lines,
            finished_at=state.now(),
        )


def _save(site: SiteHandle, job_id: str, **values: Any) -> None:
    with site.session() as session:
        session.execute(update(ImportJobRow).where(ImportJobRow.job_id == job_id).values(values))


def import_job(state: AppState, job_id: str) -> ImportJob | None:
    """The import ``job_id`` of this site, or None."""
    with state.site.session() as session:
        row = find_at_site(session, ImportJobRow, job_id[:32], state.site.site_id)
        if row is None:
            return None
        report = None if row.report is None else _report_of(row.report)
        return ImportJob(
            row.job_id,
            row.file_name,
            row.started_by,
            row.started_at,
            row.finished_at,
            row.lines,
            row.lines_done,
            report,
            row.error,
        )


def _report_json(report: ImportReport) -> dict[str, Any]:
    return {
        "imported": list(report.imported),
        "rejected": [[row.line, row.reason] for row in report.rejected],
        "groups_created": list(report.groups_created),
        "encoding": report.encoding,
        "delimiter": report.delimiter,
        "lines": report.lines,
    }


def _report_of(saved: dict[str, Any]) -> ImportReport:
    return ImportReport(
        imported=tuple(saved["imported"]),
        rejected=tuple(RejectedRow(int(line), str(reason)) for line, reason in saved["rejected"]),
        groups_created=tuple(saved["groups_created"]),
        encoding=str(saved["encoding"]),
        delimiter=str(saved["delimiter"]),
        lines=int(saved["lines"]),
    )
