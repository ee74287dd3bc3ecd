"""Value sets of the ingestion app."""

from django.db import models


class JobStatus(models.TextChoices):
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
