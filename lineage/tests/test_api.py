"""The lineage endpoints under /api/v1 on the ingested sample project."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import resolve

pytestmark = pytest.mark.django_db

API = "/api/v1"
STG = "urn:dab:dbt:model:acme_shop.stg_customers"
SOURCE = "urn:dab:dbt:source:acme_shop.shop.customers"
EXPORT = "urn:dab:dbt:exposure:acme_shop.crm_customer_export"


def test_lineage_paths_are_not_taken_by_the_catalog_detail_routes():
    assert resolve(f"{API}/capsules/{STG}/lineage").url_name == "capsule-lineage"
    assert resolve(f"{API}/capsules/{STG}/impact/").url_name == "capsule-impact"
    assert resolve(f"{API}/columns/{STG}:email/lineage").url_name == "column-lineage"
    assert resolve(f"{API}/columns/{STG}:email/impact").url_name == "column-impact"
    assert resolve(f"{API}/capsules/{STG}").url_name != "capsule-lineage"


def test_capsule_lineage_both_ways(sample_project, api_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = api_client.get(f"{API}/capsules/{STG}/lineage")
    assert response.status_code == 200
    body = response.json()
    assert body["root"] == STG and body["direction"] == "both" and body["level"] == "capsule"
    nodes = {n["urn"]: n for n in body["nodes"]}
    assert nodes[SOURCE]["direction"] == "upstream" and nodes[SOURCE]["depth"] == 1
    assert nodes[EXPORT]["direction"] == "downstream" and nodes[EXPORT]["depth"] == 2
    assert nodes[STG]["has_pii"] is True
    assert {"urn", "name", "type", "layer", "depth", "owner", "domain", "has_pii", "violations"} <= set(nodes[STG])
    assert {"source": STG, "target": "urn:dab:dbt:model:acme_shop.dim_customers.v2", "edge_type": "flows_to"} in body[
        "edges"
    ]


def test_a_depth_above_the_maximum_is_capped_and_the_answer_says_so(sample_project, api_client, settings):
    settings.MAX_LINEAGE_DEPTH = 10
    body = api_client.get(f"{API}/capsules/{SOURCE}/lineage/?direction=downstream&depth=50").json()
    assert body["depth"] == {"requested": 50, "applied": 10, "capped": True}
    assert all(n["direction"] in ("self", "downstream") for n in body["nodes"])


def test_capsule_lineage_at_column_level(sample_project, api_client):
    body = api_client.get(f"{API}/capsules/{STG}/lineage?level=column&direction=downstream&depth=1").json()
    assert body["level"] == "column"
    edge = next(e for e in body["edges"] if e["target"].endswith("dim_customers.v2:phone_hash"))
    assert (edge["transformation_type"], edge["expression"].lower()) == ("hashed", "sha256(c.phone)")


def test_column_lineage_with_transformations(sample_project, api_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        body = api_client.get(f"{API}/columns/{STG}:email/lineage?direction=upstream").json()
    assert [n["urn"] for n in body["nodes"]] == [f"{SOURCE}:email", f"{STG}:email"]
    assert body["edges"] == [
        {"source": f"{SOURCE}:email", "target": f"{STG}:email", "transformation_type": "derived",
         "expression": "LOWER(TRIM(email))"},
    ]  # fmt: skip


def test_impact_of_a_capsule_as_json_and_csv(sample_project, api_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(7):
        body = api_client.get(f"{API}/capsules/{STG}/impact").json()
    assert body["total"] == 6 and body["by_depth"] == {"1": 4, "2": 2}
    assert {e["urn"] for e in body["exposures"]} == {EXPORT, "urn:dab:dbt:exposure:acme_shop.churn_prediction_notebook"}
    assert body["by_owner"]["Customer Insights"] == 4
    response = api_client.get(f"{API}/capsules/{STG}/impact?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:2] == ["depth", "urn"] and len(rows) == 7


def test_impact_of_a_column_names_the_columns_it_feeds(sample_project, api_client):
    body = api_client.get(f"{API}/columns/{STG}:phone/impact").json()
    fed = {(i["name"], c["name"], c["transformation_type"]) for i in body["items"] for c in i["columns"]}
    assert ("dim_customers v2", "phone_hash", "hashed") in fed
    assert ("dim_customers v1", "phone", "direct") in fed
    assert EXPORT in {e["urn"] for e in body["exposures"]}


def test_paths_from_a_source_to_a_dashboard(sample_project, api_client):
    body = api_client.get(f"{API}/lineage/paths?from={SOURCE}&to={EXPORT}").json()
    assert body["found"] is True and body["length"] == 3
    assert body["paths"] == [[SOURCE, STG, "urn:dab:dbt:model:acme_shop.dim_customers.v2", EXPORT]]


def test_paths_need_both_ends_and_known_urns(sample_project, api_client):
    missing = api_client.get(f"{API}/lineage/paths?from={SOURCE}")
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "bad_request"
    assert "to" in missing.json()["error"]["details"]
    unknown = api_client.get(f"{API}/lineage/paths?from={SOURCE}&to=urn:dab:dbt:model:acme_shop.nope")
    assert unknown.status_code == 404 and "nope" in unknown.json()["error"]["message"]


def test_graph_endpoint(sample_project, api_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        body = api_client.get(f"{API}/lineage/graph?urn={STG}&upstream=1&downstream=2").json()
    assert body["root"] == STG and body["depth"]["downstream"]["applied"] == 2
    assert {n["id"] for n in body["nodes"]} >= {SOURCE, STG, EXPORT}
    assert all({"rank", "layer_rank", "more_upstream", "more_downstream"} <= set(n) for n in body["nodes"])
    column_level = api_client.get(f"{API}/lineage/graph?urn={STG}&level=column&upstream=0&downstream=1").json()
    assert column_level["level"] == "column" and all("columns" in n for n in column_level["nodes"])


def test_unknown_urns_and_bad_parameters_get_error_bodies(sample_project, api_client):
    gone = api_client.get(f"{API}/capsules/urn:dab:dbt:model:acme_shop.nope/lineage")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"
    bad = api_client.get(f"{API}/capsules/{STG}/lineage?direction=sideways&depth=0")
    assert bad.status_code == 400
    assert set(bad.json()["error"]["details"]) == {"direction", "depth"}
    assert api_client.get(f"{API}/lineage/graph?urn=urn:nope").status_code == 404


def test_the_api_needs_a_key_or_a_session(sample_project, anon_api_client, steward_client):
    assert anon_api_client.get(f"{API}/capsules/{STG}/lineage").status_code == 401
    assert steward_client.get(f"{API}/capsules/{STG}/lineage").status_code == 200
