"""Lineage pages: the explorer, the impact report, the page-side JSON, and the fragments on catalog pages."""

from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.django_db

STG = "urn:dab:dbt:model:acme_shop.stg_customers"
SOURCE = "urn:dab:dbt:source:acme_shop.shop.customers"


def embedded_graph(html: str) -> dict:
    match = re.search(r'<script id="explorer-graph-data" type="application/json">(.*?)</script>', html, re.S)
    assert match, "the explorer embeds its first graph"
    return json.loads(match.group(1))


def test_explorer_without_a_choice_invites_a_search(steward_client):
    response = steward_client.get("/lineage/")
    assert response.status_code == 200
    assert "Search for a capsule above" in response.content.decode()


def test_explorer_search_lists_matching_capsules(sample_project, steward_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        html = steward_client.get("/lineage/?q=customers").content.decode()
    assert f"?urn={STG.replace(':', '%3A')}" in html
    assert "No capsule matches" in steward_client.get("/lineage/?q=zzzz").content.decode()


def test_explorer_draws_a_urn_with_its_graph_in_the_page(sample_project, steward_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = steward_client.get(f"/lineage/?urn={STG}&upstream=1&downstream=3")
    html = response.content.decode()
    graph = embedded_graph(html)
    assert graph["root"] == STG and graph["depth"]["downstream"]["applied"] == 3
    assert 'data-initial="explorer-graph-data"' in html
    assert "lineage/graph.js" in html


def test_a_urn_typed_in_the_search_box_is_drawn_at_once(sample_project, steward_client):
    html = steward_client.get(f"/lineage/?q={SOURCE}").content.decode()
    assert embedded_graph(html)["root"] == SOURCE


def test_an_unknown_urn_is_a_404(sample_project, steward_client):
    assert steward_client.get("/lineage/?urn=urn:dab:dbt:model:acme_shop.nope").status_code == 404
    assert steward_client.get("/lineage/graph.json?urn=urn:dab:dbt:model:acme_shop.nope").status_code == 404


def test_graph_json_for_the_script(sample_project, steward_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(9):
        response = steward_client.get(f"/lineage/graph.json?urn={STG}&upstream=0&downstream=1&level=column")
    body = response.json()
    assert body["level"] == "column" and body["depth"]["upstream"]["applied"] == 0
    assert steward_client.get("/lineage/graph.json").status_code == 400


def test_search_json_suggests_capsules(sample_project, steward_client):
    results = steward_client.get("/lineage/search.json?q=stg_cust").json()["results"]
    assert results[0]["urn"] == STG


def test_pages_follow_page_authentication(sample_project, client, settings):
    settings.ALLOW_ANONYMOUS_READ = False
    assert client.get(f"/lineage/graph.json?urn={STG}").status_code == 302
    settings.ALLOW_ANONYMOUS_READ = True
    # A visitor without an API key still gets the drawing's JSON through the page-side view.
    assert client.get(f"/lineage/graph.json?urn={STG}").status_code == 200
    assert client.get(f"/lineage/?urn={STG}").status_code == 200


def test_impact_page_groups_and_exports(sample_project, steward_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        html = steward_client.get(f"/lineage/impact/?urn={STG}").content.decode()
    assert "crm_customer_export" in html and "Customer Insights" in html
    csv_response = steward_client.get(f"/lineage/impact/?urn={STG}&format=csv")
    assert csv_response["Content-Type"].startswith("text/csv")
    assert csv_response.content.decode().splitlines()[0].startswith("depth,urn,name")
    body = steward_client.get(f"/lineage/impact/?urn={STG}:phone&format=json").json()
    assert body["level"] == "column" and body["total"] == 3


def test_impact_without_a_capsule_is_a_page_to_choose_one(steward_client):
    start = steward_client.get("/lineage/impact/")
    assert start.status_code == 200
    assert start["Content-Type"].startswith("text/html")
    html = start.content.decode()
    assert '<header class="site-header">' in html and "<h1>Impact analysis</h1>" in html
    assert 'name="urn"' in html


def test_impact_with_bad_input_answers_a_styled_400(steward_client):
    bad = steward_client.get("/lineage/impact/?urn=&depth=many")
    assert bad.status_code == 400
    html = bad.content.decode()
    assert '<header class="site-header">' in html and 'role="alert"' in html
    assert "depth: Enter a whole number." in html


def test_impact_of_an_unknown_urn_is_a_styled_404(steward_client, db):
    missing = steward_client.get("/lineage/impact/?urn=urn:dab:dbt:model:nowhere.nothing")
    assert missing.status_code == 404
    assert "Page not found" in missing.content.decode()


def test_capsule_page_has_the_lineage_panel(sample_project, steward_client):
    html = steward_client.get(f"/capsules/{STG}/").content.decode()
    assert 'id="capsule-lineage"' in html and f'data-urn="{STG}"' in html
    assert "/lineage/graph.json" in html


def test_column_page_traces_the_column_both_ways(sample_project, steward_client):
    html = steward_client.get(f"/columns/{STG}:phone/").content.decode()
    trace = html[html.index('id="trace-heading"') :]
    assert "Upstream, to its sources" in trace and "Downstream, to its consumers" in trace
    assert f'href="/columns/{SOURCE}:phone/"' in trace
    assert "SHA256(c.phone)" in trace and 'class="tx tx-hashed"' in trace
    assert "dim_marketing_audience.phone_hash" in trace


def test_column_page_of_an_unconnected_column_says_so(sample_project, steward_client):
    html = steward_client.get("/columns/urn:dab:dbt:seed:acme_shop.customers:email/").content.decode()
    assert "Nothing upstream" in html and "Nothing downstream" in html


def test_column_page_of_a_column_no_exposure_reaches_says_so(sample_project, steward_client):
    html = steward_client.get("/columns/urn:dab:dbt:seed:acme_shop.customers:email/").content.decode()
    assert "No exposure reads customers or anything this column feeds." in html


def test_explorer_hop_selectors_start_at_two_hops(steward_client):
    html = steward_client.get("/lineage/").content.decode()
    for name in ("upstream", "downstream"):
        select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
        assert re.search(r'<option value="2" selected>', select), f"{name} starts at {select[:80]}"


def test_an_exact_capsule_name_is_drawn_at_once(sample_project, steward_client):
    name = STG.rsplit(".", 1)[-1]
    response = steward_client.get(f"/lineage/?q={name.upper()}&upstream=2&downstream=2")
    graph = embedded_graph(response.content.decode())
    assert graph["root"] == STG and graph["depth"]["upstream"]["applied"] == 2


def test_a_name_shared_by_several_capsules_lists_them(sample_project, steward_client):
    from django.db.models import Count

    from catalog.models import Capsule

    shared = Capsule.objects.values("name").annotate(n=Count("pk")).filter(n__gt=1).order_by("name").first()
    if shared is None:  # make one: a second capsule with a name the sample already uses
        original = Capsule.objects.get(urn=STG)
        Capsule.objects.create(
            urn=STG + "_twin", name=original.name, capsule_type="model", source_system=original.source_system
        )
        shared = {"name": original.name}
    html = steward_client.get(f"/lineage/?q={shared['name']}").content.decode()
    assert "Capsules matching" in html and 'data-initial="explorer-graph-data"' not in html
