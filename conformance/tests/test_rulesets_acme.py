"""The built-in rules over the sample project examples/acme_shop: each deliberate slip is caught by the right
rule, and the patterns its truth file declares clean are left alone.

The GraphView is built here from the parsed artifacts (ingestion's parser, layers and domains from
ingestion/conventions.py). PII classification is the catalog's job, not the engine's: the columns'
pii_type/pii_masked come from the truth file's inventory, so this test judges the rules given a correct
classification. Capsules carry their attributes (freshness, the source block's description) and raw SQL, as
graph_load(sql=True) gives them.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest
import yaml

from conformance.engine import Evaluation, evaluate, load_rules
from lineage.graph import CapsuleNode, ColumnNode, GraphView
from lineage.graph import TestInfo as DbtTest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "examples" / "acme_shop"
TARGET = SAMPLE / "target"

pytestmark = pytest.mark.skipif(
    not (SAMPLE / "expected.yml").exists() or not (TARGET / "manifest.json").exists(),
    reason="the sample project's artifacts are not built",
)

# The truth file's slip kinds and the built-in rules that must flag the slip's node.
SLIP_RULES = {
    "mart_reads_source": ("DBT-M02", "MED-001", "MED-002", "DBT-M01"),
    "staging_depends_on_staging": ("DBT-M11", "MED-003"),
    "naming": ("DBT-S01", "MED-012"),
    "missing_tests": ("DBT-T01",),
    "missing_description": ("DBT-D02",),
    "missing_owner": ("OWN-002",),
    "unused_source": ("DBT-M13",),
    "unmasked_pii_in_mart": ("PII-002",),
    "unmasked_pii_in_exposure": ("PII-002",),
}
# Rules whose findings in the sample must be exactly the slips (and their documented side effects).
EXACT = {
    "DBT-M01": {"model.acme_shop.fct_support_tickets"},
    "DBT-M02": {"model.acme_shop.fct_support_tickets"},
    "DBT-M09": {"source.acme_shop.support.support_tickets"},
    "DBT-M11": {"model.acme_shop.stg_completed_orders"},
    "DBT-M13": {"source.acme_shop.hr.employees"},
    "DBT-S01": {"model.acme_shop.customer_orders_summary"},
    "DBT-T01": {"model.acme_shop.fct_order_items"},
    "DBT-D02": {"model.acme_shop.int_customer_touchpoints", "model.acme_shop.fct_daily_revenue"},
    "MED-001": {"model.acme_shop.fct_support_tickets"},
    "MED-002": {"model.acme_shop.fct_support_tickets"},
    "MED-003": {"model.acme_shop.stg_completed_orders"},
    "MED-012": {"model.acme_shop.customer_orders_summary"},
    "OWN-002": {"model.acme_shop.dim_products"},
    "PII-002": {"model.acme_shop.dim_customers.v1", "model.acme_shop.dim_customers.v2"},
}
# Rules that must find nothing in the sample: it follows these practices everywhere.
SILENT = (
    "DBT-M03",
    "DBT-M04",
    "DBT-M06",
    "DBT-M07",
    "DBT-M08",
    "DBT-M10",
    "DBT-M12",
    "DBT-S02",
    "DBT-S03",
    "DBT-S04",
    "DBT-P01",
    "DBT-P02",
    "MED-010",
    "MED-011",
    "MED-013",
    "MED-014",
    "MED-015",
    "MED-020",
    "MED-021",
    "OWN-001",
    "OWN-003",
    "OWN-004",
    "PII-003",
    "PII-004",
    "TST-001",
    "TST-004",
    "TST-005",
    "DOC-003",
    "DOC-004",
    "DOC-005",
)
# Rules allowed to flag a clean-by-design node, and why: they ask more than common dbt practice on purpose.
STRICTER_THAN_SAMPLE = {
    "PII-001": "DAB asks for a declaration wherever PII is detected; the sample declares it on sources only",
    "DBT-G03": "dbt-project-evaluator's default: exposures should read public models only",
}


@cache
def expected() -> dict:
    return yaml.safe_load((SAMPLE / "expected.yml").read_text())


def graph_from_parsed(parsed, *, pii: dict | None = None) -> GraphView:
    """A GraphView from ingestion's ParsedProject, the way the loader and graph_load would fill it.

    ``pii`` maps (unique_id, column name) to {"pii_type", "masked"}: the classification under test.
    """
    from ingestion.conventions import infer_domain, infer_layer

    pii = pii or {}
    graph = GraphView()
    for record in parsed.capsules:
        attributes = record.attributes
        node = graph.add_capsule(
            CapsuleNode(
                index=0,
                urn=record.unique_id,
                name=record.name,
                capsule_type=record.capsule_type,
                layer=infer_layer(record),
                materialization=record.materialization,
                description=record.description,
                domain=infer_domain(record, project_name=parsed.project.name),
                owner=record.owner.name if record.owner else None,
                tags=record.tags,
                meta=record.meta,
                path=record.original_file_path,
                package=record.package_name,
                database=record.database,
                schema=record.schema,
                relation_name=attributes.get("relation_name") or record.relation_name,
                source_name=attributes.get("source_name"),
                access=record.access,
                group=record.group,
                contract_enforced=record.contract_enforced,
                version=record.version,
                tests=tuple(
                    DbtTest(t.name, t.test_type, t.column_name, t.status, t.original_file_path) for t in record.tests
                ),
                attributes=dict(attributes),
                raw_sql=record.raw_sql,
            )
        )
        for column in record.columns:
            found = pii.get((record.unique_id, column.name))
            graph.add_column(
                ColumnNode(
                    index=0,
                    urn=f"{record.unique_id}.{column.name}",
                    name=column.name,
                    capsule=node.index,
                    data_type=column.data_type,
                    description=column.description,
                    tags=column.tags,
                    meta=column.meta,
                    tests=column.tests,
                    pii_type=found["pii_type"] if found else None,
                    pii_masked=bool(found and found["masked"]),
                    in_manifest=column.in_manifest,
                    constraints=tuple(column.constraints),
                )
            )
    for edge in parsed.edges:
        graph.add_edge(graph.by_urn[edge.source_unique_id], graph.by_urn[edge.target_unique_id])
    return graph


def parse_folder(folder: Path):
    """ingestion's parser over a folder's manifest.json (+ catalog.json, run_results.json when present)."""
    from ingestion.parsers.dbt import parse_dbt_artifacts

    def read(name: str) -> bytes | None:
        path = folder / name
        return path.read_bytes() if path.exists() else None

    return parse_dbt_artifacts(
        manifest=read("manifest.json"), catalog=read("catalog.json"), run_results=read("run_results.json")
    )


@cache
def sample() -> tuple[GraphView, Evaluation]:
    pii = {(item["node"], item["column"]): item for item in expected()["pii_columns"]}
    graph = graph_from_parsed(parse_folder(TARGET), pii=pii)
    for item in expected()["column_lineage"]:
        child, parent = graph.column_by_urn.get(item["child"]), graph.column_by_urn.get(item["parent"])
        if child is not None and parent is not None:
            graph.add_column_edge(parent, child, item["kind"])
    return graph, evaluate(graph, load_rules([REPO / "config" / "rules"]))  # as shipped: opt-in rules stay off


def flagged(rule_id: str) -> dict[str, list]:
    """capsule urn -> findings of the rule."""
    out: dict[str, list] = defaultdict(list)
    for finding in sample()[1].result(rule_id).findings:
        out[finding.capsule_urn].append(finding)
    return out


def test_no_rule_is_skipped_on_the_sample():
    assert [r.rule.id for r in sample()[1].results if r.status == "skipped"] == []


def _slips() -> list[dict]:
    """The truth file's slips, read at collection time so each becomes its own test case."""
    path = SAMPLE / "expected.yml"
    return yaml.safe_load(path.read_text())["slips"] if path.exists() else []


