"""The Ingestion page: history, a job, the upload form."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import Capsule
from ingestion.models import IngestionJob
from ingestion.tests.conftest import SAMPLE_TARGET_DIR

pytestmark = pytest.mark.django_db


def test_history_lists_jobs_with_what_they_changed(steward_client, sample_project, django_assert_max_num_queries):
    IngestionJob.objects.create(source_type="dbt", source_name="broken", status="failed", error_message="boom",
                                completed_at=sample_project.completed_at)  # fmt: skip
    with django_assert_max_num_queries(6):
        html = steward_client.get("/ingestion/").content.decode()
    assert "acme_shop" in html and "boom" in html
    assert f"{sample_project.stats['capsules']['created']}/0/0" in html


def test_job_page_shows_stats_warnings_and_errors(steward_client, sample_project):
    html = steward_client.get(f"/ingestion/{sample_project.pk}/").content.decode()
    assert "What changed" in html and "Capsules" in html
    failed = IngestionJob.objects.create(source_type="dbt", status="failed", error_message="<b>bad</b> input",
                                         completed_at=sample_project.completed_at)  # fmt: skip
    html = steward_client.get(f"/ingestion/{failed.pk}/").content.decode()
    assert "&lt;b&gt;bad&lt;/b&gt; input" in html and "Nothing stored was changed" in html


def test_job_page_details_read_as_sentences_not_raw_config(steward_client, sample_project):
    html = steward_client.get(f"/ingestion/{sample_project.pk}/").content.decode()
    config = sample_project.config
    assert f'<th scope="row">Ran on</th><td>{config["host"]}, process {config["pid"]}</td>' in html
    assert '<th scope="row">Manifest</th>' in html and '<th scope="row">Time to parse</th>' in html
    for raw in ("dry_run", "False", ">pid<", ">host<", "digests", "outcome", "time: "):
        assert raw not in html
    assert re.search(r"Time to parse</th><td>\d+\.\d\d s<", html)


def test_a_dry_run_says_so_on_its_page(steward_client, sample_project):
    dry = IngestionJob.objects.create(source_type="dbt", source_name="acme_shop", status="completed",
                                      config={"manifest": "manifest.json", "dry_run": True, "pid": 7, "host": "w1"},
                                      completed_at=sample_project.completed_at)  # fmt: skip
    html = steward_client.get(f"/ingestion/{dry.pk}/").content.decode()
    assert "dry run: checked and rolled back, nothing stored" in html
    assert "w1, process 7" in html


def test_staff_can_upload_from_the_page(steward_client):
    files = {
        name: SimpleUploadedFile(f"{name}.json", (SAMPLE_TARGET_DIR / f"{name}.json").read_bytes())
        for name in ("manifest", "catalog")
    }
    response = steward_client.post("/ingestion/upload/", files)
    job = IngestionJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/ingestion/{job.pk}/"
    assert job.status == "completed" and job.triggered_by == "user:steward"
    assert Capsule.objects.count() > 40


def test_upload_of_a_bad_file_shows_the_reason(steward_client):
    response = steward_client.post(
        "/ingestion/upload/", {"manifest": SimpleUploadedFile("m.json", b"{not json")}, follow=True
    )
    assert "Ingestion failed" in response.content.decode()
    assert IngestionJob.objects.get().status == "failed"


def test_only_staff_may_upload(client, django_user_model):
    user = django_user_model.objects.create_user(username="viewer", password="viewer-pass-1")
    client.force_login(user)
    assert client.get("/ingestion/upload/").status_code == 403
    assert "Upload dbt artifacts" not in client.get("/ingestion/").content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_upload_through_the_browser(logged_in_page):
    page = logged_in_page
    page.goto("/ingestion/")
    page.get_by_label("manifest.json").set_input_files(str(SAMPLE_TARGET_DIR / "manifest.json"))
    page.get_by_label("catalog.json").set_input_files(str(SAMPLE_TARGET_DIR / "catalog.json"))
    page.get_by_role("button", name="Ingest").click()
    page.wait_for_url("**/ingestion/*/")
    assert page.get_by_text("Ingested acme_shop.").is_visible()
    assert page.get_by_role("heading", name="What changed").is_visible()
    page.goto("/")
    assert page.get_by_test_id("dashboard-counts").is_visible()
