"""Background jobs of the console: a batch (a class's cards, revocations, paper consents)
runs in a thread of its own while the page shows its progress.

A job belongs to the account that started it: nobody else sees its progress or its
files. Its files (a sheet of cards, a ZIP) carry credentials, so they live in memory
only, for :data:`JOB_LIFETIME`, and are never written to disk. The thread acts under the
name and in the language of the request that started it, so the audit log names the
account and the job's messages speak the page's language.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from portique.actors import acting_as
from portique.errors import PortiqueError
from portique.i18n import speaking

JOB_LIFETIME = timedelta(minutes=30)
MAX_JOBS = 16
"""Jobs kept at once on a server (the oldest finished one goes first)."""

log = logging.getLogger(__name__)


class JobState(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class JobFile:
    """A file a job hands over: its name, media type and content."""

    name: str
    media_type: str
    content: bytes = field(repr=False)


@dataclass(frozen=True)
class JobLine:
    """One person's outcome in a job's report."""

    person_id: str
    name: str
    done: bool
    detail: str


@dataclass
class Job:
    """A running or finished job; ``done`` of ``total`` people so far."""

    job_id: str
    owner: str
    kind: str
    total: int
    started_at: datetime
    done: int = 0
    state: JobState = JobState.RUNNING
    error: str | None = None
    lines: list[JobLine] = field(default_factory=list)
    files: dict[str, JobFile] = field(default_factory=dict)

    def progress(self, done: int, total: int) -> None:
        """The progress callback the services call after each person."""
        self.done, self.total = done, total

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else round(100 * self.done / self.total)

    @property
    def succeeded(self) -> int:
        return sum(1 for line in self.lines if line.done)

    @property
    def refused(self) -> int:
        return sum(1 for line in self.lines if not line.done)


Work = Callable[[Job], None]


class Jobs:
    """The jobs of one server, in memory, each bound to its owner."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[str, Job] = OrderedDict()

    def start(
        self,
        work: Work,
        *,
        owner: str,
        kind: str,
        total: int,
        now: datetime,
        actor: str,
        lang: str,
    ) -> Job:
        """Runs ``work(job)`` in a new thread, as ``actor``, speaking ``lang``."""
        job = Job(secrets.token_urlsafe(16), owner, kind, total, now)
        with self._lock:
            self._forget(now)
            self._items[job.job_id] = job
        thread = threading.Thread(
            target=self._run, args=(job, work, actor, lang), name=f"job-{kind}", daemon=True
        )
        thread.start()
        return job

    @staticmethod
    def _run(job: Job, work: Work, actor: str, lang: str) -> None:
        try:
            with acting_as(actor), speaking(lang):
                work(job)
            job.state = JobState.DONE
        except PortiqueError as error:
            job.error = error.message
            job.state = JobState.FAILED
        except Exception:  # a job's thread must never die silently
            log.exception("job %s (%s) failed", job.job_id, job.kind)
            job.error = "internal error"
            job.state = JobState.FAILED

    def get(self, job_id: str, owner: str, now: datetime) -> Job | None:
        """The job if it is ``owner``'s and not expired."""
        with self._lock:
            self._forget(now)
            job = self._items.get(job_id)
        return job if job is not None and job.owner == owner else None

    def _forget(self, now: datetime) -> None:
        for job_id, job in list(self._items.items()):
            if now - job.started_at > JOB_LIFETIME and job.state is not JobState.RUNNING:
                del self._items[job_id]
        finished = [i for i, job in self._items.items() if job.state is not JobState.RUNNING]
        while len(self._items) >= MAX_JOBS and finished:
            del self._items[finished.pop(0)]
