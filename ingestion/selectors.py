"""Read use-cases of ingestion jobs."""

from django.db.models import QuerySet

from catalog.models import Capsule
from ingestion.models import IngestionJob, NodeDigest


def job_list() -> QuerySet[IngestionJob]:
    """Jobs, newest first."""
    return IngestionJob.objects.order_by("-started_at")


def job_latest() -> IngestionJob | None:
    """The most recent job, whatever its outcome."""
    return IngestionJob.objects.order_by("-started_at").first()


# How a job's recorded set-up reads on its page; keys not listed (digests, outcome) are bookkeeping.
_DETAIL_LABELS = {
    "manifest": "Manifest",
    "catalog": "Catalog",
    "run_results": "Run results",
    "dbt_project": "dbt_project.yml",
    "evaluator_exceptions": "Evaluator exceptions",
    "project_name": "Project",
}


def job_details(*, job: IngestionJob) -> list[tuple[str, str]]:
    """(label, text) rows describing a job's set-up, for its page: what was read, how, and where it ran.

    No query: reads the job's own config and stats.
    """
    config = job.config or {}
    rows = [(label, str(config[key])) for key, label in _DETAIL_LABELS.items() if config.get(key)]
    if config.get("dry_run"):
        rows.append(("Mode", "dry run: checked and rolled back, nothing stored"))
    if config.get("force"):
        rows.append(("Forced", "the whole pipeline, even if nothing changed"))
    if config.get("host") or config.get("pid"):
        where = config.get("host") or "unknown host"
        rows.append(("Ran on", f"{where}, process {config['pid']}" if config.get("pid") else where))
    for step, seconds in ((job.stats or {}).get("timings") or {}).items():
        rows.append((f"Time to {step}", f"{float(seconds):.2f} s"))
    return rows


def node_digests_known(project: str) -> dict[str, tuple[str, int]] | None:
    """By dbt unique_id, the node digest and column count stored for the capsules of ``project`` (a lean re-ingest
    keeps those whose node has that digest: ``ingestion.models.NodeDigest``); two queries. None when the project
    has no capsule stored: its first ingestion stores no digest, so the parser need not compute them."""
    capsules = Capsule.objects.filter(source_system__name=project[:100])
    ids = dict(capsules.values_list("id", "unique_id"))
    if not ids:
        return None
    return {
        ids[pk]: (digest, columns)
        for pk, digest, columns in NodeDigest.objects.filter(capsule_id__in=capsules.values("id")).values_list(
            "capsule_id", "digest", "column_count"
        )
        if ids.get(pk)
    }
