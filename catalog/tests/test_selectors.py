"""Selectors and query fragments: search ranking, PII filters that honour stewards, facets, neighbours."""

from __future__ import annotations

import pytest
from django.db import connection

from catalog import selectors
from catalog.filters import CapsuleFilterSet
from catalog.models import Capsule, Column
from catalog.querysets import capsules, columns
from catalog.search import RANK_DESCRIPTION, RANK_EXACT, RANK_NAME, RANK_PREFIX, trigrams_available
from catalog.tests.conftest import sample_urn
from catalog.tests.factories import CapsuleFactory, ColumnFactory, DomainFactory, OwnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ranked_capsules():
    """One capsule per search tier for the query "orders", created in an order unrelated to the ranking."""
    CapsuleFactory(name="payments", description="Payments of orders, one row per payment.")
    CapsuleFactory(name="fct_orders")
    CapsuleFactory(name="orders_daily")
    CapsuleFactory(name="Orders", capsule_type="source", urn="urn:dab:dbt:source:shop.raw.orders")
    CapsuleFactory(name="customers", description="Nothing about the word we look for.")
    CapsuleFactory(name="tagged_one", tags=["orders"])


def test_search_ranks_exact_then_prefix_then_name_then_description(ranked_capsules):
    names = [c.name for c in capsules().ranked("orders")]
    # Within a tier shorter names come first, then alphabetical: fct_orders and tagged_one tie on length.
    assert names == ["Orders", "orders_daily", "fct_orders", "tagged_one", "payments"]


def test_search_annotates_the_tier_of_each_match(ranked_capsules):
    ranks = {c.name: c.search_rank for c in capsules().ranked("ORDERS")}
    assert ranks == {
        "Orders": RANK_EXACT,
        "orders_daily": RANK_PREFIX,
        "fct_orders": RANK_NAME,
        "tagged_one": RANK_NAME,  # a tag equal to the query
        "payments": RANK_DESCRIPTION,
    }


def test_search_matches_urns(ranked_capsules):
    assert [c.name for c in capsules().search("source:shop.raw")] == ["Orders"]
    exact = capsules().ranked("urn:dab:dbt:model:shop.fct_orders")
    assert [(c.name, c.search_rank) for c in exact] == [("fct_orders", RANK_EXACT)]


def test_short_queries_match_name_prefixes_only(ranked_capsules):
    assert {c.name for c in capsules().search("or")} == {"Orders", "orders_daily"}


def test_short_column_queries_rank_by_prefix_without_reading_the_column_names(django_assert_num_queries):
    """A short query matches only name prefixes and whole URNs: ranking it is the one query, no catalog
    version and no list of distinct names (those serve "contains", which a short query never asks)."""
    capsule = CapsuleFactory(name="orders")
    for name in ("id_hash", "id", "order_id", "idx"):
        ColumnFactory(capsule=capsule, name=name)
    with django_assert_num_queries(1):
        ranked = [(c.name, c.search_rank) for c in columns().ranked("id")]
    assert ranked == [("id", RANK_EXACT), ("idx", RANK_PREFIX), ("id_hash", RANK_PREFIX)]


def test_description_matches_need_every_word(ranked_capsules):
    assert [c.name for c in capsules().search("payment orders")] == ["payments"]
    assert list(capsules().search("payment invoices")) == []


def test_spaces_in_a_query_match_underscores_in_names():
    ColumnFactory(name="order_status")
    ColumnFactory(name="status", description="The order status.")
    found = [(c.name, c.search_rank) for c in columns().ranked("Order Status")]
    assert found == [("order_status", RANK_EXACT), ("status", RANK_DESCRIPTION)]


def test_search_of_nothing_filters_nothing(ranked_capsules):
    assert capsules().search("   ").count() == Capsule.objects.count()
    assert capsules().search(None).count() == Capsule.objects.count()


def test_search_treats_like_wildcards_as_text():
    CapsuleFactory(name="stg_orders")
    CapsuleFactory(name="stgxorders")
    assert [c.name for c in capsules().search("stg_o")] == ["stg_orders"]
    assert list(capsules().search("100%")) == []


def test_column_search_finds_a_column_by_its_exact_urn():
    email = ColumnFactory(name="email", capsule=CapsuleFactory(name="StgCustomers"))
    ColumnFactory(name="email_verified", capsule=email.capsule)
    found = list(columns().ranked(email.urn))
    assert [(c.pk, c.search_rank) for c in found] == [(email.pk, RANK_EXACT)]


