"""Ingestion runs: one IngestionJob per attempt, the pipeline inside one locked transaction.

``dbt_ingest`` is what the CLI (``dab ingest dbt``), the management command, the API upload and the
upload page all call. Steps:

1. record a job (status running, committed at once so others can see it; an upload's job is queued first and
   claimed by a worker, see ``ingestion.jobs``);
2. hash the artifacts (size limits; files in chunks, without reading them whole); when they are byte for byte
   those of the last ingestion applied to their project, and nothing else that decides the outcome changed (DAB's
   code, settings, config files, rules, waivers, project settings), finish at once: nothing changed. Otherwise
   read and parse them (pure; bad input fails here, nothing is touched);
3. in one transaction, holding the ingestion lock (a PostgreSQL advisory lock; SQLite's write lock):
   mark jobs left running by dead processes as failed, load the project, then run the later steps
   (PII classification, column lineage, PII propagation, conformance) that the apps provide;
4. finish the job: completed with stats and warnings, or failed with the reason. A dry run rolls the
   transaction back after computing everything.

Any failure rolls the transaction back, so the stored graph is exactly as before.
"""

from __future__ import annotations

import gc
import hashlib
import importlib
import os
import resource
import socket
import stat
import time
import traceback
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

import structlog
import yaml
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from catalog.models import SourceSystem
from catalog.selectors import capsules_last_change
from dab_project.memory import gc_paused
from ingestion import conventions as conv
from ingestion.changes.history import changeset_recording
from ingestion.choices import JobStage, JobStatus
from ingestion.loader import LeanMiss, code_version, node_digests_write, project_load
from ingestion.models import UNFINISHED, IngestionArtifact, IngestionJob
from ingestion.parsers.dbt import ParseError, parse_dbt_artifacts
from ingestion.progress import STEPS, JobProgress, ProgressState
from ingestion.selectors import node_digests_known

logger = structlog.get_logger(__name__)

# Any fixed number works; it names "the DAB ingestion" among the database's advisory locks.
INGESTION_LOCK_KEY = 4_271_318_221
Progress = Callable[[str], None]


class IngestionError(Exception):
    """Input DAB refuses (unreadable, too large, not what it claims to be); the message names the problem."""


class _DryRunRollback(Exception):
    pass


@dataclass(frozen=True)
class Artifact:
    """One artifact to read: a file path (CLI) or an open binary file (upload)."""

    kind: str  # manifest, catalog, run_results
    label: str  # file name, for messages
    path: Path | None = None
    file: BinaryIO | None = None
    size: int | None = None

    @classmethod
    def from_path(cls, kind: str, path: str | Path) -> Artifact:
        path = Path(path)
        return cls(kind=kind, label=str(path), path=path)

    def read(self, *, limit_mb: int) -> bytes:
        limit = limit_mb * 1024 * 1024
        if self.path is not None:
            self._check_file(limit_mb=limit_mb)
            try:
                return self.path.read_bytes()
            except OSError as exc:
                raise IngestionError(f"cannot read the {self.kind} file {self.label}: {exc.strerror}") from None
        assert self.file is not None
        if self.size is not None and self.size > limit:
            raise IngestionError(
                f"the uploaded {self.kind} ({self.label}) is {self.size / 1024 / 1024:.0f} MB, over the {limit_mb} MB"
                " limit (INGEST_MAX_UPLOAD_MB)"
            )
        data = self.file.read(limit + 1)
        if len(data) > limit:
            raise IngestionError(f"the uploaded {self.kind} ({self.label}) is over the {limit_mb} MB limit")
        return data

    def _check_file(self, *, limit_mb: int) -> None:
        """Raise IngestionError when the file is missing, unreadable, a folder or over the limit."""
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            raise IngestionError(f"{self.kind} file not found: {self.label}") from None
        except OSError as exc:
            raise IngestionError(f"cannot read the {self.kind} file {self.label}: {exc.strerror}") from None
        if self.path.is_dir():
            raise IngestionError(f"the {self.kind} path {self.label} is a folder, not a file")
        if size > limit_mb * 1024 * 1024:
            raise IngestionError(
                f"the {self.kind} file {self.label} is {size / 1024 / 1024:.0f} MB, over the {limit_mb} MB limit"
                " (INGEST_MAX_FILE_MB)"
            )

    def digest(self, *, limit_mb: int) -> tuple[str, tuple[int, ...]]:
        """A file's SHA-1 (as ``artifact_digests`` gives it), read in chunks without holding the file's bytes, and
        its stamp (``file_stamp``) as it was read. Half the CPU of reading the file and hashing the bytes (0.13 s
        against 0.28 s for a 10,000-model project's 182 MB): a large buffer's fresh pages cost more than hashing."""
        assert self.path is not None
        self._check_file(limit_mb=limit_mb)
        try:
            with self.path.open("rb") as file:
                stamp = _stamp(os.fstat(file.fileno()))
                digest = hashlib.file_digest(file, _identity_hash).hexdigest()
        except OSError as exc:
            raise IngestionError(f"cannot read the {self.kind} file {self.label}: {exc.strerror}") from None
        return digest, stamp

    def regular_file(self) -> bool:
        """Whether the artifact is a regular file, which can be hashed and then read again (a pipe, such as
        ``<(gunzip -c manifest.json.gz)``, can be read only once)."""
        try:
            return self.path is not None and stat.S_ISREG(self.path.stat().st_mode)
        except OSError:
            return False

    def file_stamp(self) -> tuple[int, ...] | None:
        """The file's device, inode, size and modification time (ns): what changes when it is written or replaced;
        None when it cannot be read any more."""
        try:
            return _stamp(self.path.stat())
        except OSError:
            return None


