"""`manage.py ingest_dbt` / `dab ingest dbt`: ingest a dbt project's artifacts."""

from __future__ import annotations

import json
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from ingestion.api.serializers import IngestionJobSerializer
from ingestion.services import Artifact, dbt_ingest


class Command(BaseCommand):
    help = "Ingest a dbt project's manifest.json (and catalog.json, run_results.json) into the catalog."

    def add_arguments(self, parser):
        parser.add_argument("--manifest", required=True, help="path to manifest.json")
        parser.add_argument("--catalog", help="path to catalog.json (dbt docs generate)")
        parser.add_argument("--run-results", help="path to run_results.json (test statuses)")
        parser.add_argument("--project-name", help="name of the source system (default: the dbt project's name)")
        parser.add_argument(
            "--dbt-project",
            help="the project's dbt_project.yml: its dbt-project-evaluator vars become its conformance settings",
        )
        parser.add_argument(
            "--evaluator-exceptions",
            help="dbt_project_evaluator_exceptions.csv: the evaluator's exceptions, kept as waivers of the project",
        )
        parser.add_argument("--dry-run", action="store_true", help="parse and load, then roll back")
        parser.add_argument(
            "--force",
            action="store_true",
            help="run the whole pipeline even when the artifacts are those of the last ingestion and nothing changed",
        )
        parser.add_argument("--json", action="store_true", help="print the job as JSON on stdout")

    def handle(self, *args, manifest, catalog, run_results, project_name, dry_run, json: bool, **options):
        dbt_project, exceptions = options.get("dbt_project"), options.get("evaluator_exceptions")
        started = time.perf_counter()
        interactive = not json and sys.stderr.isatty()

        def progress(message: str) -> None:
            if interactive:
                sys.stderr.write(f"\r\033[K[{time.perf_counter() - started:6.1f}s] {message}")
                sys.stderr.flush()
            elif not json and options.get("verbosity", 1) > 1:
                self.stderr.write(f"[{time.perf_counter() - started:6.1f}s] {message}")

        job = dbt_ingest(
            manifest=Artifact.from_path("manifest", manifest),
            catalog=Artifact.from_path("catalog", catalog) if catalog else None,
            run_results=Artifact.from_path("run_results", run_results) if run_results else None,
            project_name=project_name,
            dry_run=dry_run,
            triggered_by="cli",
            progress=progress,
            dbt_project=Artifact.from_path("dbt_project", dbt_project) if dbt_project else None,
            evaluator_exceptions=Artifact.from_path("evaluator_exceptions", exceptions) if exceptions else None,
            force=options.get("force", False),
        )
        if interactive:
            sys.stderr.write("\r\033[K")
        if json:
            self.stdout.write(_json_dump(IngestionJobSerializer(job).data))
        else:
            self._summary(job)
        if job.status != "completed":
            raise CommandError(f"ingestion failed: {job.error_message}", returncode=1)

    def _summary(self, job) -> None:
        if job.status != "completed":
            return
        stats = job.stats
        dry = " (dry run: rolled back)" if job.config.get("dry_run") else ""
        if "unchanged" in stats:
            self.stdout.write(
                self.style.SUCCESS(f"Nothing changed in {job.source_name} ({job.duration_seconds:.2f}s): ")
                + stats["unchanged"]["message"]
                + " (--force runs the pipeline anyway)"
            )
            self.stdout.write(f"  job {job.pk}")
            return
        self.stdout.write(self.style.SUCCESS(f"Ingested {job.source_name} in {job.duration_seconds:.2f}s{dry}"))
        self.stdout.write(f"  {'':<9}{'created':>9}{'updated':>9}{'unchanged':>11}{'removed':>9}")
        for kind in ("capsules", "columns", "edges", "tests"):
            c = stats.get(kind, {})
            self.stdout.write(
                f"  {kind:<9}{c.get('created', 0):>9}{c.get('updated', 0):>9}{c.get('unchanged', 0):>11}"
                f"{c.get('removed', 0):>9}"
            )
        for name, value in stats.items():
            if isinstance(value, dict) and name not in ("capsules", "columns", "edges", "tests", "parsed", "timings"):
                summary = ", ".join(f"{k}: {v}" for k, v in value.items() if not isinstance(v, dict | list))
                self.stdout.write(f"  {name}: {summary}")
        for warning in job.warnings[:20]:
            self.stdout.write(self.style.WARNING(f"  warning: {warning}"))
        if len(job.warnings) > 20:
            self.stdout.write(self.style.WARNING(f"  ... and {len(job.warnings) - 20} more warnings (see the job)"))
        self.stdout.write(f"  job {job.pk}")


def _json_dump(data) -> str:
    return json.dumps(data, indent=2, default=str)
