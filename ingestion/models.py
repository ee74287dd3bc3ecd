"""Ingestion jobs: one row per attempt to read a project's artifacts into the catalog."""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone

from dab_project.models import UUIDModel
from ingestion.choices import JobStage, JobStatus

__all__ = ["CapsuleChange", "IngestionArtifact", "IngestionJob", "RunObservation"]

UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)


class IngestionJob(UUIDModel):
    """One ingestion run: what was read, how it ended, and what changed (``stats``)."""

    source_type = models.CharField(max_length=50)
    source_name = models.CharField(max_length=255, null=True, blank=True)
    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.RUNNING, db_default="running")
    started_at = models.DateTimeField(default=timezone.now, db_default=Now())
    completed_at = models.DateTimeField(null=True, blank=True)
    stats = models.JSONField(default=dict, blank=True, db_default={})
    config = models.JSONField(default=dict, blank=True, db_default={})
    error_message = models.TextField(null=True, blank=True)
    error_details = models.JSONField(null=True, blank=True)
    warnings = models.JSONField(default=list, blank=True, db_default=[])
    triggered_by = models.CharField(max_length=255, null=True, blank=True)  # cli, api:<key>, ui:<username>
    # Progress, written as the job goes by its worker's progress thread (ingestion.progress), which also beats.
    stage = models.CharField(max_length=20, choices=JobStage.choices, default=JobStage.QUEUED, db_default="queued")
    stage_progress = models.FloatField(null=True, blank=True)  # 0..1 within the stage, when the step counts
    progress = models.FloatField(default=0.0, db_default=0.0)  # 0..1 over the whole job
    progress_message = models.CharField(max_length=255, blank=True, default="", db_default="")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker_started_at = models.DateTimeField(null=True, blank=True)  # when a process began running it
    # Set inside the ingestion transaction as its last write: true once the job's changes are committed.
    stored = models.BooleanField(default=False, db_default=False)
    task_id = models.CharField(max_length=64, null=True, blank=True)  # the background task that runs it
    retry_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="retries"
    )

    class Meta:
        db_table = "ingestion_jobs"
        ordering = ["-started_at"]
        verbose_name = "ingestion job"
        indexes = [
            models.Index(fields=["-started_at"], name="idx_ingestion_jobs_started"),  # history, newest first
            models.Index(fields=["status"], name="idx_ingestion_jobs_status"),  # stale "running" sweep, queue order
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=JobStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running"]) | Q(completed_at__isnull=False),
                name="%(app_label)s_%(class)s_finished_has_completed_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_type}:{self.source_name or '?'} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("ingestion:job_detail", kwargs={"pk": self.pk})

    @property
    def duration_seconds(self) -> float | None:
        """How long it ran (from when a worker took it, for a queued job), once finished."""
        if self.completed_at is None:
            return None
        return (self.completed_at - (self.worker_started_at or self.started_at)).total_seconds()

    @property
    def is_finished(self) -> bool:
        return self.status not in UNFINISHED


class IngestionArtifact(UUIDModel):
    """One uploaded artifact's bytes, kept in the database so a worker on any machine can read them.

    Kept while its job may still need them (queued, running, failed: a retry reads them again); deleted when the
    job completes. A retried job reads those of the job it retries.
    """

    job = models.ForeignKey(IngestionJob, on_delete=models.CASCADE, related_name="artifacts")
    kind = models.CharField(max_length=30)  # manifest, catalog, run_results, dbt_project, evaluator_exceptions
    label = models.CharField(max_length=255)  # the file name given
    size = models.BigIntegerField()
    content = models.BinaryField()

    class Meta:
        db_table = "ingestion_artifacts"
        ordering = ["job", "kind"]  # served by the unique constraint's index
        verbose_name = "ingestion artifact"
        constraints = [
            models.UniqueConstraint(fields=["job", "kind"], name="%(app_label)s_%(class)s_one_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of job {self.job_id}"




# History rows are many and small: a bigint key, no updated_at (they are never updated), short strings.
class CapsuleChange(models.Model):
    """One fact an ingestion changed in a project: a capsule added, removed, renamed or changed, a column added,
    removed, renamed or retyped, a test added or removed (``ingestion.changes.diff.Change``). An ingestion that
    changed nothing writes no row."""

    id = models.BigAutoField(primary_key=True)
    ingestion = models.ForeignKey(IngestionJob, on_delete=models.CASCADE, related_name="changes", db_index=False)
    source_system = models.ForeignKey(
        "catalog.SourceSystem", on_delete=models.CASCADE, related_name="changes", db_index=False
    )
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=30)
    urn = models.CharField(max_length=500)  # the capsule's URN after the change (before it, for a removal)
    name = models.CharField(max_length=255)
    capsule_type = models.CharField(max_length=50)
    aspect = models.CharField(max_length=30, null=True, blank=True)
    column = models.CharField(max_length=255, null=True, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    evidence = models.CharField(max_length=255, null=True, blank=True)
    base_urn = models.CharField(max_length=500, null=True, blank=True)  # a rename's former URN

    class Meta:
        db_table = "capsule_changes"
        ordering = ["-at", "id"]
        verbose_name = "capsule change"
        indexes = [
            models.Index(fields=["urn", "-at"], name="idx_capsule_changes_urn"),  # a capsule's history
            models.Index(fields=["base_urn"], name="idx_capsule_changes_base", condition=Q(base_urn__isnull=False)),
            models.Index(fields=["source_system", "-at"], name="idx_capsule_changes_system"),  # timeline, ?since=
            models.Index(fields=["at"], name="idx_capsule_changes_at"),  # retention prune, ?since= across projects
            models.Index(fields=["ingestion"], name="idx_capsule_changes_job"),  # a job's changes; cascade delete
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.name}{'.' + self.column if self.column else ''}"


class RunObservation(models.Model):
    """What dbt's run results said about one node when it moved: a test's or model's status when it differs from
    the last one recorded, a model's execution time when it moved beyond the dead band (``RUN_TIME_DEADBAND``).
    Plus one ``run`` row per ingestion with run results, numbering the runs of a project, so "the last N runs"
    is known while unchanged nodes write nothing."""

    id = models.BigAutoField(primary_key=True)
    ingestion = models.ForeignKey(IngestionJob, on_delete=models.CASCADE, related_name="run_observations",
                                  db_index=False)  # fmt: skip
    source_system = models.ForeignKey(
        "catalog.SourceSystem", on_delete=models.CASCADE, related_name="run_observations", db_index=False
    )
    run = models.PositiveIntegerField()  # the project's run number (1, 2, ...)
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=10)  # run | test | model
    urn = models.CharField(max_length=500, blank=True, default="")  # the test's or capsule's URN; "" for run rows
    name = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(max_length=20, null=True, blank=True)
    execution_time = models.FloatField(null=True, blank=True)

    class Meta:
        db_table = "run_observations"
        ordering = ["source_system", "urn", "run"]
        verbose_name = "run observation"
        indexes = [
            models.Index(fields=["source_system", "urn", "run"], name="idx_run_obs_node"),  # a node's history; last
            models.Index(fields=["at"], name="idx_run_obs_at"),  # retention prune
            models.Index(fields=["ingestion"], name="idx_run_obs_job"),  # cascade delete of a job
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=("run", "test", "model")), name="%(app_label)s_%(class)s_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"run {self.run} {self.kind} {self.name} {self.status or ''}"


class ColumnsDigest(models.Model):
    """What a capsule's stored columns were built from: the parser's ``CapsuleRecord.columns_digest`` (with the
    loader's code), and the capsule's ``columns_hash`` that build gave. A re-ingest whose capsule has the same
    digest, and whose stored ``columns_hash`` is still that one, keeps its columns without building them
    (``ingestion.loader``). Keyed by the capsule's id without a foreign key: the loader deletes a capsule's row
    with it, and a row left behind by another delete matches no capsule again."""

    capsule_id = models.UUIDField(primary_key=True)
    digest = models.CharField(max_length=32)
    columns_hash = models.CharField(max_length=64)

    class Meta:
        db_table = "ingestion_columns_digests"
        verbose_name = "columns digest"

    def __str__(self) -> str:
        return f"columns of {self.capsule_id}: {self.digest}"


class NodeDigest(models.Model):
    """What a capsule's stored row was last found to be built from, for a lean re-ingest: the parser's
    ``CapsuleRecord.node_digest``, and ``key``, the MD5 of everything else that decided the row and its change
    history (the loader's code, the conventions, the project's name, the owners and domains, and the row's own
    hashes, owner and domain as stored). Written only for capsules an ingestion left untouched with nothing
    recorded. A re-ingest whose node has the same digest keeps the capsule without building its record
    (``ingestion.loader``). Keyed by the capsule's id without a foreign key, as ColumnsDigest."""

    capsule_id = models.UUIDField(primary_key=True)
    digest = models.CharField(max_length=40)
    key = models.CharField(max_length=32)
    column_count = models.PositiveIntegerField()

    class Meta:
        db_table = "ingestion_node_digests"
        verbose_name = "node digest"

    def __str__(self) -> str:
        return f"node of {self.capsule_id}: {self.digest}"
