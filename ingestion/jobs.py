"""Ingestion as background jobs: an upload is checked, stored and queued; a worker runs it; a failed one is retried.

1. ``dbt_job_enqueue`` (the API, the upload page, ``dab ingest dbt --enqueue``) reads the artifacts within the size
   limits, refuses what can be refused without the full pipeline (not JSON, the wrong artifact, invalid evaluator
   settings: the job is failed at once and the caller answers 4xx), stores the bytes in the database (any worker on
   any machine reads them there), creates the job (queued) and enqueues ``ingestion.tasks.ingestion_job_run``.
2. ``job_run`` (a worker, through that task) applies jobs in the order they were created: while an earlier job is
   still running it waits, while an earlier one is queued it puts itself back in the queue. It claims the job with
   a guarded update (queued -> running: no double work even if a task were delivered twice), then runs the same
   pipeline as ``dbt_ingest`` (``ingestion.services.pipeline_run``).
3. ``job_retry`` queues a new job over the artifacts of a failed one (they move to the new job).
"""

from __future__ import annotations

import io
import os
import socket
import time
import uuid
from datetime import timedelta
from typing import Any

import structlog
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from dab_project.memory import gc_paused
from ingestion.choices import JobStage, JobStatus
from ingestion.models import UNFINISHED, IngestionArtifact, IngestionJob
from ingestion.parsers.dbt import ParseError
from ingestion.parsers.dbt._loading import check_kind, load_artifact
from ingestion.services import (
    Artifact,
    IngestionError,
    _evaluator_setup,
    artifact_digests,
    ingest_config,
    job_finish,
    job_lock,
    job_release,
    jobs_sweep_stale,
    pipeline_run,
)

logger = structlog.get_logger(__name__)

JSON_ARTIFACTS = ("manifest", "catalog", "run_results")
ARTIFACT_KINDS = (*JSON_ARTIFACTS, "dbt_project", "evaluator_exceptions")
# How long a job whose predecessor is still queued waits before it is tried again, and how often a job whose
# predecessor is running looks again (sweeping dead jobs each time).
REQUEUE_SECONDS = 2.0
WAIT_POLL_SECONDS = 1.0


class JobRetryError(Exception):
    """A job that can't be retried; the message says why."""


def dbt_job_enqueue(
    *,
    manifest: Artifact,
    catalog: Artifact | None = None,
    run_results: Artifact | None = None,
    project_name: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    triggered_by: str | None = None,
    dbt_project: Artifact | None = None,
    evaluator_exceptions: Artifact | None = None,
    upload: bool = True,
) -> IngestionJob:
    """Check and store the artifacts, create a queued job and enqueue it; see the module docstring.

    Never raises for bad input: the job comes back failed with the reason, and nothing is stored or queued.
    Costs a read of each artifact and one JSON decode of each (about 3 s for a 142 MB manifest), then one insert
    per artifact.
    """
    config = ingest_config(
        manifest=manifest, catalog=catalog, run_results=run_results, project_name=project_name, dry_run=dry_run,
        dbt_project=dbt_project, evaluator_exceptions=evaluator_exceptions,
    )  # fmt: skip
    config["force"] = force
    job = IngestionJob.objects.create(
        source_type="dbt", source_name=project_name, config=config, triggered_by=triggered_by,
        status=JobStatus.QUEUED, stage=JobStage.QUEUED,
    )  # fmt: skip
    given = {"manifest": manifest, "catalog": catalog, "run_results": run_results, "dbt_project": dbt_project,
             "evaluator_exceptions": evaluator_exceptions}  # fmt: skip
    try:
        limit = settings.INGEST_MAX_UPLOAD_MB if upload else settings.INGEST_MAX_FILE_MB
        data = {kind: artifact.read(limit_mb=limit) for kind, artifact in given.items() if artifact is not None}
        adapter = artifacts_check(data)
        _evaluator_setup(
            _in_memory(given, data, "dbt_project"), _in_memory(given, data, "evaluator_exceptions"), adapter=adapter
        )
    except (ParseError, IngestionError) as exc:
        details = {"type": type(exc).__name__, "artifact": getattr(exc, "artifact", None)}
        job_finish(job, status=JobStatus.FAILED, stats={}, warnings=[], error=str(exc), details=details)
        logger.info("ingestion_rejected", job_id=str(job.pk), error=str(exc))
        return job
    job.config["digests"] = artifact_digests({k: v for k, v in data.items() if k in JSON_ARTIFACTS})
    with transaction.atomic():
        artifacts_store(job=job, artifacts=[(kind, given[kind].label, raw) for kind, raw in data.items()])
        IngestionJob.objects.filter(pk=job.pk).update(config=job.config)
    del data
    return job_enqueue(job)


