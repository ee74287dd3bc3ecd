"""Background tasks of the ingestion app (Django's Tasks framework; the django-tasks backport on Django 5.2)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dab_project.periodic import Periodic, periodic_next, task

__all__ = ["PERIODIC", "ingestion_job_run", "ingestion_jobs_sweep"]


@task()
def ingestion_job_run(job_id: str) -> dict[str, Any]:
    """Run one queued ingestion job (ingestion.jobs.job_run)."""
    from ingestion.jobs import job_run

    return job_run(job_id=job_id)


@task()
def ingestion_jobs_sweep() -> dict[str, Any]:
    """Every minute: fail the jobs whose worker died (so none holds back the queue), then schedule the next run."""
    from ingestion.services import jobs_sweep_stale

    try:
        return {"swept": jobs_sweep_stale()}
    finally:
        periodic_next(ingestion_jobs_sweep)


PERIODIC = [Periodic(ingestion_jobs_sweep, every=timedelta(minutes=1))]
