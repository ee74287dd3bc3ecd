"""Migration 0006 on PostgreSQL: the search indexes exist and the search SQL is shaped to use them; the
migration survives a server or user that cannot enable pg_trgm."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from catalog import selectors
from catalog.models import Column
from catalog.querysets import CAPSULE_LIST_ONLY, SqlPart, capsules, columns, fuzzy_threshold
from catalog.search import RANK_FUZZY, search_terms, trigrams_available, trigrams_forget
from catalog.tests.factories import CapsuleFactory, ColumnFactory, DomainFactory, OwnerFactory

pytestmark = [pytest.mark.django_db]

migration = importlib.import_module("catalog.migrations.0006_search_indexes")


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("search indexes are PostgreSQL-only; SQLite searches with LIKE")


def plan(queryset) -> str:
    """EXPLAIN with sequential scans discouraged, so a usable index shows up even on a tiny table."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_search_indexes_exist(postgres):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename IN ('capsules', 'columns')")
        names = {row[0] for row in cursor.fetchall()}
    expected = {"idx_capsules_name_trgm", "idx_capsules_urn_trgm", "idx_capsules_name_squashed_trgm"} | {
        "idx_capsules_description_document",
        "idx_columns_description_fts",
        "idx_columns_tags",
        "idx_capsules_facets",
        "idx_capsules_name_c",
        "idx_columns_name_c",
    }
    assert expected <= names


def close_to(query: str):
    """The fuzzy tier's condition alone (its query also excludes literal matches, which on a table this
    small the planner may answer with other indexes)."""
    return capsules().filter(capsules().fuzzy_q(search_terms(query)))


@pytest.mark.parametrize(
    ("queryset", "index"),
    [
        (lambda: capsules().search("orders"), "idx_capsules_name_trgm"),
        (lambda: capsules().search("orders"), "idx_capsules_urn_trgm"),
        (lambda: capsules().search("orders"), "idx_capsules_description_document"),
        (lambda: close_to("ordres"), "idx_capsules_name_trgm"),  # the fuzzy tier
        (lambda: close_to("OrdersDaily"), "idx_capsules_name_squashed_trgm"),
        (lambda: capsules().search("or"), "idx_capsules_name_c"),
        (lambda: columns().search("em"), "idx_columns_name_c"),
        (lambda: columns().search("email"), "idx_columns_name_c"),  # names containing it, by equality
        (lambda: columns().search("email"), "idx_columns_description_fts"),
        (lambda: columns().search("email"), "idx_columns_tags"),
        (lambda: capsules().tagged("daily"), "idx_capsules_tags"),
    ],
)
def test_search_sql_matches_the_indexed_expressions(postgres, queryset, index):
    ColumnFactory(name="email", capsule=CapsuleFactory(name="orders", description="All orders."))
    assert index in plan(queryset().order_by())


def sql_plan(queryset, query: str, part: int) -> str:
    """EXPLAIN of one part of ``search_split_sql`` (0 prefix, 1 named, 2 described, 3 fuzzy) as the search
    sends it, with sequential scans discouraged as in ``plan``. The named part by its own condition (it
    also excludes the prefix matches, which on a table this small the planner may answer with other
    indexes); the fuzzy part whole, its index candidates being a sub-select of their own."""
    terms = search_terms(query)
    sql_part = SqlPart(*queryset._name_sql(terms)) if part == 1 else queryset.search_split_sql(query)[part]
    values = {"tag_hit": queryset.tag_hit_sql(search_terms(query)), "table": queryset.model._meta.db_table}
    rows = selectors._SqlRows(sql_part, 501, None, values)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {rows.sql}", rows.params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("queryset", "query", "part", "index"),
    [
        (capsules, "orders", 0, "idx_capsules_name_c"),
        (capsules, "orders", 1, "idx_capsules_name_trgm"),
        (capsules, "orders", 1, "idx_capsules_urn_trgm"),
        (capsules, "orders", 1, "idx_capsules_tags"),
        (capsules, "orders", 2, "idx_capsules_description_document"),
        (capsules, "ordres", 3, "idx_capsules_name_trgm"),
        (capsules, "OrdersDaily", 3, "idx_capsules_name_squashed_trgm"),
        (columns, "em", 0, "idx_columns_name_c"),
        (columns, "email", 1, "idx_columns_name_c"),
        (columns, "email", 1, "idx_columns_tags"),
        (columns, "email", 2, "idx_columns_description_fts"),
    ],
)
def test_search_parts_in_sql_use_the_same_indexes(postgres, queryset, query, part, index):
    ColumnFactory(name="email", capsule=CapsuleFactory(name="orders", description="All orders."))
    assert index in sql_plan(queryset(), query, part)


