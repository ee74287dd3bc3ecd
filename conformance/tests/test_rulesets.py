"""The built-in rule sets: they load, document themselves, stay quiet on a clean project and fire on a slip."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from conformance.engine import evaluate, load_rule_file, load_rules
from conformance.engine.testing import ATTRIBUTE_FACTS, GraphBuilder, pk_tests
from lineage.graph import TestInfo as DbtTest

RULES_DIR = Path(__file__).resolve().parents[2] / "config" / "rules"
RULE_FILES = sorted(RULES_DIR.glob("*.yaml"))
EXPECTED_FILES = {"medallion", "dbt_best_practices", "pii_compliance", "documentation", "testing", "ownership"}
FRESHNESS = {"warn_after": {"count": 12, "period": "hour"}, "error_after": {"count": 24, "period": "hour"}}


def all_rules():
    return [replace(rule, enabled=True) for rule in load_rules([RULES_DIR])]


def clean_project() -> GraphBuilder:
    """A small project that follows every built-in rule: raw -> staging -> intermediate -> marts -> exposure."""
    b = GraphBuilder()
    source = dict(
        type="source",
        layer="raw",
        source_name="shop",
        path="models/staging/shop/_shop__sources.yml",
        freshness=FRESHNESS,
        source_description="The shop's production database.",
        owner="platform",
        database="raw",
        schema="shop",
    )
    b.capsule(
        "orders",
        description="One row per order placed in the shop.",
        relation_name='"raw"."shop"."orders"',
        tests=pk_tests("id"),
        **source,
    )
    b.capsule(
        "customers",
        description="One row per registered customer.",
        relation_name='"raw"."shop"."customers"',
        tests=pk_tests("id"),
        **source,
    )
    for name in ("id", "customer_id", "amount"):
        b.column("orders", name, description=f"The order's {name}.")
    b.column("customers", "id", description="Customer key.")
    b.column(
        "customers", "email", description="Login e-mail.", pii_type="email", meta={"pii": True, "pii_type": "email"}
    )
    b.capsule(
        "country_codes",
        type="seed",
        layer="raw",
        path="seeds/country_codes.csv",
        description="ISO country codes.",
        tests=(DbtTest("unique_code", "unique", "code"),),
    )
    b.column("country_codes", "code", description="ISO 3166 alpha-2 code.")
    b.capsule(
        "customers_snapshot",
        type="snapshot",
        parents=["customers"],
        path="snapshots/customers_snapshot.sql",
        description="History of customer records.",
        tests=pk_tests("id"),
        materialization="snapshot",
    )
    b.column("customers_snapshot", "id", description="Customer key.")

    model = dict(owner="sales-data", domain="sales", access="protected")
    b.capsule(
        "stg_shop__orders",
        layer="staging",
        parents=["orders"],
        materialization="view",
        path="models/staging/shop/stg_shop__orders.sql",
        description="Orders, renamed and typed.",
        tests=pk_tests("order_id"),
        raw_sql="select id as order_id from {{ source('shop', 'orders') }}",
        **model,
    )
    b.capsule(
        "stg_shop__customers",
        layer="staging",
        parents=["customers"],
        materialization="view",
        path="models/staging/shop/stg_shop__customers.sql",
        description="Customers, renamed and typed.",
        tests=pk_tests("customer_id"),
        raw_sql="select * from {{ source('shop', 'customers') }}",
        **model,
    )
    for name in ("order_id", "customer_id", "amount"):
        b.column("stg_shop__orders", name, description=f"The order's {name}.")
    b.column("stg_shop__customers", "customer_id", description="Customer key.")
    b.column(
        "stg_shop__customers",
        "email",
        description="Login e-mail.",
        pii_type="email",
        meta={"pii": True, "pii_type": "email"},
    )
    b.column_edge("customers.email", "stg_shop__customers.email", "passthrough")
    b.capsule(
        "int_orders_enriched",
        layer="intermediate",
        parents=["stg_shop__orders", "stg_shop__customers"],
        materialization="table",
        path="models/intermediate/sales/int_orders_enriched.sql",
        description="Orders with their customer.",
        tests=pk_tests("order_id"),
        raw_sql="select * from {{ ref('stg_shop__orders') }} join {{ ref('stg_shop__customers') }} using (x)",
        **model,
    )
    for name in ("order_id", "customer_id", "amount", "email_hash"):
        b.column("int_orders_enriched", name, description=f"The order's {name}.")
    b.column_edge("stg_shop__customers.email", "int_orders_enriched.email_hash", "function")

    mart = dict(
        owner="sales-data",
        domain="sales",
        access="public",
        contract_enforced=True,
        materialization="table",
        meta={"contact": "#sales-data"},
    )
    b.capsule(
        "fct_orders",
        layer="marts",
        parents=["int_orders_enriched"],
        path="models/marts/sales/fct_orders.sql",
        description="One row per order with its amount and customer.",
        tests=pk_tests("order_id"),
        **mart,
    )
    for name in ("order_id", "customer_id", "amount", "email_hash"):
        b.column("fct_orders", name, description=f"The order's {name}.")
    b.capsule(
        "dim_customers",
        layer="marts",
        parents=["stg_shop__customers", "country_codes"],
        path="models/marts/sales/dim_customers.sql",
        description="One row per customer with their country.",
        tests=pk_tests("customer_id"),
        **mart,
    )
    for name in ("customer_id", "country_code", "email_hash"):
        b.column("dim_customers", name, description=f"The customer's {name}.")
    b.capsule(
        "orders_dashboard",
        type="exposure",
        layer="consumption",
        parents=["fct_orders", "dim_customers"],
        path="models/marts/sales/_exposures.yml",
        description="Daily order review.",
        owner="Ana Souza",
    )
    b.capsule(
        "revenue",
        type="metric",
        layer="consumption",
        parents=["fct_orders"],
        path="models/marts/sales/_metrics.yml",
        description="Sum of order amounts.",
    )
    return b


def fired(b: GraphBuilder, rule_id: str) -> list:
    rules = [rule for rule in all_rules() if rule.id == rule_id]
    return list(evaluate(b.graph, rules).result(rule_id).findings)


# -- mutations: each introduces one slip that the named rule must catch ----------------------------------


def _model(b: GraphBuilder, name: str, *, layer: str = "marts", parents=(), **fields) -> None:
    folder = {"staging": "staging/shop", "intermediate": "intermediate/sales", "marts": "marts/sales"}.get(layer, "x")
    b.capsule(name, layer=layer, parents=list(parents), path=f"models/{folder}/{name}.sql", **fields)


def _set(capsule: str, /, **fields) -> Callable[[GraphBuilder], None]:
    def mutate(b: GraphBuilder) -> None:
        node = b.node(capsule)
        for key, value in fields.items():
            if key in ATTRIBUTE_FACTS:
                node.attributes[key] = value
            else:
                setattr(node, key, value)

    return mutate


def _edge(parent: str, child: str) -> Callable[[GraphBuilder], None]:
    return lambda b: b.edge(parent, child)


def _chain(b: GraphBuilder, count: int, *, materialization: str) -> None:
    previous = "stg_shop__orders"
    for position in range(count):
        name = f"int_step_{position}"
        _model(b, name, layer="intermediate", parents=[previous], materialization=materialization)
        previous = name
    _model(b, "fct_end_of_chain", parents=[previous], materialization="table")


def _second_source_reader(b: GraphBuilder) -> None:
    _model(b, "stg_shop__orders_copy", layer="staging", parents=["orders"])


def _column(capsule: str, name: str, **fields) -> Callable[[GraphBuilder], None]:
    return lambda b: b.column(capsule, name, **fields)


def _blank_column_docs(b: GraphBuilder) -> None:
    for column in b.graph.columns:
        column.description = ""


def _public_without_column_doc(b: GraphBuilder) -> None:
    b.column("fct_orders", "amount", description="")


def _pii_feeding_exposure(b: GraphBuilder) -> None:
    b.edge("stg_shop__customers", "orders_dashboard")
    b.column("stg_shop__customers", "email", pii_masked=False)


MUTATIONS: dict[str, Callable[[GraphBuilder], None]] = {
    "DBT-M01": _edge("orders", "int_orders_enriched"),
    "DBT-M02": _edge("orders", "int_orders_enriched"),
    "DBT-M03": lambda b: b.capsule(
        "orders_again",
        type="source",
        layer="raw",
        source_name="legacy",
        relation_name='"RAW"."SHOP"."ORDERS"',
        parents=[],
    ),
    "DBT-M04": _set("int_orders_enriched", raw_sql="select * from analytics.raw_orders"),
    "DBT-M05": lambda b: [_model(b, f"fct_leaf_{i}", parents=["int_orders_enriched"]) for i in range(3)],
    "DBT-M06": _edge("customers", "stg_shop__orders"),
    "DBT-M07": _edge("stg_shop__orders", "fct_orders"),
    "DBT-M08": lambda b: _model(b, "int_from_nowhere", layer="intermediate"),
    "DBT-M09": _second_source_reader,
    "DBT-M10": _edge("int_orders_enriched", "stg_shop__customers"),
    "DBT-M11": _edge("stg_shop__orders", "stg_shop__customers"),
    "DBT-M12": lambda b: (
        [_model(b, f"int_p{i}", layer="intermediate", parents=["stg_shop__orders"]) for i in range(7)]
        and _model(b, "fct_wide", parents=[f"int_p{i}" for i in range(7)])
    ),
    "DBT-M13": lambda b: b.capsule("refunds", type="source", layer="raw", source_name="shop"),
    "DBT-T01": _set("fct_orders", tests=(DbtTest("unique_order_id", "unique", "order_id"),)),
    "DBT-T02": _set("orders", freshness={"filter": "x > 1"}),
    "DBT-T03": _set("int_orders_enriched", tests=()),
    "DBT-D01": _set("int_orders_enriched", description=""),
    "DBT-D02": _set("int_orders_enriched", description="  "),
    "DBT-D03": _set("orders", description=""),
    "DBT-D04": _set("customers", source_description=""),
    "DBT-S01": _set("fct_orders", name="orders_report"),
    "DBT-S02": _set("stg_shop__orders", path="models/marts/sales/stg_shop__orders.sql"),
    "DBT-S03": _set("stg_shop__orders", path="models/staging/stg_shop__orders.sql"),
    "DBT-S04": _set("orders", path="models/sources.yml"),
    "DBT-P01": lambda b: _chain(b, 5, materialization="view"),
    "DBT-S05": _set(
        "stg_shop__orders",
        tests=(DbtTest("unique_order_id", "unique", "order_id", path="models/marts/sales/_sales.yml"),),
    ),
    "DBT-P02": _set("fct_orders", materialization="view"),
    "DBT-G01": _set("dim_customers", contract_enforced=False),
    "DBT-G02": _public_without_column_doc,
    "DBT-G03": _set("dim_customers", access="protected"),
    "DOC-001": lambda b: [b.column("fct_orders", name, description="") for name in ("amount", "email_hash")],
    "DOC-002": _set("fct_orders", description="TODO"),
    "DOC-003": _set("orders_dashboard", description=""),
    "DOC-004": _set("customers_snapshot", description=""),
    "DOC-005": _set("revenue", description=""),
    "DOC-006": _blank_column_docs,
    "MED-001": _edge("orders", "fct_orders"),
    "MED-002": _edge("orders", "int_orders_enriched"),
    "MED-003": _edge("stg_shop__orders", "stg_shop__customers"),
    "MED-010": _set("stg_shop__orders", name="shop_orders_staging"),
    "MED-011": _set("int_orders_enriched", name="orders_enriched"),
    "MED-012": _set("dim_customers", name="customers_master"),
    "MED-013": _set("dim_customers", name="Dim_Customers"),
    "MED-014": _set("int_orders_enriched", path="models/marts/sales/int_orders_enriched.sql"),
    "MED-015": lambda b: _model(b, "misc_orders", layer=None, parents=["stg_shop__orders"]),
    "MED-020": lambda b: _chain(b, 11, materialization="table"),
    "MED-021": lambda b: _model(b, "fct_lonely"),
    "OWN-001": _set("stg_shop__orders", owner=None),
    "OWN-002": _set("fct_orders", owner=None),
    "OWN-003": _set("orders_dashboard", owner=None),
    "OWN-004": _set("fct_orders", domain=None),
    "OWN-005": _set("orders", owner=None),
    "OWN-006": _set("fct_orders", meta={}),
    "PII-001": _column("int_orders_enriched", "email_hash", pii_type="email"),
    "PII-002": _column("fct_orders", "email_hash", pii_type="email", meta={"pii": True}),
    "PII-003": _pii_feeding_exposure,
    "PII-004": _column("stg_shop__customers", "customer_id", meta={"pii": True}),
    "PII-005": _column("stg_shop__customers", "email", description=""),
    "TST-001": _set(
        "stg_shop__orders",
        tests=(*pk_tests("order_id"), DbtTest("accepted_values_x", "accepted_values", "amount", status="fail")),
    ),
    "TST-002": _set(
        "stg_shop__orders",
        tests=(*pk_tests("order_id"), DbtTest("accepted_values_x", "accepted_values", "amount", status="warn")),
    ),
    "TST-003": _set("orders", tests=()),
    "TST-004": _set("dim_customers", tests=(DbtTest("unique_customer_id", "unique", "customer_id"),)),
    "TST-005": _set("country_codes", tests=()),
}


def test_every_built_in_rule_file_is_there_and_loads():
    assert {path.stem for path in RULE_FILES} == EXPECTED_FILES
    for path in RULE_FILES:
        rules = load_rule_file(path)
        assert rules, path
        assert {rule.rule_set for rule in rules} == {path.stem}


def test_every_built_in_rule_documents_why_and_how_to_fix():
    for rule in all_rules():
        assert rule.description and rule.rationale and rule.remediation, rule.id
        assert len(rule.id) <= 50


def test_every_built_in_rule_has_a_crafted_positive_example():
    assert set(MUTATIONS) == {rule.id for rule in all_rules()}


def test_clean_project_passes_every_built_in_rule():
    evaluation = evaluate(clean_project().graph, all_rules())
    problems = [(f.rule_id, f.message) for f in evaluation.findings]
    assert problems == []
    assert [r.rule.id for r in evaluation.results if r.status != "evaluated"] == []


@pytest.mark.parametrize("rule_id", sorted(MUTATIONS))
def test_built_in_rule_fires_on_its_slip(rule_id):
    b = clean_project()
    MUTATIONS[rule_id](b)
    assert fired(b, rule_id), f"{rule_id} did not fire"


def test_rules_needing_facts_the_graph_view_lacks_are_skipped_not_failed():
    b = GraphBuilder()
    b.capsule("orders", type="source", layer="raw")
    b.capsule("stg_orders", layer="staging", parents=["orders"])
    evaluation = evaluate(b.graph, all_rules())
    skipped = {r.rule.id: r.reason for r in evaluation.results if r.status == "skipped"}
    assert set(skipped) == {"DBT-M04"}  # a graph loaded without raw SQL
    assert "raw SQL" in skipped["DBT-M04"]
    # source facts live in the capsule's attributes: a source without them is flagged, not skipped
    assert {f.rule_id for f in evaluation.findings if f.capsule_urn == "source.test.orders"} >= {"DBT-T02", "DBT-D04"}
