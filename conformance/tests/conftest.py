"""Helpers for conformance tests that ingest for real: rule folders of their own, modified sample artifacts."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RULES_DIR = REPO / "config" / "rules"
SAMPLE_TARGET = REPO / "examples" / "acme_shop" / "target"


@pytest.fixture
def rules_dir(tmp_path, settings) -> Path:
    """A copy of the built-in rule files that RULES_PATH points at, for tests that edit rule files."""
    folder = tmp_path / "rules"
    shutil.copytree(RULES_DIR, folder)
    settings.RULES_PATH = folder
    return folder


@pytest.fixture
def ingest(tmp_path) -> Callable:
    """ingest(manifest=dict|None) -> IngestionJob: the sample's artifacts through the real pipeline, optionally
    with a modified manifest written to a temporary file."""
    from ingestion.services import Artifact, dbt_ingest

    def run(manifest: dict | None = None, **options):
        path = SAMPLE_TARGET / "manifest.json"
        if manifest is not None:
            path = tmp_path / "manifest.json"
            path.write_text(json.dumps(manifest))
        job = dbt_ingest(
            manifest=Artifact.from_path("manifest", path),
            catalog=Artifact.from_path("catalog", SAMPLE_TARGET / "catalog.json"),
            run_results=Artifact.from_path("run_results", SAMPLE_TARGET / "run_results.json"),
            triggered_by="test",
            **options,
        )
        assert job.status == "completed", job.error_message
        return job

    return run


@pytest.fixture
def urn_of(db) -> Callable[[str], str]:
    """The DAB URN of a capsule named by its dbt unique_id."""
    from catalog.models import Capsule

    def find(unique_id: str) -> str:
        return Capsule.objects.values_list("urn", flat=True).get(unique_id=unique_id)

    return find
