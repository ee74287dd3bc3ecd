"""Catalog test fixtures. ``sample_project`` ingests examples/acme_shop through the real pipeline; other apps
may copy it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "examples" / "acme_shop"
SAMPLE_TARGET_DIR = SAMPLE_DIR / "target"


@dataclass(frozen=True)
class SampleProject:
    """The ingested sample: its ingestion job and its truth file (examples/acme_shop/expected.yml)."""

    job: object
    expected: dict


@pytest.fixture
def sample_project(db) -> SampleProject:
    """examples/acme_shop ingested with manifest, catalog and run results, as `dab ingest dbt` would."""
    from ingestion.services import Artifact, dbt_ingest

    if not (SAMPLE_TARGET_DIR / "manifest.json").is_file():
        pytest.skip("the sample project's artifacts are not built (examples/acme_shop/target)")
    job = dbt_ingest(
        manifest=Artifact.from_path("manifest", SAMPLE_TARGET_DIR / "manifest.json"),
        catalog=Artifact.from_path("catalog", SAMPLE_TARGET_DIR / "catalog.json"),
        run_results=Artifact.from_path("run_results", SAMPLE_TARGET_DIR / "run_results.json"),
        triggered_by="test",
    )
    assert job.status == "completed", job.error_message
    expected = yaml.safe_load((SAMPLE_DIR / "expected.yml").read_text())
    return SampleProject(job=job, expected=expected)


def sample_urn(unique_id: str) -> str:
    """The capsule URN DAB gives a dbt unique_id of the sample (model.acme_shop.x -> urn:dab:dbt:model:acme_shop.x)."""
    kind, rest = unique_id.split(".", 1)
    return f"urn:dab:dbt:{kind}:{rest}"
