"""Ingestion jobs: one row per attempt to read a project's artifacts into the catalog."""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone

from dab_project.models import UUIDModel
from ingestion.choices import JobStage, JobStatus

__all__ = ["IngestionArtifact", "IngestionJob"]

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
