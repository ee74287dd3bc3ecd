"""Each built-in check type on hand-built graphs: what it flags and what it leaves alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.engine import Finding, RuleSpec, evaluate, rule_from_dict
from conformance.engine.checks.code import hard_coded_references
from conformance.engine.testing import GraphBuilder, pk_tests
from lineage.graph import GraphView
from lineage.graph import TestInfo as DbtTest


def make_rule(
    check: dict[str, Any],
    *,
    flt: dict[str, Any] | None = None,
    scope: str | None = None,
    rule_id: str = "R-1",
    severity: str = "error",
) -> RuleSpec:
    data: dict[str, Any] = {
        "id": rule_id,
        "name": rule_id,
        "severity": severity,
        "category": "test",
        "rule_set": "tests",
        "check": check,
    }
    if flt:
        data["filter"] = flt
    if scope:
        data["scope"] = scope
    return rule_from_dict(data)


def run(b: GraphBuilder, check: dict[str, Any], **options: Any) -> list[Finding]:
    rule = make_rule(check, **options)
    result = evaluate(b.graph, [rule]).result(rule.id)
    assert result.status == "evaluated", result.reason
    return list(result.findings)


def flagged(b: GraphBuilder, check: dict[str, Any], **options: Any) -> list[str]:
    """Object labels of the findings: capsule, or capsule.column."""
    out = []
    for finding in run(b, check, **options):
        label = b.graph.capsules[finding.capsule].name if finding.capsule is not None else "project"
        if finding.column is not None:
            label += "." + b.graph.columns[finding.column].name
        out.append(label)
    return out


def layered() -> GraphBuilder:
    """source -> stg -> int -> fct -> exposure, plus a seed feeding the mart."""
    b = GraphBuilder()
    b.capsule("orders", type="source", layer="raw", source_name="shop", path="models/staging/shop/_sources.yml")
    b.capsule(
        "stg_orders",
        layer="staging",
        parents=["orders"],
        path="models/staging/shop/stg_orders.sql",
        materialization="view",
    )
    b.capsule("int_orders", layer="intermediate", parents=["stg_orders"], materialization="view")
    b.capsule("codes", type="seed", layer="raw")
    b.capsule("fct_orders", layer="marts", parents=["int_orders", "codes"], materialization="table")
    b.capsule("dash", type="exposure", layer="consumption", parents=["fct_orders"])
    return b


# -- naming -------------------------------------------------------------------------------------------


def test_name_pattern_checks_prefix_suffix_and_regex():
    b = GraphBuilder()
    for name in ("stg_orders", "orders_stg", "StgOrders"):
        b.capsule(name)
    assert flagged(b, {"type": "name_pattern", "prefix": "stg_"}) == ["orders_stg", "StgOrders"]
    assert flagged(b, {"type": "name_pattern", "suffix": ["_stg", "_staging"]}) == ["stg_orders", "StgOrders"]
    assert flagged(b, {"type": "name_pattern", "pattern": "^[a-z_]+$"}) == ["StgOrders"]
    assert flagged(b, {"type": "name_pattern", "prefix": "stg", "ignore_case": True}) == ["orders_stg"]


def test_name_pattern_judges_columns_in_column_scope():
    b = GraphBuilder()
    b.capsule("fct", columns=["order_id", "OrderDate"])
    assert flagged(b, {"type": "name_pattern", "pattern": "^[a-z_]+$"}, scope="column") == ["fct.OrderDate"]


def test_layer_prefixes_uses_each_capsules_layer():
    b = GraphBuilder()
    b.capsule("stg_a", layer="staging")
    b.capsule("fct_b", layer="staging")
    b.capsule("dim_c", layer="marts")
    b.capsule("thing", layer=None)
    b.capsule("int_d", layer=None)
    b.capsule("raw_model", layer="raw")
    assert flagged(b, {"type": "layer_prefixes"}) == ["fct_b", "thing"]
    assert flagged(b, {"type": "layer_prefixes", "unknown_layer": "skip"}) == ["fct_b"]


def test_layer_folder_match_compares_prefix_with_deepest_layer_folder():
    b = GraphBuilder()
    b.capsule("stg_a", path="models/marts/sales/stg_a.sql")
    b.capsule("stg_b", path="models/staging/shop/stg_b.sql")
    b.capsule("fct_c", path="models/staging/marts/fct_c.sql")
    b.capsule("stg_d", path="models/misc/stg_d.sql")
    b.capsule("report", path="models/marts/report.sql")
    assert flagged(b, {"type": "layer_folder_match"}) == ["stg_a"]


def test_source_folder_checks_sources_and_their_staging_models():
    b = GraphBuilder()
    b.capsule("orders", type="source", source_name="shop", path="models/staging/shop/_shop.yml")
    b.capsule("events", type="source", source_name="segment", path="models/staging/_sources.yml")
    b.capsule("stg_orders", parents=["orders"], path="models/staging/shop/stg_orders.sql")
    b.capsule("stg_events", parents=["events"], path="models/staging/web/stg_events.sql")
    assert flagged(b, {"type": "source_folder"}) == ["events", "stg_events"]


# -- properties and tests ---------------------------------------------------------------------------------


def test_required_property_description_honours_length_and_placeholders():
    b = GraphBuilder()
    b.capsule("good", description="One row per order, with its amount.")
    b.capsule("empty", description="   ")
    b.capsule("todo", description="TODO")
    b.capsule("short", description="Orders.")
    assert flagged(b, {"type": "required_property", "property": "description"}) == ["empty"]
    check = {"type": "required_property", "property": "description", "min_length": 5, "placeholder": "todo|tbd"}
    assert flagged(b, check) == ["empty", "todo"]


def test_required_property_reports_each_missing_property():
    b = GraphBuilder()
    b.capsule("a", owner="team", meta={"tier": "gold"}, contract_enforced=True)
    b.capsule("b", owner=None, meta={"tier": ""})
    findings = run(
        b, {"type": "required_property", "property": ["owner", "meta_key", "contract_enforced"], "key": "tier"}
    )
    assert [f.message for f in findings] == [
        "'b' has no owner",
        "'b' has no meta.tier",
        "'b' does not enforce a contract",
    ]
    assert len({f.fingerprint for f in findings}) == 3


def test_required_property_column_descriptions():
    b = GraphBuilder()
    b.capsule("documented", columns=[])
    b.column("documented", "id", description="Key.")
    b.capsule("partly")
    b.column("partly", "id", description="Key.")
    b.column("partly", "amount", description="")
    b.capsule("no_columns")
    findings = run(b, {"type": "required_property", "property": "column_descriptions"})
    assert [(b.graph.capsules[f.capsule].name, f.details.get("undocumented")) for f in findings] == [
        ("partly", ["amount"]),
        ("no_columns", []),
    ]


def test_required_property_freshness_reads_the_capsule_attributes():
    b = GraphBuilder()
    b.capsule("fresh", type="source", freshness={"warn_after": {"count": 1, "period": "day"}})
    b.capsule("filter_only", type="source", freshness={"warn_after": {"count": None}, "filter": "x"})
    b.capsule("none", type="source")
    b.capsule("error_only", type="source", attributes={"freshness": {"error_after": {"count": 2, "period": "hour"}}})
    assert flagged(b, {"type": "required_property", "property": "freshness"}) == ["filter_only", "none"]


def test_required_property_source_description_reads_the_capsule_attributes():
    b = GraphBuilder()
    b.capsule("described", type="source", source_description="The shop's database.")
    b.capsule("blank", type="source", source_description="  ")
    b.capsule("absent", type="source")
    assert flagged(b, {"type": "required_property", "property": "source_description"}) == ["blank", "absent"]


def test_optional_facts_are_skipped_on_a_graph_view_without_attributes():
    @dataclass(slots=True)
    class BareNode:
        index: int
        urn: str
        name: str
        capsule_type: str
        layer: str | None = None
        tags: tuple = ()
        columns: list = field(default_factory=list)

    graph = GraphView()
    graph.add_capsule(BareNode(index=0, urn="source.test.orders", name="orders", capsule_type="source"))
    rule = make_rule({"type": "required_property", "property": "freshness"})
    result = evaluate(graph, [rule]).result("R-1")
    assert result.status == "skipped" and "freshness" in result.reason


def test_required_property_on_columns():
    b = GraphBuilder()
    b.capsule("t")
    b.column("t", "a", description="A.")
    b.column("t", "b")
    assert flagged(b, {"type": "required_property", "property": "description"}, scope="column") == ["t.b"]


def test_a_unique_test_on_a_not_null_constrained_column_makes_a_primary_key():
    b = GraphBuilder()
    b.capsule("constrained", tests=(DbtTest("u", "unique", "id"),))
    b.column("constrained", "id", constraints=({"type": "not_null"},))
    b.capsule("other_column", tests=(DbtTest("u", "unique", "id"),))
    b.column("other_column", "id")
    b.column("other_column", "code", constraints=({"type": "not_null"},))
    b.capsule("constraint_only")
    b.column("constraint_only", "id", constraints=({"type": "not_null"},))
    assert flagged(b, {"type": "required_tests", "kinds": ["primary_key"]}) == ["other_column", "constraint_only"]


def test_primary_key_test_needs_unique_and_not_null_on_one_column():
    b = GraphBuilder()
    b.capsule("both", tests=pk_tests("id"))
    b.capsule("split", tests=(DbtTest("u", "unique", "id"), DbtTest("n", "not_null", "other_id")))
    b.capsule("combo", tests=(DbtTest("c", "dbt_utils.unique_combination_of_columns"),))
    b.capsule("untested")
    b.capsule("column_lists_only", columns=["id"])
    b.column("column_lists_only", "id", tests=("unique", "not_null"))
    assert flagged(b, {"type": "required_tests", "kinds": ["primary_key"]}) == ["split", "untested"]


def test_required_tests_min_count_and_kinds():
    b = GraphBuilder()
    b.capsule("one", tests=(DbtTest("r", "relationships", "customer_id"),))
    b.capsule("none")
    assert flagged(b, {"type": "required_tests", "min_count": 1}) == ["none"]
    assert flagged(b, {"type": "required_tests", "kinds": ["relationships"]}) == ["none"]
    assert flagged(b, {"type": "required_tests", "kinds": ["any"]}) == ["none"]


def test_required_tests_on_columns_reads_capsule_tests_too():
    b = GraphBuilder()
    b.capsule("t", tests=(DbtTest("nn", "not_null", "a"),), columns=["a", "b"])
    b.column("t", "b", tests=("not_null",))
    b.capsule("u", columns=["c"])
    assert flagged(b, {"type": "required_tests", "kinds": ["not_null"]}, scope="column") == ["u.c"]


def test_test_status_flags_each_failing_test():
    b = GraphBuilder()
    b.capsule(
        "t",
        tests=(
            DbtTest("a", "unique", "id", "pass"),
            DbtTest("b", "not_null", "id", "fail"),
            DbtTest("c", "accepted_values", "s", "error"),
            DbtTest("d", "x", None, "warn"),
        ),
    )
    findings = run(b, {"type": "test_status"})
    assert sorted(f.details["test"] for f in findings) == ["b", "c"]
    assert [f.details["test"] for f in run(b, {"type": "test_status", "statuses": ["warn"]})] == ["d"]


def test_coverage_per_capsule():
    b = GraphBuilder()
    b.capsule("half", tests=(DbtTest("u", "unique", "a"),))
    b.column("half", "a", description="A.")
    b.column("half", "b")
    b.capsule("empty")
    documented = {"type": "coverage", "measure": "documented_columns", "min_percent": 50}
    assert flagged(b, documented) == ["empty"]
    assert flagged(b, {**documented, "min_percent": 60}) == ["half", "empty"]
    tested = run(b, {"type": "coverage", "measure": "tested_columns", "min_percent": 75})
    assert [(f.details["covered"], f.details["total"]) for f in tested] == [(1, 2), (0, 0)]


def test_coverage_of_the_project_reports_once_with_a_layer_breakdown():
    b = GraphBuilder()
    b.capsule("stg_a", layer="staging", description="A.", tests=pk_tests("id"))
    b.capsule("stg_b", layer="staging")
    b.capsule("fct_c", layer="marts", description="C.")
    findings = run(b, {"type": "coverage", "measure": "documented_models", "min_percent": 100}, scope="graph")
    [finding] = findings
    assert finding.capsule_urn is None and finding.capsule is None
    assert finding.details["by_layer"] == {"marts": 100.0, "staging": 50.0}
    assert finding.details["percent"] == 66.67
    assert run(b, {"type": "coverage", "measure": "documented_models", "min_percent": 60}, scope="graph") == []
    assert run(b, {"type": "coverage", "measure": "tested_models", "min_percent": 34}, scope="graph")


# -- direct dependencies and layers -------------------------------------------------------------------------


def test_upstream_forbidden_and_allowed_lists():
    b = layered()
    assert flagged(b, {"type": "upstream", "forbidden_types": ["seed"]}) == ["fct_orders"]
    assert flagged(b, {"type": "upstream", "forbidden_materializations": ["view"]}) == ["int_orders", "fct_orders"]
    findings = run(b, {"type": "upstream", "allowed_layers": ["intermediate"]}, flt={"layers": ["marts"]})
    assert [f.details["name"] for f in findings] == ["codes"]
    only = run(
        b, {"type": "upstream", "allowed_layers": ["intermediate"], "only_types": ["model"]}, flt={"layers": ["marts"]}
    )
    assert only == []


def test_upstream_unknown_layer_passes_unless_told_otherwise():
    b = GraphBuilder()
    b.capsule("mystery", layer=None)
    b.capsule("fct", layer="marts", parents=["mystery"])
    check = {"type": "upstream", "allowed_layers": ["intermediate"]}
    assert flagged(b, check, flt={"layers": ["marts"]}) == []
    assert flagged(b, {**check, "unknown_layer": "fail"}, flt={"layers": ["marts"]}) == ["fct"]


def test_upstream_access_and_downstream():
    b = GraphBuilder()
    b.capsule("public_mart", access="public")
    b.capsule("private_mart", access="protected")
    b.capsule("dash", type="exposure", parents=["public_mart", "private_mart"])
    findings = run(b, {"type": "upstream", "allowed_access": ["public"]}, flt={"resource_types": ["exposure"]})
    assert [f.details["name"] for f in findings] == ["private_mart"]
    assert flagged(b, {"type": "downstream", "forbidden_types": ["exposure"]}) == ["public_mart", "private_mart"]


def test_layer_dependencies_uses_the_allowed_map():
    b = layered()
    b.capsule("fct_raw", layer="marts", parents=["orders", "codes", "stg_orders"])
    check = {"type": "layer_dependencies", "allowed": {"marts": ["staging", "intermediate", "marts"]}}
    assert [f.details["upstream_layer"] for f in run(b, check)] == ["raw", "raw", "raw"]
    assert flagged(b, {**check, "ignore_types": ["seed"]}) == ["fct_raw"]


def test_layer_bypass_flags_paths_around_staging_not_only_edges():
    b = layered()
    b.capsule("int_raw", layer="intermediate", parents=["orders"])
    b.capsule("fct_bypassed", layer="marts", parents=["int_raw"])
    b.capsule("fct_downstream", layer="marts", parents=["fct_bypassed"])
    b.capsule("dash2", type="exposure", layer="consumption", parents=["fct_downstream"])
    findings = run(b, {"type": "layer_bypass", "ignore_types": ["seed"]})
    assert [b.graph.capsules[f.capsule].name for f in findings] == ["fct_bypassed"]
    assert findings[0].details["path"] == ["shop.orders", "int_raw", "fct_bypassed"]
    # a seed is raw too: it starts paths unless ignored
    assert flagged(b, {"type": "layer_bypass"}) == ["fct_orders", "fct_bypassed"]
    assert flagged(b, {"type": "layer_bypass", "ignore_types": ["seed", "source"]}) == []


def test_layer_bypass_flags_consumption_reading_raw_directly_and_survives_cycles():
    b = layered()
    b.capsule("raw_dash", type="exposure", layer="consumption", parents=["orders"])
    b.capsule("loop_a", layer="intermediate", parents=["orders"])
    b.capsule("loop_b", layer="intermediate", parents=["loop_a"])
    b.edge("loop_b", "loop_a")
    check = {"type": "layer_bypass", "ignore_types": ["seed"]}
    assert flagged(b, check) == ["raw_dash"]


# -- fan-out, fan-in, depth, chains ----------------------------------------------------------------------------


def test_fan_out_counts_children_or_leaf_children():
    b = GraphBuilder()
    b.capsule("hub")
    for name in ("a", "b", "c"):
        b.capsule(name, parents=["hub"])
    b.capsule("a_child", parents=["a"])
    b.capsule("dash", type="exposure", parents=["hub"])
    assert flagged(b, {"type": "fan_out", "max": 3}, flt={"name": "^hub$"}) == ["hub"]
    assert flagged(b, {"type": "fan_out", "max": 3, "child_types": ["model"]}, flt={"name": "^hub$"}) == []
    leaf_check = {"type": "fan_out", "count": "leaf_children", "child_types": ["model"]}
    assert run(b, {**leaf_check, "max": 2}, flt={"name": "^hub$"}) == []
    [finding] = run(b, {**leaf_check, "max": 1}, flt={"name": "^hub$"})
    assert (finding.details["count"], finding.details["children"]) == (2, ["b", "c"])
    assert flagged(b, {"type": "fan_out", "min": 1}) == ["b", "c", "a_child", "dash"]


def test_fan_in_bounds_and_parent_types():
    b = GraphBuilder()
    b.capsule("s1", type="source")
    b.capsule("s2", type="source")
    b.capsule("m")
    b.capsule("joins_two_sources", parents=["s1", "s2", "m"])
    assert flagged(b, {"type": "fan_in", "max": 1, "parent_types": ["source"]}) == ["joins_two_sources"]
    assert flagged(b, {"type": "fan_in", "max": 2}) == ["joins_two_sources"]
    assert flagged(b, {"type": "fan_in", "min": 1}, flt={"resource_types": ["model"]}) == ["m"]


def test_dag_depth_measures_the_longest_path_and_survives_cycles():
    b = GraphBuilder()
    b.capsule("n0")
    for i in range(1, 5):
        b.capsule(f"n{i}", parents=[f"n{i - 1}"])
    b.capsule("shortcut", parents=["n0"])
    b.edge("shortcut", "n4")  # n4 keeps depth 4 through the long way
    findings = run(b, {"type": "dag_depth", "max": 3})
    assert [(b.graph.capsules[f.capsule].name, f.details["depth"]) for f in findings] == [("n4", 4)]
    assert findings[0].details["path"] == ["n0", "n1", "n2", "n3", "n4"]
    b.edge("n4", "n1")  # a cycle must not hang the evaluation
    assert run(b, {"type": "dag_depth", "max": 100}) == []


def test_view_chain_counts_consecutive_views_before_a_model():
    b = GraphBuilder()
    b.capsule("src", type="source")
    previous = "src"
    for i in range(5):
        b.capsule(f"v{i}", parents=[previous], materialization="view" if i != 1 else "ephemeral")
        previous = f"v{i}"
    b.capsule("end", parents=[previous], materialization="table")
    findings = run(b, {"type": "view_chain", "max": 4})
    assert [(b.graph.capsules[f.capsule].name, f.details["length"]) for f in findings] == [("end", 5)]
    assert findings[0].details["chain"] == ["v0", "v1", "v2", "v3", "v4"]
    b.node("v2").materialization = "table"  # breaks the chain into 2 + 2
    assert run(b, {"type": "view_chain", "max": 2}) == []


# -- DAG smells --------------------------------------------------------------------------------------------------


def test_rejoined_concepts_follows_the_evaluator_definition():
    b = GraphBuilder()
    b.capsule("a")
    b.capsule("b", parents=["a"])
    b.capsule("c", parents=["a", "b"])
    b.capsule("dash", type="exposure", parents=["b"])  # exposures do not count as children
    findings = run(b, {"type": "rejoined_concepts"})
    assert [(b.graph.capsules[f.capsule].name, f.details["via"]) for f in findings] == [("c", "model.test.b")]
    b.capsule("d", parents=["b"])  # b now feeds something else: its existence is justified
    assert run(b, {"type": "rejoined_concepts"}) == []


def test_mixed_parents_needs_every_listed_type():
    b = GraphBuilder()
    b.capsule("src", type="source")
    b.capsule("m")
    b.capsule("both", parents=["src", "m"])
    b.capsule("only_model", parents=["m"])
    assert flagged(b, {"type": "mixed_parents", "types": ["model", "source"]}) == ["both"]


def test_duplicate_relation_normalises_quotes_and_case():
    b = GraphBuilder()
    b.capsule("a", type="source", relation_name='"RAW"."Shop"."orders"')
    b.capsule("b", type="source", relation_name="raw.shop.ORDERS")
    b.capsule("c", type="source", database="raw", schema="shop")
    b.capsule("c2", type="source", database="RAW", schema="shop", relation_name="raw.shop.c")
    findings = run(b, {"type": "duplicate_relation"})
    assert sorted(b.graph.capsules[f.capsule].name for f in findings) == ["a", "b", "c", "c2"]
    assert {f.details["relation"] for f in findings} == {"raw.shop.orders", "raw.shop.c"}


def test_orphan_has_neither_parents_nor_children():
    b = GraphBuilder()
    b.capsule("alone")
    b.capsule("root")
    b.capsule("leaf", parents=["root"])
    assert flagged(b, {"type": "orphan"}) == ["alone"]


def test_hard_coded_references_needs_sql_and_finds_names():
    assert hard_coded_references("select * from raw.orders o join {{ ref('x') }} using (id)") == ["raw.orders"]
    assert hard_coded_references('select * from "db"."s"."t"\n-- from old.table\n') == ['"db"."s"."t"']
    assert hard_coded_references("select * from {{ var('orders_table') }}") == ["{{ var('orders_table') }}"]
    assert hard_coded_references("with x as (select 1) select * from x") == []
    assert hard_coded_references("select extract(year from o.created_at) from {{ ref('o') }} o") == []
    quoted = "select 1 from 'raw'.'t'\nunion all select 1 from [dbo].[t]\nunion all select 1 from `p-1.d.t` x"
    assert hard_coded_references(quoted) == ["'raw'.'t'", "[dbo].[t]", "`p-1.d.t`"]
    jinja = "select 1 {# from raw.kept_out #} from {{ var('t', 'default_t') }} -- from raw.also_out"
    assert hard_coded_references(jinja) == ["{{ var('t', 'default_t') }}"]
    assert hard_coded_references("select date_from, count(distinct from_id) from {{ ref('x') }}") == []
    b = GraphBuilder()
    b.capsule("bad", raw_sql="select * from analytics.orders")
    b.capsule("good", raw_sql="select * from {{ ref('orders') }}")
    b.capsule("no_sql")
    assert flagged(b, {"type": "hard_coded_references"}) == ["bad"]


def test_hard_coded_references_is_skipped_when_the_graph_was_loaded_without_sql():
    plain = GraphBuilder()
    plain.capsule("m")
    plain.capsule("n")
    result = evaluate(plain.graph, [make_rule({"type": "hard_coded_references"})]).results[0]
    assert result.status == "skipped" and "sql=True" in result.reason


# -- PII -------------------------------------------------------------------------------------------------------------


def pii_graph() -> GraphBuilder:
    b = GraphBuilder()
    b.capsule("customers", type="source", layer="raw")
    b.column("customers", "email", pii_type="email", meta={"pii": True})
    b.column("customers", "phone", pii_type="phone", tags=("pii",))
    b.column("customers", "name", pii_type="name", meta={"pii": "false"})
    b.column("customers", "note", meta={"pii": True})
    b.capsule("stg_customers", layer="staging", parents=["customers"])
    for name in ("email", "email_hash", "phone", "masked_phone"):
        b.column("stg_customers", name)
    b.column_edge("customers.email", "stg_customers.email", "passthrough")
    b.column_edge("customers.email", "stg_customers.email_hash", "function")
    b.column_edge("customers.phone", "stg_customers.phone", "rename")
    b.column_edge("customers.phone", "stg_customers.masked_phone", "passthrough")
    b.column("stg_customers", "masked_phone", pii_masked=True)
    b.capsule("fct_customers", layer="marts", parents=["stg_customers"])
    for name in ("email", "email_hash", "masked_phone", "phone"):
        b.column("fct_customers", name)
        b.column_edge(f"stg_customers.{name}", f"fct_customers.{name}", "cast")
    b.column("fct_customers", "phone", pii_type="phone", pii_masked=True)
    return b


def test_pii_declared_accepts_meta_or_tags():
    b = pii_graph()
    # a "false" meta value is no declaration; masked columns are only judged on request
    assert flagged(b, {"type": "pii_declared"}, flt={"pii": True}) == ["customers.name"]
    check = {"type": "pii_declared", "include_masked": True}
    assert flagged(b, check, flt={"pii": True}) == ["customers.name", "fct_customers.phone"]


def test_pii_type_required_for_declared_columns():
    b = pii_graph()
    b.column("customers", "phone", pii_type="unknown")
    assert flagged(b, {"type": "pii_type_required"}) == ["customers.phone", "customers.note"]


def test_pii_unmasked_uses_own_flags_then_unchanged_copies_in_column_lineage():
    b = pii_graph()
    findings = run(b, {"type": "pii_unmasked"}, flt={"layers": ["marts"]})
    assert [(b.graph.columns[f.column].name, f.details["inherited"]) for f in findings] == [("email", True)]
    assert findings[0].details["origin"] == "source.test.customers.email"
    # the copy of a masked column, a hashed column and a masked PII column are all fine
    assert run(b, {"type": "pii_unmasked", "use_lineage": False}, flt={"layers": ["marts"]}) == []
    b.column("fct_customers", "email_hash", pii_type="email")
    assert "email_hash" in flagged(b, {"type": "pii_unmasked"}, flt={"layers": ["marts"]})[1]


def test_pii_unmasked_survives_column_lineage_cycles():
    b = pii_graph()
    b.column_edge("fct_customers.email", "stg_customers.email", "passthrough")
    assert flagged(b, {"type": "pii_unmasked"}, flt={"layers": ["marts"]}) == ["fct_customers.email"]
