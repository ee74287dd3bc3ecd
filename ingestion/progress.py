"""A running job's stage and progress, stored as it goes: the job's heartbeat too.

The pipeline runs in one long transaction, so its own writes stay invisible until it commits. The tracker
therefore writes from a thread of its own (Django gives each thread its own connection, in autocommit): at most
once per INGEST_PROGRESS_INTERVAL, and at least that often while the job runs, which is the heartbeat dead-worker
detection reads. On SQLite that thread cannot write while the ingestion transaction holds the database's write
lock; it skips those beats (a short busy timeout) and the job's process is checked by its pid instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

import structlog
from django.conf import settings
from django.db import DatabaseError, connection, connections
from django.utils import timezone

from ingestion.choices import JobStage, JobStatus
from ingestion.models import IngestionJob

logger = structlog.get_logger(__name__)

# The pipeline's steps in order: the stage each one reports and its share of the whole job (measured roughly on
# the 10,000-model project). PII classification and propagation are both the "pii" stage.
STEPS: dict[str, tuple[str, float]] = {
    "parsing": (JobStage.PARSING, 0.15),
    "loading": (JobStage.LOADING, 0.25),
    "pii_classification": (JobStage.PII, 0.10),
    "column_lineage": (JobStage.COLUMN_LINEAGE, 0.25),
    "pii_propagation": (JobStage.PII, 0.05),
    "conformance": (JobStage.CONFORMANCE, 0.20),
}
_BEFORE = {}
_total = 0.0
for _name, (_stage, _weight) in STEPS.items():
    _BEFORE[_name] = _total
    _total += _weight


@dataclass(frozen=True)
class ProgressState:
    """What a job reports: its stage, how far within it (None when the step can't count), overall, a message."""

    stage: str
    stage_progress: float | None
    progress: float
    message: str


class JobProgress:
    """Collects a job's progress from the pipeline and stores it from a background thread.

    ``step(name)`` enters one of STEPS; calling the tracker with a message (a ``dab_project.progress.counted``
    one gives progress within the step) updates the state. ``echo`` receives every new state (the CLI's bar).
    Use as a context manager around the run: the thread starts and stops with it.
    """

    def __init__(self, job: IngestionJob, *, echo: Callable[[ProgressState], None] | None = None) -> None:
        self.job_id = job.pk
        self.echo = echo
        self.interval = settings.INGEST_PROGRESS_INTERVAL
        self._step = "parsing"
        self.state = ProgressState(stage=JobStage.PARSING, stage_progress=None, progress=0.0, message="starting")
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.writes = 0

    def __enter__(self) -> JobProgress:
        self._thread = threading.Thread(target=self._beat, name=f"job-progress-{self.job_id}", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def step(self, name: str, message: str | None = None) -> None:
        stage, _ = STEPS[name]
        self._step = name
        self._set(ProgressState(stage, None, round(_BEFORE[name], 4), message or stage.replace("_", " ")))

    def __call__(self, message: str) -> None:
        stage, weight = STEPS[self._step]
        fraction = None
        done, total = getattr(message, "done", None), getattr(message, "total", None)
        if done is not None and total:
            fraction = min(1.0, done / total)
        overall = _BEFORE[self._step] + weight * (fraction or 0.0)
        self._set(ProgressState(stage, fraction, round(max(overall, self.state.progress), 4), str(message)[:255]))

    def _set(self, state: ProgressState) -> None:
        with self._lock:
            self.state = state
        if self.echo is not None:
            self.echo(state)

    def done(self) -> ProgressState:
        self._set(replace(self.state, stage=JobStage.DONE, stage_progress=1.0, progress=1.0, message="done"))
        return self.state

    def _beat(self) -> None:
        """Write the state and the heartbeat every interval until stopped, then once more."""
        try:
            while True:
                stopping = self._stop.wait(self.interval)
                self._write()
                if stopping:
                    return
        finally:
            connections.close_all()  # this thread's own connection

    def _write(self) -> None:
        with self._lock:
            state = self.state
        try:
            if connection.vendor == "sqlite":
                with connection.cursor() as cursor:  # don't queue behind the ingestion's write lock
                    cursor.execute("PRAGMA busy_timeout = 200")
            IngestionJob.objects.filter(pk=self.job_id, status=JobStatus.RUNNING).update(
                stage=state.stage,
                stage_progress=state.stage_progress,
                progress=state.progress,
                progress_message=state.message,
                heartbeat_at=timezone.now(),
            )
            self.writes += 1
        except DatabaseError as exc:  # a busy SQLite, a lost connection: the next beat tries again
            logger.debug("job_progress_write_failed", job_id=str(self.job_id), error=str(exc))