def test_column_names_array_is_planned_without_its_elements(postgres):
    """The names a "contains" search found are sent behind a sub-select: the planner neither weighs each
    name nor, expecting many matches, trades the btree for a scan that stops at the LIMIT."""
    ColumnFactory(name="email", capsule=CapsuleFactory(name="orders"))
    sql, params = columns().search("email").order_by().query.sql_with_params()
    assert "ANY(ARRAY(SELECT unnest(" in sql
    assert "idx_columns_name_c" in plan(columns().search("email").order_by())


@pytest.mark.parametrize(
    "query",
    ["orders", "order", "ord", "or", "ordres", "OrdersDaily", "orders daily", "all", "e-mail", "em%il", "a_b", "mail"],
)
def test_search_candidates_in_sql_are_those_of_the_orm(postgres, query):
    """The SQL parts (unscoped searches on PostgreSQL) find, rank and count what the querysets do."""
    shop = CapsuleFactory(name="shop", tags=["orders"])
    for name, description in [
        ("orders", "All orders placed."), ("orders_daily", "Orders by day."), ("ordres_v2", ""),
        ("stg_orders", "Staged orders, e-mail of the buyer."), ("order_items", None), ("a_b", "a_b"),
    ]:  # fmt: skip
        capsule = CapsuleFactory(name=name, description=description)
        ColumnFactory(name=f"{name}_email", capsule=capsule, description=description, tags=["mail"])
    ColumnFactory(name="order_id", capsule=shop)
    for everything in (capsules, columns):
        in_sql = selectors._search_candidates(everything=everything(), query=query)
        # a scoped queryset (facets chosen) sends the querysets of the ORM instead
        in_orm = selectors._search_candidates(everything=everything().filter(pk__isnull=False), query=query)
        assert [(c.key[0], round(c.key[1], 5), *c.key[2:]) for c in in_sql[0]] == [
            (c.key[0], round(c.key[1], 5), *c.key[2:]) for c in in_orm[0]
        ]
        assert in_sql[1] == in_orm[1]


@pytest.mark.parametrize("query", ["orders", "ordres", "ord"])
def test_search_fields_in_sql_are_those_of_the_orm(postgres, query):
    """The facets' and the typeahead's fields, read in SQL with the candidates (a related row's field and
    the PII flag as sub-selects, the tags decoded), are the values the ORM reads for the same rows."""
    domain, owner = DomainFactory(name="sales"), OwnerFactory(name="Ana")
    orders = CapsuleFactory(name="orders", tags=["daily", "core"], domain=domain, owner=owner, layer="marts")
    CapsuleFactory(name="ordres_v2", tags=[], domain=None, owner=None)
    ColumnFactory(name="email", capsule=orders, pii_type="email")
    ColumnFactory(name="orders_id", capsule=orders)
    assert selectors._fields_sql(Column, {"_joined_layer": F("capsule__layer")}) is None  # a join: the ORM reads it
    suggest = {f"_{name}": selectors._related_field(Column, f"capsule__{name}") for name in ("name", "layer")}
    for everything, fields, text in ((capsules, selectors._facet_fields(), query), (columns, suggest, "ord")):
        assert selectors._fields_sql(everything().model, fields) is not None
        in_sql, _ = selectors._search_candidates(everything=everything(), query=text, fields=fields)
        in_orm, _ = selectors._search_candidates(
            everything=everything().filter(pk__isnull=False), query=text, fields=fields
        )
        assert in_sql and [c.row for c in in_sql] == [c.row for c in in_orm]
    facets, _ = selectors._search_candidates(everything=capsules(), query="orders", fields=selectors._facet_fields())
    row = next(c.row for c in facets if c.row["_name"] == "orders")
    assert (row["facet_domain"], row["facet_owner"], row["facet_tag"], row["facet_has_pii"]) == (
        "sales",
        "Ana",
        ["daily", "core"],
        True,
    )


def test_search_page_rows_compiled_once_are_those_of_in_bulk(postgres, django_assert_max_num_queries):
    """The page's rows, read by SQL compiled once and reused with other ids, are what ``in_bulk`` reads:
    the same rows, fields, joined objects and column counts, a query each."""
    made = [CapsuleFactory(name=f"orders_{n}") for n in range(4)]
    for n, capsule in enumerate(made):
        for m in range(n):
            ColumnFactory(name=f"c{m}", capsule=capsule)
    fields = [*CAPSULE_LIST_ONLY, "column_count"]

    def shown(rows: dict) -> dict:
        return {
            pk: [repr(getattr(row, f.split("__")[0])) for f in fields] + [str(row.owner), str(row.domain)]
            for pk, row in rows.items()
        }

    for ids in ([made[0].pk, made[2].pk], [made[1].pk, made[3].pk, made[0].pk], [made[3].pk]):
        rows = capsules().for_list().with_column_count()
        with django_assert_max_num_queries(1):
            reused = selectors._rows_by_id(rows, ids)
        assert shown(reused) == shown(rows.in_bulk(ids))
        assert set(reused) == set(ids)
        column_ids = list(columns().values_list("pk", flat=True)[: len(ids)])
        assert {pk: repr(row) for pk, row in selectors._rows_by_id(columns().for_list(), column_ids).items()} == {
            pk: repr(row) for pk, row in columns().for_list().in_bulk(column_ids).items()
        }


