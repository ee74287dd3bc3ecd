"""The API keeps its contract: schemathesis calls every operation of the OpenAPI schema with generated
requests (bounded examples) on the sample project, and runs all its checks on every response."""

from __future__ import annotations

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from conftest import SAMPLE_TARGET_DIR

MAX_EXAMPLES = 10  # per operation: the whole schema in about a minute on 2 cores

APP = get_wsgi_application()
HEADERS = {"X-API-Key": django_settings.API_KEY}
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", APP, headers=HEADERS)


@pytest.fixture(scope="module")
def sample_data(django_db_setup, django_db_blocker):
    """The sample project, ingested once for the module (committed); each test's writes roll back."""
    from ingestion.services import Artifact, dbt_ingest

    with django_db_blocker.unblock():
        job = dbt_ingest(
            manifest=Artifact.from_path("manifest", SAMPLE_TARGET_DIR / "manifest.json"),
            catalog=Artifact.from_path("catalog", SAMPLE_TARGET_DIR / "catalog.json"),
            run_results=Artifact.from_path("run_results", SAMPLE_TARGET_DIR / "run_results.json"),
            triggered_by="test",
        )
        assert job.status == "completed", job.error_message
    yield job
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """As Django's test client does: a finished request must not close the connection holding the test's
    transaction (schemathesis calls the WSGI app itself)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# A check that cannot apply to one operation is turned off for that operation alone, and says why.
NOT_APPLICABLE = {
    # Random schema-valid "files" are not dbt artifacts: the upload validates their content (a manifest must
    # be a dbt manifest) and refuses them with 400, as it must. Its refusals are tested in ingestion/tests.
    ("POST", "/api/v1/ingest/dbt"): [positive_data_acceptance],
    # The same for the change report's uploads: its refusals are tested in ingestion/tests/test_diff.py.
    ("POST", "/api/v1/diff/dbt"): [positive_data_acceptance],
    # `ruleset` names a rule set stored in the database, which no static schema can enumerate: a generated
    # name is refused with 400 naming the known sets (conformance/tests/test_api.py).
    ("POST", "/api/v1/conformance/evaluate"): [positive_data_acceptance],
    # A triage action's own rules cross fields and the clock (a waiver needs a reason and an expiry not in the
    # past; only a waiver has an expiry), which the schema cannot say; each is refused with 400 naming the rule
    # (conformance/tests/test_services.py).
    ("POST", "/api/v1/conformance/violations/triage"): [positive_data_acceptance],
}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
)
@pytest.mark.django_db
def test_every_operation_keeps_the_contract(case, sample_data):
    excluded = NOT_APPLICABLE.get((case.method.upper(), case.operation.path), [])
    case.call_and_validate(headers=HEADERS, excluded_checks=excluded)
