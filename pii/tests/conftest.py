"""PII tests use the lineage tests' ingestion fixtures (real artifacts, ingested for real)."""

import pytest  # noqa: E402

from lineage.tests.conftest import expected, graph, ingest, ingest_sample  # noqa: F401
from pii.vocabulary import default_pii_config  # noqa: E402


@pytest.fixture(scope="session")
def config():
    """The shipped vocabulary, for the pure tests (a module may define its own)."""
    return default_pii_config()