def _stamp(status: os.stat_result) -> tuple[int, ...]:
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)


@cache
def conventions_load() -> conv.Conventions:
    """Layer/domain conventions: CONVENTIONS_PATH's YAML over the defaults, read once per process."""
    path = settings.CONVENTIONS_PATH
    if not path:
        return conv.Conventions()
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise IngestionError(f"cannot read the conventions file {path}: {exc}") from None
    try:
        return conv.conventions_from_dict(data)
    except ValueError as exc:
        raise IngestionError(f"{path}: {exc}") from None


def _evaluator_setup(dbt_project: Artifact | None, exceptions: Artifact | None, *, adapter: str | None) -> Any:
    """The project's dbt-project-evaluator set-up, validated before anything is stored (conformance reads it)."""
    if dbt_project is None and exceptions is None:
        return None
    from conformance.services import EvaluatorConfigError, evaluator_setup_read

    limit = settings.INGEST_MAX_FILE_MB
    try:
        return evaluator_setup_read(
            dbt_project=dbt_project.read(limit_mb=limit) if dbt_project else None,
            exceptions=exceptions.read(limit_mb=limit) if exceptions else None,
            adapter=adapter,
            dbt_project_label=dbt_project.label if dbt_project else "dbt_project.yml",
            exceptions_label=exceptions.label if exceptions else "dbt_project_evaluator_exceptions.csv",
        )
    except EvaluatorConfigError as exc:
        raise IngestionError(str(exc)) from None


def _evaluator_store(setup: Any, *, source_system_id: Any, actor: str | None) -> None:
    from conformance.services import project_config_store

    project_config_store(source_system_id=source_system_id, setup=setup, actor=actor)


# -- jobs ---------------------------------------------------------------------------------------------


def job_start(*, source_type: str, source_name: str | None, config: dict, triggered_by: str | None) -> IngestionJob:
    """A new running job, run by this process, committed at once (outside any transaction) so status pages see it.

    On PostgreSQL the run first takes a session lock on the job's key (``job_lock``), held until ``job_release``.
    """
    pk = uuid.uuid4()
    job_lock(pk)
    config = {**config, "pid": os.getpid(), "host": socket.gethostname()}
    now = timezone.now()
    return IngestionJob.objects.create(
        pk=pk, source_type=source_type, source_name=source_name, config=config, triggered_by=triggered_by,
        status=JobStatus.RUNNING, stage=JobStage.PARSING, started_at=now, worker_started_at=now, heartbeat_at=now,
    )  # fmt: skip


def job_release(job: IngestionJob) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_job_lock_key(job.pk)])


def job_finish(
    job: IngestionJob, *, status: str, stats: dict, warnings: list[str], error: str | None = None, details=None
) -> None:
    """Queued/running -> completed/failed; the guarded update changes nothing if someone already ended the job.
    A completed job's stored artifacts are deleted (a failed one keeps them for a retry)."""
    now = timezone.now()
    values: dict[str, Any] = {
        "status": status, "completed_at": now, "stats": stats, "warnings": warnings, "error_message": error,
        "error_details": details,
    }  # fmt: skip
    if status == JobStatus.COMPLETED:
        values.update(stage=JobStage.DONE, stage_progress=1.0, progress=1.0, progress_message="done")
    changed = IngestionJob.objects.filter(pk=job.pk, status__in=UNFINISHED).update(**values)
    if changed:
        for name, value in values.items():
            setattr(job, name, value)
        if status == JobStatus.COMPLETED:
            IngestionArtifact.objects.filter(job_id=job.pk).delete()
    else:
        job.refresh_from_db()


