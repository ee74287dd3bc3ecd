"""The change report's conformance delta is evaluated on what the change can affect, as an ingestion does, and
says the same as a full evaluation of the head: same violations introduced and resolved, same score after."""

from __future__ import annotations

import json

import pytest

from conformance.services import ConformanceChanges
from conformance.tests.test_incremental import modified, sample_manifest
from ingestion.changes.services import ArtifactSet, diff_run
from ingestion.services import Artifact
from ingestion.tests.conftest import SAMPLE_TARGET_DIR

pytestmark = pytest.mark.django_db


@pytest.fixture
def head(ingest, tmp_path) -> ArtifactSet:
    job = ingest(
        manifest=SAMPLE_TARGET_DIR / "manifest.json",
        catalog=SAMPLE_TARGET_DIR / "catalog.json",
        run_results=SAMPLE_TARGET_DIR / "run_results.json",
    )
    assert job.status == "completed", job.error_message
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(modified(sample_manifest())))
    return ArtifactSet(
        manifest=Artifact.from_path("manifest", path),
        catalog=Artifact.from_path("catalog", SAMPLE_TARGET_DIR / "catalog.json"),
        run_results=Artifact.from_path("run_results", SAMPLE_TARGET_DIR / "run_results.json"),
    )


def test_conformance_delta_scoped_to_the_change_equals_a_full_evaluation(head, monkeypatch):
    scoped = diff_run(head=head).conformance
    assert scoped["evaluation"]["mode"] == "incremental", scoped["evaluation"]
    assert 0 < scoped["evaluation"]["changed_capsules"] < 10
    with monkeypatch.context() as patch:
        patch.setattr(ConformanceChanges, "from_load", classmethod(lambda cls, load_result: None))
        full = diff_run(head=head).conformance
    assert full["evaluation"] == {"mode": "full"}
    assert scoped["introduced"] and scoped["resolved"]  # the change does change conformance
    for key in ("introduced", "resolved", "score_before", "score_after"):
        assert scoped[key] == full[key], key
