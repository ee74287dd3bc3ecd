"""Value sets of the ingestion app."""

from django.db import models


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class JobStage(models.TextChoices):
    """Where a job is in the pipeline; ``progress`` on the job says how far within the stage."""

    QUEUED = "queued", "Queued"
    PARSING = "parsing", "Parsing"
    LOADING = "loading", "Loading"
    COLUMN_LINEAGE = "column_lineage", "Column lineage"
    PII = "pii", "PII"
    CONFORMANCE = "conformance", "Conformance"
    DONE = "done", "Done"
