"""The catalog API over the ingested sample project: filters against its truth file, URNs in paths, errors,
nested lists, stats, search, and a fixed number of queries per list whatever the page size."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from catalog.api.views import SearchQuerySerializer
from catalog.models import Capsule, Column, Domain, Owner
from catalog.tests.conftest import SAMPLE_TARGET_DIR, sample_urn

pytestmark = pytest.mark.django_db

FCT_ORDERS = sample_urn("model.acme_shop.fct_orders")
STG_CUSTOMERS = sample_urn("model.acme_shop.stg_customers")


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content[:500]
    return response.json()["results"]


def count(response) -> int:
    assert response.status_code == 200, response.content[:500]
    return response.json()["count"]


def models_where(expected: dict, **conditions) -> int:
    return sum(all(m.get(k) == v for k, v in conditions.items()) for m in expected["models"])


# -- capsules -----------------------------------------------------------------------------------------


def test_capsule_filters_match_the_truth_file(api_client, sample_project):
    expected = sample_project.expected
    for layer, n in expected["counts"]["models_by_layer"].items():
        assert count(api_client.get(f"/api/v1/capsules?capsule_type=model&layer={layer}")) == n
    for materialized, n in expected["counts"]["models_by_materialization"].items():
        assert count(api_client.get(f"/api/v1/capsules?capsule_type=model&materialization={materialized}")) == n
    for domain, n in expected["counts"]["models_by_domain"].items():
        assert count(api_client.get(f"/api/v1/capsules?capsule_type=model&domain={domain}")) == n
    untested = models_where(expected, tests=0)
    assert count(api_client.get("/api/v1/capsules?capsule_type=model&has_tests=false")) == untested
    assert count(api_client.get("/api/v1/capsules?capsule_type=seed")) == expected["counts"]["manifest"]["seeds"]


def test_list_filters_take_comma_separated_values(api_client, sample_project):
    by_layer = sample_project.expected["counts"]["models_by_layer"]
    both = count(api_client.get("/api/v1/capsules?capsule_type=model&layer=staging,marts"))
    assert both == by_layer["staging"] + by_layer["marts"]


def test_capsule_filter_by_source_tag_and_owner(api_client, sample_project):
    assert count(api_client.get("/api/v1/capsules?source=acme_shop")) == Capsule.objects.count()
    assert count(api_client.get("/api/v1/capsules?source=elsewhere")) == 0
    manifest = json.loads((SAMPLE_TARGET_DIR / "manifest.json").read_bytes())
    daily = {uid for uid, node in manifest["nodes"].items() if "daily" in node.get("tags", [])}
    assert {c["urn"] for c in results(api_client.get("/api/v1/capsules?tag=daily"))} == {sample_urn(u) for u in daily}
    owner = Owner.objects.get(name="Sales Analytics")
    by_name = {c["urn"] for c in results(api_client.get("/api/v1/capsules?owner=sales analytics&page_size=100"))}
    by_id = {c["urn"] for c in results(api_client.get(f"/api/v1/capsules?owner={owner.pk}&page_size=100"))}
    assert by_name == by_id == set(owner.capsules.values_list("urn", flat=True))
    assert by_name


def test_has_pii_filter_honours_steward_rejections(api_client, sample_project):
    Column.objects.update(pii_type=None, pii_decision=None)
    Column.objects.filter(urn=f"{STG_CUSTOMERS}:email").update(pii_type="email")
    Column.objects.filter(urn=f"{FCT_ORDERS}:customer_id").update(pii_type="name", pii_decision="rejected")
    assert [c["urn"] for c in results(api_client.get("/api/v1/capsules?has_pii=true"))] == [STG_CUSTOMERS]
    without = count(api_client.get("/api/v1/capsules?has_pii=false"))
    assert without == Capsule.objects.count() - 1


def test_search_filter_ranks_the_exact_name_first(api_client, sample_project):
    found = results(api_client.get("/api/v1/capsules?search=stg_customers"))
    assert found[0]["urn"] == STG_CUSTOMERS
    ordered = results(api_client.get("/api/v1/capsules?search=customers&ordering=-name"))
    assert [c["name"] for c in ordered] == sorted((c["name"] for c in ordered), reverse=True)


def test_ordering_puts_missing_values_last_both_ways(api_client, sample_project):
    for param in ("domain", "-domain"):
        names = [
            c["domain"] and c["domain"]["name"]
            for c in results(api_client.get(f"/api/v1/capsules?ordering={param}&page_size=100"))
        ]
        present = [n for n in names if n]
        assert names[: len(present)] == present and not any(names[len(present) :])
        assert present == sorted(present, reverse=param.startswith("-"))
    counts = [c["test_count"] for c in results(api_client.get("/api/v1/capsules?ordering=-test_count&page_size=100"))]
    assert counts == sorted(counts, reverse=True)


def test_bad_filter_values_give_a_400_json_error(api_client, sample_project):
    response = api_client.get("/api/v1/capsules?ordering=compiled_sql")
    assert response.status_code == 400
    assert "ordering" in response.json()["error"]["details"]


def test_capsule_detail_by_urn_with_everything_and_counts(api_client, sample_project):
    body = api_client.get(f"/api/v1/capsules/{FCT_ORDERS}").json()
    capsule = Capsule.objects.get(urn=FCT_ORDERS)
    assert body["urn"] == FCT_ORDERS and body["unique_id"] == "model.acme_shop.fct_orders"
    assert body["column_count"] == capsule.columns.count()
    assert body["owner"]["name"] and body["domain"]["name"] == "sales"
    assert body["source_system"]["name"] == "acme_shop"
    assert body["compiled_sql"] and body["tests"] and body["attributes"]
    assert body["downstream_count"] == Capsule.objects.filter(upstream_edges__source=capsule).distinct().count()
    assert body["columns_url"].endswith(f"/api/v1/capsules/{FCT_ORDERS}/columns")
    assert body["html_url"] == f"/capsules/{FCT_ORDERS}/"


def test_versioned_model_urns_with_dots_resolve(api_client, sample_project):
    urn = sample_urn("model.acme_shop.dim_customers.v1")
    for path in (f"/api/v1/capsules/{urn}", f"/api/v1/capsules/{urn}/"):
        response = api_client.get(path)
        assert response.status_code == 200 and response.json()["version"] == "1"


def test_unknown_urns_give_404_json(api_client, sample_project):
    for path in (
        "/api/v1/capsules/urn:dab:dbt:model:acme_shop.nope",
        "/api/v1/capsules/urn:dab:dbt:model:acme_shop.nope/columns",
        "/api/v1/columns/urn:dab:dbt:model:acme_shop.fct_orders:nope",
        "/api/v1/owners/not-a-uuid/capsules",
        "/api/v1/domains/nope/capsules",
    ):
        response = api_client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"


def test_capsule_columns_in_warehouse_order(api_client, sample_project):
    catalog = json.loads((SAMPLE_TARGET_DIR / "catalog.json").read_bytes())
    in_catalog = catalog["nodes"]["model.acme_shop.stg_customers"]["columns"]
    body = api_client.get(f"/api/v1/capsules/{STG_CUSTOMERS}/columns?page_size=100").json()
    assert body["count"] == len(in_catalog)
    by_index = sorted(in_catalog.values(), key=lambda c: c["index"])
    assert [c["name"] for c in body["results"]] == [c["name"] for c in by_index]
    assert all(c["capsule"]["urn"] == STG_CUSTOMERS for c in body["results"])
    filtered = api_client.get(f"/api/v1/capsules/{STG_CUSTOMERS}/columns?search=email").json()
    assert {c["name"] for c in filtered["results"]} >= {"email"}


def test_stats_count_by_facet_and_coverage(api_client, sample_project):
    body = api_client.get("/api/v1/capsules/stats").json()
    assert body["count"] == Capsule.objects.count()
    by_type = {f["value"]: f["count"] for f in body["by_type"]}
    assert by_type == dict(Counter(Capsule.objects.values_list("capsule_type", flat=True)))
    assert sum(f["count"] for f in body["by_layer"]) == body["count"]
    assert body["tested"] == Capsule.objects.filter(has_tests=True).count()
    assert body["tested_ratio"] == pytest.approx(body["tested"] / body["count"])
    marts = api_client.get("/api/v1/capsules/stats?capsule_type=model&layer=marts").json()
    assert marts["count"] == sample_project.expected["counts"]["models_by_layer"]["marts"]
    assert {f["value"]: f["count"] for f in marts["by_domain"]} == sample_project.expected["counts"]["models_by_domain"]


# -- columns ------------------------------------------------------------------------------------------


def test_column_filters(api_client, sample_project):
    Column.objects.update(pii_type=None, pii_decision=None, semantic_type=None)  # whatever detection found
    Column.objects.filter(urn=f"{STG_CUSTOMERS}:email").update(pii_type="email", semantic_type="email_address")
    Column.objects.filter(urn=f"{STG_CUSTOMERS}:phone").update(pii_type="phone", pii_decision="rejected")
    assert count(api_client.get(f"/api/v1/columns?capsule={STG_CUSTOMERS}")) == 16
    pii = results(api_client.get("/api/v1/columns?pii=true"))
    assert [c["urn"] for c in pii if c["capsule"]["urn"] == STG_CUSTOMERS] == [f"{STG_CUSTOMERS}:email"]
    assert all(c["is_pii"] for c in pii)
    assert count(api_client.get("/api/v1/columns?pii_type=phone")) == 0
    assert count(api_client.get("/api/v1/columns?semantic_type=email_address")) == 1
    marts_columns = Column.objects.filter(capsule__layer="marts").count()
    assert count(api_client.get("/api/v1/columns?layer=marts")) == marts_columns
    sales_columns = Column.objects.filter(capsule__domain__name="sales").count()
    assert count(api_client.get("/api/v1/columns?domain=sales")) == sales_columns
    integers = Column.objects.filter(data_type__iexact="integer").count()
    assert count(api_client.get("/api/v1/columns?data_type=INTEGER")) == integers > 0


def test_column_search_ranks_exact_names_first(api_client, sample_project):
    found = results(api_client.get("/api/v1/columns?search=email&page_size=100"))
    exact = [c for c in found if c["name"] == "email"]
    assert found[: len(exact)] == exact and exact


def test_column_detail_by_urn_with_evidence(api_client, sample_project):
    evidence = [{"signal": "name", "detail": "token email", "pii_type": "email", "weight": 0.6, "source": None}]
    Column.objects.filter(urn=f"{STG_CUSTOMERS}:email").update(pii_type="email", pii_evidence=evidence)
    body = api_client.get(f"/api/v1/columns/{STG_CUSTOMERS}:email").json()
    assert body["capsule"]["urn"] == STG_CUSTOMERS
    assert body["pii_evidence"] == evidence and body["is_pii"] is True
    assert body["html_url"] == f"/columns/{STG_CUSTOMERS}:email/"


def test_column_counts_are_remembered_until_the_catalog_changes(api_client, sample_project, django_assert_num_queries):
    from django.core.cache import cache

    cache.clear()
    first = count(api_client.get("/api/v1/columns?layer=marts"))
    with django_assert_num_queries(2):  # the catalog version and the page: no count
        assert count(api_client.get("/api/v1/columns?layer=marts&page=2")) == first
    capsule = Capsule.objects.filter(layer="marts").first()
    capsule.columns.order_by("ordinal_position").last().delete()
    capsule.save()  # as the loader re-stamps a capsule whose columns changed
    assert count(api_client.get("/api/v1/columns?layer=marts")) == first - 1


def test_counts_filtered_on_steward_decisions_are_never_remembered(api_client, sample_project):
    Column.objects.update(pii_type=None, pii_decision=None)
    email = Column.objects.get(urn=f"{STG_CUSTOMERS}:email")
    Column.objects.filter(pk=email.pk).update(pii_type="email")
    assert count(api_client.get("/api/v1/columns?pii=true")) == 1
    Column.objects.filter(pk=email.pk).update(pii_decision="rejected")  # a steward's decision: no capsule save
    assert count(api_client.get("/api/v1/columns?pii=true")) == 0


# -- domains, owners ----------------------------------------------------------------------------------


def test_domain_capsules_and_coverage(api_client, sample_project):
    domain = api_client.get("/api/v1/domains/sales").json()
    capsules = results(api_client.get("/api/v1/domains/sales/capsules?page_size=100"))
    assert domain["capsule_count"] == len(capsules) == Domain.objects.get(name="sales").capsules.count()
    assert domain["tested_count"] == sum(c["has_tests"] for c in capsules)
    models = results(api_client.get("/api/v1/domains/sales/capsules?capsule_type=model"))
    assert len(models) == sample_project.expected["counts"]["models_by_domain"]["sales"]


def test_owner_detail_and_capsules(api_client, sample_project):
    owner = Owner.objects.get(name="Sales Analytics")
    body = api_client.get(f"/api/v1/owners/{owner.pk}").json()
    assert body["email"] == "sales-analytics@example.com"
    capsules = results(api_client.get(f"{body['capsules_url']}?page_size=100"))
    assert len(capsules) == body["capsule_count"] == owner.capsules.count()


# -- search -------------------------------------------------------------------------------------------


def test_search_endpoint_returns_both_kinds_ranked(api_client, sample_project):
    body = api_client.get("/api/v1/search?q=customers&limit=5").json()
    assert body["query"] == "customers"
    capsules, columns = body["capsules"], body["columns"]
    assert capsules["count"] >= len(capsules["results"]) > 0
    assert capsules["results"][0]["name"] == "customers" and capsules["results"][0]["match"] == "exact"
    order = ["exact", "prefix", "name", "description"]
    for section in (capsules, columns):
        matches = [order.index(r["match"]) for r in section["results"]]
        assert matches == sorted(matches)
    only_columns = api_client.get("/api/v1/search?q=email&kind=columns").json()
    assert "capsules" not in only_columns and only_columns["columns"]["count"] > 0


def test_search_endpoint_validates_its_parameters(api_client, sample_project):
    assert api_client.get("/api/v1/search?q=x&limit=0").status_code == 400
    assert api_client.get("/api/v1/search?q=x&kind=tables").status_code == 400
    # the fields are built once per class and shared: each request still gets its own errors and values
    bad = api_client.get("/api/v1/search?q=x&limit=101&kind=tables&has_pii=maybe")
    assert bad.status_code == 400 and bad.json()["error"]["details"] == {
        "kind": ['"tables" is not a valid choice.'],
        "limit": ["Ensure this value is less than or equal to 100."],
        "has_pii": ["Must be a valid boolean."],
    }
    assert len(api_client.get("/api/v1/search?q=customers&limit=1").json()["capsules"]["results"]) == 1
    assert len(api_client.get("/api/v1/search?q=customers").json()["capsules"]["results"]) > 1
    assert SearchQuerySerializer(data={}).fields is SearchQuerySerializer(data={"q": "a"}).fields
    suggest = api_client.get("/api/v1/search/suggest?q=customers&limit=21")
    assert suggest.json()["error"]["details"] == {"limit": ["Ensure this value is less than or equal to 20."]}
    empty = api_client.get("/api/v1/search?q=").json()
    assert empty["capsules"] == {"count": 0, "count_exact": True, "results": []}


def test_search_schema_says_text_parameters_refuse_a_nul_character(api_client, sample_project):
    # the API refuses a NUL (400); the schema says so, so a client (and schemathesis) knows it is not valid input
    assert api_client.get("/api/v1/search?q=x&capsule_type=a%00b").status_code == 400
    schema = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/search"]["get"]["parameters"]}
    for name in ("q", "capsule_type", "owner", "tag"):
        variants = parameters[name].get("oneOf", [parameters[name]])  # a blank value is its own variant
        assert {v.get("pattern") for v in variants if "maxLength" not in v or v["maxLength"]} == {"^[^\\u0000]*$"}


def test_catalog_endpoints_need_the_api_key(anon_api_client, sample_project):
    for path in ("/api/v1/capsules", f"/api/v1/capsules/{FCT_ORDERS}", "/api/v1/columns", "/api/v1/search?q=x"):
        assert anon_api_client.get(path).status_code == 401


# -- fixed number of queries --------------------------------------------------------------------------

LIST_ENDPOINTS = (
    # count, the page's ids, their rows, their column counts
    ("/api/v1/capsules", 4),
    ("/api/v1/capsules?search=o&layer=staging,marts&has_pii=false&ordering=-owner", 4),
    # catalog version, count (once per version), the page's ids, their rows
    ("/api/v1/columns", 4),
    ("/api/v1/columns?pii=false&layer=marts&search=id", 4),
    (f"/api/v1/capsules/{STG_CUSTOMERS}/columns", 4),  # the capsule, count, ids, rows
    ("/api/v1/domains/sales/capsules", 5),  # the domain, then as /capsules
    ("/api/v1/owners", 2),
    ("/api/v1/domains", 2),
    ("/api/v1/source-systems", 2),
    # per kind: the prefix matches, the other literal matches (name, description; for capsules also names
    # alike but for separators) in one UNION ALL, the page's rows; for capsules the names close to the query
    # when literal matches are fewer than 20 (not here); for columns the catalog version and, once per
    # version, the distinct names; +1 the first time a process searches (whether pg_trgm is there). SQLite
    # reads the name and description matches in a query each, and has no pg_trgm to ask about.
    ("/api/v1/search?q=order", 10),
    ("/api/v1/capsules/stats", 2),
)


@pytest.mark.parametrize(("url", "bound"), LIST_ENDPOINTS, ids=[u for u, _ in LIST_ENDPOINTS])
def test_list_endpoints_keep_a_fixed_number_of_queries(
    api_client, sample_project, django_assert_max_num_queries, url, bound
):
    """The sample has 51 capsules and 411 columns, so page_size=50 fills a page where 5 is a sliver."""
    separator = "&" if "?" in url else "?"
    for size in (5, 50):
        sized = f"{url}{separator}page_size={size}&limit={size}"
        with django_assert_max_num_queries(bound):
            response = api_client.get(sized)
        assert response.status_code == 200, sized
    assert len(results(api_client.get("/api/v1/capsules?page_size=50"))) == 50


def test_object_urls_are_what_reverse_gives(api_client):
    from django.urls import reverse

    from catalog.tests.factories import CapsuleFactory, DomainFactory, OwnerFactory

    domain = DomainFactory(name="customer success & care")
    owner = OwnerFactory()
    capsule = CapsuleFactory(name="DimOrders.v2", domain=domain, owner=owner)
    body = api_client.get(f"/api/v1/capsules/{capsule.urn}").json()
    assert body["url"] == "http://testserver" + reverse("capsule-detail", kwargs={"urn": capsule.urn})
    assert body["domain"]["url"] == "http://testserver" + reverse("domain-detail", kwargs={"name": domain.name})
    assert body["owner"]["url"] == "http://testserver" + reverse("owner-detail", kwargs={"pk": owner.pk})
    assert api_client.get(body["domain"]["url"]).json()["name"] == domain.name


def test_hand_built_list_rows_equal_the_declared_fields(sample_project, rf):
    """List serializers build their rows directly for speed; they must say exactly what DRF's field-by-field
    representation of the declared fields says, for every capsule and column of the sample."""
    from rest_framework import serializers
    from rest_framework.request import Request

    from catalog import selectors
    from catalog.api.serializers import CapsuleSerializer, ColumnSerializer

    Column.objects.filter(urn=f"{STG_CUSTOMERS}:email").update(pii_type="email", pii_confidence=0.9)
    request = Request(rf.get("/api/v1/capsules"))
    context = {"request": request}
    capsules = selectors.capsule_column_counts_attach(capsules=selectors.capsule_list())
    columns = list(selectors.column_list())
    for serializer_class, rows in ((CapsuleSerializer, capsules), (ColumnSerializer, columns)):
        serializer = serializer_class(context=context)
        for row in rows:
            assert serializer.to_representation(row) == serializers.ModelSerializer.to_representation(serializer, row)


def test_search_endpoint_counts_facets_and_narrows_by_them(api_client, sample_project):
    assert "facets" not in api_client.get("/api/v1/search?q=customers").json()  # asked for, not by default
    body = api_client.get("/api/v1/search?q=customers&kind=capsules&limit=50&facets=true").json()
    layers = {f["value"]: f["count"] for f in body["facets"]["layer"]}
    assert sum(layers.values()) == body["capsules"]["count"]
    assert set(body["facets"]) == {
        "capsule_type", "layer", "domain", "owner", "materialization", "has_pii", "has_tests", "tag",
    }  # fmt: skip
    marts = api_client.get("/api/v1/search?q=customers&kind=capsules&limit=50&layer=marts").json()
    assert marts["capsules"]["count"] == layers["marts"]
    assert {r["layer"] for r in marts["capsules"]["results"]} == {"marts"}
    assert all(r["match_reason"] for r in marts["capsules"]["results"])
    pii = api_client.get("/api/v1/search?q=customer&has_pii=true&kind=columns").json()
    assert pii["columns"]["results"] and all(r["is_pii"] for r in pii["columns"]["results"])


def test_search_endpoint_refuses_a_bad_facet_value_by_name(api_client, sample_project):
    response = api_client.get("/api/v1/search?q=orders&has_tests=sometimes")
    assert response.status_code == 400
    assert "has_tests" in response.json()["error"]["details"]


def test_search_endpoint_offers_names_when_nothing_matches(api_client, sample_project):
    body = api_client.get("/api/v1/search?q=stg_custmers_tbl1").json()
    assert body["capsules"]["count"] == body["columns"]["count"] == 0
    assert "stg_customers" in body["did_you_mean"]
    assert api_client.get("/api/v1/search?q=stg_customers").json()["did_you_mean"] == []


def test_suggest_endpoint_answers_with_pages(api_client, anon_api_client, sample_project):
    body = api_client.get("/api/v1/search/suggest?q=stg_cu").json()
    first = body["suggestions"][0]
    assert (first["name"], first["kind"], first["capsule_type"], first["layer"]) == (
        "stg_customers", "capsule", "model", "staging",
    )  # fmt: skip
    assert first["url"] == f"/capsules/{first['urn']}/"
    assert body["all_results_url"] == "/search/?q=stg_cu"
    assert api_client.get("/api/v1/search/suggest?q=s").json()["suggestions"] == []  # two characters first
    assert api_client.get("/api/v1/search/suggest?q=stg&limit=0").status_code == 400
    assert anon_api_client.get("/api/v1/search/suggest?q=stg").status_code == 401
