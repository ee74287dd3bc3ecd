"""Column lineage from compiled SQL (lineage/sql_lineage.py): pure tests, no Django, no database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lineage.sql_lineage import (
    DEFAULT_MASKING_FUNCTIONS,
    MAX_NESTING_DEPTH,
    ExtractionPool,
    LineageJob,
    ModelLineage,
    UpstreamRelation,
    dialect_for_adapter,
    extract_column_lineage,
    extract_many,
)

DATA = Path(__file__).resolve().parent / "data"
SHARED_DBT = Path(__file__).resolve().parents[2] / ".." / "shared" / "dbt"

CUSTOMERS = UpstreamRelation(
    urn="urn:customers",
    names=('"analytics"."main"."customers"', "analytics.main.customers", "main.customers"),
    columns=("id", "email", "first_name", "last_name", "status", "created_at", "amount"),
)
ORDERS = UpstreamRelation(
    urn="urn:orders",
    names=('"analytics"."main"."orders"', "analytics.main.orders", "main.orders"),
    columns=("id", "customer_id", "amount", "status", "ordered_at"),
)
UPSTREAM = (CUSTOMERS, ORDERS)


def lineage(sql: str, *, upstream=UPSTREAM, dialect: str | None = "postgres", **kwargs) -> ModelLineage:
    return extract_column_lineage(sql=sql, dialect=dialect, upstream=upstream, **kwargs)


def edges_of(result: ModelLineage) -> set[tuple[str, str, str, str]]:
    """(target, source urn, source column, transformation type) of every edge."""
    return {(e.target_column, e.source_urn, e.source_column, e.transformation_type) for e in result.edges}


def edge(result: ModelLineage, target: str, source_column: str, urn: str = "urn:customers"):
    found = [
        e for e in result.edges if (e.target_column, e.source_urn, e.source_column) == (target, urn, source_column)
    ]
    assert len(found) == 1, f"expected one edge {target} <- {urn}.{source_column}, have {sorted(edges_of(result))}"
    return found[0]


# --- transformation types --------------------------------------------------------------------------------------------


def test_same_name_column_is_direct():
    result = lineage('select id, email from "analytics"."main"."customers"')
    assert result.status == "parsed"
    assert edges_of(result) == {
        ("id", "urn:customers", "id", "direct"),
        ("email", "urn:customers", "email", "direct"),
    }


def test_alias_is_renamed():
    result = lineage("select id as customer_id from analytics.main.customers")
    assert edges_of(result) == {("customer_id", "urn:customers", "id", "renamed")}


@pytest.mark.parametrize(
    ("expression", "dialect"),
    [
        ("cast(id as varchar)", "postgres"),
        ("id::text", "postgres"),
        ("try_cast(id as varchar)", "snowflake"),
        ("safe_cast(id as string)", "bigquery"),
        ("convert(varchar(20), id)", "tsql"),
    ],
)
def test_casts_are_cast(expression, dialect):
    result = lineage(f"select {expression} as customer_key from main.customers", dialect=dialect)
    assert edges_of(result) == {("customer_key", "urn:customers", "id", "cast")}


def test_hash_of_derived_value_is_hashed():
    result = lineage("select md5(lower(email)) as email_hash from main.customers")
    found = edge(result, "email_hash", "email")
    assert (found.transformation_type, found.functions) == ("hashed", ("md5",))
    assert found.expression.lower() == "md5(lower(email))"


def test_function_around_hash_is_still_hashed():
    result = lineage("select lower(md5(email)) as email_hash from main.customers")
    assert edge(result, "email_hash", "email").transformation_type == "hashed"


def test_concatenation_is_derived_from_plain_column_and_hashed_from_hashed_one():
    result = lineage("select email || md5(first_name) as mixed from main.customers")
    assert edges_of(result) == {
        ("mixed", "urn:customers", "email", "derived"),
        ("mixed", "urn:customers", "first_name", "hashed"),
    }


def test_column_both_hashed_and_raw_in_one_expression_is_not_hashed():
    # the raw copy still carries the value: the weaker path wins so PII propagation does not stop here
    result = lineage("select md5(email) || email as leaky from main.customers")
    assert edge(result, "leaky", "email").transformation_type == "derived"


@pytest.mark.parametrize(
    "expression",
    [
        "case when email is null then null else md5(email) end",
        "iff(email is null, null, sha2(email))",
        "case when email like '%@%' then md5(lower(email)) end",
    ],
)
def test_column_in_a_condition_does_not_unmask_its_hashed_value(expression):
    result = lineage(f"select {expression} as email_hash from main.customers", dialect="snowflake")
    assert edge(result, "email_hash", "email").transformation_type == "hashed"


def test_raw_branch_of_a_case_is_derived():
    result = lineage("select case when status = 'staff' then email else md5(email) end as e from main.customers")
    assert edges_of(result) == {
        ("e", "urn:customers", "email", "derived"),
        ("e", "urn:customers", "status", "derived"),
    }


@pytest.mark.parametrize(
    "call",
    ["sha2(email, 256)", "sha256(email)", "farm_fingerprint(email)", "hash(email)", "hmac('k', email)",
     "mask_email(email)", "email_mask(email)", "redact_pii(email)", "anonymise(email)", "pseudonymize_value(email)",
     "tokenize_email(email)", "udfs.security.mask_email(email)"],
)  # fmt: skip
def test_hashing_and_masking_functions_are_hashed(call):
    result = lineage(f"select {call} as protected from main.customers", dialect="snowflake")
    assert edge(result, "protected", "email").transformation_type == "hashed"


def test_masking_functions_are_configurable():
    sql = "select scramble(email) as e from main.customers"
    assert edge(lineage(sql), "e", "email").transformation_type == "derived"
    custom = DEFAULT_MASKING_FUNCTIONS | {"scram*"}
    result = lineage(sql, masking_functions=custom)
    assert (edge(result, "e", "email").transformation_type, edge(result, "e", "email").functions) == (
        "hashed",
        ("scramble",),
    )


def test_sum_is_aggregated_and_records_the_function():
    result = lineage("select customer_id, sum(amount) as total, max(ordered_at) as last_at from main.orders group by 1")
    assert edges_of(result) == {
        ("customer_id", "urn:orders", "customer_id", "direct"),
        ("total", "urn:orders", "amount", "aggregated"),
        ("last_at", "urn:orders", "ordered_at", "aggregated"),
    }
    assert edge(result, "total", "amount", "urn:orders").functions == ("sum",)
    assert edge(result, "last_at", "ordered_at", "urn:orders").functions == ("max",)


def test_count_distinct_and_string_agg_are_aggregated():
    result = lineage("select count(distinct id) as n, string_agg(email, ',') as emails from main.customers")
    assert edge(result, "n", "id").functions == ("count",)
    assert edge(result, "emails", "email").transformation_type == "aggregated"


def test_count_star_and_literals_are_resolved_without_edges():
    result = lineage("select count(*) as n, 'shop' as source_system, current_timestamp as loaded_at from main.orders")
    assert result.status == "parsed"
    assert result.output_columns == ("n", "source_system", "loaded_at")
    assert result.edges == ()
    assert result.unresolved == ()


def test_case_coalesce_and_arithmetic_are_derived():
    result = lineage(
        """
        select
            case when status = 'placed' then amount else 0 end as placed_amount,
            coalesce(amount, 0) * 100 as cents
        from main.orders
        """
    )
    assert edges_of(result) == {
        ("placed_amount", "urn:orders", "status", "derived"),
        ("placed_amount", "urn:orders", "amount", "derived"),
        ("cents", "urn:orders", "amount", "derived"),
    }


def test_window_functions():
    result = lineage(
        """
        select
            row_number() over (partition by customer_id order by ordered_at) as seq,
            sum(amount) over (partition by customer_id) as running,
            lag(status) over (order by ordered_at) as previous_status
        from main.orders
        """
    )
    assert edges_of(result) == {
        ("seq", "urn:orders", "customer_id", "derived"),
        ("seq", "urn:orders", "ordered_at", "derived"),
        ("running", "urn:orders", "amount", "aggregated"),
        ("running", "urn:orders", "customer_id", "derived"),
        ("previous_status", "urn:orders", "status", "derived"),
        ("previous_status", "urn:orders", "ordered_at", "derived"),
    }


def test_strongest_step_along_a_path_wins():
    result = lineage(
        """
        with hashed as (select md5(email) as email_key, id from main.customers),
             renamed as (select email_key as k, cast(id as text) as id_text from hashed)
        select k as customer_key, id_text from renamed
        """
    )
    assert edges_of(result) == {
        ("customer_key", "urn:customers", "email", "hashed"),
        ("id_text", "urn:customers", "id", "cast"),
    }
    assert edge(result, "customer_key", "email").expression.lower() == "md5(email)"


def test_rename_through_ctes_and_back_is_direct():
    result = lineage("with a as (select id as cid from main.customers) select cid as id from a")
    assert edges_of(result) == {("id", "urn:customers", "id", "direct")}


# --- relations and names ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reference",
    ['"analytics"."main"."customers"', "ANALYTICS.MAIN.CUSTOMERS", '"main"."customers"', "Main.Customers"],
)
def test_relation_spellings_resolve(reference):
    result = lineage(f"select c.email from {reference} as c")
    assert edges_of(result) == {("email", "urn:customers", "email", "direct")}


def test_join_qualifies_unambiguous_unqualified_columns():
    result = lineage(
        """
        select c.id, email, ordered_at, o.amount
        from main.customers c join main.orders o on o.customer_id = c.id
        where o.status = 'placed'
        """
    )
    assert result.status == "parsed"
    assert edges_of(result) == {
        ("id", "urn:customers", "id", "direct"),
        ("email", "urn:customers", "email", "direct"),
        ("ordered_at", "urn:orders", "ordered_at", "direct"),
        ("amount", "urn:orders", "amount", "direct"),
    }


def test_join_and_where_columns_are_filter_columns_not_edges():
    result = lineage(
        """
        select c.email from main.customers c join main.orders o on o.customer_id = c.id
        where o.status = 'placed' group by c.email having count(o.id) > 1
        """
    )
    assert edges_of(result) == {("email", "urn:customers", "email", "direct")}
    assert set(result.filter_columns) == {
        ("urn:orders", "customer_id"),
        ("urn:customers", "id"),
        ("urn:orders", "status"),
        ("urn:customers", "email"),
        ("urn:orders", "id"),
    }


def test_ambiguous_unqualified_column_is_partial_and_gets_no_edge():
    result = lineage("select status, c.email from main.customers c join main.orders o on o.customer_id = c.id")
    assert result.status == "partial"
    assert result.unresolved == ("status",)
    assert "ambiguous" in result.reason
    assert edges_of(result) == {("email", "urn:customers", "email", "direct")}


def test_unknown_relation_is_partial_and_named():
    result = lineage(
        "select c.email, r.region from main.customers c left join raw.crm.regions r on r.customer_id = c.id"
    )
    assert result.status == "partial"
    assert "raw.crm.regions" in result.reason
    assert result.unresolved == ("region",)
    assert edges_of(result) == {("email", "urn:customers", "email", "direct")}


def test_spelling_shared_by_two_upstreams_is_not_guessed():
    a = UpstreamRelation("urn:a", ("prod.customers",), ("id",))
    b = UpstreamRelation("urn:b", ("dev.customers",), ("id",))
    result = lineage("select id from customers", upstream=(a, b))
    assert result.status == "partial"
    assert "more than one upstream" in result.reason
    assert result.edges == ()


def test_unknown_relation_only_in_a_filter_still_makes_partial():
    result = lineage("select email from main.customers where id not in (select id from information_schema.tables)")
    assert result.status == "partial"
    assert "information_schema.tables" in result.reason
    assert result.unresolved == ()


def test_incremental_self_reference_is_not_an_unknown_relation():
    result = lineage(
        """
        select id, amount from "analytics"."main"."orders"
        where ordered_at > (select max(ordered_at) from "analytics"."main"."fct_orders")
        """,
        own_names=('"analytics"."main"."fct_orders"',),
    )
    assert result.status == "parsed"
    assert edges_of(result) == {("id", "urn:orders", "id", "direct"), ("amount", "urn:orders", "amount", "direct")}


def test_correlated_scalar_subquery():
    result = lineage(
        """
        select c.id, (select max(o.amount) from main.orders o where o.customer_id = c.id) as biggest
        from main.customers c
        """
    )
    assert result.status == "parsed"
    assert ("biggest", "urn:orders", "amount", "aggregated") in edges_of(result)


def test_subquery_in_from_with_column_aliases():
    result = lineage("select x.cid from (select id, email from main.customers) as x(cid, mail)")
    assert edges_of(result) == {("cid", "urn:customers", "id", "renamed")}


# --- star ------------------------------------------------------------------------------------------------------------


def test_star_is_expanded_from_upstream_columns():
    result = lineage("with c as (select * from main.customers) select * from c")
    assert result.status == "parsed"
    assert result.output_columns == CUSTOMERS.columns
    assert all(e.transformation_type == "direct" and e.target_column == e.source_column for e in result.edges)


def test_qualified_star_exclude_and_replace():
    result = lineage(
        """
        select c.* exclude (amount, status), o.amount
        from main.customers c join main.orders o on o.customer_id = c.id
        """,
        dialect="duckdb",
    )
    assert result.output_columns == ("id", "email", "first_name", "last_name", "created_at", "amount")
    assert ("amount", "urn:orders", "amount", "direct") in edges_of(result)
    replaced = lineage("select * replace (lower(email) as email) from main.customers", dialect="duckdb")
    assert edge(replaced, "email", "email").transformation_type == "derived"
    assert edge(replaced, "first_name", "first_name").transformation_type == "direct"


def test_bigquery_star_except():
    result = lineage("select * except (email, amount) from `analytics`.`main`.`customers`", dialect="bigquery")
    assert result.output_columns == ("id", "first_name", "last_name", "status", "created_at")


def test_join_using_star_lists_the_shared_column_once():
    left = UpstreamRelation("urn:l", ("main.l",), ("id", "a"))
    right = UpstreamRelation("urn:r", ("main.r",), ("id", "b"))
    result = lineage("select * from main.l join main.r using (id)", upstream=(left, right))
    assert result.output_columns == ("id", "a", "b")
    assert ("id", "urn:l", "id", "direct") in edges_of(result)
    assert ("id", "urn:r", "id", "direct") not in edges_of(result)


def test_star_over_unknown_columns_uses_the_target_columns():
    unknown = UpstreamRelation("urn:raw", ("raw.shop.things",), ())
    sql = "with s as (select * from raw.shop.things) select *, 1 as one from s"
    without = lineage(sql, upstream=(unknown,))
    assert without.status == "partial"
    assert "selects * from raw.shop.things, whose columns are unknown" in without.reason
    with_target = lineage(sql, upstream=(unknown,), target_columns=("id", "name", "one"))
    assert with_target.status == "parsed"
    assert edges_of(with_target) == {("id", "urn:raw", "id", "direct"), ("name", "urn:raw", "name", "direct")}


def test_star_over_unknown_columns_with_documented_targets_only_is_partial():
    unknown = UpstreamRelation("urn:raw", ("raw.shop.things",), ())
    result = lineage(
        "select * from raw.shop.things", upstream=(unknown,), target_columns=("id",), target_columns_complete=False
    )
    assert result.status == "partial"
    assert edges_of(result) == {("id", "urn:raw", "id", "direct")}


def test_star_replace_over_unknown_columns_keeps_the_replacement():
    unknown = UpstreamRelation("urn:raw", ("raw.shop.people",), ())
    result = lineage(
        "select * replace (md5(email) as email) rename (nick as nickname) from raw.shop.people",
        upstream=(unknown,),
        dialect="snowflake",
        target_columns=("id", "email", "nickname"),
    )
    assert result.status == "parsed", result.reason
    assert edges_of(result) == {
        ("id", "urn:raw", "id", "direct"),
        ("email", "urn:raw", "email", "hashed"),
        ("nickname", "urn:raw", "nick", "renamed"),
    }


def test_incomplete_columns_do_not_rule_out_other_names():
    documented_only = UpstreamRelation("urn:raw", ("raw.shop.things",), ("id",), columns_complete=False)
    result = lineage("select id, name from raw.shop.things", upstream=(documented_only,))
    assert result.status == "parsed"
    assert edges_of(result) == {("id", "urn:raw", "id", "direct"), ("name", "urn:raw", "name", "direct")}


# --- set operations --------------------------------------------------------------------------------------------------


def test_union_maps_each_position_to_every_branch():
    result = lineage(
        """
        select id, email as contact, 'a' as src from main.customers
        union all
        select customer_id, status, 'b' from main.orders
        """
    )
    assert result.output_columns == ("id", "contact", "src")
    assert edges_of(result) == {
        ("id", "urn:customers", "id", "direct"),
        ("id", "urn:orders", "customer_id", "renamed"),
        ("contact", "urn:customers", "email", "renamed"),
        ("contact", "urn:orders", "status", "renamed"),
    }


def test_union_by_name_matches_names():
    result = lineage(
        "select id, email from main.customers union all by name select status as email, id from main.orders",
        dialect="duckdb",
    )
    assert ("email", "urn:orders", "status", "renamed") in edges_of(result)
    assert ("id", "urn:orders", "id", "direct") in edges_of(result)


def test_many_union_branches_do_not_recurse():
    branches = [UpstreamRelation(f"urn:t{i}", (f"main.t{i}",), ("id", "v")) for i in range(400)]
    sql = "\nunion all\n".join(f"select id, v from main.t{i}" for i in range(400))
    result = lineage(sql, upstream=branches)
    assert result.status == "parsed"
    assert len(result.edges) == 800


def test_recursive_cte_sees_its_anchor():
    result = lineage(
        """
        with recursive tree as (
            select id, customer_id as parent_id from main.orders
            union all
            select t.id, o.customer_id from tree t join main.orders o on o.id = t.parent_id
        )
        select id, parent_id from tree
        """
    )
    assert result.status == "parsed"
    assert ("parent_id", "urn:orders", "customer_id", "renamed") in edges_of(result)


# --- dbt specifics ---------------------------------------------------------------------------------------------------

EPHEMERAL_SQL = """
with __dbt__cte__int_customers as (
    select id as customer_id, lower(email) as email from "analytics"."main"."customers"
), final as (
    select * from __dbt__cte__int_customers
)
select customer_id, email from final
"""


def test_undeclared_ephemeral_cte_is_a_relation_to_resolve_not_a_body_to_trace():
    # The body reads the ephemeral model's own parents: that lineage is the ephemeral model's. The caller resolves
    # the CTE's name to the ephemeral capsule (lineage.services does, by relation name) and extracts again.
    result = lineage(EPHEMERAL_SQL)
    assert result.status == "partial"
    assert result.unknown_relations == ("__dbt__cte__int_customers",)
    assert not any(e.source_urn == "urn:customers" for e in result.edges)


def test_ephemeral_cte_declared_upstream_is_the_source():
    ephemeral = UpstreamRelation("urn:int_customers", ("__dbt__cte__int_customers",), ())
    result = lineage(EPHEMERAL_SQL, upstream=(CUSTOMERS, ephemeral))
    assert result.status == "parsed"
    assert edges_of(result) == {
        ("customer_id", "urn:int_customers", "customer_id", "direct"),
        ("email", "urn:int_customers", "email", "direct"),
    }


def test_ordinary_cte_shadows_an_upstream_of_the_same_bare_name():
    bare = UpstreamRelation("urn:customers", ("customers", "main.customers"), CUSTOMERS.columns)
    result = lineage(
        "with customers as (select id as email from main.orders) select email from customers", upstream=(bare, ORDERS)
    )
    assert edges_of(result) == {("email", "urn:orders", "id", "renamed")}


def test_injected_grandparent_ephemeral_is_not_read():
    # dbt injects the ephemeral parents of ephemeral parents too; only the declared parent is read
    ephemeral = UpstreamRelation("urn:int_customers", ("__dbt__cte__int_customers",), ("customer_id",))
    sql = """
    with __dbt__cte__base_customers as (select id from raw.crm.customers),
    __dbt__cte__int_customers as (select id as customer_id from __dbt__cte__base_customers)
    select customer_id from __dbt__cte__int_customers
    """
    result = lineage(sql, upstream=(ephemeral,))
    assert result.status == "parsed", result.reason
    assert edges_of(result) == {("customer_id", "urn:int_customers", "customer_id", "direct")}


def test_ephemeral_star_expands_from_the_injected_cte_body():
    ephemeral = UpstreamRelation("urn:int_customers", ("__dbt__cte__int_customers",), ())
    sql = (
        "with __dbt__cte__int_customers as (select id, email from main.customers) "
        "select * from __dbt__cte__int_customers"
    )
    result = lineage(sql, upstream=(CUSTOMERS, ephemeral))
    assert result.output_columns == ("id", "email")
    assert {e.source_urn for e in result.edges} == {"urn:int_customers"}


def test_lateral_column_alias():
    result = lineage("select lower(email) as e, e || '!' as shout from main.customers", dialect="snowflake")
    assert edge(result, "shout", "email").transformation_type == "derived"


def test_qualify_columns_are_not_edges():
    result = lineage(
        "select id, email from main.customers qualify row_number() over (partition by email order by created_at) = 1",
        dialect="snowflake",
    )
    assert edges_of(result) == {("id", "urn:customers", "id", "direct"), ("email", "urn:customers", "email", "direct")}
    assert ("urn:customers", "created_at") in result.filter_columns


def test_snowflake_flatten_column_is_derived_from_its_input():
    events = UpstreamRelation("urn:events", ("raw.app.events",), ("id", "payload"))
    result = lineage(
        "select e.id, f.value:name::string as item from raw.app.events e, lateral flatten(input => e.payload:items) f",
        upstream=(events,),
        dialect="snowflake",
    )
    assert result.status == "parsed"
    assert edges_of(result) == {("id", "urn:events", "id", "direct"), ("item", "urn:events", "payload", "derived")}


def test_unnest_and_values():
    carts = UpstreamRelation("urn:carts", ("shop.carts",), ("id", "skus"))
    result = lineage(
        "select c.id, sku, v.label from shop.carts c cross join unnest(c.skus) as u(sku) "
        "join (values (1, 'one')) as v(n, label) on v.n = c.id",
        upstream=(carts,),
    )
    assert result.status == "parsed"
    assert edges_of(result) == {("id", "urn:carts", "id", "direct"), ("sku", "urn:carts", "skus", "derived")}


def test_fixture_model_with_jinja_free_dbt_output():
    sql = (DATA / "fct_customer_orders.sql").read_text()
    result = lineage(sql, dialect="snowflake")
    assert result.status == "parsed", result.reason
    assert edges_of(result) >= {
        ("customer_id", "urn:customers", "id", "renamed"),
        ("email_hash", "urn:customers", "email", "hashed"),
        ("lifetime_amount", "urn:orders", "amount", "aggregated"),
        ("first_ordered_at", "urn:orders", "ordered_at", "aggregated"),
        ("customer_status", "urn:customers", "status", "derived"),
    }


# --- status and robustness -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sql", [None, "", "   \n"])
def test_missing_sql_is_no_sql(sql):
    result = lineage(sql)
    assert (result.status, result.edges) == ("no_sql", ())
    assert "no compiled SQL" in result.reason


def test_unparsable_sql_is_failed_with_the_parser_error():
    result = lineage("select id, from from where (")
    assert result.status == "failed"
    assert result.reason.startswith("sqlglot could not parse")


def test_jinja_leftovers_are_reported():
    result = lineage("select id from {{ ref('customers') }} where {% if is_incremental() %} 1 {% endif %}")
    assert result.status == "failed"
    assert "Jinja" in result.reason


def test_comment_only_sql_is_failed():
    result = lineage("-- only a comment")
    assert result.status == "failed"
    assert "no statement" in result.reason


def test_non_query_statement_is_failed():
    result = lineage("grant select on table main.customers to role reporter")
    assert result.status == "failed"
    assert "no SELECT statement" in result.reason


def test_last_query_of_several_statements_counts():
    result = lineage("set x = 1; select id from main.customers")
    assert edges_of(result) == {("id", "urn:customers", "id", "direct")}


def test_deeply_nested_sql_is_failed_quickly():
    sql = "select " + "(" * (MAX_NESTING_DEPTH + 5) + "id" + ")" * (MAX_NESTING_DEPTH + 5) + " from main.customers"
    result = lineage(sql)
    assert result.status == "failed"
    assert "nested too deeply" in result.reason


def test_long_chain_of_ctes_is_traced_without_deep_recursion():
    ctes = ", ".join(f"c{i} as (select * from {'main.customers' if i == 0 else f'c{i - 1}'})" for i in range(1500))
    result = lineage(f"with {ctes} select email from c1499")
    assert edges_of(result) == {("email", "urn:customers", "email", "direct")}


def test_very_long_operator_chain_is_failed_not_raised():
    result = lineage("select " + " || ".join(["email"] * 3000) + " as e from main.customers")
    assert result.status == "failed"
    assert "nested too deeply" in result.reason


def test_huge_sql_is_failed():
    result = lineage("select 1 as x" + " " * 2_100_000)
    assert result.status == "failed"
    assert "too long" in result.reason


def test_unknown_dialect_falls_back_to_the_generic_one():
    result = lineage("select id from main.customers", dialect="no-such-dialect")
    assert result.status == "parsed"


@pytest.mark.parametrize(
    ("adapter", "dialect"),
    [("duckdb", "duckdb"), ("postgres", "postgres"), ("snowflake", "snowflake"), ("bigquery", "bigquery"),
     ("redshift", "redshift"), ("databricks", "databricks"), ("spark", "spark"), ("trino", "trino"),
     ("athena", "athena"), ("clickhouse", "clickhouse"), ("sqlserver", "tsql"), ("fabric", "fabric"),
     ("Snowflake", "snowflake"), ("made_up", None), (None, None)],
)  # fmt: skip
def test_dialect_for_adapter(adapter, dialect):
    assert dialect_for_adapter(adapter) == dialect


def test_extract_many_in_process_matches_single_calls():
    jobs = [
        LineageJob(key="a", sql="select id as customer_id from main.customers", dialect="postgres", upstream=UPSTREAM),
        LineageJob(key="b", sql=None, dialect="postgres", upstream=UPSTREAM),
    ]
    results = dict(extract_many(jobs, processes=1))
    assert results["a"] == lineage("select id as customer_id from main.customers")
    assert results["b"].status == "no_sql"


@pytest.mark.slow
def test_extract_many_over_a_process_pool():
    jobs = [
        LineageJob(key=f"m{i}", sql=f"select id as c{i} from main.customers", dialect="postgres", upstream=UPSTREAM)
        for i in range(30)
    ]
    results = dict(extract_many(jobs, processes=2, chunk_size=4, min_parallel=1))
    assert set(results) == {f"m{i}" for i in range(30)}
    assert edges_of(results["m7"]) == {("c7", "urn:customers", "id", "renamed")}


@pytest.mark.slow
def test_one_extraction_pool_serves_wave_after_wave():
    def wave(prefix: str, count: int) -> list[LineageJob]:
        return [
            LineageJob(key=f"{prefix}{i}", sql=f"select id as c{i} from main.customers", dialect="postgres",
                       upstream=UPSTREAM)
            for i in range(count)
        ]  # fmt: skip

    with ExtractionPool(processes=2, chunk_size=3, min_parallel=5) as pool:
        small = dict(pool.run(wave("s", 3)))  # before the pool started: in this process
        assert pool._pool is None
        first = dict(pool.run(wave("a", 12)))
        workers = pool._pool
        assert workers is not None
        second = dict(pool.run(wave("b", 4)))  # the started pool serves small waves too
        assert pool._pool is workers
    assert pool._pool is None
    assert (len(small), len(first), len(second)) == (3, 12, 4)
    assert edges_of(second["b3"]) == {("c3", "urn:customers", "id", "renamed")}


# --- real dbt artifacts (../shared/dbt) ------------------------------------------------------------------------------


def _relation_names(node: dict) -> tuple[str, ...]:
    if node.get("resource_type") == "model" and node["config"].get("materialized") == "ephemeral":
        return (f"__dbt__cte__{node['name']}",)
    parts = [node["database"], node["schema"], node.get("identifier") or node.get("alias") or node["name"]]
    names = [node["relation_name"]] if node.get("relation_name") else []
    return (*names, ".".join(parts), ".".join(parts[1:]))


def artifact_jobs(project: str) -> dict[str, LineageJob]:
    """LineageJobs for every model of a real project, upstreams from depends_on with catalog columns."""
    folder = SHARED_DBT / project
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    manifest = json.loads((folder / "manifest.json").read_text())
    catalog = json.loads((folder / "catalog.json").read_text())
    catalog_columns = {
        uid: tuple(c["name"] for c in sorted(entry["columns"].values(), key=lambda c: c["index"]))
        for section in ("nodes", "sources")
        for uid, entry in catalog[section].items()
    }
    nodes = {**manifest["nodes"], **manifest["sources"]}
    dialect = dialect_for_adapter(manifest["metadata"]["adapter_type"])
    jobs = {}
    for uid, node in manifest["nodes"].items():
        if node["resource_type"] != "model":
            continue
        upstream = []
        for parent in node["depends_on"]["nodes"]:
            pnode = nodes[parent]
            cols = catalog_columns.get(parent)
            upstream.append(
                UpstreamRelation(
                    urn=parent,
                    names=_relation_names(pnode),
                    columns=cols or tuple(pnode.get("columns", {})),
                    columns_complete=cols is not None,
                )
            )
        jobs[node["name"]] = LineageJob(
            key=uid,
            sql=node.get("compiled_code"),
            dialect=dialect,
            upstream=tuple(upstream),
            target_columns=catalog_columns.get(uid, ()),
            own_names=_relation_names(node),
            target_columns_complete=uid in catalog_columns,
        )
    return jobs


def run_job(job: LineageJob) -> ModelLineage:
    return extract_column_lineage(
        sql=job.sql,
        dialect=job.dialect,
        upstream=job.upstream,
        target_columns=job.target_columns,
        own_names=job.own_names,
        target_columns_complete=job.target_columns_complete,
    )


def short_edges(result: ModelLineage) -> set[tuple[str, str, str]]:
    """(target, 'parent_name.column', type) with the parent's unique_id shortened to its name."""
    return {(e.target_column, f"{e.source_urn.split('.')[-1]}.{e.source_column}", e.transformation_type)
            for e in result.edges}  # fmt: skip