def _in_memory(given: dict[str, Artifact | None], data: dict[str, bytes], kind: str) -> Artifact | None:
    if given.get(kind) is None:
        return None
    return Artifact(kind=kind, label=given[kind].label, file=io.BytesIO(data[kind]), size=len(data[kind]))


def artifacts_check(data: dict[str, bytes]) -> str | None:
    """Refuse artifacts that are not JSON or not the dbt artifact they are given as (ParseError naming the
    problem); return the manifest's adapter type. Decodes each once and lets the documents go."""
    adapter = None
    for kind in JSON_ARTIFACTS:
        if kind not in data:
            continue
        with gc_paused():  # millions of fresh objects: the cycle collector would rescan them for nothing
            document = load_artifact(data[kind], artifact=kind)
        check_kind(document, artifact=kind)
        if kind == "manifest":
            metadata = document.get("metadata")
            adapter = metadata.get("adapter_type") if isinstance(metadata, dict) else None
        del document
    return adapter if isinstance(adapter, str) else None


def job_enqueue(job: IngestionJob, *, run_after=None) -> IngestionJob:
    """Queue the background task that runs a queued job, and note its id on the job."""
    from ingestion.tasks import ingestion_job_run

    task = ingestion_job_run.using(run_after=run_after) if run_after is not None else ingestion_job_run
    result = task.enqueue(job_id=str(job.pk))
    job.task_id = str(result.id)
    IngestionJob.objects.filter(pk=job.pk).update(task_id=job.task_id)
    return job


def _earlier_unfinished(job: IngestionJob):
    """Unfinished jobs created before this one (ties broken by id): they are applied first."""
    before = Q(started_at__lt=job.started_at) | Q(started_at=job.started_at, pk__lt=job.pk)
    return IngestionJob.objects.filter(before, status__in=UNFINISHED).exclude(pk=job.pk)


def job_run(*, job_id: uuid.UUID | str) -> dict[str, Any]:
    """Run a queued job in this process (a worker); see the module docstring. Returns what happened, for the
    task's result: {"job": id, "status": ...}."""
    job = IngestionJob.objects.filter(pk=job_id).first()
    if job is None or job.status != JobStatus.QUEUED:
        return {"job": str(job_id), "status": job.status if job else "missing", "ran": False}
    said = None
    while True:
        jobs_sweep_stale(current=job.pk)
        earlier = list(_earlier_unfinished(job).order_by("started_at").values_list("pk", "status"))
        if not earlier:
            break
        waiting = f"waiting for the earlier job {earlier[0][0]} to finish"
        if waiting != said:  # say why it has not started
            IngestionJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(progress_message=waiting)
            said = waiting
        if any(status == JobStatus.QUEUED for _, status in earlier):
            # An earlier job waits for a worker: let it go first rather than hold this worker.
            job_enqueue(job, run_after=timezone.now() + timedelta(seconds=REQUEUE_SECONDS))
            return {"job": str(job.pk), "status": "queued", "ran": False, "requeued": True}
        time.sleep(WAIT_POLL_SECONDS)
    job_lock(job.pk)  # before the row says running, so a sweeper never sees a running job without its lock
    try:
        now = timezone.now()
        claimed = IngestionJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING, stage=JobStage.PARSING, worker_started_at=now, heartbeat_at=now,
            config={**job.config, "pid": os.getpid(), "host": socket.gethostname()},
        )  # fmt: skip
        if not claimed:
            return {"job": str(job.pk), "status": "taken", "ran": False}
        job.refresh_from_db()
        artifacts = {
            kind: Artifact(kind=kind, label=label, file=_StoredContent(pk), size=size)
            for pk, kind, label, size in IngestionArtifact.objects.filter(job=job).values_list(
                "pk", "kind", "label", "size"
            )
        }
        if "manifest" not in artifacts:
            gone = "The job's stored artifacts are gone (deleted or moved to a retry): nothing was stored."
            job_finish(job, status=JobStatus.FAILED, stats={}, warnings=[], error=gone)
            return {"job": str(job.pk), "status": job.status, "ran": False}
        config = job.config
        pipeline_run(
            job, manifest=artifacts["manifest"], catalog=artifacts.get("catalog"),
            run_results=artifacts.get("run_results"), project_name=config.get("project_name"),
            dry_run=bool(config.get("dry_run")), upload=True, dbt_project=artifacts.get("dbt_project"),
            evaluator_exceptions=artifacts.get("evaluator_exceptions"), force=bool(config.get("force")),
        )  # fmt: skip
    finally:
        job_release(job)
    return {"job": str(job.pk), "status": job.status, "ran": True}


