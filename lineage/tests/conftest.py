"""Fixtures for lineage tests: ingest (modified) artifacts for real, and build small graphs by hand."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

REPO_DIR = Path(__file__).resolve().parents[2]
SAMPLE_DIR = REPO_DIR / "examples" / "acme_shop"
SAMPLE_TARGET_DIR = SAMPLE_DIR / "target"
SHARED_DBT_DIR = REPO_DIR / ".." / "shared" / "dbt"


def unique_id_urn(unique_id: str) -> str:
    """The DAB URN of a dbt unique_id as expected.yml writes them (``model.pkg.name[.vN]``, sources with
    their source name)."""
    kind, rest = unique_id.split(".", 1)
    return f"urn:dab:dbt:{kind}:{rest}"


def column_ref_urn(ref: str) -> str:
    """``<unique_id>.<column>`` (expected.yml's spelling) as a column URN."""
    unique_id, column = ref.rsplit(".", 1)
    return f"{unique_id_urn(unique_id)}:{column.lower()}"


@pytest.fixture(scope="session")
def expected() -> dict:
    return yaml.safe_load((SAMPLE_DIR / "expected.yml").read_text())


@pytest.fixture
def ingest(tmp_path) -> Callable:
    """ingest(manifest=dict|path, catalog=dict|path|None, **options) -> the finished IngestionJob."""
    from ingestion.services import Artifact, dbt_ingest

    def as_path(name: str, value) -> Path | None:
        if value is None or isinstance(value, Path):
            return value
        path = tmp_path / name
        path.write_text(json.dumps(value))
        return path

    def run(*, manifest, catalog=None, run_results=None, **options):
        manifest, catalog = as_path("manifest.json", manifest), as_path("catalog.json", catalog)
        job = dbt_ingest(
            manifest=Artifact.from_path("manifest", manifest),
            catalog=Artifact.from_path("catalog", catalog) if catalog else None,
            run_results=Artifact.from_path("run_results", run_results) if run_results else None,
            triggered_by="test",
            **options,
        )
        assert job.status == "completed", job.error_message
        return job

    return run


@pytest.fixture
def ingest_sample(ingest) -> Callable:
    def run(**options):
        return ingest(
            manifest=SAMPLE_TARGET_DIR / "manifest.json",
            catalog=SAMPLE_TARGET_DIR / "catalog.json",
            run_results=SAMPLE_TARGET_DIR / "run_results.json",
            **options,
        )

    return run


class GraphBuilder:
    """Capsules, columns and edges written straight to the database, for traversal tests.

    ``capsule("a", layer="staging")`` makes ``urn:t:a``; ``column("a", "id")`` makes ``urn:t:a:id``.
    """

    def __init__(self):
        from catalog.models import SourceSystem

        self.system = SourceSystem.objects.create(name="hand_made", source_type="dbt")
        self.capsules: dict[str, object] = {}
        self.columns: dict[str, object] = {}
        self.owners: dict[str, object] = {}
        self.domains: dict[str, object] = {}

    def capsule(self, name: str, *, kind: str = "model", layer: str | None = None, owner: str | None = None,
                domain: str | None = None, **fields):  # fmt: skip
        from catalog.models import Capsule, Domain, Owner

        if owner and owner not in self.owners:
            self.owners[owner] = Owner.objects.create(name=owner)
        if domain and domain not in self.domains:
            self.domains[domain] = Domain.objects.create(name=domain)
        capsule = Capsule.objects.create(
            urn=f"urn:t:{name}", name=name, capsule_type=kind, layer=layer, source_system=self.system,
            owner=self.owners.get(owner), domain=self.domains.get(domain), **fields,
        )  # fmt: skip
        self.capsules[name] = capsule
        return capsule

    def column(self, capsule: str, name: str, **fields):
        from catalog.models import Column

        column = Column.objects.create(
            urn=f"urn:t:{capsule}:{name}", name=name, capsule=self.capsules[capsule], **fields
        )
        self.columns[f"{capsule}.{name}"] = column
        return column

    def edge(self, source: str, target: str, edge_type: str = "flows_to"):
        from lineage.models import CapsuleLineage

        a, b = self.capsules[source], self.capsules[target]
        return CapsuleLineage.objects.create(
            source=a, target=b, source_urn=a.urn, target_urn=b.urn, edge_type=edge_type
        )

    def chain(self, *names: str) -> None:
        for a, b in zip(names, names[1:], strict=False):
            self.edge(a, b)

    def column_edge(self, source: str, target: str, kind: str = "direct", expr: str | None = None):
        from lineage.models import ColumnLineage

        a, b = self.columns[source], self.columns[target]
        return ColumnLineage.objects.create(
            source_column=a, target_column=b, source_urn=a.urn, target_urn=b.urn, transformation_type=kind,
            transformation_expr=expr or source.split(".")[-1],
        )  # fmt: skip


@pytest.fixture
def graph(db) -> GraphBuilder:
    return GraphBuilder()
