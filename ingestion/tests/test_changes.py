"""The change report's pure core on two real builds of acme_shop: the committed one and the pull request of
examples/acme_shop/scripts/pull_request.py (its artifacts in tests/data/acme_shop_pr)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from ingestion.changes.breaking import breaking_changes
from ingestion.changes.diff import diff_states
from ingestion.changes.state import state_from_parsed
from ingestion.changes.types import type_change_kind, type_normalise
from ingestion.parsers.dbt import parse_dbt_artifacts

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "examples" / "acme_shop" / "target"
HEAD = Path(__file__).parent / "data" / "acme_shop_pr"
MODEL = "urn:dab:dbt:model:acme_shop."


@cache
def parsed(folder: Path, catalog: bool = True):
    return parse_dbt_artifacts(
        manifest=(folder / "manifest.json").read_bytes(),
        catalog=(folder / "catalog.json").read_bytes() if catalog else None,
        run_results=None,
    )


@cache
def pr_diff():
    return diff_states(state_from_parsed(parsed(BASE)), state_from_parsed(parsed(HEAD)))


def facts(diff, kind):
    return sorted((c.name, c.column, c.before, c.after) for c in diff.of_kind(kind))


def test_identical_states_have_no_changes():
    state = state_from_parsed(parsed(BASE))
    assert diff_states(state, state_from_parsed(parsed(BASE))).changes == []


def test_model_under_new_name_is_a_rename_not_remove_and_add():
    diff = pr_diff()
    (renamed,) = diff.of_kind("capsule_renamed")
    assert renamed.before == "customer_orders_summary"
    assert renamed.name == "fct_customer_orders_summary"
    assert renamed.evidence == "same file checksum"
    assert diff.of_kind("capsule_added", "capsule_removed") == []
    # its tests moved with it: a test's identity does not carry the model's name
    assert not [c for c in diff.of_kind("test_added", "test_removed") if "orders_summary" in c.name]


def test_column_aliased_to_new_name_is_a_rename():
    diff = pr_diff()
    (renamed,) = diff.of_kind("column_renamed")
    assert (renamed.name, renamed.before, renamed.column) == ("stg_customers", "phone", "phone_number")
    assert renamed.evidence == "lineage: phone as phone_number"


def test_removed_added_and_retyped_columns():
    diff = pr_diff()
    assert facts(diff, "column_removed") == [
        ("dim_customers v2", "customer_segment", "VARCHAR", None),
        ("fct_payments", "card_brand", "VARCHAR", None),
    ]
    assert facts(diff, "column_added") == [("fct_orders", "customer_email", None, "VARCHAR")]
    narrowed = {(c.name, c.column) for c in diff.of_kind("column_type_changed") if c.aspect == "narrowed"}
    assert ("stg_order_items", "quantity") in narrowed
    assert ("fct_order_items", "quantity") in narrowed


def test_changed_sql_and_removed_test():
    diff = pr_diff()
    sql = {c.name for c in diff.of_kind("capsule_changed") if c.aspect == "sql"}
    assert {"stg_customers", "stg_order_items", "fct_orders", "fct_payments", "dim_customers v2"} <= sql
    assert [(c.name, c.column) for c in diff.of_kind("test_removed")] == [("dim_customers v2", "customer_segment")]


def test_breaking_changes_with_reasons_and_who_to_tell():
    found = {(b.kind, b.name, b.column): b for b in breaking_changes(pr_diff())}
    narrowed = found[("type_narrowed", "stg_order_items", "quantity")]
    assert narrowed.severity == "error" and narrowed.level == "column"
    affected = {a["name"]: a["columns"] for a in narrowed.affected_capsules}
    assert "quantity" in affected["fct_order_items"] and "units" in affected["fct_orders"]
    assert "weekly_sales_dashboard" in {e["name"] for e in narrowed.exposures}
    assert "Sales Analytics <sales-analytics@example.com>" in narrowed.owners

    segment = found[("column_removed", "dim_customers v2", "customer_segment")]
    assert segment.severity == "warning" and segment.level == "model"
    assert [e["name"] for e in segment.exposures] == ["crm_customer_export"]
    assert segment.owners == ["Customer Insights <customer-insights@example.com>"]

    contract = found[("contract_broken", "fct_payments", None)]
    assert contract.severity == "error" and "card_brand removed" in contract.reason
    # every reader of stg_customers.phone now reads phone_number: the rename breaks nothing
    assert not [b for b in found.values() if b.column == "phone"]
    # the renamed model had no readers
    assert not [b for b in found.values() if b.kind == "model_renamed"]


def test_reader_left_reading_a_removed_column_breaks_at_column_level():
    base = state_from_parsed(parsed(BASE))
    head = state_from_parsed(parsed(BASE))
    stg = head.capsules[MODEL + "stg_customers"]
    del stg.columns["email"]  # the model dropped email; its readers were not adapted
    stg.sql_digest = "changed"
    found = [b for b in breaking_changes(diff_states(base, head)) if b.column == "email"]
    (item,) = found
    assert item.severity == "error" and item.level == "column"
    assert "dim_customers v2" in item.reason
    assert {"dim_customers v1", "dim_customers v2"} <= {a["name"] for a in item.affected_capsules}
    assert "crm_customer_export" in {e["name"] for e in item.exposures}


def test_public_model_removed_without_deprecation_date_is_breaking():
    base = state_from_parsed(parsed(BASE))
    head = state_from_parsed(parsed(BASE))
    del head.capsules[MODEL + "dim_products"]
    base.capsules[MODEL + "dim_products"].access = "public"
    kinds = {(b.kind, b.severity) for b in breaking_changes(diff_states(base, head)) if b.name == "dim_products"}
    assert ("public_model_removed", "error") in kinds
    assert ("model_removed", "error") in kinds  # the sales dashboard read it


def test_deprecated_public_version_removed_is_not_public_model_removed():
    base = state_from_parsed(parsed(BASE))
    head = state_from_parsed(parsed(BASE))
    v1 = MODEL + "dim_customers.v1"
    assert base.capsules[v1].access == "public" and base.capsules[v1].deprecation_date
    del head.capsules[v1]
    assert not [b for b in breaking_changes(diff_states(base, head)) if b.kind == "public_model_removed"]


def test_manifest_only_head_does_not_report_undeclared_columns_removed():
    base = state_from_parsed(parsed(BASE))
    head = state_from_parsed(parsed(BASE, catalog=False))
    assert diff_states(base, head).of_kind("column_removed") == []


@pytest.mark.parametrize(
    ("old", "new", "adapter", "kind"),
    [
        ("INTEGER", "SMALLINT", "duckdb", "narrowed"),
        ("int4", "integer", "postgres", "same"),
        ("bigint", "integer", "snowflake", "same"),  # all NUMBER(38,0) there
        ("varchar(100)", "varchar(50)", "postgres", "narrowed"),
        ("varchar", "varchar(50)", "postgres", "narrowed"),
        ("varchar(50)", "text", "postgres", "widened"),
        ("numeric(10,2)", "numeric(12,2)", "postgres", "widened"),
        ("numeric(10,2)", "numeric(10,1)", "postgres", "narrowed"),
        ("DECIMAL(18,2)", "DECIMAL(15,2)", "duckdb", "narrowed"),
        ("integer", "numeric(12,0)", "postgres", "widened"),
        ("date", "varchar", "postgres", "changed"),
        ("double", "float", "duckdb", "narrowed"),
        ("double precision", "float", "postgres", "same"),
        ("STRING", "INT64", "bigquery", "changed"),
        (None, "INTEGER", "duckdb", "unknown"),
    ],
)
def test_type_change_kind(old, new, adapter, kind):
    assert type_change_kind(old, new, adapter=adapter) == kind


def test_type_normalise_never_raises_on_odd_types():
    assert type_normalise("STRUCT<a INT, b ARRAY<STRING>>", adapter="bigquery") is not None
    assert type_normalise("  ", adapter=None) is None


def test_markdown_makes_project_text_inert():
    from ingestion.changes.formats import render
    from ingestion.changes.report import report_build

    base = state_from_parsed(parsed(BASE))
    head = state_from_parsed(parsed(BASE))
    stg = head.capsules[MODEL + "stg_customers"]
    stg.owner = "<img src=x onerror=alert(1)> | [link](http://evil)"
    report = report_build(diff=diff_states(base, head), project="p|<b>", base_label="b", head_label="h")
    text = render(report, fmt="markdown")
    unescaped = re.compile(r"(?<!\\)(<img|<b>|\]\(http)")
    assert not unescaped.search(text)
    assert "\\<img src=x onerror=alert(1)\\> \\| \\[link\\](http://evil)" in text


def test_pii_delta_skips_only_capsules_that_can_add_nothing():
    """The PII delta passes over a capsule whose columns the head shares with the base (as the preview reads
    them); the same columns still count when an exposure newly reads the capsule."""
    from ingestion.changes.report import pii_delta

    base, head = state_from_parsed(parsed(BASE)), state_from_parsed(parsed(BASE))
    for urn, capsule in head.capsules.items():
        capsule.columns = base.capsules[urn].columns  # shared, as the preview's head read shares them
    urn = MODEL + "stg_customers"
    columns = base.capsules[urn].columns
    name = sorted(columns)[0]
    columns[name] = columns[name]._replace(pii_type="email", pii_masked=False)  # open PII on both sides
    exposure = sorted(u for u, c in head.capsules.items() if c.capsule_type == "exposure")[0]
    assert urn not in {up for up, downs in base.downstream.items() if exposure in downs}

    def delta():
        found = pii_delta(diff_states(base, head))
        return {key: [(p["urn"], p["column"], p.get("reaches")) for p in rows] for key, rows in found.items()}

    assert delta() == {"new_pii": [], "newly_exposed": [], "masking_removed": []}
    head.downstream.setdefault(urn, set()).add(exposure)  # a dashboard now reads the open PII
    assert delta() == {"new_pii": [], "newly_exposed": [(urn, columns[name].name, "exposure")], "masking_removed": []}