def _job_lock_key(job_id: uuid.UUID) -> int:
    return job_id.int & 0x7FFF_FFFF_FFFF_FFFF


def job_lock(job_id: uuid.UUID) -> None:
    """PostgreSQL: a session lock on the job's key, held while this process runs the job (its connection dies
    with the process, and the lock with it: others can tell a live run from a dead one on any host)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [_job_lock_key(job_id)])


def _process_alive(config: dict) -> bool | None:
    """Whether a job's process still runs; None when it ran on another host (can't tell)."""
    if config.get("host") != socket.gethostname() or not config.get("pid"):
        return None
    try:
        os.kill(int(config["pid"]), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return True


def _job_alive(job: IngestionJob) -> bool:
    """Whether the process running a job is alive: its pid on this host; on PostgreSQL its session lock on the
    job's key; else its heartbeat, younger than INGEST_JOB_LEASE_SECONDS."""
    alive = _process_alive(job.config)
    if alive is None and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [_job_lock_key(job.pk)])
            alive = not cursor.fetchone()[0]
            if not alive:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_job_lock_key(job.pk)])
    if alive is None:
        beat = job.heartbeat_at or job.worker_started_at or job.started_at
        alive = (timezone.now() - beat).total_seconds() < settings.INGEST_JOB_LEASE_SECONDS
    return alive


def dead_job_message(job: IngestionJob) -> str:
    """What really happened to a job whose process died, from what it had committed."""
    where = job.config.get("host") or "?"
    who = f"the process running this job (pid {job.config.get('pid', '?')} on {where})"
    stage = JobStage(job.stage).label.lower() if job.stage in JobStage.values else job.stage
    if job.stored or job.config.get(STORED_MARK):
        return STOPPED_AFTER_COMMIT
    if job.stage in (JobStage.QUEUED, JobStage.PARSING):
        return f"{who.capitalize()} stopped while {stage}: nothing was stored."
    return (
        f"{who.capitalize()} stopped during {stage}. The ingestion writes in one database transaction, which the "
        "database rolled back: nothing was stored. Retry the job to ingest these artifacts."
    )


# Written into the job's config inside the ingestion transaction: present exactly when its data was committed.
STORED_MARK = "stored"
STOPPED_AFTER_COMMIT = (
    "The process stopped after this ingestion's data was committed (while refreshing the database's statistics "
    "or recording the job): everything is stored, but the job's statistics and timings are incomplete."
)


def jobs_sweep_stale(*, current: uuid.UUID | None = None) -> int:
    """End the jobs whose process died, saying what the database holds; returns how many.

    A running job's process is dead when it ran on this host and its pid is gone, or, on PostgreSQL, when the
    session lock every live run holds on its own key is free, or else when its heartbeat is older than the lease.
    A dead job whose transaction committed (``stored``, written inside it) is completed with a warning; one whose
    transaction never committed stored nothing and is failed, naming the stage it reached.
    A queued job whose background task ended without running it (task backends that keep results), or that was
    never queued (its upload died) within the lease, fails too, so no dead job holds back the jobs after it.
    A few queries per unfinished job.
    """
    swept = 0
    for job in IngestionJob.objects.filter(status=JobStatus.RUNNING).exclude(pk=current):
        if _job_alive(job):
            continue
        message = dead_job_message(job)
        if job.stored or job.config.get(STORED_MARK):
            # Its transaction committed: the data is there, only what came after the commit is missing.
            done = IngestionJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
                status=JobStatus.COMPLETED, completed_at=timezone.now(), stored=True,
                warnings=[*job.warnings, STOPPED_AFTER_COMMIT], stage=JobStage.DONE, progress=1.0,
            )  # fmt: skip
        else:
            done = IngestionJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
                status=JobStatus.FAILED, completed_at=timezone.now(), error_message=message,
                error_details={"type": "WorkerLost", "stage": job.stage, "stored": False},
            )  # fmt: skip
        if done:
            swept += 1
            logger.warning("ingestion_job_worker_lost", job_id=str(job.pk), stage=job.stage, stored=job.stored)
            task_mark_lost(job.task_id, message=message)
    lease_start = timezone.now() - timedelta(seconds=settings.INGEST_JOB_LEASE_SECONDS)
    for job in IngestionJob.objects.filter(status=JobStatus.QUEUED).exclude(pk=current):
        if job.task_id is None and job.started_at < lease_start:
            message = "The upload stopped before its job was queued: nothing was stored. Upload the artifacts again."
        elif job.task_id is not None and task_ended(job.task_id):
            message = "Its background task ended without running it: nothing was stored. Retry the job."
        else:
            continue
        # guarded by the task read: a job put back in the queue meanwhile has a new task and is left alone
        swept += IngestionJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED, task_id=job.task_id).update(
            status=JobStatus.FAILED, completed_at=timezone.now(), error_message=message
        )
    return swept