def test_search_page_counts_and_ranks_in_a_fixed_number_of_queries(ranked_capsules, django_assert_num_queries):
    trigrams_available()  # asked once per process
    # PostgreSQL: the prefix matches and, in the same statement, the other literal parts (name, description
    # matches, names alike but for separators); the names close to the query (a query this short keeps
    # pg_trgm's own threshold); the page's rows. SQLite: the prefix matches, then one query per literal
    # part (it has no fuzzy tier), the page's rows.
    with django_assert_num_queries(3 if connection.vendor == "postgresql" else 4):
        page = selectors.search_capsules(query="orders", limit=2)
    assert (page.count, page.exact) == (5, True)
    assert [c.name for c in page.results] == ["Orders", "orders_daily"]
    assert [c.name for c in selectors.search_capsules(query="orders", limit=2, offset=4).results] == ["payments"]
    past_the_end = selectors.search_capsules(query="orders", limit=2, offset=10)
    assert past_the_end.results == [] and past_the_end.count == 5


def test_search_beyond_the_cap_keeps_exact_names_and_says_at_least(monkeypatch):
    """With more matches than the cap, prefix matches are taken in name order (so the exact name stays)
    and the count says "at least"."""
    monkeypatch.setattr(selectors, "SEARCH_CAP", 3)
    for name in ("status_z", "status_y", "order_status", "ticket_status", "status_x", "status"):
        ColumnFactory(name=name)
    page = selectors.search_columns(query="status", limit=10)
    assert (page.count, page.exact) == (3, False)
    # The first prefix matches in name order; the others would rank below them, so they are not fetched.
    assert [c.name for c in page.results] == ["status", "status_x", "status_y"]
    assert selectors.search_count(query="status", kind="columns") == (3, False)
    assert selectors.search_count(query="ticket", kind="columns") == (1, True)
    tickets = selectors.search_columns(query="us", limit=10)  # under three characters: prefixes only
    assert tickets.count == 0


@pytest.mark.parametrize(
    "query", ["customer", "orders", "email", "stg", "order status", "id", "amount", "custmoers", "StgOrders", "ordres"]
)
def test_search_page_ranks_as_the_sql_ranking_does(sample_project, query):
    """The search page ranks fetched rows in Python; the API's ?search= ordering ranks in SQL."""
    for kind, search, qs in (
        ("capsules", selectors.search_capsules, capsules()),
        ("columns", selectors.search_columns, columns()),
    ):
        page = search(query=query, limit=1000)
        assert page.exact
        fuzzy = qs.ranked(query).count() < selectors.FUZZY_WHEN_FEWER  # when the page looks for close names
        expected = list(qs.ranked(query, fuzzy=fuzzy).values_list("pk", "search_rank"))
        assert [(row.pk, row.search_rank) for row in page.results] == expected, kind


@pytest.fixture
def pii_capsules():
    """Three capsules: PII detected, PII detected but rejected by a steward, no PII at all."""
    detected = ColumnFactory(name="email", pii_type="email", pii_confidence=0.9).capsule
    rejected = ColumnFactory(name="user_agent", pii_type="device_id", pii_decision="rejected").capsule
    ColumnFactory(name="amount", capsule=rejected)
    clean = ColumnFactory(name="amount").capsule
    confirmed = ColumnFactory(name="phone", pii_type="phone", pii_decision="confirmed").capsule
    return {"detected": detected, "rejected": rejected, "clean": clean, "confirmed": confirmed}


def test_has_pii_ignores_columns_a_steward_rejected(pii_capsules):
    with_pii = set(capsules().with_pii(True).values_list("pk", flat=True))
    assert with_pii == {pii_capsules["detected"].pk, pii_capsules["confirmed"].pk}
    without = set(capsules().with_pii(False).values_list("pk", flat=True))
    assert without == {pii_capsules["rejected"].pk, pii_capsules["clean"].pk}


def test_column_pii_filters_honour_rejections(pii_capsules):
    assert set(columns().pii(True).values_list("name", flat=True)) == {"email", "phone"}
    assert set(columns().pii(False).values_list("name", flat=True)) == {"user_agent", "amount"}
    assert list(columns().of_pii_type("device_id")) == []
    assert list(columns().of_pii_type("email").values_list("name", flat=True)) == ["email"]


def test_detail_counts_pii_columns_without_rejected_ones(pii_capsules):
    assert selectors.capsule_get(urn=pii_capsules["rejected"].urn).pii_column_count == 0
    detected = selectors.capsule_get(urn=pii_capsules["detected"].urn)
    assert (detected.column_count, detected.pii_column_count) == (1, 1)


