"""Helpers for ingestion tests: write (modified) artifacts to files and ingest them for real."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

DATA_DIR = Path(__file__).parent / "data"
SAMPLE_TARGET_DIR = Path(__file__).resolve().parents[2] / "examples" / "acme_shop" / "target"


@pytest.fixture
def write_json(tmp_path) -> Callable[[str, object], Path]:
    def write(name: str, data) -> Path:
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else json.dumps(data))
        return path

    return write


@pytest.fixture
def ingest() -> Callable:
    """ingest(manifest=path, catalog=path|None, run_results=path|None, **options) -> IngestionJob."""
    from ingestion.services import Artifact, dbt_ingest

    def run(*, manifest, catalog=None, run_results=None, **options):
        return dbt_ingest(
            manifest=Artifact.from_path("manifest", manifest),
            catalog=Artifact.from_path("catalog", catalog) if catalog else None,
            run_results=Artifact.from_path("run_results", run_results) if run_results else None,
            triggered_by="test",
            **options,
        )

    return run


@pytest.fixture
def ingest_sample(ingest):
    def run(**options):
        return ingest(
            manifest=SAMPLE_TARGET_DIR / "manifest.json",
            catalog=SAMPLE_TARGET_DIR / "catalog.json",
            run_results=SAMPLE_TARGET_DIR / "run_results.json",
            **options,
        )

    return run


def snapshot() -> dict:
    """Everything stored in the catalog's and lineage's tables, for before/after comparisons."""
    from catalog.models import Capsule, Column, Domain, Owner, SourceSystem
    from lineage.models import CapsuleLineage, ColumnLineage

    return {
        "capsules": sorted(Capsule.objects.values_list("urn", "content_hash", "columns_hash", "owner_id", "domain_id")),
        "columns": sorted(Column.objects.values_list("urn", "content_hash", "pii_type")),
        "edges": sorted(CapsuleLineage.objects.values_list("source_urn", "target_urn", "edge_type")),
        "column_edges": sorted(ColumnLineage.objects.values_list("source_urn", "target_urn")),
        "owners": sorted(Owner.objects.values_list("name", "email")),
        "domains": sorted(Domain.objects.values_list("name", flat=True)),
        "systems": sorted(SourceSystem.objects.values_list("name", flat=True)),
    }


def run_worker(*, max_tasks: int | None = None) -> None:
    """Run the background worker in this process until no task is due (django-tasks-db's own worker loop, as
    `dab worker --batch` runs it). The loop's closing of old connections is turned off, as Django's test client does
    for requests: it would close the connection holding the test's transaction."""
    from unittest import mock

    from django_tasks_db.management.commands.db_worker import Worker

    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None):
        Worker(
            queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
            max_tasks=max_tasks, worker_id="test-worker", excluded_queue_names=[],
        ).run()  # fmt: skip


@pytest.fixture
def worker() -> Callable[..., None]:
    """worker(): run every background task that is due, in this process."""
    return run_worker