def task_mark_lost(task_id: str | None, *, message: str) -> None:
    """The database task backend leaves a dead worker's task "running" for ever: mark it failed too."""
    if not task_id or not _db_task_backend():
        return
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(id=task_id, status="RUNNING").update(
        status="FAILED", finished_at=timezone.now(), exception_class_path="ingestion.WorkerLost", traceback=message
    )


def task_ended(task_id: str) -> bool:
    """Whether a task already finished (database backend only; other backends: unknown, False)."""
    if not _db_task_backend():
        return False
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(id=task_id, status__in=["SUCCESSFUL", "FAILED"]).exists()


def _db_task_backend() -> bool:
    return settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"


# -- unchanged artifacts ------------------------------------------------------------------------------


def artifact_digests(data: dict[str, bytes]) -> dict[str, str]:
    """SHA-1 of each artifact's bytes, an identity check, not a security one: about 0.1 s for a 180 MB project where
    MD5 took 0.25 s (OpenSSL's SHA-1 outruns its MD5 with or without the processor's SHA instructions). A job
    recorded with the MD5s of an older DAB does not match: it ran older code anyway."""
    return {kind: _identity_hash(raw).hexdigest() for kind, raw in sorted(data.items())}


def _identity_hash(data: bytes = b"") -> Any:
    """The hash of an artifact's identity: one for bytes held (``artifact_digests``) and files hashed in chunks
    (``Artifact.digest``), so that both give the same digest."""
    return hashlib.sha1(data, usedforsecurity=False)


@cache
def _code_fingerprint() -> str:
    """The pipeline's own code: after an upgrade of DAB, identical artifacts are ingested again."""
    digest = hashlib.md5(usedforsecurity=False)
    base = Path(settings.BASE_DIR)
    for app in ("ingestion", "catalog", "lineage", "pii", "conformance"):
        for path in sorted((base / app).rglob("*.py")):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            digest.update(path.relative_to(base).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _file_digest(path: Any) -> str | None:
    if not path:
        return None
    path = Path(path)
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    digest = hashlib.md5(usedforsecurity=False)
    for item in files:
        if item.is_file():
            digest.update(item.name.encode())
            digest.update(item.read_bytes())
    return digest.hexdigest()


def outcome_fingerprint(*, source_system_id: Any) -> str:
    """A hash of everything besides the artifacts that decides what an ingestion of this project stores: DAB's
    code, the settings the steps read, their config files (conventions, PII vocabulary, rule files), what
    stewards set in the database for conformance (rules, waivers, the project's settings) and when a capsule of
    the project last changed. Six queries and a read of the config files: a few milliseconds."""
    from conformance.services import conformance_settings_fingerprint

    parts = [
        _code_fingerprint(),
        settings.PII_DETECTION_ENABLED,
        sorted(settings.LINEAGE_MASKING_FUNCTIONS),
        settings.CONFORMANCE_ON_INGEST,
        _file_digest(settings.CONVENTIONS_PATH),
        _file_digest(getattr(settings, "PII_CONFIG_PATH", None)),
        _file_digest(settings.RULES_PATH),
        conformance_settings_fingerprint(source_system_id=source_system_id),
        # a steward's edit of a capsule (owner, domain) in the admin: the next ingestion decides again
        capsules_last_change(source_system_id=source_system_id),
    ]
    return hashlib.md5(repr(parts).encode(), usedforsecurity=False).hexdigest()


def last_applied_identical(*, digests: dict[str, str], job: IngestionJob) -> IngestionJob | None:
    """The last ingestion applied to a project, when its artifacts had these very digests and everything else that
    decides the outcome is as it left it (``outcome_fingerprint``); else None. About seven queries."""
    same = (
        IngestionJob.objects.filter(status=JobStatus.COMPLETED, config__digests=digests)
        .exclude(pk=job.pk)
        .exclude(config__dry_run=True)
        .exclude(stats__has_key="unchanged")
        .order_by("-started_at")
        .first()
    )
    if same is None or not same.source_name or not same.config.get("outcome"):
        return None
    later = (
        IngestionJob.objects.filter(status=JobStatus.COMPLETED, source_name=same.source_name)
        .filter(started_at__gt=same.started_at)
        .exclude(pk=job.pk)
        .exclude(config__dry_run=True)
        .exclude(stats__has_key="unchanged")
        .exists()
    )
    system = SourceSystem.objects.filter(name=same.source_name).values_list("pk", flat=True).first()
    if later or system is None or outcome_fingerprint(source_system_id=system) != same.config["outcome"]:
        return None
    return same


ANALYZE_AFTER_CHANGES = 20_000  # columns created or removed (a capsule counts 25)


def _analyze_after_big_changes(stats: dict) -> bool:
    """Refresh PostgreSQL's planner statistics when a load rewrote much of the catalog.

    Autovacuum gets there eventually; until it does, plans made for an empty table (sequential scans,
    bad join orders) can make pages and traversals a hundred times slower.
    """
    if connection.vendor != "postgresql":
        return False
    changed = sum(stats.get("columns", {}).get(k, 0) for k in ("created", "removed"))
    changed += 25 * sum(stats.get("capsules", {}).get(k, 0) for k in ("created", "removed"))
    # Violations the conformance step opened or resolved count as columns do: without statistics the change
    # report's read of the active violations' fingerprints runs as a nested loop (0.66 s instead of 0.14 s at
    # 58,786 violations).
    violations = (stats.get("conformance") or {}).get("violations") or {}
    written = sum(violations.get(k, 0) for k in ("new", "resolved"))
    if changed + written < ANALYZE_AFTER_CHANGES:
        return False
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE capsules, columns, capsule_lineage, violations")
    return True


def _acquire_ingestion_lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [INGESTION_LOCK_KEY])
    # SQLite: settings open every transaction with BEGIN IMMEDIATE, which takes the write lock.