@pytest.mark.shared
def test_jaffle_shop_duckdb_customers():
    result = run_job(artifact_jobs("jaffle_shop_duckdb")["customers"])
    assert result.status == "parsed"
    assert short_edges(result) == {
        ("customer_id", "stg_customers.customer_id", "direct"),
        ("first_name", "stg_customers.first_name", "direct"),
        ("last_name", "stg_customers.last_name", "direct"),
        ("first_order", "stg_orders.order_date", "aggregated"),
        ("most_recent_order", "stg_orders.order_date", "aggregated"),
        ("number_of_orders", "stg_orders.order_id", "aggregated"),
        ("customer_lifetime_value", "stg_payments.amount", "aggregated"),
    }


@pytest.mark.shared
def test_jaffle_shop_duckdb_staging_renames_and_orders_pivot():
    jobs = artifact_jobs("jaffle_shop_duckdb")
    assert short_edges(run_job(jobs["stg_orders"])) == {
        ("order_id", "raw_orders.id", "renamed"),
        ("customer_id", "raw_orders.user_id", "renamed"),
        ("order_date", "raw_orders.order_date", "direct"),
        ("status", "raw_orders.status", "direct"),
    }
    assert ("amount", "raw_payments.amount", "derived") in short_edges(run_job(jobs["stg_payments"]))
    orders = run_job(jobs["orders"])
    assert ("credit_card_amount", "stg_payments.amount", "aggregated") in short_edges(orders)
    assert ("order_id", "stg_orders.order_id", "direct") in short_edges(orders)


