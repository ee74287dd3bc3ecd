"""`manage.py diff_dbt` / `dab diff dbt`: what a change to a dbt project breaks, before it is merged."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ingestion.changes.formats import FORMATS, render
from ingestion.changes.services import ArtifactSet, DiffError, diff_run
from ingestion.services import Artifact

GATES = ("breaking", "pii", "error")


class Command(BaseCommand):
    help = "Compare a dbt project's artifacts with what DAB stored (or with other artifacts): the change report."
    # A read-only report for CI: the system checks import every URL module and view (about 1 s of CPU) for nothing.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("--head", required=True, help="the changed state's manifest.json")
        parser.add_argument(
            "--base", default="stored", help='the base manifest.json, or "stored" (default): what DAB holds'
        )
        parser.add_argument("--head-catalog", help="the changed state's catalog.json")
        parser.add_argument("--base-catalog", help="the base's catalog.json")
        parser.add_argument("--head-run-results", help="the changed state's run_results.json")
        parser.add_argument(
            "--source-system", help="the stored project to compare with (default: the dbt project's name)"
        )
        parser.add_argument("--format", choices=FORMATS, default="markdown")
        parser.add_argument("--output", help="write the report to this file instead of stdout")
        parser.add_argument("--fail-on", choices=GATES, action="append", default=[],
                            help="exit 1 on breaking errors, PII newly exposed or new error violations")  # fmt: skip
        parser.add_argument("--no-evaluate", action="store_true",
                            help="skip the PII and conformance deltas (faster; no ingestion lock)")  # fmt: skip

    def handle(self, *args, head, base, head_catalog, base_catalog, head_run_results, source_system, **options):
        if base == "stored" and base_catalog:
            raise CommandError("--base-catalog needs --base <manifest>: the stored base has its own catalog")
        head_set = ArtifactSet(
            manifest=Artifact.from_path("manifest", head),
            catalog=Artifact.from_path("catalog", head_catalog) if head_catalog else None,
            run_results=Artifact.from_path("run_results", head_run_results) if head_run_results else None,
        )
        base_set = None
        if base != "stored":
            base_set = ArtifactSet(
                manifest=Artifact.from_path("manifest", base),
                catalog=Artifact.from_path("catalog", base_catalog) if base_catalog else None,
            )
        try:
            report = diff_run(head=head_set, base=base_set, source_system=source_system,
                              evaluate=not options["no_evaluate"], actor="cli")  # fmt: skip
        except DiffError as exc:
            raise CommandError(str(exc)) from None
        text = render(report, fmt=options["format"])
        if options.get("output"):
            Path(options["output"]).write_text(text)
        else:
            self.stdout.write(text, ending="")
        failed = [gate for gate in options["fail_on"] if report.fails(gate)]
        if failed:
            self.stderr.write(f"failing: the report trips --fail-on {', '.join(failed)}")
            raise SystemExit(1)
