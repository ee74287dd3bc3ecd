"""Search beyond literal matches: typos and separators (the fuzzy tier), facets, typeahead suggestions,
"did you mean", match reasons. The fuzzy tier needs pg_trgm, so those tests run on PostgreSQL only."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from catalog import selectors
from catalog.querysets import capsules
from catalog.search import (
    RANK_DESCRIPTION,
    RANK_EXACT,
    RANK_FUZZY,
    RANK_PREFIX,
    edit_distance,
    search_terms,
    trigrams_available,
)
from catalog.tests.factories import CapsuleFactory, ColumnFactory, DomainFactory, OwnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fuzzy():
    if connection.vendor != "postgresql" or not trigrams_available():
        pytest.skip("the fuzzy tier needs PostgreSQL with pg_trgm; SQLite has literal matches only")


@pytest.fixture
def dates():
    """Names around ``dim_date`` created in an order unrelated to the ranking."""
    for name in ("dim_date_fiscal", "fct_sales", "dim_dates", "date_spine", "dim_date", "dim_customer"):
        CapsuleFactory(name=name)


def ranks(query: str) -> list[tuple[str, int]]:
    return [(c.name, c.search_rank) for c in selectors.search_capsules(query=query, limit=10).results]


def test_edit_distance_counts_a_swap_of_neighbours_as_one_edit():
    assert edit_distance("dim_date", "dmi_date") == 1
    assert edit_distance("dim_date", "dim_dat") == 1
    assert edit_distance("dim_date", "dom_dote") == 2
    assert edit_distance("dim_date", "customers") == 3  # capped at the limit


@pytest.mark.parametrize(
    ("typo", "meant"),
    [("dmi_date", "dim_date"), ("dim_dtae", "dim_date"), ("dimm_date", "dim_date"), ("dum_custimer", "dim_customer")],
)
def test_one_or_two_typos_find_the_name_first(fuzzy, dates, typo, meant):
    found = ranks(typo)
    assert found[0] == (meant, RANK_FUZZY), found


@pytest.mark.parametrize("spelling", ["DimDate", "dimdate", "dim-date", "Dim.Date", "dim date"])
def test_other_separators_rank_with_exact_names(fuzzy, dates, spelling):
    assert ranks(spelling)[0] == ("dim_date", RANK_EXACT)


def test_the_name_itself_comes_before_the_same_letters_with_other_separators(fuzzy):
    CapsuleFactory(name="email_log_v_2")
    CapsuleFactory(name="email_log_v2")
    assert ranks("email_log_v_2")[:2] == [("email_log_v_2", RANK_EXACT), ("email_log_v2", RANK_EXACT)]
    reasons = [c.search_reason for c in selectors.search_capsules(query="email_log_v_2").results[:2]]
    assert reasons == ["exact name", "same name, other separators"]


def test_exact_and_prefix_matches_outrank_fuzzy_ones(fuzzy, dates):
    found = ranks("dim_dates")
    assert found[0] == ("dim_dates", RANK_EXACT)
    assert ("dim_date", RANK_FUZZY) in found  # a letter short: close, but after every literal match
    assert [rank for _, rank in found] == sorted(rank for _, rank in found)
    assert ranks("dim_dat")[:3] == [("dim_date", RANK_PREFIX), ("dim_dates", RANK_PREFIX), ("dim_date_fiscal", 1)]


def test_a_fuzzy_match_says_so_in_its_reason(fuzzy, dates):
    first = selectors.search_capsules(query="dmi_date").results[0]
    assert first.search_reason == "similar name: 1 letter apart"
    body = selectors.search_suggestions(query="dmi_date")[0]
    assert (body.name, body.match) == ("dim_date", "fuzzy")


def test_short_queries_and_other_words_are_not_fuzzy(fuzzy, dates):
    assert ranks("dmi") == []  # under five letters: too many names are two edits away
    CapsuleFactory(name="orders_daily")
    CapsuleFactory(name="payments", description="Payments of orders.")
    # one word of a longer query is not a typo of a name
    assert ranks("payment orders") == [("payments", RANK_DESCRIPTION)]


@pytest.mark.parametrize("query", ["dmi_date", "DimDate", "dim_dates", "date"])
def test_the_filter_ranks_fuzzy_matches_as_the_search_page_does(fuzzy, dates, query):
    page = selectors.search_capsules(query=query, limit=100)
    assert capsules().ranked(query).count() < selectors.FUZZY_WHEN_FEWER  # so the page looks for fuzzy ones
    assert [(c.pk, c.search_rank) for c in page.results] == list(
        capsules().ranked(query, fuzzy=True).values_list("pk", "search_rank")
    )


def test_description_words_match_singular_and_plural():
    CapsuleFactory(name="map_epic_internal", description="Epics under each internal namespace.")
    assert [c.name for c in capsules().search("namespaces")] == ["map_epic_internal"]
    assert search_terms("Namespaces class").words == ("namespace", "class")


@pytest.fixture
def faceted():
    """Capsules matching "orders" across layers, domains, owners, tags, tests and PII, plus one that does not."""
    sales, finance = DomainFactory(name="sales"), DomainFactory(name="finance")
    team = OwnerFactory(name="Sales Analytics")
    made = {
        "stg_orders": CapsuleFactory(name="stg_orders", layer="staging", materialization="view", tags=["daily"]),
        "fct_orders": CapsuleFactory(
            name="fct_orders", layer="marts", domain=sales, owner=team, materialization="table", tags=["daily", "pii"],
            has_tests=True, test_count=2,
        ),
        "orders_by_month": CapsuleFactory(
            name="orders_by_month", layer="marts", domain=finance, materialization="table"
        ),
        "customers": CapsuleFactory(name="customers", layer="marts", domain=sales),
    }  # fmt: skip
    ColumnFactory(capsule=made["fct_orders"], name="customer_email", pii_type="email")
    ColumnFactory(capsule=made["stg_orders"], name="order_id")
    return made


def counts(page, facet: str) -> dict[str, int]:
    return {c.value: c.count for c in page.facets[facet]}


def test_search_facets_count_the_matches_per_value(faceted):
    page = selectors.search_capsules(query="orders", facets=True)
    assert page.count == 3
    assert counts(page, "layer") == {"marts": 2, "staging": 1}
    assert counts(page, "domain") == {"sales": 1, "finance": 1}
    assert counts(page, "owner") == {"Sales Analytics": 1}
    assert counts(page, "materialization") == {"table": 2, "view": 1}
    assert counts(page, "has_pii") == {"true": 1, "false": 2}
    assert counts(page, "has_tests") == {"true": 1, "false": 2}
    assert counts(page, "tag") == {"daily": 2, "pii": 1}
    assert counts(page, "capsule_type") == {"model": 3}


def test_choosing_a_facet_narrows_the_results_and_counts_the_others_under_it(faceted):
    page = selectors.search_capsules(query="orders", facets=True, selected={"layer": "marts"})
    assert {c.name for c in page.results} == {"fct_orders", "orders_by_month"}
    assert page.count == 2
    assert counts(page, "layer") == {"marts": 2, "staging": 1}  # its own facet: the values to switch to
    assert counts(page, "tag") == {"daily": 1, "pii": 1}  # within marts
    both = selectors.search_capsules(query="orders", facets=True, selected={"layer": "marts", "has_pii": "true"})
    assert [c.name for c in both.results] == ["fct_orders"]


def test_beyond_the_cap_a_facet_choice_is_applied_in_the_database(faceted, monkeypatch):
    """With more matches than the cap, the first candidates may all lie outside the choice: the search is
    then run again within it, so a chosen facet never hides its matches."""
    from catalog.filters import search_scope

    monkeypatch.setattr(selectors, "SEARCH_CAP", 1)
    scope = search_scope({"layer": "marts", "domain": "finance"})
    page = selectors.search_capsules(query="orders", selected=scope.selected, within=scope.capsules, facets=True)
    assert [c.name for c in page.results] == ["orders_by_month"]


def test_column_search_within_facets_follows_the_capsule_and_the_column(faceted):
    from catalog.filters import search_scope

    scope = search_scope({"layer": "marts", "has_pii": "true"})
    names = [c.name for c in selectors.search_columns(query="customer", within=scope.columns).results]
    assert names == ["customer_email"]
    scope = search_scope({"layer": "staging"})
    assert selectors.search_columns(query="customer", within=scope.columns).results == []


def test_bad_facet_values_are_reported_by_name():
    from catalog.filters import search_scope

    scope = search_scope({"has_pii": "perhaps", "layer": "marts"})
    assert "has_pii" in scope.errors and scope.selected == {}


def test_suggestions_put_capsules_first_and_carry_their_pages(faceted):
    found = selectors.search_suggestions(query="ord", limit=8)
    kinds = [s.kind for s in found]
    assert kinds == sorted(kinds)  # capsules, then columns
    capsule = next(s for s in found if s.kind == "capsule")
    assert capsule.url == reverse("catalog:capsule_detail", kwargs={"urn": capsule.urn})
    assert (capsule.capsule_type, capsule.match) == ("model", "prefix")
    column = next(s for s in found if s.kind == "column")
    assert column.label == "stg_orders.order_id" and column.layer == "staging"
    assert column.url == reverse("catalog:column_detail", kwargs={"urn": column.urn})
    assert len(selectors.search_suggestions(query="o", limit=8)) <= 8
    payload = selectors.search_suggest_payload(query="o")
    assert payload["suggestions"] == [] and payload["all_results_url"] == "/search/?q=o"  # two characters first


def test_did_you_mean_offers_the_closest_names(faceted):
    assert selectors.search_did_you_mean(query="ordrs_by_mnth")[0] == "orders_by_month"
    assert "customer_email" in selectors.search_did_you_mean(query="custmer_emial")
    assert selectors.search_did_you_mean(query="zzzzqqqq") == []


def test_fuzzy_matches_are_looked_for_only_while_literal_ones_are_few(fuzzy, monkeypatch):
    CapsuleFactory(name="dim_date")
    for n in range(3):
        CapsuleFactory(name=f"dmi_date_part_{n}")  # literal matches of the typo
    assert ("dim_date", RANK_FUZZY) in ranks("dmi_date")
    monkeypatch.setattr(selectors, "FUZZY_WHEN_FEWER", 3)
    assert [rank for _, rank in ranks("dmi_date")] == [RANK_PREFIX] * 3


def prepared_search_runs() -> tuple[int, int]:
    """The search statements this connection holds prepared, and how many times they ran."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), coalesce(sum(generic_plans + custom_plans), 0) FROM pg_prepared_statements"
            " WHERE statement LIKE '%%SELECT id, name, urn%%'"
        )
        return tuple(cursor.fetchone())


def test_search_sql_is_prepared_once_per_connection_and_ranks_the_same(dates, settings):
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    queries = ("dim_date", "dim", "date", "dim_date")
    settings.SEARCH_PREPARED_STATEMENTS = False
    before = prepared_search_runs()
    plain = [ranks(q) for q in queries]
    assert prepared_search_runs() == before
    settings.SEARCH_PREPARED_STATEMENTS = True
    prepared = [ranks(q) for q in queries]
    assert prepared == plain and prepared[0][0] == ("dim_date", RANK_EXACT)
    held, runs = prepared_search_runs()
    assert runs >= before[1] + len(queries)
    ranks("dim_date")  # the same shape again: run, not prepared again
    again = prepared_search_runs()
    assert again[0] == held and again[1] > runs
