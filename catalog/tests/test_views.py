"""Catalog pages over the ingested sample: the browser's filter bar and facets, capsule and column pages,
domains, owners, search; sanitised descriptions; a fixed number of queries per page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from catalog.models import Capsule, Column, Domain, Owner
from catalog.tests.conftest import sample_urn

pytestmark = pytest.mark.django_db

FCT_ORDERS = sample_urn("model.acme_shop.fct_orders")
TICKETS = sample_urn("model.acme_shop.stg_support_tickets")


# Panels other apps render into the catalog's pages; their own tests count their queries.
OTHER_APPS_PANELS = (
    "lineage/_capsule_lineage.html",
    "lineage/_column_trace.html",
    "conformance/_capsule_violations.html",
    "pii/_column_panel.html",
    "ingestion/_capsule_history.html",
)


@pytest.fixture
def without_other_panels(settings):
    """Render the other apps' panels as empty templates, so a test sees only the catalog's own work."""
    engine = dict(settings.TEMPLATES[0])
    engine["APP_DIRS"] = False
    engine["OPTIONS"] = {
        **engine["OPTIONS"],
        "loaders": [
            ("django.template.loaders.locmem.Loader", dict.fromkeys(OTHER_APPS_PANELS, "")),
            "django.template.loaders.filesystem.Loader",
            "django.template.loaders.app_directories.Loader",
        ],
    }
    settings.TEMPLATES = [engine]


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_browser_lists_capsules_with_facet_counts(steward_client, sample_project):
    response = steward_client.get("/capsules/")
    html = html_of(response)
    assert response.context["page_obj"].paginator.count == Capsule.objects.count()
    facets = {f.name: {o.value: o.count for o in f.options} for f in response.context["facets"]}
    assert facets["layer"]["marts"] == Capsule.objects.filter(layer="marts").count()
    assert facets["capsule_type"]["model"] == sample_project.expected["counts"]["manifest"]["models"]
    assert f'<option value="marts">marts ({facets["layer"]["marts"]})</option>' in html
    assert '<label for="f-layer">Layer</label>' in html


def test_browser_filters_from_the_url_and_marks_them_selected(steward_client, sample_project):
    response = steward_client.get("/capsules/?capsule_type=model&layer=marts&domain=sales")
    html = html_of(response)
    names = {c.name for c in response.context["capsules"]}
    assert names == set(
        Capsule.objects.filter(capsule_type="model", layer="marts", domain__name="sales").values_list("name", flat=True)
    )
    assert re.search(r'<option value="marts" selected>', html)
    # the layer facet ignores its own filter: other layers stay visible as alternatives
    layer_values = {o.value for f in response.context["facets"] if f.name == "layer" for o in f.options}
    assert layer_values == {"marts"}  # sales models are all marts in the sample
    assert "Clear filters" in html


def test_browser_sorts_and_says_so(steward_client, sample_project):
    html = html_of(steward_client.get("/capsules/?ordering=-test_count"))
    assert re.search(
        r'<th scope="col" aria-sort="descending" class="num"><a class="sort-link" href="\?ordering=test_count"', html
    )
    default = html_of(steward_client.get("/capsules/"))
    assert '<th scope="col" aria-sort="ascending"><a class="sort-link" href="?ordering=-name"' in default


def test_browser_ignores_bad_filters_and_says_why(steward_client, sample_project):
    response = steward_client.get("/capsules/?ordering=nonsense")
    html = html_of(response)
    assert response.context["page_obj"].paginator.count == Capsule.objects.count()
    assert 'role="alert"' in html and "ordering" in html


def test_browser_page_size_comes_from_the_url(steward_client, sample_project):
    response = steward_client.get("/capsules/?page_size=5&page=2")
    assert len(response.context["capsules"]) == 5
    html = html_of(response)
    assert 'href="?page_size=5&amp;page=3"' in html and 'href="?page_size=5&amp;page=1"' in html


def test_capsule_page_shows_header_columns_tests_neighbours_and_meta(steward_client, sample_project):
    response = steward_client.get(reverse("catalog:capsule_detail", kwargs={"urn": FCT_ORDERS}))
    html = html_of(response)
    capsule = Capsule.objects.get(urn=FCT_ORDERS)
    for text in (capsule.name, capsule.urn, capsule.original_file_path, capsule.qualified_name, "sales", "incremental"):
        assert text in html
    assert html.count('<th scope="row"><a href="/columns/') == capsule.columns.count()
    for test in capsule.tests:
        assert test["name"] in html
    assert {c.urn for c in response.context["upstream"]} == set(
        Capsule.objects.filter(downstream_edges__target=capsule).values_list("urn", flat=True)
    )
    assert f'href="/api/v1/capsules/{FCT_ORDERS}"' in html
    templates = {t.name for t in response.templates}
    assert {"lineage/_capsule_lineage.html", "conformance/_capsule_violations.html"} <= templates
    for key in capsule.meta:
        assert f'<th scope="row" class="mono">{key}</th>' in html


def test_hostile_descriptions_are_sanitised_everywhere(steward_client, sample_project):
    notes = Column.objects.get(urn=f"{TICKETS}:notes")
    assert "<script>" in notes.description  # the sample is hostile on purpose
    for url in (notes.get_absolute_url(), reverse("catalog:capsule_detail", kwargs={"urn": TICKETS})):
        html = html_of(steward_client.get(url))
        assert "<b>Never render this field unescaped.</b>" in html
        assert "alert(" not in html and "onmouseover" not in html


def test_column_page_shows_pii_verdict_and_evidence(steward_client, sample_project):
    evidence = [
        {"signal": "name", "detail": "token 'email'", "pii_type": "email", "weight": 0.6, "source": None},
        {
            "signal": "type",
            "detail": "boolean cannot hold an email",
            "pii_type": "email",
            "weight": -0.4,
            "source": None,
        },
    ]
    urn = sample_urn("model.acme_shop.stg_customers") + ":email"
    Column.objects.filter(urn=urn).update(pii_type="email", pii_confidence=0.82, pii_masked=True, pii_evidence=evidence)
    response = steward_client.get(reverse("catalog:column_detail", kwargs={"urn": urn}))
    html = html_of(response)
    assert "PII: email" in html and "masked" in html and "82%" in html
    assert "boolean cannot hold an email" in html and 'class="against"' in html
    templates = {t.name for t in response.templates}
    assert {"lineage/_column_trace.html", "pii/_column_panel.html", "pii/_review.html"} <= templates


def test_rejected_pii_is_shown_as_rejected(steward_client, sample_project):
    urn = sample_urn("model.acme_shop.stg_customers") + ":email"
    Column.objects.filter(urn=urn).update(pii_type="email", pii_decision="rejected", pii_decided_by="ada")
    html = html_of(steward_client.get(reverse("catalog:column_detail", kwargs={"urn": urn})))
    verdict = re.search(r'<p class="pii-verdict">(.*?)</p>', html, re.S).group(1)
    assert "a steward rejected it" in verdict and "PII: email" not in verdict
    badges = re.search(r'<p class="badges">(.*?)</p>', html, re.S).group(1)
    assert "not PII (rejected)" in badges and "PII: email" not in badges


def test_domain_pages_show_coverage_and_capsules(steward_client, sample_project):
    html = html_of(steward_client.get("/domains/"))
    for domain in Domain.objects.all():
        assert f'<a href="/domains/{domain.name}/">{domain.name}</a>' in html
    response = steward_client.get("/domains/sales/?capsule_type=model")
    assert {c.name for c in response.context["capsules"]} == set(
        Capsule.objects.filter(domain__name="sales", capsule_type="model").values_list("name", flat=True)
    )
    assert response.context["domain"].capsule_count == Capsule.objects.filter(domain__name="sales").count()


def test_owner_pages_list_owners_and_their_capsules(steward_client, sample_project):
    owner = Owner.objects.get(name="Sales Analytics")
    html = html_of(steward_client.get("/owners/"))
    assert f'<a href="/owners/{owner.pk}/">Sales Analytics</a>' in html
    response = steward_client.get(owner.get_absolute_url())
    assert {c.pk for c in response.context["capsules"]} == set(owner.capsules.values_list("pk", flat=True))
    assert "sales-analytics@example.com" in html_of(response)


def test_unknown_objects_are_404_pages(steward_client, sample_project):
    for url in (
        "/capsules/urn:dab:dbt:model:acme_shop.nope/",
        "/columns/urn:dab:dbt:model:acme_shop.fct_orders:nope/",
        "/domains/nope/",
        "/owners/00000000-0000-0000-0000-000000000000/",
    ):
        assert steward_client.get(url).status_code == 404, url


def test_search_page_shows_both_kinds_with_counts(steward_client, sample_project):
    response = steward_client.get("/search/?q=stg_customers")
    html = html_of(response)
    assert response.context["capsules"].results[0].urn == sample_urn("model.acme_shop.stg_customers")
    assert 'aria-current="page">All' in html
    assert "exact name" in html
    assert f'Capsules <span class="count">{response.context["capsules"].count}</span>' in html
    columns = steward_client.get("/search/?q=email&kind=columns")
    assert columns.context["columns"].count == len(columns.context["columns"].results) > 0
    # the other tab keeps its count
    assert columns.context["capsules"].count == steward_client.get("/search/?q=email").context["capsules"].count
    assert 'aria-current="page">Columns' in html_of(columns)


def test_search_page_paginates_one_kind(steward_client, sample_project):
    first = steward_client.get("/search/?q=_id&kind=columns")
    total = first.context["columns"].count
    assert total > 50
    second = steward_client.get("/search/?q=_id&kind=columns&page=2")
    assert second.context["first_index"] == 51
    seen = {c.pk for c in first.context["columns"].results} & {c.pk for c in second.context["columns"].results}
    assert not seen


def test_catalog_pages_need_a_login(client, sample_project):
    for url in ("/owners/", "/search/?q=x", f"/capsules/{FCT_ORDERS}/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


PAGES = (
    ("/capsules/", 8),  # session, user, count, the page's ids, their rows, their column counts, facets
    ("/capsules/?layer=marts,staging&has_pii=false&search=s&ordering=-owner", 8),
    ("/domains/sales/", 10),  # + domain, children; the type and layer facets
    ("/owners/{owner}/", 10),  # + owner, owned domains; the type and layer facets
    # + columns: catalog version, names (once per version), prefix matches, the other literal matches (one
    #   UNION ALL), rows;
    #   capsules: their prefix and other literal matches, for the tab's count and the facets;
    #   +1 the first time a process searches (whether pg_trgm is there); SQLite: the name and description
    #   matches in a query each, no pg_trgm to ask about
    ("/search/?q=order&kind=columns", 11),  # + the capsules' names alike but for separators, pg_trgm's threshold
)


@pytest.mark.parametrize(("url", "bound"), PAGES, ids=[u for u, _ in PAGES])
def test_list_pages_keep_a_fixed_number_of_queries(
    steward_client, sample_project, django_assert_max_num_queries, url, bound
):
    url = url.format(owner=Owner.objects.get(name="Data Platform Team").pk)
    separator = "&" if "?" in url else "?"
    for size in (5, 50):
        with django_assert_max_num_queries(bound):
            response = steward_client.get(f"{url}{separator}page_size={size}")
        assert response.status_code == 200


@pytest.mark.parametrize("url", ["/domains/", "/owners/"])
def test_small_lists_are_one_query(steward_client, sample_project, django_assert_max_num_queries, url):
    with django_assert_max_num_queries(3):
        assert steward_client.get(url).status_code == 200


def test_detail_pages_keep_a_fixed_number_of_queries(
    steward_client, sample_project, without_other_panels, django_assert_max_num_queries
):
    small = sample_urn("seed.acme_shop.countries")
    for urn in (FCT_ORDERS, small):
        with django_assert_max_num_queries(6):  # session, user, capsule+counts, columns, upstream, downstream
            assert steward_client.get(reverse("catalog:capsule_detail", kwargs={"urn": urn})).status_code == 200
    column_url = Column.objects.get(urn=f"{TICKETS}:notes").get_absolute_url()
    with django_assert_max_num_queries(3):  # session, user, column with capsule, domain and owner
        assert steward_client.get(column_url).status_code == 200


def test_the_column_page_shows_the_panels_other_apps_register(steward_client, sample_project):
    from catalog.panels import column_panels

    assert "pii/_column_panel.html" in column_panels()
    urn = sample_urn("model.acme_shop.stg_customers") + ":email"
    response = steward_client.get(reverse("catalog:column_detail", kwargs={"urn": urn}))
    assert "pii/_column_panel.html" in {t.name for t in response.templates}
    assert 'id="pii-heading"' in html_of(response)


def test_search_page_facets_link_to_a_narrower_shareable_search(steward_client, sample_project):
    response = steward_client.get("/search/?q=customer")
    facets = {name: options for name, _, options in response.context["facets"]}
    marts = next(o for o in facets["layer"] if o.label == "marts")
    assert marts.url == "?q=customer&layer=marts" and not marts.selected
    narrowed = steward_client.get(f"/search/{marts.url}")
    assert narrowed.context["capsules"].count == marts.count
    assert {c.layer for c in narrowed.context["capsules"].results} == {"marts"}
    chosen = next(
        o for name, _, options in narrowed.context["facets"] if name == "layer" for o in options if o.selected
    )
    assert chosen.url == "?q=customer"  # choosing it again drops it
    html = html_of(narrowed)
    assert 'aria-current="true"' in html and "Clear all" in html


def test_search_page_with_no_results_says_what_was_searched_and_offers_names(steward_client, sample_project):
    html = html_of(steward_client.get("/search/?q=stg_custmers_tbl1"))
    assert "Nothing matches “stg_custmers_tbl1”" in html
    assert "Did you mean" in html and "?q=stg_customers" in html
    assert 'href="/capsules/">all capsules</a>' in html


def test_search_suggestions_for_pages_follow_the_page_login(client, steward_client, sample_project):
    body = steward_client.get("/search/suggest/?q=fct_or").json()
    assert body["suggestions"][0]["name"] == "fct_orders"
    assert body["suggestions"][0]["url"].startswith("/capsules/")
    client.logout()
    assert client.get("/search/suggest/?q=fct_or").status_code == 302


def test_capsule_page_shows_the_last_run_to_the_second(steward_client, sample_project):
    capsule = Capsule.objects.filter(attributes__last_run__completed_at__isnull=False).first()
    raw = capsule.attributes["last_run"]["completed_at"]
    assert re.search(r"\.\d{3,6}", raw)  # dbt writes microseconds
    html = steward_client.get(capsule.get_absolute_url()).content.decode()
    shown = re.search(r"Last run</th><td>.*?</span> ([^<]*)</td>", html).group(1)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", shown), shown
    assert raw[:10] == shown[:10]


@pytest.mark.parametrize("url", ["/domains/{domain}/", "/owners/{owner}/"])
def test_domain_and_owner_pages_filter_by_type_and_layer_with_dropdowns(steward_client, sample_project, url):
    owner = Owner.objects.get(name="Data Platform Team")
    url = url.format(owner=owner.pk, domain="sales")
    html = steward_client.get(url).content.decode()
    assert '<select id="f-layer" name="layer">' in html and '<select id="f-capsule_type" name="capsule_type">' in html
    assert 'type="text" id="f-layer"' not in html
    layers = re.findall(
        r'<option value="([a-z_]+)">\1 \((\d+)\)</option>', html.split('id="f-layer"')[1].split("</select>")[0]
    )
    assert layers, "the layer select offers the layers of this page's capsules, with counts"
    value, count = layers[0]
    filtered = steward_client.get(f"{url}?layer={value}").content.decode()
    assert f'<option value="{value}" selected>' in filtered
