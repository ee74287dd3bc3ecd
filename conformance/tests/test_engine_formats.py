"""Output formats: table, JSON, JUnit XML and SARIF 2.1.0."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from conformance.engine import Waiver, evaluate, register_check, render, rule_from_dict, score_evaluation
from conformance.engine.formats import format_json, format_junit, format_sarif, format_table
from conformance.engine.testing import GraphBuilder

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def evaluation():
    b = GraphBuilder()
    b.capsule("stg_orders", layer="staging", path="models/staging/stg_orders.sql")
    b.capsule("fct_orders", layer="marts", path="models/marts/fct_orders.sql", description="Orders.")
    b.column("fct_orders", "email", pii_type="email")
    rules = [
        rule_from_dict(
            {
                "id": "DOC-1",
                "name": "Models are described",
                "severity": "warning",
                "category": "doc",
                "rule_set": "docs",
                "rationale": "People read descriptions.",
                "remediation": "Describe the model.",
                "url": "https://example.test/doc-1",
                "check": {"type": "required_property", "property": "description"},
                "waivers": [{"object": "legacy_*", "reason": "legacy"}],
            }
        ),
        rule_from_dict(
            {
                "id": "PII-1",
                "name": "No unmasked PII",
                "severity": "critical",
                "category": "pii",
                "rule_set": "pii",
                "remediation": "Hash it.",
                "check": {"type": "pii_unmasked"},
            }
        ),
        rule_from_dict(
            {
                "id": "COV-1",
                "name": "Coverage",
                "severity": "info",
                "category": "doc",
                "rule_set": "docs",
                "scope": "graph",
                "check": {"type": "coverage", "measure": "documented_models", "min_percent": 10},
            }
        ),
        rule_from_dict(
            {
                "id": "OFF-1",
                "name": "Off",
                "severity": "info",
                "category": "doc",
                "rule_set": "docs",
                "enabled": False,
                "check": {"type": "orphan"},
            }
        ),
    ]
    waiver = Waiver(rule="PII-1", object="fct_orders.email", reason="masked by a warehouse policy")
    return evaluate(b.graph, rules, now=NOW, waivers=[waiver])


def test_table_lists_findings_by_severity_with_a_summary():
    text = format_table(evaluation())
    lines = text.splitlines()
    assert lines[0].split() == ["SEVERITY", "RULE", "OBJECT", "MESSAGE"]
    assert lines[1].startswith("CRITICAL (waived)") and "fct_orders.email" in lines[1]
    assert "WARNING" in lines[2] and "stg_orders" in lines[2]
    assert lines[-1] == "1 finding, 1 warning; 1 waived; 3 rules evaluated"
    assert "CRITICAL" not in format_table(evaluation(), include_waived=False)


def test_json_holds_rules_results_findings_and_score():
    ev = evaluation()
    data = json.loads(format_json(ev, score=score_evaluation(ev)))
    assert [r["id"] for r in data["rules"]] == ["DOC-1", "PII-1", "COV-1", "OFF-1"]
    assert [(r["status"], r["findings"], r["waived"]) for r in data["results"]] == [
        ("evaluated", 1, 0),
        ("evaluated", 0, 1),
        ("evaluated", 0, 0),
        ("disabled", 0, 0),
    ]
    finding = data["findings"][1]
    assert (finding["object"], finding["path"], finding["waived"]) == (
        "stg_orders",
        "models/staging/stg_orders.sql",
        False,
    )
    assert data["score"]["overall"]["objects"] == 3


def test_junit_has_a_suite_per_rule_and_a_case_per_finding():
    root = ET.fromstring(format_junit(evaluation()))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("4", "1", "2")
    suites = {suite.get("name").split()[0]: suite for suite in root}
    failure = suites["DOC-1"].find("testcase/failure")
    assert failure.get("type") == "warning" and "Describe the model." in failure.text
    assert suites["DOC-1"].find("testcase").get("file") == "models/staging/stg_orders.sql"
    assert suites["PII-1"].find("testcase/skipped").get("message") == "waived: masked by a warehouse policy"
    assert suites["COV-1"].find("testcase").get("name") == "1 object conforms"
    assert suites["OFF-1"].find("testcase/skipped").get("message") == "disabled"


def test_sarif_carries_rule_metadata_locations_fingerprints_and_suppressions():
    ev = evaluation()
    data = json.loads(format_sarif(ev, path_prefix="analytics/"))
    assert data["version"] == "2.1.0"
    [run] = data["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == ["DOC-1", "PII-1", "COV-1", "OFF-1"]
    doc = rules[0]
    assert doc["help"]["text"] == "Describe the model."
    assert doc["helpUri"] == "https://example.test/doc-1"
    assert doc["defaultConfiguration"]["level"] == "warning"
    assert rules[1]["defaultConfiguration"]["level"] == "error"
    assert rules[3]["defaultConfiguration"]["enabled"] is False
    first, second = run["results"]
    assert first["ruleId"] == "PII-1" and run["tool"]["driver"]["rules"][first["ruleIndex"]]["id"] == "PII-1"
    assert first["suppressions"][0]["justification"] == "masked by a warehouse policy"
    assert first["locations"][0]["logicalLocations"][0]["kind"] == "column"
    assert second["level"] == "warning"
    assert (
        second["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "analytics/models/staging/stg_orders.sql"
    )
    assert second["partialFingerprints"]["dabFingerprint/v1"] == ev.result("DOC-1").findings[0].fingerprint


def test_sarif_points_project_findings_at_the_project_file():
    b = GraphBuilder()
    b.capsule("m")
    rule = rule_from_dict(
        {
            "id": "COV",
            "name": "c",
            "severity": "info",
            "category": "doc",
            "rule_set": "d",
            "scope": "graph",
            "check": {"type": "coverage", "measure": "documented_models", "min_percent": 100},
        }
    )
    [result] = json.loads(format_sarif(evaluate(b.graph, [rule])))["runs"][0]["results"]
    assert result["level"] == "note"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "dbt_project.yml"
    assert "logicalLocations" not in result["locations"][0]


def test_render_dispatches_and_rejects_unknown_formats():
    ev = evaluation()
    assert render(ev, fmt="table") == format_table(ev)
    assert json.loads(render(ev, fmt="sarif", path_prefix="x/"))["version"] == "2.1.0"
    with pytest.raises(ValueError, match="unknown format"):
        render(ev, fmt="html")


def test_skipped_rules_are_named_in_the_summary():
    b = GraphBuilder()
    b.capsule("m")
    rule = rule_from_dict(
        {
            "id": "HC",
            "name": "h",
            "severity": "info",
            "category": "c",
            "rule_set": "s",
            "check": {"type": "hard_coded_references"},
        }
    )
    assert format_table(evaluate(b.graph, [replace(rule)])).splitlines()[-1].endswith("skipped: HC")


def test_rules_that_failed_to_run_are_errors_in_junit_and_sarif():
    @register_check("test_breaks_in_formats")
    def breaks(*, run):
        raise ValueError("no")

    b = GraphBuilder()
    b.capsule("m")
    rule = rule_from_dict(
        {
            "id": "BRK",
            "name": "b",
            "severity": "info",
            "category": "c",
            "rule_set": "s",
            "check": {"type": "test_breaks_in_formats"},
        }
    )
    ev = evaluate(b.graph, [rule])
    root = ET.fromstring(format_junit(ev))
    assert root.get("errors") == "1" and root.find("testsuite/testcase/error").get("message") == "ValueError: no"
    invocation = json.loads(format_sarif(ev))["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["associatedRule"]["id"] == "BRK"
    assert format_table(ev).splitlines()[-1].endswith("failed to run: BRK")