@pytest.mark.shared
def test_jaffle_shop_surrogate_key_is_hashed():
    jobs = artifact_jobs("jaffle-shop")
    supplies = short_edges(run_job(jobs["stg_supplies"]))
    assert {("supply_uuid", "raw_supplies.id", "hashed"), ("supply_uuid", "raw_supplies.sku", "hashed")} <= supplies
    assert ("product_id", "raw_supplies.sku", "renamed") in supplies
    customers = short_edges(run_job(jobs["customers"]))
    assert ("lifetime_spend", "orders.order_total", "aggregated") in customers
    assert ("customer_name", "stg_customers.customer_name", "direct") in customers


@pytest.mark.shared
@pytest.mark.parametrize("project", ["jaffle_shop_duckdb", "jaffle-shop", "dbt-project-evaluator"])
def test_real_projects_get_a_status_for_every_model(project):
    jobs = artifact_jobs(project)
    results = {name: run_job(job) for name, job in jobs.items()}
    assert all(r.status in ("parsed", "partial", "failed") for r in results.values())
    assert all(r.reason for r in results.values() if r.status != "parsed")
    parsed = sum(r.status == "parsed" for r in results.values())
    assert parsed >= 0.9 * len(results)


@pytest.mark.shared
def test_parse_only_manifest_is_no_sql():
    folder = SHARED_DBT / "mattermost-analytics"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    manifest = json.loads((folder / "manifest.json").read_text())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"][:20]
    assert models
    for node in models:
        sql = node.get("compiled_code", node.get("compiled_sql"))
        assert lineage(sql, upstream=()).status == "no_sql"


