"""POST /api/v1/ingest/dbt, GET /api/v1/ingest/status and /history."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import Capsule
from ingestion.models import IngestionJob
from ingestion.tests.conftest import SAMPLE_TARGET_DIR

pytestmark = pytest.mark.django_db


def upload(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    data = content if content is not None else (SAMPLE_TARGET_DIR / f"{name}.json").read_bytes()
    return SimpleUploadedFile(f"{name}.json", data, content_type="application/json")


def test_upload_ingests_and_answers_with_the_job(api_client):
    response = api_client.post(
        "/api/v1/ingest/dbt",
        {"manifest": upload("manifest"), "catalog": upload("catalog"), "run_results": upload("run_results")},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "completed" and body["source_name"] == "acme_shop"
    assert body["stats"]["capsules"]["created"] == Capsule.objects.count() > 40
    assert body["triggered_by"] == "api:api-key"
    assert body["config"]["manifest"] == "manifest.json"


def test_upload_needs_the_api_key(anon_api_client):
    response = anon_api_client.post("/api/v1/ingest/dbt", {"manifest": upload("manifest")}, format="multipart")
    assert response.status_code == 401
    assert not IngestionJob.objects.exists()


def test_upload_without_a_manifest_is_a_400(api_client):
    response = api_client.post("/api/v1/ingest/dbt", {"catalog": upload("catalog")}, format="multipart")
    assert response.status_code == 400
    assert "manifest" in response.json()["error"]["details"]


def test_bad_upload_is_a_400_naming_the_problem_and_the_failed_job(api_client):
    response = api_client.post(
        "/api/v1/ingest/dbt", {"manifest": upload("catalog", (SAMPLE_TARGET_DIR / "catalog.json").read_bytes())},
        format="multipart",
    )  # fmt: skip
    assert response.status_code == 400
    error = response.json()["error"]
    assert "looks like a dbt catalog.json, not a manifest" in error["message"]
    assert error["details"]["job"]["status"] == "failed"
    assert IngestionJob.objects.get().status == "failed"
    assert not Capsule.objects.exists()


def test_uploads_over_the_limit_are_refused(api_client, settings):
    settings.INGEST_MAX_UPLOAD_MB = 1
    response = api_client.post(
        "/api/v1/ingest/dbt", {"manifest": upload("manifest", b" " * (1024 * 1024 + 10))}, format="multipart"
    )
    assert response.status_code == 413
    assert "over the 1 MB limit" in response.json()["error"]["message"]


def test_dry_run_upload_stores_nothing(api_client):
    response = api_client.post(
        "/api/v1/ingest/dbt", {"manifest": upload("manifest"), "dry_run": "true"}, format="multipart"
    )
    assert response.status_code == 201
    assert response.json()["stats"]["dry_run"].startswith("rolled back")
    assert not Capsule.objects.exists()


def test_status_and_history(api_client, sample_project, django_assert_max_num_queries):
    IngestionJob.objects.create(source_type="dbt", source_name="other")  # still running
    status = api_client.get("/api/v1/ingest/status").json()
    assert status["latest"]["source_name"] == "other"
    assert [job["source_name"] for job in status["running"]] == ["other"]
    with django_assert_max_num_queries(2):
        history = api_client.get("/api/v1/ingest/history?page_size=1").json()
    assert history["count"] == 2 and len(history["results"]) == 1
    job = api_client.get(f"/api/v1/ingest/history/{sample_project.pk}").json()
    assert job["id"] == str(sample_project.pk) and job["status"] == "completed"
    assert api_client.get("/api/v1/ingest/history/not-a-uuid").status_code == 404
    assert api_client.get("/api/v1/ingest/history?status=failed").json()["count"] == 0


def test_upload_with_an_evaluator_set_up_keeps_it_with_the_project(api_client):
    from conformance.models import ProjectConfig, Violation

    dbt_project = SimpleUploadedFile(
        "dbt_project.yml", b"name: acme_shop\nvars:\n  too_many_joins_threshold: 3\n", content_type="text/yaml"
    )
    exceptions = SimpleUploadedFile(
        "dbt_project_evaluator_exceptions.csv",
        b"fct_name,column_name,id_to_exclude,comment\nfct_too_many_joins,resource_name,dim_customers,Versioned\n",
        content_type="text/csv",
    )
    response = api_client.post(
        "/api/v1/ingest/dbt",
        {"manifest": upload("manifest"), "dbt_project": dbt_project, "evaluator_exceptions": exceptions},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["config"]["dbt_project"] == "dbt_project.yml"
    config = ProjectConfig.objects.get(source_system__name="acme_shop")
    assert config.evaluator_vars == {"too_many_joins_threshold": 3}
    assert config.evaluator_exceptions[0]["pattern"] == "dim_customers"
    statuses = set(Violation.objects.filter(rule__rule_id="DBT-M12").values_list("capsule__name", "status"))
    assert ("dim_customers", "waived") in statuses


def test_upload_with_an_invalid_evaluator_variable_is_a_400_naming_it(api_client):
    dbt_project = SimpleUploadedFile("dbt_project.yml", b"vars:\n  models_fanout_threshold: -2\n")
    response = api_client.post(
        "/api/v1/ingest/dbt", {"manifest": upload("manifest"), "dbt_project": dbt_project}, format="multipart"
    )
    assert response.status_code == 400
    assert "vars.models_fanout_threshold: expected at least 1" in response.json()["error"]["message"]
    assert not Capsule.objects.exists()


def test_every_ingestion_operation_is_in_one_api_docs_group(api_client):
    document = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    tags = {
        tag
        for path, operations in document["paths"].items()
        if path.startswith("/api/v1/ingest")
        for operation in operations.values()
        for tag in operation.get("tags", [])
    }
    assert tags == {"ingestion"}
