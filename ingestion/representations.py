"""A job as the API renders it, without Django REST framework.

`dab ingest dbt --json` prints the job it ran; the API's ``IngestionJobSerializer`` would import Django REST framework
and drf-spectacular (about 0.15 s of CPU, and 1.2 s of wall on a loaded machine, after the job is done). Both share
``JOB_FIELDS``; ``test_the_clis_json_is_the_api_serializers_rendering`` holds the two to the same output.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.urls import reverse
from django.utils import timezone

from ingestion.models import IngestionJob

__all__ = ["JOB_FIELDS", "job_representation"]

# What the API shows of a job, in this order (IngestionJobSerializer.Meta.fields).
JOB_FIELDS = (
    "id", "url", "page_url", "source_type", "source_name", "status", "stage", "stage_progress", "progress",
    "progress_message", "started_at", "worker_started_at", "heartbeat_at", "completed_at", "duration_seconds",
    "stats", "config", "warnings", "error_message", "error_details", "stored", "retry_of", "triggered_by",
)  # fmt: skip


def _datetime(value) -> str:
    # DRF's ISO 8601: in the current time zone, UTC written as "Z"
    text = timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _value(field: models.Field, value: Any) -> Any:
    if isinstance(field, models.DateTimeField):
        return _datetime(value)
    if isinstance(field, models.UUIDField | models.ForeignKey):
        return str(value)
    if isinstance(field, models.FloatField):
        return float(value)
    if isinstance(field, models.BooleanField):
        return bool(value)
    if isinstance(field, models.JSONField):
        return value
    return str(value)


def job_representation(job: IngestionJob) -> dict[str, Any]:
    """The job as ``IngestionJobSerializer`` renders it for a call without a request (URLs relative to the site),
    as JSON-ready values. No query (``retry_of`` by its id)."""
    derived = {
        "url": reverse("ingestion-job-detail", kwargs={"pk": job.pk}),
        "page_url": job.get_absolute_url(),
        "duration_seconds": job.duration_seconds,
        "warnings": None if job.warnings is None else [str(w) for w in job.warnings],
    }
    body: dict[str, Any] = {}
    for name in JOB_FIELDS:
        if name in derived:
            body[name] = derived[name]
            continue
        field = IngestionJob._meta.get_field(name)
        value = getattr(job, field.attname)
        body[name] = None if value is None else _value(field, value)
    return body