def test_facets_count_each_facet_without_its_own_filter():
    sales, finance = DomainFactory(name="sales"), DomainFactory(name="finance")
    owner = OwnerFactory(name="Sales Analytics")
    for layer, domain, n in (("staging", sales, 3), ("marts", sales, 2), ("marts", finance, 4), ("staging", None, 1)):
        for _ in range(n):
            CapsuleFactory(layer=layer, domain=domain, owner=owner if domain is sales else None)
    filterset = CapsuleFilterSet({"layer": "marts", "domain": "sales"}, queryset=selectors.capsule_list())
    facets = selectors.capsule_facet_counts(querysets=filterset.facet_querysets())

    def counts(name):
        return {f.value: f.count for f in facets[name]}

    assert counts("layer") == {"staging": 3, "marts": 2}  # within sales, any layer
    assert counts("domain") == {"sales": 2, "finance": 4}  # within marts, any domain
    assert counts("owner") == {"Sales Analytics": 2}  # both filters apply
    assert counts("has_tests") == {"false": 2}
    assert filterset.qs.count() == 2


def test_facets_are_one_query(django_assert_num_queries):
    CapsuleFactory.create_batch(3)
    filterset = CapsuleFilterSet({"layer": "staging"}, queryset=selectors.capsule_list())
    with django_assert_num_queries(1):
        selectors.capsule_facet_counts(querysets=filterset.facet_querysets())


def test_coverage_of_a_set_of_capsules():
    CapsuleFactory(has_tests=True, test_count=2, description="Documented.", doc_coverage=1.0)
    CapsuleFactory(has_tests=False, description="", doc_coverage=0.5)
    CapsuleFactory(has_tests=False, description=None, doc_coverage=0.0)
    coverage = selectors.capsule_coverage(queryset=Capsule.objects.all())
    assert (coverage.capsules, coverage.tested, coverage.documented) == (3, 1, 1)
    assert coverage.tested_ratio == pytest.approx(1 / 3)
    assert coverage.column_doc_coverage == pytest.approx(0.5)
    assert selectors.capsule_coverage(queryset=Capsule.objects.none()).tested_ratio is None


def test_neighbours_follow_the_sample_projects_lineage(sample_project):
    exposure = sample_project.expected["exposures"][0]
    capsule = selectors.capsule_get(urn=sample_urn(exposure["node"]))
    upstream = selectors.capsule_upstream(capsule=capsule)
    assert {c.urn for c in upstream} == {sample_urn(node) for node in exposure["depends_on"]}
    assert capsule.upstream_count == len(upstream)
    fct_orders = selectors.capsule_get(urn=sample_urn("model.acme_shop.fct_orders"))
    assert capsule.urn in {c.urn for c in selectors.capsule_downstream(capsule=fct_orders)}
    assert fct_orders.downstream_count == len(selectors.capsule_downstream(capsule=fct_orders))


def test_capsule_columns_come_in_warehouse_order(sample_project):
    capsule = Capsule.objects.get(urn=sample_urn("model.acme_shop.stg_customers"))
    positions = [c.ordinal_position for c in selectors.capsule_columns(capsule=capsule)]
    assert positions == sorted(positions) and len(positions) == Column.objects.filter(capsule=capsule).count()


def test_new_column_names_are_found_once_the_catalog_changes():
    capsule = ColumnFactory(name="zebra_stripes").capsule
    assert [c.name for c in columns().search("ebra")] == ["zebra_stripes"]
    ColumnFactory(name="zebra_crossing", capsule=capsule)
    capsule.save()  # the loader re-stamps a capsule whose columns changed
    assert {c.name for c in columns().search("ebra")} == {"zebra_stripes", "zebra_crossing"}


def test_sql_among_selects_keys_and_text_beyond_the_parameter_limit():
    """One parameter however many values: 40,000 keys (past SQLite's 32,766 parameters a statement), given as
    UUIDs or as their text, and plain text values, select exactly the stored rows named among them."""
    import uuid

    from catalog.querysets import sql_among

    wanted = [CapsuleFactory(name=f"among_{n}") for n in range(3)]
    CapsuleFactory(name="left_out")
    filler = [uuid.uuid4() for _ in range(40_000)]
    table = Capsule._meta.db_table
    for keys in ([c.pk for c in wanted] + filler, [str(c.pk) for c in wanted] + [str(k) for k in filler]):
        where, params = sql_among("k.id", keys)
        assert len(params) == 1
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT k.name FROM {table} k WHERE {where}", params)
            assert sorted(row[0] for row in cursor.fetchall()) == ["among_0", "among_1", "among_2"]
    where, params = sql_among("k.name", ["among_1", "left_out", *(f"x{n}" for n in range(40_000))], keys=False)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT k.name FROM {table} k WHERE {where}", params)
        assert sorted(row[0] for row in cursor.fetchall()) == ["among_1", "left_out"]
    assert sql_among("k.id", [])[1] in ([[]], ["[]"])  # no value selects nothing, and is no error
