"""Ingestion jobs: one row per attempt to read a project's artifacts into the catalog."""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone

from dab_project.models import UUIDModel
from ingestion.choices import JobStatus

__all__ = ["IngestionJob"]


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

    class Meta:
        db_table = "ingestion_jobs"
        ordering = ["-started_at"]
        verbose_name = "ingestion job"
        indexes = [
            models.Index(fields=["-started_at"], name="idx_ingestion_jobs_started"),  # history, newest first
            models.Index(fields=["status"], name="idx_ingestion_jobs_status"),  # stale "running" sweep
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=JobStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="running") | Q(completed_at__isnull=False),
                name="%(app_label)s_%(class)s_finished_has_completed_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_type}:{self.source_name or '?'} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("ingestion:job_detail", kwargs={"pk": self.pk})

    @property
    def duration_seconds(self) -> float | None:
        if self.completed_at is None:
            return None
        return (self.completed_at - self.started_at).total_seconds()
