"""The PII surfaces over the acme_shop sample: compliance API, CLI commands, the HTML report, the PII pages,
the stewards' review on the column page and the admin actions."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.models import Column, Owner
from pii.selectors import pii_trace

API = "/api/v1/compliance"
STG_EMAIL = "urn:dab:dbt:model:acme_shop.stg_customers:email"
V2_EMAIL = "urn:dab:dbt:model:acme_shop.dim_customers.v2:email"
SOURCE_EMAIL = "urn:dab:dbt:source:acme_shop.shop.customers:email"

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------- API


def test_inventory_api_groups_and_pages(sample_project, api_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(9):
        response = api_client.get(f"{API}/pii-inventory", {"page_size": 10})
    assert response.status_code == 200
    data = response.json()
    summary = data["summary"]
    assert data["count"] == summary["total"] == Column.objects.filter(pii_type__isnull=False).count()
    assert summary["total"] == summary["masked"] + summary["unmasked"]
    assert set(summary["groups"]) == {"pii_type", "layer", "domain", "owner", "detected_by"}
    email = next(g for g in summary["groups"]["pii_type"] if g["key"] == "email")
    assert (email["label"], email["risk"], email["category"]) == ("Email address", "high", "contact")
    assert sum(g["count"] for g in summary["groups"]["layer"]) == summary["total"]
    assert len(data["results"]) == 10
    assert {"urn", "pii_type", "risk", "confidence", "detected_by", "masked", "origin", "path", "evidence"} <= set(
        data["results"][0])


def test_inventory_api_filters(sample_project, api_client):
    data = api_client.get(f"{API}/pii-inventory", {"pii_type": "email", "layer": "marts"}).json()
    assert {r["urn"] for r in data["results"]} == {
        V2_EMAIL, "urn:dab:dbt:model:acme_shop.dim_customers.v1:email",
        "urn:dab:dbt:model:acme_shop.dim_marketing_audience:email_hash"}
    masked = api_client.get(f"{API}/pii-inventory", {"masked": "true"}).json()
    assert masked["count"] == masked["summary"]["masked"] == 6
    v2 = next(r for r in data["results"] if r["urn"] == V2_EMAIL)
    assert (v2["origin"], v2["path"][-1]) == (SOURCE_EMAIL, V2_EMAIL)


def test_inventory_api_rejects_an_unknown_type(sample_project, api_client):
    response = api_client.get(f"{API}/pii-inventory", {"pii_type": "shoe_size"})
    assert response.status_code == 400
    assert "pii_type" in response.json()["error"]["details"]


def test_inventory_api_csv(sample_project, api_client):
    response = api_client.get(f"{API}/pii-inventory", {"format": "csv", "pii_type": "email"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body(response).decode())))
    assert {r["pii_type"] for r in rows} == {"email"}
    assert V2_EMAIL in {r["column_urn"] for r in rows}
    assert next(r for r in rows if r["column_urn"] == V2_EMAIL)["origin"] == SOURCE_EMAIL


def test_inventory_api_needs_authentication(sample_project, anon_api_client):
    assert anon_api_client.get(f"{API}/pii-inventory").status_code in (401, 403)


def test_exposure_api(sample_project, api_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        data = api_client.get(f"{API}/pii-exposure", {"page_size": 4}).json()
    assert data["count"] == 6 and len(data["results"]) == 4 and data["next"]
    assert [e["name"] for e in data["exposures"]] == ["crm_customer_export"]
    data = api_client.get(f"{API}/pii-exposure").json()
    v2 = next(r for r in data["results"] if r["urn"] == V2_EMAIL)
    assert v2["path"][0] == SOURCE_EMAIL and v2["exposures"][0]["type"] == "application"
    csv_rows = list(csv.reader(io.StringIO(body(api_client.get(f"{API}/pii-exposure", {"format": "csv"})).decode())))
    assert len(csv_rows) == 7


def test_trace_api(sample_project, api_client):
    data = api_client.get(f"{API}/pii-trace/{STG_EMAIL}").json()
    assert [o["urn"] for o in data["origins"]] == [SOURCE_EMAIL]
    assert {c["urn"] for c in data["consumers"]} >= {V2_EMAIL}
    assert {h["transformation"] for h in data["downstream"]} == {"direct", "hashed"}
    assert {e["name"] for e in data["exposures"]} == {"crm_customer_export", "churn_prediction_notebook"}


def test_trace_api_unknown_column_and_bad_depth(sample_project, api_client):
    missing = api_client.get(f"{API}/pii-trace/urn:dab:dbt:model:acme_shop.nope:x")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert api_client.get(f"{API}/pii-trace/{STG_EMAIL}", {"depth": "0"}).status_code == 400


def test_columns_api_filters_pii_as_the_issue_asks(sample_project, api_client):
    data = api_client.get("/api/v1/columns", {"pii": "true", "pii_type": "email", "layer": "marts"}).json()
    assert {r["urn"] for r in data["results"]} >= {V2_EMAIL}


# ---------------------------------------------------------------------------------------------------- CLI


def test_cli_inventory_table_json_csv(sample_project):
    table = run("pii_inventory")
    assert re.search(r"^\d+ PII columns: \d+ unmasked, 6 masked\.$", table.splitlines()[0])
    assert "Email address" in table and V2_EMAIL in table
    data = json.loads(run("pii_inventory", "--format", "json", "--type", "phone"))
    assert {c["pii_type"] for c in data["columns"]} == {"phone"}
    rows = list(csv.reader(io.StringIO(run("pii_inventory", "--format", "csv", "--masked", "yes"))))
    assert rows[0][0] == "column" and len(rows) == 7


def test_cli_inventory_unknown_type(sample_project):
    with pytest.raises(CommandError, match="unknown PII type"):
        run("pii_inventory", "--type", "shoe_size")


def test_cli_trace(sample_project):
    text = run("pii_trace", STG_EMAIL)
    assert "Origins: customers.email (email)" in text
    assert "hashed here" in text and "crm_customer_export" in text
    assert json.loads(run("pii_trace", STG_EMAIL, "--format", "json"))["origins"][0]["urn"] == SOURCE_EMAIL
    with pytest.raises(CommandError, match="no column"):
        run("pii_trace", "urn:dab:dbt:model:acme_shop.nope:x")


def test_cli_exposure_and_its_ci_gate(sample_project):
    text = run("pii_exposure")
    assert text.startswith("6 unmasked PII columns in 2 capsules reach consumers.")
    with pytest.raises(SystemExit) as exc:
        run("pii_exposure", "--fail-on-exposure")
    assert exc.value.code == 1
    assert "No unmasked PII" in run("pii_exposure", "--type", "ip_address", "--fail-on-exposure")


def test_html_report_is_self_contained_and_escaped(sample_project, tmp_path):
    Owner.objects.filter(name="Customer Insights").update(name="<script>alert('x')</script> Insights")
    path = tmp_path / "report.html"
    assert "Wrote" in run("report_pii_inventory", "--output", str(path))
    html = path.read_text()
    assert html.startswith("<!doctype html>")
    assert "<script" not in html and "&lt;script&gt;" in html
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)  # nothing fetched from elsewhere
    assert "<link" not in html and "@import" not in html
    assert V2_EMAIL in html and "crm_customer_export" in html


# ---------------------------------------------------------------------------------------------------- pages


def test_pii_page_with_counts_exposure_and_inventory(sample_project, steward_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(16):
        response = steward_client.get("/pii/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="pii-exposed">6<' in html
    assert "dim_customers v2.email" in html and "crm_customer_export" in html


def test_pii_page_filters(sample_project, steward_client):
    html = steward_client.get("/pii/", {"pii_type": "phone", "masked": "true"}).content.decode()
    assert 'data-testid="pii-total">3<' in html
    assert "phone_hash" in html and "stg_customers.phone" not in html


def test_pii_trace_page_draws_the_flow(sample_project, steward_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(16):
        response = steward_client.get(f"/pii/trace/{STG_EMAIL}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html and f'data-urn="{SOURCE_EMAIL}"' in html and "flow-masks" in html
    assert steward_client.get("/pii/trace/urn:dab:dbt:model:acme_shop.nope:x/").status_code == 404


def test_column_page_has_review_controls_for_stewards_only(sample_project, steward_client, client,
                                                          django_user_model):
    html = steward_client.get(f"/columns/{V2_EMAIL}/").content.decode()
    assert 'data-testid="pii-confirm"' in html and 'data-testid="pii-trace-link"' in html
    viewer = django_user_model.objects.create_user(username="viewer", password="x-pass-12345")
    client.force_login(viewer)
    html = client.get(f"/columns/{V2_EMAIL}/").content.decode()
    assert 'data-testid="pii-confirm"' not in html and "Stewards (staff users)" in html


def test_steward_rejects_then_confirms_from_the_column_page(sample_project, steward_client):
    url = f"/pii/decide/{V2_EMAIL}/"
    response = steward_client.post(url, {"decision": "rejected", "note": "synthetic", "next": f"/columns/{V2_EMAIL}/"})
    assert response.status_code == 302 and response["Location"] == f"/columns/{V2_EMAIL}/"
    column = Column.objects.get(urn=V2_EMAIL)
    assert (column.pii_type, column.pii_decision, column.pii_decided_by) == (None, "rejected", "steward")
    steward_client.post(url, {"decision": "confirmed", "pii_type": "email"})
    column.refresh_from_db()
    assert (column.pii_type, column.pii_decision) == ("email", "confirmed")


def test_deciding_needs_a_steward(sample_project, client, django_user_model):
    viewer = django_user_model.objects.create_user(username="viewer", password="x-pass-12345")
    client.force_login(viewer)
    assert client.post(f"/pii/decide/{V2_EMAIL}/", {"decision": "rejected"}).status_code == 403
    assert Column.objects.get(urn=V2_EMAIL).pii_decision is None


def test_decide_does_not_redirect_off_site(sample_project, steward_client):
    response = steward_client.post(f"/pii/decide/{V2_EMAIL}/", {"decision": "confirmed",
                                                                "next": "https://evil.example.com/"})
    assert response["Location"] == f"/columns/{V2_EMAIL}/"


# ---------------------------------------------------------------------------------------------------- admin


def test_admin_actions_reject_and_confirm(sample_project, superuser_client):
    pk = Column.objects.get(urn=V2_EMAIL).pk
    response = superuser_client.post("/admin/catalog/column/", {"action": "pii_reject", "_selected_action": [pk]})
    assert response.status_code == 302
    column = Column.objects.get(pk=pk)
    assert (column.pii_type, column.pii_decision, column.pii_decided_by) == (None, "rejected", "admin")
    superuser_client.post("/admin/catalog/column/", {"action": "pii_confirm", "_selected_action": [pk]})
    column.refresh_from_db()
    assert (column.pii_type, column.pii_decision, column.pii_decided_type) == ("email", "confirmed", "email")
    superuser_client.post("/admin/catalog/column/", {"action": "pii_decision_clear", "_selected_action": [pk]})
    column.refresh_from_db()
    assert (column.pii_decision, column.pii_detected_by) == (None, "lineage")


def test_admin_change_page_shows_the_evidence(sample_project, superuser_client):
    pk = Column.objects.get(urn=V2_EMAIL).pk
    html = superuser_client.get(f"/admin/catalog/column/{pk}/change/").content.decode()
    assert "PII evidence" in html and "direct from" in html


def test_cli_classify_reruns_detection_and_propagation(sample_project, settings):
    settings.PII_DETECTION_ENABLED = False
    text = run("pii_classify", "--dry-run")
    assert "Dry run: rolled back." in text
    assert Column.objects.get(urn=V2_EMAIL).pii_type == "email"  # rolled back
    run("pii_classify")
    assert Column.objects.get(urn="urn:dab:dbt:model:acme_shop.stg_customers:first_name").pii_type == "person_name"
    assert Column.objects.get(urn="urn:dab:dbt:seed:acme_shop.customers:first_name").pii_type is None  # name only
    with pytest.raises(CommandError, match="no dbt project"):
        run("pii_classify", "--project", "nope")


def test_column_page_names_the_exposures_its_consumers_feed_as_the_pii_trace_does(sample_project, steward_client):
    urn = STG_EMAIL
    html = steward_client.get(f"/columns/{urn}/").content.decode()
    section = html[html.index('id="trace-exposures"') :]
    section = section[: section.index("</section>")]
    shown = set(re.findall(r'<a href="/capsules/(urn:dab:dbt:exposure:[^"/]+)/">', section))
    # Exposures have no columns: the trace ends at the capsules they read. The PII trace says the same.
    assert shown == {e["urn"] for e in pii_trace(urn=urn).exposures}
    assert "urn:dab:dbt:exposure:acme_shop.crm_customer_export" in shown
    assert "reads dim_customers" in section


def test_schema_enumerates_the_vocabularys_types_without_compiling_it_at_import(api_client):
    """The pii_type enum is read when the schema is generated; loading the URLs (as the CLI does to print a job's
    URL) must not compile the vocabulary."""
    import subprocess
    import sys

    from pii.services import pii_config

    schema = api_client.get("/api/v1/schema/?format=json").json()
    for path in ("/api/v1/compliance/pii-inventory", "/api/v1/compliance/pii-exposure"):
        parameters = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
        assert parameters["pii_type"]["schema"]["enum"] == ["", *sorted(pii_config().types)]
    probe = (
        "import django; django.setup()\n"
        "from django.urls import get_resolver; get_resolver()._populate()\n"
        "from pii.services import _pii_config_at, default_pii_config\n"
        "print(_pii_config_at.cache_info().currsize, default_pii_config.cache_info().currsize)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["0", "0"]