def test_trigram_step_survives_a_user_who_cannot_enable_pg_trgm(postgres):
    """A managed server may refuse CREATE EXTENSION: the step must say so and carry on, not fail."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            try:
                with transaction.atomic():
                    cursor.execute("CREATE ROLE dab_test_no_extensions NOLOGIN")
            except Exception:
                pytest.skip("the test database user may not create roles")
            cursor.execute("DROP EXTENSION IF EXISTS pg_trgm CASCADE")  # rolled back below
            cursor.execute("SET LOCAL ROLE dab_test_no_extensions")
            cursor.execute(migration.Migration.operations[0].sql)  # must not raise
            cursor.execute("RESET ROLE")
            cursor.execute("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")
            assert cursor.fetchone()[0] == 0
            cursor.execute("SELECT count(*) FROM pg_indexes WHERE indexname LIKE '%%_trgm'")
            assert cursor.fetchone()[0] == 0
        transaction.set_rollback(True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone()[0] == 1


def test_search_works_without_trigram_indexes(postgres):
    """Without pg_trgm the same SQL runs, only by scanning, and without the fuzzy tier (which needs the
    extension's functions; a process asks once whether they are there, so the test makes it ask again)."""
    ColumnFactory(name="customer_email", capsule=CapsuleFactory(name="stg_customers"))
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("DROP EXTENSION IF EXISTS pg_trgm CASCADE")
            trigrams_forget()
            assert [c.name for c in columns().ranked("email")] == ["customer_email"]
            assert [c.name for c in capsules().ranked("customers")] == ["stg_customers"]
            assert list(capsules().ranked("stg_custmoers", fuzzy=True)) == []  # no fuzzy tier
            assert selectors.search_capsules(query="stg_custmoers").count == 0
            transaction.set_rollback(True)
    finally:
        trigrams_forget()
    assert [c.name for c in capsules().ranked("stg_custmoers", fuzzy=True)] == ["stg_customers"]


def test_stored_description_document_follows_the_description(postgres):
    """Migration 0013's generated column: written by PostgreSQL on insert and update, read by the search."""
    capsule = CapsuleFactory(name="orders", description="Shipments by carrier.")
    assert [c.name for c in capsules().search("carrier")] == ["orders"]
    capsules().filter(pk=capsule.pk).update(description="Refunds by reason.")
    assert list(capsules().search("carrier")) == []
    assert [c.name for c in capsules().search("refund reason")] == ["orders"]


@pytest.mark.parametrize("field", ["test_count", "doc_coverage", "updated_at"])
@pytest.mark.parametrize("descending", [False, True])
def test_sorted_capsule_lists_walk_an_index(postgres, field, descending):
    """Migration 0011: the capsule lists' own ordering (NULLs last both ways, then URN) reads an index in
    order instead of sorting the whole table."""
    from catalog.filters import CapsuleFilterSet

    CapsuleFactory.create_batch(3)
    ordering = f"-{field}" if descending else field
    queryset = CapsuleFilterSet({"ordering": ordering}, queryset=capsules()).qs.values_list("pk", flat=True)[:50]
    direction = "desc" if descending else "asc"
    explained = plan(queryset)
    assert f"idx_capsules_{field}_{direction}" in explained
    assert "Sort" not in explained.split("Index Scan")[0]


def test_fuzzy_threshold_is_sent_with_its_query(postgres):
    """A long typo raises pg_trgm's threshold for the fuzzy query alone: the setting (local to a transaction)
    goes in the same message as the query, which PostgreSQL runs as one implicit transaction outside a
    request's own, so the query needs no begin and commit of its own and the setting ends with it."""
    CapsuleFactory(name="int_ticket_comments_unioned")
    trigrams_available()  # asked once per process
    with CaptureQueriesContext(connection) as queries:
        candidates, _ = selectors._search_candidates(everything=capsules(), query="int_tikcet_comments_unioned")
    assert [(c.row["_name"], c.key[0]) for c in candidates] == [("int_ticket_comments_unioned", RANK_FUZZY)]
    # the literal parts in one statement, then the setting and the fuzzy query in one message
    assert len(queries) == 2
    threshold = fuzzy_threshold(search_terms("int_tikcet_comments_unioned"))
    assert threshold > selectors.DEFAULT_TRIGRAM_THRESHOLD
    setting = f"SELECT set_config('pg_trgm.similarity_threshold', '{threshold}', true); SELECT"
    assert queries[1]["sql"].startswith(setting)
