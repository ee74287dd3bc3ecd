"""Read use-cases of ingestion jobs."""

from django.db.models import QuerySet

from ingestion.models import IngestionJob


def job_list() -> QuerySet[IngestionJob]:
    """Jobs, newest first."""
    return IngestionJob.objects.order_by("-started_at")


def job_latest() -> IngestionJob | None:
    """The most recent job, whatever its outcome."""
    return IngestionJob.objects.order_by("-started_at").first()