def artifacts_store(*, job: IngestionJob, artifacts: list[tuple[str, str, bytes]]) -> None:
    """Store (kind, label, bytes) artifacts of a job. On PostgreSQL through a binary COPY: a bytea parameter in a
    statement is sent as escaped text and parsed back (27 s for 174 MB on a loaded machine, 2 s this way)."""
    if connection.vendor != "postgresql":
        IngestionArtifact.objects.bulk_create(
            IngestionArtifact(job=job, kind=kind, label=label, size=len(raw), content=raw)
            for kind, label, raw in artifacts
        )
        return
    table = connection.ops.quote_name(IngestionArtifact._meta.db_table)
    sql = f"COPY {table} (id, job_id, kind, label, size, content) FROM STDIN (FORMAT BINARY)"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        copy.set_types(["uuid", "uuid", "varchar", "varchar", "int8", "bytea"])
        for kind, label, raw in artifacts:
            copy.write_row((uuid.uuid4(), job.pk, kind, label[:255], len(raw), raw))


class _StoredContent:
    """A stored artifact's bytes, fetched from the database when the pipeline reads them: the pipeline lets them
    go after parsing, so they are not held for the whole run. PostgreSQL sends them in binary (Django's
    client-side cursor would get them as hex text: 5 s instead of 1.4 s for 142 MB)."""

    def __init__(self, pk: Any) -> None:
        self.pk = pk

    def read(self, size: int = -1) -> bytes:
        if connection.vendor == "postgresql":
            import psycopg

            table = connection.ops.quote_name(IngestionArtifact._meta.db_table)
            with connection.cursor() as cursor, psycopg.Cursor(cursor.cursor.connection) as binary:
                binary.execute(f"SELECT content FROM {table} WHERE id = %s", [self.pk], binary=True)
                return binary.fetchone()[0]
        content = IngestionArtifact.objects.filter(pk=self.pk).values_list("content", flat=True).get()
        return content if isinstance(content, bytes) else bytes(content)


def job_retry(*, job: IngestionJob, triggered_by: str | None) -> IngestionJob:
    """Queue a new job that ingests a failed job's stored artifacts again (they move to the new job).

    Raises JobRetryError when the job did not fail, was already retried, or has no stored artifacts (it read files
    on disk in the command's own process: run the command again).
    """
    if job.status != JobStatus.FAILED:
        raise JobRetryError(f"only a failed job can be retried; this one is {job.status}")
    with transaction.atomic():
        locked = IngestionJob.objects.select_for_update().get(pk=job.pk)
        later = locked.retries.order_by("-started_at").first()
        if later is not None:
            raise JobRetryError(f"this job was already retried as job {later.pk}; retry that one if it failed")
        if not IngestionArtifact.objects.filter(job=locked, kind="manifest").exists():
            raise JobRetryError(
                "this job's artifacts were not stored (it read files in the command's own process): "
                "run the command again, or upload them"
            )
        config = {k: v for k, v in locked.config.items() if k not in ("pid", "host", "outcome")}
        retry = IngestionJob.objects.create(
            source_type=locked.source_type, source_name=locked.source_name, config=config,
            triggered_by=triggered_by, status=JobStatus.QUEUED, stage=JobStage.QUEUED, retry_of=locked,
        )  # fmt: skip
        IngestionArtifact.objects.filter(job=locked).update(job=retry)
    return job_enqueue(retry)