@pytest.mark.parametrize("item", _slips(), ids=lambda item: f"{item['rule']}:{item['node'].split('.', 2)[-1]}")
def test_each_deliberate_slip_is_found_by_the_right_rules(item):
    node = item.get("via", item["node"])
    for rule_id in SLIP_RULES[item["rule"]]:
        assert node in flagged(rule_id), f"{item['rule']} on {node}: {rule_id} did not fire"


def test_unmasked_pii_is_found_column_by_column_with_the_exposure_it_reaches():
    graph = sample()[0]
    for item in expected()["slips"]:
        if item["rule"] not in ("unmasked_pii_in_mart", "unmasked_pii_in_exposure"):
            continue
        node = item.get("via", item["node"])
        findings = flagged("PII-002")[node]
        assert sorted(graph.columns[f.column].name for f in findings) == sorted(item["columns"])
        if item["rule"] == "unmasked_pii_in_exposure":
            exposure = graph.capsules[graph.by_urn[item["node"]]].name
            assert all(exposure in f.details.get("exposures", ()) for f in findings)


def test_missing_tests_and_descriptions_show_in_project_coverage():
    [tests] = sample()[1].result("DBT-T03").findings
    [docs] = sample()[1].result("DBT-D01").findings
    assert (tests.details["covered"], tests.details["total"]) == (25, 26)
    assert (docs.details["covered"], docs.details["total"]) == (24, 26)


@pytest.mark.parametrize("rule_id", sorted(EXACT))
def test_slip_rules_flag_nothing_but_the_slips(rule_id):
    assert set(flagged(rule_id)) == EXACT[rule_id]


@pytest.mark.parametrize("rule_id", SILENT)
def test_practices_the_sample_follows_raise_nothing(rule_id):
    assert dict(flagged(rule_id)) == {}


def test_clean_by_design_patterns_are_not_flagged():
    slips_by_node: dict[str, set[str]] = defaultdict(set)
    for item in expected()["slips"]:
        slips_by_node[item["node"]].update(SLIP_RULES[item["rule"]])
    slips_by_node["model.acme_shop.fct_daily_revenue"].update({"DOC-001", "DOC-002"})  # the same missing docs
    problems = []
    for item in expected()["clean_by_design"]:
        node = item["node"]
        for finding in sample()[1].findings:
            if finding.capsule_urn != node:
                continue
            if finding.rule_id in slips_by_node[node] or finding.rule_id in STRICTER_THAN_SAMPLE:
                continue
            problems.append((node, finding.rule_id, finding.message))
    assert problems == []
