"""PII tests use the lineage tests' ingestion fixtures (real artifacts, ingested for real)."""

from lineage.tests.conftest import expected, graph, ingest, ingest_sample  # noqa: F401
