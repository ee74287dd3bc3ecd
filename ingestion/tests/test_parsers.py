"""Tests of the dbt artifact parser: hand-made fixtures, bad and odd inputs, and every real artifact set.

The real sets live in ../shared/dbt (tests marked ``shared`` skip when it is absent). Their expected
counts are computed here straight from the raw JSON with the standard json module, independently of
the parser; the hand-checked facts were read from the JSON files by a person and are written as literals.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from ingestion.parsers.dbt import (
    ParseError,
    capsule_urn,
    normalise_column_name,
    parse_catalog,
    parse_dbt_artifacts,
    parse_manifest,
    parse_run_results,
)
from ingestion.records import CAPSULE_TYPES, EDGE_TYPES, CapsuleRecord, LazyColumns, ParsedProject

DATA = Path(__file__).resolve().parent / "data"
SHARED_DBT = Path(__file__).resolve().parents[2] / ".." / "shared" / "dbt"

# every artifact set under ../shared/dbt that holds a manifest (test_every_shared_set_is_covered keeps it true)
REAL_SETS = (
    "jaffle_shop_duckdb",
    "jaffle-shop",
    "dbt-project-evaluator",
    "mattermost-analytics",
    "gitlab-analytics",
    "mit-ol-data-platform",
    "versions/v1/dap_jaffle_shop_dbt-0.19.1",
    "versions/v2/dap_jaffle_shop_dbt-0.20.2",
    "versions/v3/dap_jaffle_shop_dbt-0.21.0",
    "versions/v4/dap_jaffle_shop_dbt-1.0.0",
    "versions/v5/dap_jaffle_shop_dbt-1.1.0",
    "versions/v6/dap_jaffle_shop_dbt-1.2.1",
    "versions/v7/dap_jaffle_shop_dbt-1.3.0",
    "versions/v8/dap_jaffle_shop_dbt-1.4.1",
    "versions/v8/dap_jaffle_shop_dbt-1.4.3",
    "versions/v8/generated_jaffle_shop_duckdb_dbt-1.4.10",
    "versions/v9/dap_jaffle_shop_dbt-1.5.0rc1",
    "versions/v9/generated_jaffle_shop_duckdb_dbt-1.5.12",
    "versions/v10/dap_jaffle_shop_dbt-1.6.0",
    "versions/v10/generated_jaffle_shop_duckdb_dbt-1.6.19",
    "versions/v11/dap_jaffle_shop_dbt-1.7.0",
    "versions/v11/generated_jaffle_shop_duckdb_dbt-1.7.9",
    "versions/v12/dap_jaffle_shop_dbt-1.8.9",
    "versions/v12/dap_jaffle_shop_dbt-1.9.0",
    "versions/v12/dap_jaffle_shop_dbt-1.10.13",
    "versions/v12/dap_jaffle_shop_dbt-1.11.7",
    "versions/v12/dap_jaffle_shop_dbt-1.12.0",
)
WITH_CATALOG = tuple(name for name in REAL_SETS if name.startswith(("jaffle", "dbt-project", "versions/v1/"))) + (
    "versions/v8/generated_jaffle_shop_duckdb_dbt-1.4.10",
    "versions/v9/generated_jaffle_shop_duckdb_dbt-1.5.12",
    "versions/v10/generated_jaffle_shop_duckdb_dbt-1.6.19",
    "versions/v11/generated_jaffle_shop_duckdb_dbt-1.7.9",
    "versions/v12/dap_jaffle_shop_dbt-1.11.7",
    "versions/v12/dap_jaffle_shop_dbt-1.12.0",
)

# ---------------------------------------------------------------------------------------------- helpers


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def shop_manifest() -> dict[str, Any]:
    return json.loads(read("shop_manifest.json"))


@cache
def parsed_shop() -> ParsedProject:
    return parse_dbt_artifacts(
        manifest=read("shop_manifest.json"),
        catalog=read("shop_catalog.json"),
        run_results=read("shop_run_results.json"),
    )


def capsule(parsed: ParsedProject, unique_id: str) -> CapsuleRecord:
    found = [c for c in parsed.capsules if c.unique_id == unique_id]
    assert len(found) == 1, unique_id
    return found[0]


def column(record: CapsuleRecord, name: str):
    found = [c for c in record.columns if c.name.lower() == name.lower()]
    assert len(found) == 1, name
    return found[0]


def warnings_text(parsed: ParsedProject) -> str:
    return "\n".join(parsed.warnings)


# ---------------------------------------------------------------------------------------------- fixtures: capsules


def test_capsules_cover_every_capsule_type_and_skip_tests_analyses_and_disabled_nodes():
    parsed = parsed_shop()
    assert Counter(c.capsule_type for c in parsed.capsules) == {
        "model": 7,
        "source": 2,
        "seed": 1,
        "snapshot": 1,
        "exposure": 1,
        "metric": 1,
        "semantic_model": 1,
        "saved_query": 1,
    }
    ids = {c.unique_id for c in parsed.capsules}
    assert "analysis.shop.adhoc" not in ids
    assert "model.shop.old_model" not in ids
    assert not any(i.startswith(("test.", "operation.", "unit_test.")) for i in ids)


def test_stats_count_ignored_and_disabled_resources():
    stats = parsed_shop().stats
    assert stats["ignored_analyses"] == 1
    assert stats["ignored_operations"] == 1
    assert stats["ignored_macros"] == 2
    assert stats["ignored_docs"] == 1
    assert stats["ignored_unit_tests"] == 1
    assert stats["disabled"] == 1
    assert stats["capsules"] == 15
    assert stats["models"] == 7
    assert stats["tests"] == 9
    assert stats["tests_attached"] == 7


def test_project_record_reads_metadata():
    project = parsed_shop().project
    assert project.name == "shop"
    assert project.adapter_type == "snowflake"
    assert project.dbt_version == "1.9.4"
    assert project.schema_version == 12
    assert project.dbt_schema_version == "https://schemas.getdbt.com/dbt/manifest/v12.json"
    assert project.generated_at is not None and project.generated_at.isoformat() == "2025-03-01T10:00:00+00:00"
    assert project.invocation_id == "11111111-2222-3333-4444-555555555555"
    assert project.project_id == "fb54f3c5992b96d001bb16e8e92d968d"


def test_urns_are_built_from_parts_for_every_type():
    urns = {c.unique_id: c.urn for c in parsed_shop().capsules}
    assert urns["model.shop.stg_customers"] == "urn:dab:dbt:model:shop.stg_customers"
    assert urns["model.shop.dim_customers.v1"] == "urn:dab:dbt:model:shop.dim_customers.v1"
    assert urns["model.shop.dim_customers.v2"] == "urn:dab:dbt:model:shop.dim_customers.v2"  # version 2.0 -> v2
    assert urns["source.shop.app.customers"] == "urn:dab:dbt:source:shop.app.customers"
    assert urns["model.util_pkg.calendar"] == "urn:dab:dbt:model:util_pkg.calendar"
    assert urns["exposure.shop.revenue_dashboard"] == "urn:dab:dbt:exposure:shop.revenue_dashboard"
    assert urns["semantic_model.shop.orders"] == "urn:dab:dbt:semantic_model:shop.orders"
    assert urns["saved_query.shop.weekly_revenue"] == "urn:dab:dbt:saved_query:shop.weekly_revenue"
    assert len(set(urns.values())) == len(urns)


def test_capsule_urn_uses_the_source_table_name_not_its_identifier():
    source = capsule(parsed_shop(), "source.shop.app.customers")
    assert source.relation_name == "CUSTOMERS"  # the identifier
    assert source.urn == capsule_urn(resource_type="source", package_name="shop", source_name="app", name="customers")


def test_versioned_model_keeps_version_and_latest_version():
    v1 = capsule(parsed_shop(), "model.shop.dim_customers.v1")
    v2 = capsule(parsed_shop(), "model.shop.dim_customers.v2")
    assert (v1.name, v1.version, v1.latest_version, v1.relation_name) == ("dim_customers", "1", "2", "dim_customers_v1")
    assert (v2.version, v2.relation_name, v2.contract_enforced, v2.access) == ("2", "dim_customers", True, "public")


def test_model_fields_come_from_the_right_places():
    stg = capsule(parsed_shop(), "model.shop.stg_customers")
    assert stg.materialization == "view"
    assert stg.database == "ANALYTICS" and stg.schema == "STAGING"
    assert stg.fqn == ("shop", "staging", "stg_customers")
    assert stg.tags == ("staging", "pii")  # top-level and config tags, de-duplicated, order kept
    assert stg.meta == {"owner": "Ann Lee <Ann@Shop.io>", "domain": "sales"}  # meta overlaid by config.meta
    assert stg.domain == "sales"
    assert stg.depends_on == ("source.shop.app.customers",)  # dbt listed it twice
    assert stg.compiled_sql == "select * from RAW.APP.CUSTOMERS"
    assert stg.raw_sql == "select * from {{ source('app', 'customers') }}"
    assert stg.checksum == "aaa111"
    assert stg.language == "sql"
    assert stg.original_file_path == "models/staging/stg_customers.sql"
    assert stg.attributes["relation_name"] == "ANALYTICS.STAGING.stg_customers"


def test_ephemeral_model_has_no_relation():
    ephemeral = capsule(parsed_shop(), "model.shop.int_orders_enriched")
    assert ephemeral.materialization == "ephemeral"
    assert ephemeral.relation_name is None
    assert not ephemeral.in_catalog


def test_incremental_and_snapshot_attributes():
    fct = capsule(parsed_shop(), "model.shop.fct_orders")
    assert fct.attributes["unique_key"] == "order_id"
    assert fct.attributes["on_schema_change"] == "append_new_columns"
    snapshot = capsule(parsed_shop(), "snapshot.shop.customers_snapshot")
    assert snapshot.attributes["strategy"] == "timestamp"
    assert snapshot.attributes["updated_at"] == "updated_at"


def test_source_attributes_and_meta_layers():
    source = capsule(parsed_shop(), "source.shop.app.customers")
    assert source.attributes["source_name"] == "app"
    assert source.attributes["loader"] == "fivetran"
    assert source.attributes["loaded_at_field"] == "_loaded_at"
    assert source.attributes["freshness"]["warn_after"] == {"count": 12, "period": "hour"}
    # the table's meta wins over the source-level meta, which still supplies the owner
    assert source.meta == {"owner": "data-platform@shop.io", "domain": "sales"}
    assert source.domain == "sales"
    unconfigured = capsule(parsed_shop(), "source.shop.app.orders")
    assert "freshness" not in unconfigured.attributes  # dbt wrote an all-null rule


def test_exposure_metric_semantic_model_and_saved_query_attributes():
    parsed = parsed_shop()
    exposure = capsule(parsed, "exposure.shop.revenue_dashboard")
    assert exposure.attributes == {
        "type": "dashboard",
        "url": "https://bi.shop.io/revenue",
        "maturity": "high",
        "label": "Revenue dashboard",
    }
    metric = capsule(parsed, "metric.shop.revenue")
    assert metric.attributes == {"type": "simple", "label": "Revenue", "measures": ["order_total"]}
    semantic = capsule(parsed, "semantic_model.shop.orders")
    assert semantic.attributes["model"] == "ref('fct_orders')"
    assert semantic.attributes["measures"] == [{"name": "order_total", "agg": "sum", "expr": "amount"}]
    assert semantic.relation_name is None  # it describes fct_orders but is no relation itself
    assert semantic.attributes["relation_name"] == "ANALYTICS.MARTS.fct_orders"
    saved = capsule(parsed, "saved_query.shop.weekly_revenue")
    assert saved.attributes["metrics"] == ["revenue"]
    assert saved.attributes["exports"] == ["weekly_revenue"]


def test_run_results_give_last_run_and_fill_missing_compiled_sql():
    parsed = parsed_shop()
    fct = capsule(parsed, "model.shop.fct_orders")
    assert fct.attributes["last_run"] == {
        "status": "success",
        "execution_time": 2.5,
        "completed_at": "2025-03-01T10:00:03Z",
        "rows_affected": 1520,
        "message": "SUCCESS 1",
    }
    assert "compiled_sql_source" not in fct.attributes
    stg_orders = capsule(parsed, "model.shop.stg_orders")
    assert stg_orders.compiled_sql == "select * from RAW.APP.orders"
    assert stg_orders.attributes["compiled_sql_source"] == "run_results"


def test_catalog_stats_are_normalised():
    fct = capsule(parsed_shop(), "model.shop.fct_orders")
    assert fct.in_catalog
    assert fct.catalog_stats == {
        "table_type": "BASE TABLE",
        "owner": "TRANSFORMER",
        "comment": "Orders fact.",
        "row_count": 1520,
        "bytes": 40960,
        "last_modified": "2025-03-01 09:58UTC",
    }


# ---------------------------------------------------------------------------------------------- fixtures: owners


def test_owners_from_meta_group_and_exposure():
    parsed = parsed_shop()
    owner = {c.unique_id: c.owner for c in parsed.capsules}
    assert (owner["model.shop.stg_customers"].name, owner["model.shop.stg_customers"].email) == (
        "Ann Lee",
        "ann@shop.io",
    )
    assert (owner["model.shop.fct_orders"].name, owner["model.shop.fct_orders"].email) == ("Sales Team", None)
    # the group's owner has an email only: the email is the name
    assert owner["model.shop.dim_customers.v2"].name == "finance@shop.io"
    assert owner["model.shop.dim_customers.v1"] is owner["model.shop.dim_customers.v2"]
    assert (owner["exposure.shop.revenue_dashboard"].name, owner["exposure.shop.revenue_dashboard"].email) == (
        "Bo Chen",
        "bo@shop.io",
    )
    assert owner["source.shop.app.customers"].email == "data-platform@shop.io"
    assert owner["model.shop.stg_orders"] is None
    assert len(parsed.owners) == 5
    assert len({o.key for o in parsed.owners}) == 5


def test_owner_with_a_real_name_wins_over_an_email_only_duplicate():
    manifest = shop_manifest()
    manifest["nodes"]["model.shop.stg_orders"]["meta"] = {"owner": "bo@shop.io"}
    parsed = parse_dbt_artifacts(manifest=dumps(manifest))
    owners = [o for o in parsed.owners if o.email == "bo@shop.io"]
    assert [(o.name, o.email) for o in owners] == [("Bo Chen", "bo@shop.io")]
    assert capsule(parsed, "model.shop.stg_orders").owner is owners[0]


def test_owner_email_that_is_not_an_email_is_dropped():
    manifest = shop_manifest()
    manifest["exposures"]["exposure.shop.revenue_dashboard"]["owner"] = {
        "name": "Product Insights",
        "email": "slack channel or email",
    }
    owner = capsule(parse_dbt_artifacts(manifest=dumps(manifest)), "exposure.shop.revenue_dashboard").owner
    assert (owner.name, owner.email) == ("Product Insights", None)


# ---------------------------------------------------------------------------------------------- fixtures: columns


def test_columns_unite_manifest_and_catalog_case_insensitively():
    stg = capsule(parsed_shop(), "model.shop.stg_customers")
    assert [c.name for c in stg.columns] == ["customer_id", "email", "Nick_Name", "CREATED_AT"]
    email = column(stg, "email")
    assert (email.in_manifest, email.in_catalog, email.data_type, email.ordinal_position) == (True, True, "TEXT", 2)
    created = column(stg, "created_at")
    assert (created.in_manifest, created.in_catalog, created.description) == (False, True, "")
    assert email.urn == "urn:dab:dbt:model:shop.stg_customers:email"
    assert created.urn == "urn:dab:dbt:model:shop.stg_customers:created_at"


def test_warehouse_comment_documents_a_column_without_yaml_description():
    nick = column(capsule(parsed_shop(), "model.shop.stg_customers"), "nick_name")
    assert nick.name == "Nick_Name"
    assert nick.description == "Nickname from the app."


def test_catalog_columns_are_ordered_by_index_then_yaml_only_columns():
    fct = capsule(parsed_shop(), "model.shop.fct_orders")
    assert [(c.name, c.ordinal_position) for c in fct.columns] == [
        ("order_id", 1),
        ("customer_id", 2),
        ("status", 3),
        ("AMOUNT", 4),
    ]
    no_catalog = parse_dbt_artifacts(manifest=read("shop_manifest.json"))
    fct = capsule(no_catalog, "model.shop.fct_orders")
    assert [(c.name, c.ordinal_position, c.in_catalog) for c in fct.columns] == [
        ("order_id", None, False),
        ("customer_id", None, False),
        ("status", None, False),
    ]


def test_doc_coverage_counts_documented_columns_and_is_none_without_columns():
    parsed = parsed_shop()
    assert capsule(parsed, "model.shop.stg_customers").doc_coverage == 0.75  # 3 of 4 (one by warehouse comment)
    assert capsule(parsed, "model.shop.fct_orders").doc_coverage == 0.5
    assert capsule(parsed, "seed.shop.country_codes").doc_coverage == 0.0
    assert capsule(parsed, "model.shop.stg_orders").doc_coverage is None
    assert capsule(parsed, "exposure.shop.revenue_dashboard").doc_coverage is None


def test_column_nullability_from_tests_and_constraints():
    parsed = parsed_shop()
    stg = capsule(parsed, "model.shop.stg_customers")
    assert column(stg, "customer_id").is_nullable is False  # not_null test (column given as CUSTOMER_ID)
    assert column(stg, "email").is_nullable is False  # not_null constraint
    assert column(stg, "created_at").is_nullable is None
    dim = capsule(parsed, "model.shop.dim_customers.v2")
    assert column(dim, "customer_id").is_nullable is False  # model-level primary_key constraint
    assert column(capsule(parsed, "source.shop.app.customers"), "id").is_nullable is False


def test_column_meta_tags_and_constraints_are_kept():
    email = column(capsule(parsed_shop(), "model.shop.stg_customers"), "email")
    assert email.meta == {"pii": True, "badkey": "xy"}
    assert email.tags == ("pii",)
    assert email.constraints == ({"type": "not_null"},)


def test_column_tests_list_the_test_types_on_that_column():
    parsed = parsed_shop()
    assert column(capsule(parsed, "model.shop.stg_customers"), "customer_id").tests == ("unique", "not_null")
    fct = capsule(parsed, "model.shop.fct_orders")
    assert column(fct, "status").tests == ("accepted_values",)  # test column given as "STATUS"
    assert column(fct, "customer_id").tests == ("relationships",)
    assert column(fct, "order_id").test_count == 0  # expression_is_true is a model-level test


def test_columns_merge_dbt_1_10_config_meta_and_tags():
    manifest = shop_manifest()
    manifest["nodes"]["model.shop.stg_customers"]["columns"]["email"]["config"] = {
        "meta": {"masking": "hashed"},
        "tags": ["sensitive"],
    }
    email = column(capsule(parse_dbt_artifacts(manifest=dumps(manifest)), "model.shop.stg_customers"), "email")
    assert email.meta == {"pii": True, "badkey": "xy", "masking": "hashed"}
    assert email.tags == ("pii", "sensitive")


def test_yaml_columns_differing_only_in_case_are_one_column_with_a_warning():
    manifest = shop_manifest()
    manifest["nodes"]["model.shop.stg_customers"]["columns"]["EMAIL"] = {"name": "EMAIL", "description": "dup"}
    parsed = parse_dbt_artifacts(manifest=dumps(manifest))
    stg = capsule(parsed, "model.shop.stg_customers")
    assert [c.name for c in stg.columns].count("email") == 1
    assert "declares column 'EMAIL' twice" in warnings_text(parsed)
    # a capsule whose columns warn is built at once (the warning is given in order) and never skipped later
    assert isinstance(stg.columns, tuple) and stg.columns_digest is None
    assert warnings_text(parsed).count("declares column 'EMAIL' twice") == 1


def test_columns_are_built_when_first_read_and_their_digest_follows_their_inputs():
    parsed = parse_dbt_artifacts(manifest=read("shop_manifest.json"), catalog=read("shop_catalog.json"))
    stg = capsule(parsed, "model.shop.stg_customers")
    assert isinstance(stg.columns, LazyColumns) and not stg.columns.built
    assert len(stg.columns) == 4 and not stg.columns.built  # counted without building
    assert [c.name for c in stg.columns] == ["customer_id", "email", "Nick_Name", "CREATED_AT"]
    assert stg.columns.built and stg.columns == tuple(stg.columns)

    manifest = shop_manifest()
    manifest["nodes"]["model.shop.stg_customers"]["columns"]["email"]["description"] = "changed"
    changed = parse_dbt_artifacts(manifest=dumps(manifest), catalog=read("shop_catalog.json"))
    before = {c.unique_id: c.columns_digest for c in parsed.capsules}
    after = {c.unique_id: c.columns_digest for c in changed.capsules}
    assert {uid for uid in before if before[uid] != after[uid]} == {"model.shop.stg_customers"}
    assert all(digest is not None for digest in before.values())
    assert column(capsule(changed, "model.shop.stg_customers"), "email").description == "changed"


# ---------------------------------------------------------------------------------------------- fixtures: tests


def test_tests_attach_by_attached_node_model_argument_or_single_dependency():
    attached = {t.unique_id: t.attached_to for t in parsed_shop().tests}
    assert attached["test.shop.unique_stg_customers_customer_id.1a"] == "model.shop.stg_customers"
    # no attached_node: the model argument names fct_orders; the `to` target dim_customers is not the tested node
    assert attached["test.shop.relationships_fct_orders_customer_id.3c"] == "model.shop.fct_orders"
    # ref('shop', 'fct_orders') with a package
    assert attached["test.shop.accepted_values_fct_orders_status.4d"] == "model.shop.fct_orders"
    # attached_node null (as dbt writes for some source tests): source('app', 'customers')
    assert attached["test.shop.source_not_null_app_customers_id.6f"] == "source.shop.app.customers"
    assert attached["test.shop.assert_positive_amounts"] == "model.shop.stg_orders"  # singular, one dependency
    assert attached["test.shop.assert_orders_have_customers"] is None  # singular, two dependencies
    assert attached["test.shop.not_null_old_model_id.7a"] is None  # attached to a disabled model


def test_unattached_tests_are_explained_in_warnings():
    text = warnings_text(parsed_shop())
    assert "test test.shop.assert_orders_have_customers is not attached to any capsule: it reads 2 capsules" in text
    assert "test test.shop.not_null_old_model_id.7a is not attached to any capsule" in text
    assert "model.shop.old_model, which is disabled" in text


def test_test_records_carry_type_column_severity_status_and_kwargs():
    tests = {t.unique_id: t for t in parsed_shop().tests}
    not_null = tests["test.shop.not_null_stg_customers_customer_id.2b"]
    assert (not_null.test_type, not_null.column_name, not_null.severity) == ("not_null", "customer_id", "warn")
    accepted = tests["test.shop.accepted_values_fct_orders_status.4d"]
    assert (accepted.column_name, accepted.status) == ("status", "fail")
    assert accepted.kwargs == {"values": ["placed", "shipped"], "column_name": '"STATUS"'}  # no Jinja "model"
    expression = tests["test.shop.dbt_utils_expression_is_true_fct_orders.5e"]
    assert (expression.test_type, expression.column_name) == ("dbt_utils.expression_is_true", None)
    singular = tests["test.shop.assert_orders_have_customers"]
    assert singular.test_type == "singular"
    assert singular.depends_on == ("model.shop.fct_orders", "model.shop.dim_customers.v2")
    assert tests["test.shop.unique_stg_customers_customer_id.1a"].urn == (
        "urn:dab:dbt:test:shop.unique_stg_customers_customer_id.1a"
    )


def test_latest_run_result_wins_for_a_repeated_node():
    tests = {t.unique_id: t for t in parsed_shop().tests}
    assert tests["test.shop.relationships_fct_orders_customer_id.3c"].status == "warn"
    assert tests["test.shop.source_not_null_app_customers_id.6f"].status is None  # not run


def test_has_tests_and_test_count_match_attached_tests():
    parsed = parsed_shop()
    counts = Counter(t.attached_to for t in parsed.tests if t.attached_to)
    for record in parsed.capsules:
        assert record.test_count == counts.get(record.unique_id, 0)
        assert record.has_tests is (record.unique_id in counts)
        assert {t.unique_id for t in record.tests} == {
            t.unique_id for t in parsed.tests if t.attached_to == record.unique_id
        }
    assert capsule(parsed, "model.shop.fct_orders").test_count == 3


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("customer_id", "customer_id"),
        ("CUSTOMER_ID", "customer_id"),
        (' "Order ID" ', "order id"),
        ("`amount`", "amount"),
        ("[Status]", "status"),
        ("CONCAT(a, b)", "concat(a, b)"),
        ("", None),
        (None, None),
    ],
)
def test_normalise_column_name(raw, expected):
    assert normalise_column_name(raw) == expected


# ---------------------------------------------------------------------------------------------- fixtures: edges


def test_edges_follow_depends_on_with_types_by_downstream_capsule():
    edges = {(e.source_unique_id, e.target_unique_id): e.edge_type for e in parsed_shop().edges}
    assert edges == {
        ("source.shop.app.customers", "model.shop.stg_customers"): "flows_to",
        ("source.shop.app.orders", "model.shop.stg_orders"): "flows_to",
        ("model.shop.stg_customers", "model.shop.dim_customers.v1"): "flows_to",
        ("model.shop.stg_customers", "model.shop.dim_customers.v2"): "flows_to",
        ("model.shop.stg_orders", "model.shop.int_orders_enriched"): "flows_to",
        ("seed.shop.country_codes", "model.shop.int_orders_enriched"): "flows_to",
        ("model.util_pkg.calendar", "model.shop.int_orders_enriched"): "flows_to",
        ("model.shop.int_orders_enriched", "model.shop.fct_orders"): "flows_to",
        ("model.shop.dim_customers.v2", "model.shop.fct_orders"): "flows_to",
        ("source.shop.app.customers", "snapshot.shop.customers_snapshot"): "flows_to",
        ("model.shop.fct_orders", "exposure.shop.revenue_dashboard"): "exposes",
        ("model.shop.dim_customers.v2", "exposure.shop.revenue_dashboard"): "exposes",
        ("model.shop.fct_orders", "semantic_model.shop.orders"): "defines",
        ("semantic_model.shop.orders", "metric.shop.revenue"): "measures",
        ("metric.shop.revenue", "saved_query.shop.weekly_revenue"): "queries",
    }
    assert set(edges.values()) <= set(EDGE_TYPES)


def test_edge_urns_match_capsule_urns():
    parsed = parsed_shop()
    urns = {c.unique_id: c.urn for c in parsed.capsules}
    for edge in parsed.edges:
        assert (edge.source_urn, edge.target_urn) == (urns[edge.source_unique_id], urns[edge.target_unique_id])


def test_depends_on_a_missing_node_skips_the_edge_with_a_warning():
    manifest = shop_manifest()
    manifest["nodes"]["model.shop.stg_orders"]["depends_on"]["nodes"].append("model.shop.nowhere")
    parsed = parse_dbt_artifacts(manifest=dumps(manifest))
    assert "model.shop.stg_orders depends on model.shop.nowhere, which is not in the manifest" in warnings_text(parsed)
    assert not any(e.source_unique_id == "model.shop.nowhere" for e in parsed.edges)
    assert len(parsed.edges) == 15


# ---------------------------------------------------------------------------------------------- legacy schema


def test_legacy_manifest_finds_root_project_by_project_id_despite_a_bigger_package():
    parsed = parse_dbt_artifacts(manifest=read("legacy_manifest.json"))
    assert parsed.project.name == "legacy_shop"  # big_pkg has more models; md5(name) == project_id decides
    assert parsed.project.schema_version == 3
    assert parsed.stats["disabled"] == 1  # schemas v1-v3 write `disabled` as a list


def test_legacy_manifest_reads_raw_and_compiled_sql_and_derives_attachments():
    parsed = parse_dbt_artifacts(manifest=read("legacy_manifest.json"))
    customers = capsule(parsed, "model.legacy_shop.customers")
    assert customers.compiled_sql == "select * from analytics.stg_customers"
    assert customers.raw_sql == "select * from {{ ref('stg_customers') }}"
    assert customers.language == "sql"
    assert (customers.owner.name, customers.owner.email) == ("jane@legacy.io", "jane@legacy.io")
    attached = {t.unique_id: t.attached_to for t in parsed.tests}
    assert attached == {
        "test.legacy_shop.unique_customers_customer_id.aa": "model.legacy_shop.customers",
        "test.legacy_shop.relationships_orders_customer_id.bb": "model.legacy_shop.orders",
    }


def test_legacy_exposure_depending_on_a_disabled_model_warns():
    parsed = parse_dbt_artifacts(manifest=read("legacy_manifest.json"))
    assert "exposure.legacy_shop.weekly_kpis depends on model.legacy_shop.retired, which is disabled" in warnings_text(
        parsed
    )
    exposure = capsule(parsed, "exposure.legacy_shop.weekly_kpis")
    assert exposure.owner.email == "kpi@legacy.io"


def test_project_name_argument_overrides_and_is_used_when_the_manifest_is_silent():
    assert parse_dbt_artifacts(manifest=read("legacy_manifest.json"), project_name="acme").project.name == "acme"
    parsed = parse_dbt_artifacts(manifest=read("shop_manifest.json"), project_name="other")
    assert parsed.project.name == "other"
    assert "the manifest names its project 'shop' but 'other' was given" in warnings_text(parsed)


def test_project_name_falls_back_to_the_package_with_most_resources_and_tests_with_a_warning():
    manifest = json.loads(read("legacy_manifest.json"))
    manifest["metadata"]["project_id"] = None
    parsed = parse_dbt_artifacts(manifest=dumps(manifest))
    assert parsed.project.name == "legacy_shop"  # 2 models, 1 exposure, 2 tests against big_pkg's 3 models
    assert "does not name its project; assumed 'legacy_shop'" in warnings_text(parsed)
    for uid in [uid for uid in manifest["nodes"] if uid.startswith("test.")]:
        del manifest["nodes"][uid]
    manifest["exposures"] = {}
    assert parse_dbt_artifacts(manifest=dumps(manifest)).project.name == "big_pkg"


# ---------------------------------------------------------------------------------------------- hostile strings


def test_nul_characters_are_removed_everywhere_including_meta_keys():
    parsed = parsed_shop()
    stg = capsule(parsed, "model.shop.stg_customers")
    assert stg.description == "One row per customer."
    assert column(stg, "email").meta == {"pii": True, "badkey": "xy"}


def test_nul_in_unique_ids_and_nested_lists_is_removed():
    manifest = shop_manifest()
    node = manifest["nodes"].pop("model.shop.stg_orders")
    node["unique_id"] = "model.shop.stg_\u0000orders"
    node["tags"] = ["a\u0000b", ["nested\u0000"]]
    node["meta"] = {"k": [{"deep\u0000": "v\u0000"}]}
    manifest["nodes"]["model.shop.stg_\u0000orders"] = node
    parsed = parse_dbt_artifacts(manifest=dumps(manifest))
    record = capsule(parsed, "model.shop.stg_orders")
    assert record.tags == ("ab",)
    assert record.meta == {"k": [{"deep": "v"}]}
    for capsule_record in parsed.capsules:
        assert "\x00" not in repr(capsule_record)


def test_hostile_but_valid_strings_are_kept_intact():
    manifest = shop_manifest()
    text = "Robert'); DROP TABLE capsules;-- <script>alert(1)</script> \u202e émoji 🎉 \\ \" \t\n"
    manifest["nodes"]["model.shop.stg_orders"]["description"] = text
    manifest["nodes"]["model.shop.stg_orders"]["meta"] = {text: text}
    record = capsule(parse_dbt_artifacts(manifest=dumps(manifest)), "model.shop.stg_orders")
    assert record.description == text
    assert record.meta == {text: text}


# ---------------------------------------------------------------------------------------------- bad input


def bad_manifest_cases():
    shop = shop_manifest()
    nodes_as_list = copy.deepcopy(shop)
    nodes_as_list["nodes"] = list(shop["nodes"].values())
    node_not_object = copy.deepcopy(shop)
    node_not_object["nodes"]["model.shop.stg_orders"] = "model.shop.stg_orders"
    no_unique_id = copy.deepcopy(shop)
    del no_unique_id["nodes"]["model.shop.stg_orders"]["unique_id"]
    empty_project = copy.deepcopy(shop)
    empty_project["nodes"], empty_project["sources"] = {}, {}
    sources_as_list = copy.deepcopy(shop)
    sources_as_list["sources"] = []
    return [
        pytest.param(b"", "manifest.json is empty", id="empty"),
        pytest.param(b"  \n\t ", "manifest.json is empty", id="whitespace"),
        pytest.param(b"this is not json", "manifest.json is not valid JSON", id="not-json"),
        pytest.param(read("shop_manifest.json")[:5000], "manifest.json is truncated", id="truncated"),
        pytest.param(b"[1, 2, 3]", "must hold a JSON object at the top level, but it holds an array", id="array"),
        pytest.param(b'"manifest"', "but it holds a string", id="string"),
        pytest.param(
            dumps(nodes_as_list), "'nodes' must be an object keyed by unique_id, but it is an array", id="nodes-list"
        ),
        pytest.param(dumps(sources_as_list), "'sources' must be an object keyed by unique_id", id="sources-list"),
        pytest.param(
            dumps(node_not_object),
            "nodes entry 'model.shop.stg_orders' must be an object, but it is a string",
            id="node-not-object",
        ),
        pytest.param(dumps(no_unique_id), "nodes entry 'model.shop.stg_orders' has no unique_id", id="no-unique-id"),
        pytest.param(dumps(empty_project), "has no nodes and no sources", id="no-nodes"),
        pytest.param(
            read("shop_catalog.json"),
            "this looks like a dbt catalog.json, not a manifest.json",
            id="catalog-as-manifest",
        ),
        pytest.param(
            read("shop_run_results.json"),
            "this looks like a dbt run_results.json, not a manifest.json",
            id="run-results-as-manifest",
        ),
        pytest.param(
            dumps(
                {"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/sources/v3.json"}, "results": []}
            ),
            "this looks like a dbt sources.json",
            id="sources-json-as-manifest",
        ),
    ]


@pytest.mark.parametrize(("data", "message"), bad_manifest_cases())
def test_bad_manifest_raises_parse_error_naming_the_problem(data, message):
    with pytest.raises(ParseError) as raised:
        parse_manifest(data)
    assert message in str(raised.value)
    assert raised.value.artifact == "manifest"


def test_json_syntax_error_reports_line_and_column():
    with pytest.raises(ParseError) as raised:
        parse_manifest(b'{\n  "metadata": {},\n  "nodes": {,}\n}')
    assert (raised.value.line, raised.value.column) == (3, 13)
    assert "at line 3, column 13" in str(raised.value)


def test_parse_error_is_a_value_error():
    with pytest.raises(ValueError, match="empty"):
        parse_dbt_artifacts(manifest=b"")


def bad_catalog_cases():
    catalog = json.loads(read("shop_catalog.json"))
    node_not_object = copy.deepcopy(catalog)
    node_not_object["nodes"]["model.shop.fct_orders"] = ["ORDER_ID"]
    nodes_as_list = copy.deepcopy(catalog)
    nodes_as_list["nodes"] = []
    columns_as_list = copy.deepcopy(catalog)
    columns_as_list["nodes"]["model.shop.fct_orders"]["columns"] = ["ORDER_ID"]
    return [
        pytest.param(b"", "catalog.json is empty", id="empty"),
        pytest.param(read("shop_catalog.json")[:300], "catalog.json is truncated", id="truncated"),
        pytest.param(
            read("shop_manifest.json"),
            "this looks like a dbt manifest.json, not a catalog.json",
            id="manifest-as-catalog",
        ),
        pytest.param(
            read("shop_run_results.json"),
            "this looks like a dbt run_results.json, not a catalog.json",
            id="run-results-as-catalog",
        ),
        pytest.param(
            dumps(node_not_object),
            "catalog.json nodes entry 'model.shop.fct_orders' must be an object, but it is an array",
            id="node-not-object",
        ),
        pytest.param(dumps(nodes_as_list), "catalog.json 'nodes' must be an object", id="nodes-list"),
        pytest.param(dumps(columns_as_list), "has 'columns' that is an array", id="columns-list"),
        pytest.param(b"{}", "catalog.json has neither 'nodes' nor 'sources'", id="no-nodes"),
    ]


@pytest.mark.parametrize(("data", "message"), bad_catalog_cases())
def test_bad_catalog_raises_parse_error_naming_the_problem(data, message):
    with pytest.raises(ParseError) as raised:
        parse_catalog(data)
    assert message in str(raised.value)
    assert raised.value.artifact == "catalog"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"", "run_results.json is empty", id="empty"),
        pytest.param(
            read("shop_manifest.json"),
            "this looks like a dbt manifest.json, not a run_results.json",
            id="manifest-as-run-results",
        ),
        pytest.param(
            read("shop_catalog.json"),
            "this looks like a dbt catalog.json, not a run_results.json",
            id="catalog-as-run-results",
        ),
        pytest.param(b'{"metadata": {}, "results": {}}', "'results' must be an array", id="results-object"),
        pytest.param(
            b'{"metadata": {}}', "'results' must be an array of node results, but it is missing", id="no-results"
        ),
    ],
)
def test_bad_run_results_raise_parse_error_naming_the_problem(data, message):
    with pytest.raises(ParseError) as raised:
        parse_run_results(data)
    assert message in str(raised.value)
    assert raised.value.artifact == "run_results"


def test_swapped_files_in_parse_dbt_artifacts_name_the_artifact():
    with pytest.raises(ParseError) as raised:
        parse_dbt_artifacts(manifest=read("shop_manifest.json"), catalog=read("shop_manifest.json"))
    assert raised.value.artifact == "catalog"
    assert "not a catalog.json" in str(raised.value)


# ---------------------------------------------------------------------------------------------- odd but valid input


def test_unknown_newer_schema_version_parses_with_a_warning():
    manifest = shop_manifest()
    manifest["metadata"]["dbt_schema_version"] = "https://schemas.getdbt.com/dbt/manifest/v13.json"
    manifest["nodes"]["model.shop.stg_orders"]["some_future_field"] = {"x": 1}
    parsed = parse_dbt_artifacts(manifest=dumps(manifest))
    assert parsed.project.schema_version == 13
    assert "manifest schema v13 is newer than the newest this parser knows (v12)" in warnings_text(parsed)
    assert len(parsed.capsules) == 15


def test_manifest_without_schema_version_parses_with_a_warning():
    manifest = shop_manifest()
    del manifest["metadata"]["dbt_schema_version"]
    parsed = parse_dbt_artifacts(manifest=dumps(manifest))
    assert parsed.project.schema_version is None
    assert "has no metadata.dbt_schema_version" in warnings_text(parsed)


def test_unknown_node_type_is_ignored_with_a_warning():
    manifest = shop_manifest()
    manifest["nodes"]["hologram.shop.x"] = {"unique_id": "hologram.shop.x", "resource_type": "hologram", "name": "x"}
    parsed = parse_dbt_artifacts(manifest=dumps(manifest))
    assert "1 manifest node(s) of unknown resource type 'hologram' were ignored" in warnings_text(parsed)
    assert parsed.stats["ignored_unknown"] == 1


def test_catalog_entries_for_missing_nodes_are_counted_in_a_warning():
    parsed = parsed_shop()
    assert "catalog.json has 1 entry for nodes the manifest lacks, ignored: model.shop.ghost" in warnings_text(parsed)
    assert parsed.stats["catalog_entries_unmatched"] == 1


def test_catalog_from_another_project_warns_loudly():
    catalog = json.loads(read("shop_catalog.json"))
    catalog["nodes"] = {
        uid.replace(".shop.", ".other."): {**entry, "unique_id": uid.replace(".shop.", ".other.")}
        for uid, entry in catalog["nodes"].items()
    }
    catalog["sources"] = {}
    parsed = parse_dbt_artifacts(manifest=read("shop_manifest.json"), catalog=dumps(catalog))
    assert "catalog.json does not seem to belong to this manifest: only 0 of its 5 entries match" in (
        warnings_text(parsed)
    )
    assert not any(c.in_catalog for c in parsed.capsules)


def test_empty_catalog_warns_that_warehouse_columns_are_unknown():
    parsed = parse_dbt_artifacts(manifest=read("shop_manifest.json"), catalog=b'{"nodes": {}, "sources": {}}')
    assert "catalog.json lists no tables or views" in warnings_text(parsed)


def test_run_results_for_unknown_nodes_and_from_docs_generate_warn():
    parsed = parsed_shop()
    assert "run_results.json has 1 result(s) for nodes the manifest lacks, ignored: test.shop.not_in_manifest.9z" in (
        warnings_text(parsed)
    )
    results = json.loads(read("shop_run_results.json"))
    results["args"]["which"] = "generate"
    parsed = parse_dbt_artifacts(manifest=read("shop_manifest.json"), run_results=dumps(results))
    assert "comes from `dbt docs generate`, which executes nothing" in warnings_text(parsed)
    assert all(t.status is None for t in parsed.tests)
    assert "last_run" not in capsule(parsed, "model.shop.fct_orders").attributes


def test_byte_order_mark_and_str_input_are_accepted():
    data = read("shop_manifest.json")
    assert len(parse_manifest(b"\xef\xbb\xbf" + data).resources) == 15
    assert len(parse_manifest(data.decode()).resources) == 15


def test_disabled_node_inside_nodes_is_skipped_and_counted():
    manifest = shop_manifest()
    manifest["nodes"]["model.util_pkg.calendar"]["config"]["enabled"] = False
    parsed = parse_dbt_artifacts(manifest=dumps(manifest))
    assert "model.util_pkg.calendar" not in {c.unique_id for c in parsed.capsules}
    assert parsed.stats["disabled"] == 2
    assert "depends on model.util_pkg.calendar, which is disabled" in warnings_text(parsed)


def test_manifest_data_separates_resources_tests_and_groups():
    data = parse_manifest(read("shop_manifest.json"))
    assert len(data.resources) == 15
    assert len(data.tests) == 9
    assert set(data.groups) == {"finance"}
    assert data.disabled == frozenset({"model.shop.old_model"})


def test_parse_is_deterministic():
    first = parse_dbt_artifacts(manifest=read("shop_manifest.json"), catalog=read("shop_catalog.json"))
    second = parse_dbt_artifacts(manifest=read("shop_manifest.json"), catalog=read("shop_catalog.json"))
    assert first == second


# ---------------------------------------------------------------------------------------------- real artifacts

shared = pytest.mark.shared


@cache
def real(name: str) -> tuple[dict[str, Any], dict[str, Any] | None, ParsedProject]:
    """Raw manifest and catalog (via the standard json module) and the parser's result for one set."""
    folder = SHARED_DBT / name
    if not (folder / "manifest.json").exists():
        pytest.skip(f"real dbt artifacts not available at {folder}")

    def optional(file_name: str) -> bytes | None:
        path = folder / file_name
        return path.read_bytes() if path.exists() else None

    manifest_bytes = (folder / "manifest.json").read_bytes()
    catalog_bytes = optional("catalog.json")
    parsed = parse_dbt_artifacts(
        manifest=manifest_bytes, catalog=catalog_bytes, run_results=optional("run_results.json")
    )
    return json.loads(manifest_bytes), json.loads(catalog_bytes) if catalog_bytes else None, parsed