# -- the pipeline ---------------------------------------------------------------------------------------


# Steps after the load, in order, each an app's service called as
# ``fn(load_result=LoadResult, job=IngestionJob, progress=callable) -> dict`` (its stats for the job).
# Each honours its own switch (PII_DETECTION_ENABLED, CONFORMANCE_ON_INGEST) and runs inside the
# ingestion transaction, so a failure anywhere leaves the stored graph as it was.
PIPELINE_STEPS = (
    ("pii_classification", "pii.services.pii_classify_after_load"),
    ("column_lineage", "lineage.services.column_lineage_after_load"),
    ("pii_propagation", "pii.services.pii_propagate_after_load"),
    ("conformance", "conformance.services.conformance_after_load"),
)


# Steps run with the cyclic garbage collector paused (see _pipeline).
GC_PAUSED_STEPS = frozenset({"conformance"})


def _pipeline_steps() -> list[tuple[str, Callable[..., dict[str, Any]]]]:
    """The PIPELINE_STEPS whose service exists (test_pipeline_steps_all_exist guards that all do)."""
    steps = []
    for name, path in PIPELINE_STEPS:
        module_name, _, function = path.rpartition(".")
        try:
            steps.append((name, getattr(importlib.import_module(module_name), function)))
        except (ImportError, AttributeError):
            logger.debug("pipeline_step_missing", step=name, path=path)
    return steps


def dbt_ingest(
    *,
    manifest: Artifact,
    catalog: Artifact | None = None,
    run_results: Artifact | None = None,
    project_name: str | None = None,
    dry_run: bool = False,
    triggered_by: str | None = None,
    upload: bool = False,
    progress: Progress = lambda message: None,
    dbt_project: Artifact | None = None,
    evaluator_exceptions: Artifact | None = None,
    force: bool = False,
    report: Callable[[ProgressState], None] | None = None,
) -> IngestionJob:
    """Ingest one dbt project's artifacts; see the module docstring. Never raises for bad input:
    the returned job says failed, with the reason in ``error_message``. ``force`` runs the whole pipeline even
    when the artifacts are those of the last ingestion applied and nothing else changed.

    ``dbt_project`` (a dbt_project.yml) and ``evaluator_exceptions`` (dbt_project_evaluator_exceptions.csv)
    give the project's dbt-project-evaluator set-up: validated with the artifacts (an invalid one fails the
    job, nothing stored) and kept with the project for this and later evaluations. ``report`` receives the job's
    stage and progress as they change (the CLI's progress bar); they are also stored on the job as it goes.
    """
    config = ingest_config(
        manifest=manifest, catalog=catalog, run_results=run_results, project_name=project_name, dry_run=dry_run,
        dbt_project=dbt_project, evaluator_exceptions=evaluator_exceptions,
    )  # fmt: skip
    job = job_start(source_type="dbt", source_name=project_name, config=config, triggered_by=triggered_by)
    try:
        return pipeline_run(
            job, manifest=manifest, catalog=catalog, run_results=run_results, project_name=project_name,
            dry_run=dry_run, upload=upload, progress=progress, report=report, dbt_project=dbt_project,
            evaluator_exceptions=evaluator_exceptions, force=force,
        )  # fmt: skip
    finally:
        job_release(job)