# --- whether the value is carried -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "carried"),
    [
        ("email", True),
        ("lower(trim(email))", True),
        ("cast(email as varchar(200))", True),
        ("coalesce(email, first_name)", True),
        ("split_part(email, '@', 2)", True),
        ("md5(email)", False),
        ("length(email)", False),
        ("email is not null", False),
        ("email like '%@example.com'", False),
        ("not (email = '')", False),
        ("email in ('a', 'b')", False),
    ],
)
def test_carries_value_per_expression(expression, carried):
    result = lineage(f'select {expression} as out from "analytics"."main"."customers"')
    assert edge(result, "out", "email").carries_value is carried


@pytest.mark.parametrize(
    ("aggregate", "carried"),
    [("max(email)", True), ("min(email)", True), ("string_agg(email, ',')", True), ("array_agg(email)", True),
     ("count(email)", False), ("count(distinct email)", False), ("approx_count_distinct(email)", False)],
)  # fmt: skip
def test_carries_value_through_aggregates(aggregate, carried):
    result = lineage(f'select status, {aggregate} as out from "analytics"."main"."customers" group by status')
    found = edge(result, "out", "email")
    assert found.transformation_type == "aggregated"
    assert found.carries_value is carried


def test_a_ranked_or_steering_column_is_read_not_carried():
    result = lineage(
        'select row_number() over (partition by email order by created_at) as rn, '
        "case when status = 'vip' then first_name end as vip_name, "
        "sum(amount) as total "
        'from "analytics"."main"."customers" group by email, created_at, status, first_name'
    )
    assert edge(result, "rn", "email").carries_value is False
    assert edge(result, "vip_name", "status").carries_value is False
    assert edge(result, "vip_name", "first_name").carries_value is True
    assert edge(result, "total", "amount").carries_value is False


def test_a_carrying_path_wins_over_a_measuring_one():
    result = lineage('select email || cast(length(email) as text) as out from "analytics"."main"."customers"')
    assert edge(result, "out", "email").carries_value is True


# --- what the SQL says of the model's own columns ---------------------------------------------------------------------


def test_output_types_come_from_casts_and_plain_references_to_them():
    result = lineage(
        "with renamed as (select cast(id as bigint) as customer_id, email::varchar(120) as email, status "
        'from "analytics"."main"."customers") '
        "select customer_id, email, status, upper(status) as loud from renamed"
    )
    types = dict(zip(result.output_columns, result.output_types, strict=True))
    assert types == {"customer_id": "BIGINT", "email": "VARCHAR(120)", "status": None, "loud": None}
    assert result.outputs_complete is True


def test_outputs_are_incomplete_behind_a_star_over_unknown_columns():
    unknown = UpstreamRelation("urn:raw", ("raw.events",), ())
    result = lineage("select *, 1 as one from raw.events", upstream=(unknown,))
    assert result.outputs_complete is False
    assert "one" in result.output_columns
