"""`dab ingest retry <job>`: queue a failed ingestion job again over its stored artifacts."""

from __future__ import annotations

import sys
import uuid

from django.core.management.base import BaseCommand, CommandError

from ingestion.jobs import JobRetryError, job_retry
from ingestion.models import IngestionJob


class Command(BaseCommand):
    help = "Queue a failed ingestion job again over the artifacts it stored (a worker runs it)."

    def add_arguments(self, parser):
        parser.add_argument("job", help="the failed job's id")
        parser.add_argument("--wait", action="store_true", help="wait for the retry to finish, showing its progress")

    def handle(self, *args, job, wait, **options):
        try:
            original = IngestionJob.objects.get(pk=uuid.UUID(job))
        except (ValueError, IngestionJob.DoesNotExist):
            raise CommandError(f"no ingestion job {job}") from None
        try:
            retry = job_retry(job=original, triggered_by="cli")
        except JobRetryError as exc:
            raise CommandError(f"can't retry job {original.pk}: {exc}") from None
        self.stdout.write(f"queued job {retry.pk} (a retry of {original.pk}); `dab worker` runs it")
        if wait:
            from ingestion.management.commands.ingest_dbt import Command as IngestCommand
            from ingestion.management.commands.ingest_dbt import job_follow

            retry = job_follow(retry, stderr=sys.stderr, stdout=self.stdout)
            IngestCommand(stdout=self.stdout, stderr=self.stderr)._summary(retry)
            if retry.status != "completed":
                raise CommandError(f"ingestion failed: {retry.error_message}", returncode=1)