def enabled(node: dict[str, Any]) -> bool:
    config = node.get("config") or {}
    return config.get("enabled", True) is not False


def raw_capsules(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Independently of the parser: enabled models/seeds/snapshots and every enabled top-level resource."""
    found = {uid: n for uid, n in raw["nodes"].items() if n["resource_type"] in ("model", "seed", "snapshot")}
    for section in ("sources", "exposures", "metrics", "semantic_models", "saved_queries"):
        found.update(raw.get(section) or {})
    return {uid: n for uid, n in found.items() if enabled(n)}


def raw_tests(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {uid: n for uid, n in raw["nodes"].items() if n["resource_type"] == "test" and enabled(n)}


@shared
def test_every_shared_set_is_covered():
    if not SHARED_DBT.exists():
        pytest.skip("real dbt artifacts not available")
    present = {str(p.parent.relative_to(SHARED_DBT)) for p in SHARED_DBT.glob("**/manifest.json")}
    assert present == set(REAL_SETS)


@shared
@pytest.mark.parametrize("name", REAL_SETS)
def test_real_capsule_counts_match_the_raw_json(name):
    raw, _, parsed = real(name)
    expected = Counter(n["resource_type"] for n in raw_capsules(raw).values())
    assert Counter(c.capsule_type for c in parsed.capsules) == expected
    assert {c.capsule_type for c in parsed.capsules} <= set(CAPSULE_TYPES)
    assert len({c.urn for c in parsed.capsules}) == len(parsed.capsules)


@shared
@pytest.mark.parametrize("name", REAL_SETS)
def test_real_edges_are_the_depends_on_relations_between_capsules(name):
    raw, _, parsed = real(name)
    capsules = raw_capsules(raw)
    expected = {
        (dep, uid)
        for uid, node in capsules.items()
        for dep in (node.get("depends_on") or {}).get("nodes") or []
        if dep in capsules and dep != uid
    }
    actual = [(e.source_unique_id, e.target_unique_id) for e in parsed.edges]
    assert len(actual) == len(set(actual))
    assert set(actual) == expected


@shared
@pytest.mark.parametrize("name", REAL_SETS)
def test_real_tests_are_attached_or_explained(name):
    raw, _, parsed = real(name)
    tests = raw_tests(raw)
    capsules = raw_capsules(raw)
    assert {t.unique_id for t in parsed.tests} == set(tests)
    text = warnings_text(parsed)
    for test in parsed.tests:
        assert test.attached_to is not None or f"test {test.unique_id} is not attached" in text
        dbt_says = tests[test.unique_id].get("attached_node")
        if dbt_says in capsules:
            assert test.attached_to == dbt_says
        if test.attached_to is not None:
            assert test.attached_to in capsules


@shared
@pytest.mark.parametrize("name", REAL_SETS)
def test_real_has_tests_is_true_exactly_for_capsules_with_attached_tests(name):
    _, _, parsed = real(name)
    counts = Counter(t.attached_to for t in parsed.tests if t.attached_to is not None)
    assert {c.unique_id for c in parsed.capsules if c.has_tests} == set(counts)
    assert all(c.test_count == counts.get(c.unique_id, 0) == len(c.tests) for c in parsed.capsules)


@shared
@pytest.mark.parametrize("name", REAL_SETS)
def test_real_columns_are_the_union_of_yaml_and_warehouse_columns(name):
    raw, catalog, parsed = real(name)
    capsules = raw_capsules(raw)
    entries = {**(catalog or {}).get("nodes", {}), **(catalog or {}).get("sources", {})}
    for record in parsed.capsules:
        declared = {
            (c.get("name") or key).lower() for key, c in (capsules[record.unique_id].get("columns") or {}).items()
        }
        warehouse = {key.lower() for key in (entries.get(record.unique_id) or {}).get("columns", {})}
        assert [c.name.lower() for c in record.columns] == list(dict.fromkeys(c.name.lower() for c in record.columns))
        assert {c.name.lower() for c in record.columns} == declared | warehouse, record.unique_id
        assert record.in_catalog is (record.unique_id in entries)
        assert sum(c.in_catalog for c in record.columns) == len(warehouse)
        assert sum(c.in_manifest for c in record.columns) == len(declared)


@shared
@pytest.mark.parametrize("name", REAL_SETS)
def test_real_column_counts_and_doc_coverage_are_known_before_the_columns_are_built(name):
    _, _, parsed = real(name)
    for record in parsed.capsules:
        counted = len(record.columns)  # from the artifacts' JSON, apart from the records (built below, if not yet)
        built = tuple(record.columns)
        assert counted == len(built), record.unique_id
        documented = sum(1 for c in built if c.description.strip())
        assert record.doc_coverage == (documented / len(built) if built else None), record.unique_id
        assert (record.columns_digest is None) is isinstance(record.columns, tuple), record.unique_id
    assert parsed.stats["columns"] == sum(len(tuple(c.columns)) for c in parsed.capsules)


@shared
@pytest.mark.parametrize("name", WITH_CATALOG)
def test_real_catalog_columns_all_land_on_capsules(name):
    _, catalog, parsed = real(name)
    total = sum(len(e["columns"]) for section in ("nodes", "sources") for e in catalog[section].values())
    assert sum(c.in_catalog for record in parsed.capsules for c in record.columns) == total


@shared
@pytest.mark.parametrize("name", REAL_SETS)
def test_real_project_name_is_the_root_project(name):
    raw, _, parsed = real(name)
    stated = raw["metadata"].get("project_name")
    assert parsed.project.name == (stated or "jaffle_shop")  # every set without the field is a jaffle_shop
    assert not any("does not name its project" in w for w in parsed.warnings)


# ---------------------------------------------------------------------------------------------- hand-checked facts


@shared
def test_jaffle_shop_duckdb_hand_checked():
    _, _, parsed = real("jaffle_shop_duckdb")
    customers = capsule(parsed, "model.jaffle_shop.customers")
    assert sorted((t.test_type, t.column_name) for t in customers.tests) == [
        ("not_null", "customer_id"),
        ("unique", "customer_id"),
    ]
    assert {t.status for t in customers.tests} == {"pass"}
    # the YAML documents total_order_amount, the warehouse has customer_lifetime_value instead
    assert len(customers.columns) == 8
    assert (
        column(customers, "total_order_amount").in_catalog,
        column(customers, "total_order_amount").in_manifest,
    ) == (
        False,
        True,
    )
    assert column(customers, "customer_lifetime_value").data_type == "DOUBLE"
    assert customers.attributes["last_run"]["status"] == "success"
    stg = capsule(parsed, "model.jaffle_shop.stg_customers")
    assert stg.depends_on == ("seed.jaffle_shop.raw_customers",)
    edge = [e for e in parsed.edges if e.target_unique_id == "model.jaffle_shop.stg_customers"]
    assert [(e.source_unique_id, e.edge_type) for e in edge] == [("seed.jaffle_shop.raw_customers", "flows_to")]
    relationships = [t for t in parsed.tests if t.test_type == "relationships"]
    assert [(t.attached_to, t.column_name) for t in relationships] == [("model.jaffle_shop.orders", "customer_id")]
    assert parsed.project.adapter_type == "duckdb"


@shared
def test_jaffle_shop_semantic_layer_hand_checked():
    _, _, parsed = real("jaffle-shop")
    assert parsed.stats["ignored_unit_tests"] == 3
    assert parsed.stats["semantic_models"] == 6 and parsed.stats["metrics"] == 19 and parsed.stats["saved_queries"] == 3
    edges = {(e.source_unique_id, e.target_unique_id): e.edge_type for e in parsed.edges}
    assert edges[("semantic_model.jaffle_shop.order_item", "metric.jaffle_shop.revenue")] == "measures"
    assert edges[("model.jaffle_shop.order_items", "semantic_model.jaffle_shop.order_item")] == "defines"
    assert {src for (src, dst) in edges if dst == "saved_query.jaffle_shop.revenue_metrics"} == {
        "metric.jaffle_shop.revenue",
        "metric.jaffle_shop.food_revenue",
        "metric.jaffle_shop.drink_revenue",
    }
    expression_tests = [t for t in parsed.tests if t.test_type == "dbt_utils.expression_is_true"]
    assert sorted(t.attached_to for t in expression_tests) == [
        "model.jaffle_shop.customers",
        "model.jaffle_shop.orders",
        "model.jaffle_shop.orders",
        "model.jaffle_shop.stg_orders",
    ]
    growth = capsule(parsed, "metric.jaffle_shop.revenue_growth_mom")
    assert growth.attributes["type"] == "derived"
    assert growth.attributes["expression"] == "(current_revenue - revenue_prev_month)*100/revenue_prev_month"


@shared
def test_dbt_project_evaluator_hand_checked():
    _, _, parsed = real("dbt-project-evaluator")
    assert parsed.project.name == "dbt_project_evaluator_integration_tests"
    versions = {c.unique_id: c for c in parsed.capsules if c.name == "int_model_5"}
    assert {c.urn for c in versions.values()} == {
        f"urn:dab:dbt:model:dbt_project_evaluator_integration_tests.int_model_5.v{n}" for n in (1, 2, 3)
    }
    assert {(c.version, c.latest_version) for c in versions.values()} == {("1", "2"), ("2", "2"), ("3", "2")}
    report = capsule(parsed, "model.dbt_project_evaluator_integration_tests.report_2")
    assert report.group == "my_awesome_group"
    assert (report.owner.name, report.owner.email) == ("thegoat@jaffleshop.com", "thegoat@jaffleshop.com")
    assert report.access == "public"
    exposure = capsule(parsed, "exposure.dbt_project_evaluator_integration_tests.exposure_1")
    assert (exposure.owner.name, exposure.owner.email) == ("dave's davey", "proserv@dbt.com")
    assert exposure.description == "real_dashboard with fun chars '\\!@#"
    packages = Counter(c.package_name for c in parsed.capsules if c.capsule_type == "model")
    assert packages == {
        "dbt_project_evaluator": 48,
        "dbt_project_evaluator_integration_tests": 35,
        "exclude_package": 1,
    }
    assert parsed.stats["disabled"] == 30
    not_null = column(capsule(parsed, "model.dbt_project_evaluator_integration_tests.dim_model_7"), "id")
    assert not_null.is_nullable is False  # a not_null constraint in the YAML


@shared
def test_gitlab_hand_checked():
    _, _, parsed = real("gitlab-analytics")
    stats = parsed.stats
    assert (stats["models"], stats["sources"], stats["tests"]) == (2934, 1095, 5046)  # as the README states
    assert (stats["snapshots"], stats["seeds"], stats["exposures"], stats["ignored_analyses"]) == (100, 34, 12, 8)
    assert parsed.project.name == "gitlab_snowflake"
    assert all(c.compiled_sql is None for c in parsed.capsules)  # `dbt parse` only
    unattached = sorted(t.unique_id for t in parsed.tests if t.attached_to is None)
    assert len(unattached) == 8
    assert all(uid.startswith("test.snowplow.") for uid in unattached)  # tests of disabled snowplow models
    # attached_node is null here; the model argument names the tested source, `to` the other one
    tests = {t.unique_id: t for t in parsed.tests}
    netsuite = tests[
        "test.gitlab_snowflake.source_relationships_netsuite_transaction_lines_transaction_id__transaction_id__"
        "source_netsuite_transactions_.076549e62b"
    ]
    assert netsuite.attached_to == "source.gitlab_snowflake.netsuite.transaction_lines"
    assert netsuite.column_name == "transaction_id"
    owners = {c.unique_id: c.owner for c in parsed.capsules if c.capsule_type == "exposure"}
    assert (
        owners["exposure.gitlab_snowflake.propensity_to_expand"].name,
        owners["exposure.gitlab_snowflake.propensity_to_expand"].email,
    ) == ("Kevin Dietz", "kdietz@gitlab.com")
    insights = owners["exposure.gitlab_snowflake.behavior_structured_event"]
    assert (insights.name, insights.email) == ("Product Insights", None)  # its email was "slack channel or email"
    assert len(parsed.owners) == 6


@shared
def test_mattermost_hand_checked():
    _, _, parsed = real("mattermost-analytics")
    assert parsed.project.schema_version == 10
    owner = capsule(parsed, "exposure.mattermost_analytics.subscription_history").owner
    assert (owner.name, owner.email) == ("Nick Misasi", None)
    tests = {t.unique_id: t for t in parsed.tests}
    assert tests["test.mattermost_analytics.test_valid_emails"].attached_to == (
        "model.mattermost_analytics.int_cloud_trial_requests"
    )
    assert tests["test.mattermost_analytics.test_stripe_active_licenses_in_cws"].attached_to is None
    assert tests["test.mattermost_analytics.test_validate_email"].attached_to is None  # depends on no node
    assert sum(t.attached_to is None for t in parsed.tests) == 7


@shared
def test_mit_ol_hand_checked():
    _, _, parsed = real("mit-ol-data-platform")
    stats = parsed.stats
    assert (stats["models"], stats["sources"], stats["tests"], stats["disabled"]) == (669, 385, 3868, 8)
    owner = capsule(parsed, "model.open_learning.dim_course").owner
    assert (owner.name, owner.email) == ("data_team", None)
    assert parsed.project.adapter_type == "trino"


@shared
def test_schema_v1_hand_checked():
    _, _, parsed = real("versions/v1/dap_jaffle_shop_dbt-0.19.1")
    assert parsed.project.schema_version == 1 and parsed.project.dbt_version == "0.19.1"
    tests = {t.unique_id: t for t in parsed.tests}
    relationships = tests["test.jaffle_shop.relationships_fct_orders_customer_id__customer_id__ref_dim_customers_"]
    assert relationships.attached_to == "model.jaffle_shop.fct_orders"  # derived: v1 has no attached_node
    assert relationships.status is None  # that run_results came from `dbt run`, which ran no tests
    fct = capsule(parsed, "model.jaffle_shop.fct_orders")
    assert fct.compiled_sql is None and fct.raw_sql.startswith("{% set payment_methods")
    assert fct.attributes["last_run"]["status"] == "success"


@shared
def test_schema_v4_disabled_model_and_its_tests_are_left_out():
    _, _, parsed = real("versions/v4/dap_jaffle_shop_dbt-1.0.0")
    assert "model.jaffle_shop.customers" not in {c.unique_id for c in parsed.capsules}
    assert parsed.stats["disabled"] == 3  # the model and its two tests, which dbt kept in `nodes`
    assert len(parsed.tests) == 18


def test_column_record_keeps_dataclass_behaviour_with_its_faster_init():
    from dataclasses import FrozenInstanceError, replace

    from ingestion.records import ColumnRecord

    values = {
        "name": "email",
        "urn": "urn:dab:dbt:model:shop.x:email",
        "data_type": "TEXT",
        "description": "",
        "meta": {},
        "tags": (),
        "constraints": (),
        "ordinal_position": 1,
        "is_nullable": None,
        "stats": {},
        "in_manifest": True,
        "in_catalog": True,
        "tests": ("unique",),
        "test_count": 1,
    }
    record = ColumnRecord(**values)
    assert [getattr(record, key) for key in values] == list(values.values())
    assert replace(record, name="EMAIL").name == "EMAIL"
    assert record == ColumnRecord(*values.values())
    with pytest.raises(FrozenInstanceError):
        record.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        ColumnRecord(name="email")  # type: ignore[call-arg]


@shared
def test_generated_project_matches_the_generators_truth(tmp_path):
    """gen_dbt.py writes the exact counts its artifacts encode; the parser must find the same."""
    import subprocess
    import sys

    generator = SHARED_DBT.parent / "bench" / "gen_dbt.py"
    if not generator.exists():
        pytest.skip(f"generator not available at {generator}")
    subprocess.run(
        [sys.executable, str(generator), "--models", "300", "--out", str(tmp_path)], check=True, capture_output=True
    )
    truth = json.loads((tmp_path / "truth.json").read_text())["counts"]
    parsed = parse_dbt_artifacts(
        manifest=(tmp_path / "manifest.json").read_bytes(), catalog=(tmp_path / "catalog.json").read_bytes()
    )
    stats = parsed.stats
    assert (stats["models"], stats["sources"], stats["seeds"], stats["snapshots"], stats["exposures"]) == (
        truth["models"],
        truth["sources"],
        truth["seeds"],
        truth["snapshots"],
        truth["exposures"],
    )
    assert Counter(t.test_type for t in parsed.tests) == truth["tests_by_type"]
    assert stats["tests_attached"] == truth["tests"]
    edges = Counter(e.edge_type for e in parsed.edges)
    assert edges == {"flows_to": truth["node_edges_models_snapshots"], "exposes": truth["exposure_edges"]}
    columns = [c for record in parsed.capsules for c in record.columns]
    assert sum(c.in_catalog for c in columns) == truth["catalog_columns"]
    assert sum(c.in_manifest for c in columns) == truth["manifest_documented_columns"]
    models = [c for c in parsed.capsules if c.capsule_type == "model"]
    assert sum(1 for c in models if not c.description) == truth["models_without_description"]
    assert sum(1 for c in models if c.materialization == "ephemeral") == truth["models_ephemeral"]
    assert (
        sum(1 for c in parsed.capsules if c.capsule_type == "source" and not c.in_catalog)
        == (truth["sources_missing_from_catalog"])
    )
    assert parsed.warnings == ()