def ingest_config(
    *,
    manifest: Artifact,
    catalog: Artifact | None,
    run_results: Artifact | None,
    project_name: str | None,
    dry_run: bool,
    dbt_project: Artifact | None,
    evaluator_exceptions: Artifact | None,
) -> dict[str, Any]:
    """What a job records of its inputs (file names, options)."""
    config = {
        "manifest": manifest.label,
        "catalog": catalog.label if catalog else None,
        "run_results": run_results.label if run_results else None,
        "project_name": project_name,
        "dry_run": dry_run,
    }
    if dbt_project is not None or evaluator_exceptions is not None:
        config["dbt_project"] = dbt_project.label if dbt_project else None
        config["evaluator_exceptions"] = evaluator_exceptions.label if evaluator_exceptions else None
    return config


def pipeline_run(
    job: IngestionJob,
    *,
    manifest: Artifact,
    catalog: Artifact | None = None,
    run_results: Artifact | None = None,
    project_name: str | None = None,
    dry_run: bool = False,
    upload: bool = False,
    progress: Progress = lambda message: None,
    report: Callable[[ProgressState], None] | None = None,
    dbt_project: Artifact | None = None,
    evaluator_exceptions: Artifact | None = None,
    force: bool = False,
) -> IngestionJob:
    """Run the pipeline for a job already marked running by this process (``job_start`` or a worker's claim);
    see ``dbt_ingest``. The caller releases the job's lock."""
    tracker = JobProgress(job, echo=report)

    def say(message: str) -> None:
        tracker(message)
        progress(message)

    with tracker:
        return _pipeline(
            job, tracker=tracker, say=say, manifest=manifest, catalog=catalog, run_results=run_results,
            project_name=project_name, dry_run=dry_run, upload=upload, dbt_project=dbt_project,
            evaluator_exceptions=evaluator_exceptions, force=force,
        )  # fmt: skip


