"""`manage.py ingest_dbt` / `dab ingest dbt`: ingest a dbt project's artifacts."""

from __future__ import annotations

import json
import sys
import time
from typing import TextIO

from django.core.management.base import BaseCommand, CommandError

from dab_project.memory import process_teardown_skip
from ingestion.choices import JobStage
from ingestion.jobs import dbt_job_enqueue
from ingestion.models import IngestionJob
from ingestion.progress import ProgressState
from ingestion.services import Artifact, dbt_ingest

BAR_WIDTH = 30


def progress_line(state: ProgressState, *, elapsed: float) -> str:
    """One line for a job's progress: a bar on a terminal, the same words elsewhere."""
    done = int(round(state.progress * BAR_WIDTH))
    stage = JobStage(state.stage).label if state.stage in JobStage.values else state.stage
    return f"[{'#' * done}{'.' * (BAR_WIDTH - done)}] {state.progress:4.0%} {stage}: {state.message} ({elapsed:.1f}s)"


class ProgressPrinter:
    """Shows a job's progress: a bar redrawn in place on a terminal; on anything else a plain line per stage."""

    def __init__(self, stream: TextIO, *, interactive: bool, enabled: bool = True) -> None:
        self.stream, self.interactive, self.enabled = stream, interactive, enabled
        self.started = time.perf_counter()
        self.last_stage: str | None = None
        self.last_draw = 0.0

    def __call__(self, state: ProgressState) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if self.interactive:
            if now - self.last_draw < 0.1 and state.stage != JobStage.DONE:
                return  # redraw ten times a second at most
            self.last_draw = now
            self.stream.write("\r\033[K" + progress_line(state, elapsed=now - self.started)[:200])
            self.stream.flush()
        elif state.stage != self.last_stage:
            self.stream.write(progress_line(state, elapsed=now - self.started) + "\n")
            self.stream.flush()
        self.last_stage = state.stage

    def close(self) -> None:
        if self.enabled and self.interactive:
            self.stream.write("\r\033[K")
            self.stream.flush()


def job_follow(job: IngestionJob, *, stderr: TextIO, stdout, interval: float = 0.5) -> IngestionJob:
    """Poll a queued job until it finishes, showing its stored progress; returns it finished."""
    printer = ProgressPrinter(stderr, interactive=stderr.isatty())
    while not job.is_finished:
        time.sleep(interval)
        job.refresh_from_db()
        if job.status == "queued":
            waiting = job.progress_message or "waiting for a worker (`dab worker`)"
            state = ProgressState(JobStage.QUEUED, None, 0.0, waiting)
        else:
            state = ProgressState(job.stage, job.stage_progress, job.progress, job.progress_message)
        printer(state)
    printer.close()
    return job


class Command(BaseCommand):
    help = "Ingest a dbt project's manifest.json (and catalog.json, run_results.json) into the catalog."
    # The system checks are `dab check`'s job (CI and deployments run it); here they cost every ingestion about
    # 0.6 s of CPU, mostly the URL check importing every view of the site, which an ingestion never uses.
    requires_system_checks = []

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
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="store the artifacts and queue the job for a worker (`dab worker`) instead of running it here",
        )
        parser.add_argument("--wait", action="store_true", help="with --enqueue: wait for it, showing its progress")

    def handle(self, *args, manifest, catalog, run_results, project_name, dry_run, json: bool, **options):
        dbt_project, exceptions = options.get("dbt_project"), options.get("evaluator_exceptions")
        artifacts = {
            "manifest": Artifact.from_path("manifest", manifest),
            "catalog": Artifact.from_path("catalog", catalog) if catalog else None,
            "run_results": Artifact.from_path("run_results", run_results) if run_results else None,
            "dbt_project": Artifact.from_path("dbt_project", dbt_project) if dbt_project else None,
            "evaluator_exceptions": Artifact.from_path("evaluator_exceptions", exceptions) if exceptions else None,
        }
        if options.get("wait") and not options.get("enqueue"):
            raise CommandError("--wait goes with --enqueue (without it the job runs here and the command waits anyway)")
        # Progress goes to stderr: a bar on a terminal, a line per stage otherwise; --json and -v 0 keep it quiet.
        printer = ProgressPrinter(
            sys.stderr, interactive=sys.stderr.isatty(), enabled=not json and options.get("verbosity", 1) > 0
        )
        if options.get("enqueue"):
            job = dbt_job_enqueue(
                **artifacts, project_name=project_name, dry_run=dry_run, force=options.get("force", False),
                triggered_by="cli", upload=False,
            )  # fmt: skip
            if job.status != "failed" and not options.get("wait"):
                if json:
                    self.stdout.write(_json_dump(job))
                else:
                    self.stdout.write(f"queued job {job.pk}; `dab worker` runs it (add --wait to follow it)")
                return
            if job.status != "failed":
                job = job_follow(job, stderr=sys.stderr if printer.enabled else _Quiet(), stdout=self.stdout)
        else:
            job = dbt_ingest(
                **artifacts, project_name=project_name, dry_run=dry_run, triggered_by="cli", report=printer,
                force=options.get("force", False),
            )  # fmt: skip
            printer.close()
        if getattr(self, "_called_from_command_line", False):  # the process's command, not a call_command()
            # The job is finished: the process ends once its output is written, without the interpreter freeing
            # every module and cache the ingestion filled (0.4-0.7 s at 10,000 models).
            process_teardown_skip()
        if json:
            self.stdout.write(_json_dump(job))
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


def _json_dump(job: IngestionJob) -> str:
    # The job as the API renders it (ingestion.representations), without importing Django REST framework (about
    # 0.15 s of CPU after the job is done). Its URLs are reversed with dab_project.job_urls, which names the
    # ingestion routes without importing a view: the site's URLconf imports every view (0.24 s).
    from django.urls import get_urlconf, set_urlconf

    from ingestion.representations import job_representation

    previous = get_urlconf()
    set_urlconf("dab_project.job_urls")
    try:
        return json.dumps(job_representation(job), indent=2, default=str)
    finally:
        set_urlconf(previous)


class _Quiet:
    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False