def _cpu_seconds() -> float:
    """CPU time of this process and of the child processes it waited for (column lineage's pool)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _pipeline(
    job: IngestionJob,
    *,
    tracker: JobProgress,
    say: Progress,
    manifest: Artifact,
    catalog: Artifact | None,
    run_results: Artifact | None,
    project_name: str | None,
    dry_run: bool,
    upload: bool,
    dbt_project: Artifact | None,
    evaluator_exceptions: Artifact | None,
    force: bool,
) -> IngestionJob:
    log = logger.bind(job_id=str(job.pk))
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}  # CPU seconds of each step (this process and the worker processes it waited for)
    warnings: list[str] = []
    stats: dict[str, Any] = {}
    committed = False
    try:
        started, cpu_started = time.perf_counter(), _cpu_seconds()
        limit = settings.INGEST_MAX_UPLOAD_MB if upload else settings.INGEST_MAX_FILE_MB
        tracker.step("parsing", "reading artifacts")
        say("reading artifacts")
        artifacts = [a for a in (manifest, catalog, run_results) if a is not None]
        # Evaluator settings given with the artifacts are inputs of their own: such a run is never skipped.
        settled = force or dry_run or dbt_project is not None or evaluator_exceptions is not None
        data: dict[str, bytes] | None = None
        stamps: dict[str, tuple[int, ...]] = {}
        if settled or not all(a.regular_file() for a in artifacts):
            data = {a.kind: a.read(limit_mb=limit) for a in artifacts}
            digests = artifact_digests(data)
        else:
            # Files that may be those of the last ingestion: hashed without being held; read only if they are not.
            digests = {}
            for artifact in artifacts:
                digests[artifact.kind], stamps[artifact.kind] = artifact.digest(limit_mb=limit)
            digests = dict(sorted(digests.items()))
        job.config["digests"] = digests
        IngestionJob.objects.filter(pk=job.pk).update(config=job.config)
        timings["read"] = time.perf_counter() - started
        cpu["read"] = _cpu_seconds() - cpu_started
        same = None if settled else last_applied_identical(digests=digests, job=job)
        if same is not None:
            IngestionJob.objects.filter(pk=job.pk).update(source_name=same.source_name)
            job.source_name = same.source_name
            stats["unchanged"] = {
                "same_as_job": str(same.pk),
                "message": f"the artifacts are byte for byte those of job {same.pk} and nothing else that decides "
                "the outcome changed: nothing to do",
            }
            from conformance.services import conformance_after_unchanged_ingestion

            stats["conformance"] = conformance_after_unchanged_ingestion(job=job)
            stats["timings"] = {k: round(v, 3) for k, v in timings.items()}
            stats["cpu_timings"] = {k: round(v, 3) for k, v in cpu.items()}
            tracker.done()
            job_finish(job, status=JobStatus.COMPLETED, stats=stats, warnings=warnings)
            log.info("ingestion_unchanged", project=job.source_name, same_as=str(same.pk))
            return job

        if data is None:
            started, cpu_started = time.perf_counter(), _cpu_seconds()
            data = {a.kind: a.read(limit_mb=limit) for a in artifacts}
            if any(a.file_stamp() != stamps[a.kind] for a in artifacts):
                # Written or replaced since it was hashed: the job records the digests of the bytes it parses.
                job.config["digests"] = artifact_digests(data)
                IngestionJob.objects.filter(pk=job.pk).update(config=job.config)
            timings["read"] += time.perf_counter() - started
            cpu["read"] += _cpu_seconds() - cpu_started
        started, cpu_started = time.perf_counter(), _cpu_seconds()
        say("parsing")
        # Parsing makes millions of small acyclic objects; the cycle collector would walk them again and
        # again for nothing (measured: a third of the parse). Pause it, then exempt the records from it (frozen
        # before it resumes, so that its first collection does not scan them all either; unfrozen at the end).
        with gc_paused(freeze=True):
            # A lean parse: capsules whose node digest is the stored one are kept, not built (ingestion.loader)
            parsed = parse_dbt_artifacts(
                manifest=data["manifest"],
                catalog=data.get("catalog"),
                run_results=data.get("run_results"),
                project_name=project_name,
                known=node_digests_known,
                salt=code_version(),
            )
        if not parsed.kept:
            del data  # kept only while a lean parse may have to be done again in full (LeanMiss)
        timings["parse"] = time.perf_counter() - started
        cpu["parse"] = _cpu_seconds() - cpu_started
        warnings.extend(parsed.warnings)
        stats["parsed"] = dict(parsed.stats)
        IngestionJob.objects.filter(pk=job.pk).update(source_name=parsed.project.name[:255])
        job.source_name = parsed.project.name[:255]
        conventions = conventions_load()
        evaluator = _evaluator_setup(dbt_project, evaluator_exceptions, adapter=parsed.project.adapter_type)
        if evaluator is not None:
            warnings.extend(evaluator.warnings)

        try:
            with transaction.atomic():
                started, cpu_started = time.perf_counter(), _cpu_seconds()
                tracker.step("loading", "waiting for the ingestion lock")
                say("waiting for the ingestion lock")
                _acquire_ingestion_lock()
                swept = jobs_sweep_stale(current=job.pk)
                if swept:
                    warnings.append(
                        f"{swept} earlier job(s) left running by a stopped process were marked failed or, when their"
                        " data had been committed, completed."
                    )
                timings["lock"] = time.perf_counter() - started
                cpu["lock"] = _cpu_seconds() - cpu_started
                started, cpu_started = time.perf_counter(), _cpu_seconds()
                say("loading")
                try:
                    # a savepoint, for a lean load that cannot vouch for a kept capsule; the recording: the history
                    with transaction.atomic(), changeset_recording(parsed=parsed, job=job) as changes:
                        result = project_load(parsed, job_id=job.pk, conventions=conventions, progress=say,
                                              before_write=changes.columns_before_load)  # fmt: skip
                        changes.kept_column_urns = result.kept_column_urns
                except LeanMiss as miss:  # writes nothing: parse again in full, and load that
                    log.info("ingestion_lean_miss", urn=str(miss))
                    with gc_paused():
                        parsed = parse_dbt_artifacts(
                            manifest=data["manifest"], catalog=data.get("catalog"),
                            run_results=data.get("run_results"), project_name=project_name, known=lambda name: {},
                            salt=code_version(),
                        )  # fmt: skip
                    with changeset_recording(parsed=parsed, job=job) as changes:
                        result = project_load(parsed, job_id=job.pk, conventions=conventions, progress=say,
                                              before_write=changes.columns_before_load)  # fmt: skip
                        changes.kept_column_urns = result.kept_column_urns
                data = None
                if changes.recorded_urns is not None:
                    node_digests_write(result, recorded_urns=changes.recorded_urns)
                # Freed before the later steps: the records of columns not built still hold the artifacts' raw
                # column JSON, a few hundred MB at 10,000 models that would add to conformance's peak.
                del parsed
                timings["load"] = time.perf_counter() - started
                cpu["load"] = _cpu_seconds() - cpu_started
                warnings.extend(result.warnings)
                stats.update(result.stats(), changes=changes.stats)
                if evaluator is not None:
                    _evaluator_store(evaluator, source_system_id=result.source_system_id, actor=job.triggered_by)
                for name, step in _pipeline_steps():
                    started, cpu_started = time.perf_counter(), _cpu_seconds()
                    if name in STEPS:
                        tracker.step(name)
                    say(name.replace("_", " "))
                    # Frozen when the step ends: what it allocated under its own pause (conformance's graph and
                    # findings) is otherwise all scanned by the collector's next run (0.16 s at 10,000 models).
                    # Column lineage keeps the collector: sqlglot's trees are cyclic (parent links).
                    with gc_paused(freeze=True) if name in GC_PAUSED_STEPS else nullcontext():
                        stats[name] = step(load_result=result, job=job, progress=say)
                    timings[name] = time.perf_counter() - started
                    cpu[name] = _cpu_seconds() - cpu_started
                    if isinstance(stats[name], dict) and stats[name].get("error"):
                        # A step may report a failure of its own without failing the ingestion; say so.
                        warnings.append(f"{name.replace('_', ' ')} did not complete: {stats[name]['error']}")
                if dry_run:
                    raise _DryRunRollback
                # What decides the outcome besides the artifacts, as it stands after this run: a later identical
                # upload compares with it.
                # The last write of the transaction (it locks the job's row until the commit, a moment): once
                # committed, ``stored`` says the job's changes are in the catalog, whatever happens to the process.
                job.config["outcome"] = outcome_fingerprint(source_system_id=result.source_system_id)
                # Committed with the data, or not at all: a sweep after a crash reads what is stored from it.
                job.config[STORED_MARK] = True
                IngestionJob.objects.filter(pk=job.pk).update(
                    config=job.config, stats={**stats, "timings": {k: round(v, 3) for k, v in timings.items()}},
                    warnings=warnings, stored=True,
                )
                # leaving the block commits: deferred foreign-key checks run now
                started, cpu_started = time.perf_counter(), _cpu_seconds()
        except _DryRunRollback:
            stats["dry_run"] = "rolled back: nothing was stored"
        else:
            committed = True
            timings["commit"] = time.perf_counter() - started
            cpu["commit"] = _cpu_seconds() - cpu_started
            started, cpu_started = time.perf_counter(), _cpu_seconds()
            try:
                if _analyze_after_big_changes(stats):
                    timings["analyze"] = time.perf_counter() - started
                    cpu["analyze"] = _cpu_seconds() - cpu_started
            except DatabaseError as exc:  # the data is stored; only the planner's statistics are stale
                warnings.append(f"The database's statistics were not refreshed after the load: {exc}".strip())
        stats["timings"] = {k: round(v, 3) for k, v in timings.items()}
        stats["cpu_timings"] = {k: round(v, 3) for k, v in cpu.items()}
        tracker.done()
        job_finish(job, status=JobStatus.COMPLETED, stats=stats, warnings=warnings)
        log.info(
            "ingestion_completed", project=job.source_name, stats={k: stats.get(k) for k in ("capsules", "columns")}
        )
    except (ParseError, IngestionError) as exc:
        stats["timings"] = {k: round(v, 3) for k, v in timings.items()}
        stats["cpu_timings"] = {k: round(v, 3) for k, v in cpu.items()}
        details = {"type": type(exc).__name__, "artifact": getattr(exc, "artifact", None)}
        job_finish(job, status=JobStatus.FAILED, stats=stats, warnings=warnings, error=str(exc), details=details)
        log.info("ingestion_rejected", error=str(exc))
    except BaseException as exc:  # interrupted or a bug: say what is stored, and re-raise
        stopped = isinstance(exc, KeyboardInterrupt | SystemExit)  # Ctrl+C, a worker stopped twice
        message = "interrupted" if stopped else f"{type(exc).__name__}: {exc}"
        stats["timings"] = {k: round(v, 3) for k, v in timings.items()}
        stats["cpu_timings"] = {k: round(v, 3) for k, v in cpu.items()}
        if committed:  # after the commit: the data is stored, what followed it is not
            warnings.append(f"{STOPPED_AFTER_COMMIT} ({message})")
            job_finish(job, status=JobStatus.COMPLETED, stats=stats, warnings=warnings)
            log.error("ingestion_interrupted_after_commit", error=message)
            raise
        details = {"type": type(exc).__name__, "traceback": traceback.format_exc(limit=8)[-4000:]}
        job_finish(job, status=JobStatus.FAILED, stats=stats, warnings=warnings, error=message, details=details)
        log.error("ingestion_failed", error=message)
        raise
    finally:
        gc.unfreeze()
    return job
