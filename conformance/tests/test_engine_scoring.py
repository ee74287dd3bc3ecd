"""Scores: per object first (weighting, critical cap, column share), then averaged for every rollup."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from conformance.engine import Waiver, evaluate, rule_from_dict, score_evaluation
from conformance.engine.testing import GraphBuilder

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def make_rule(rule_id: str, severity: str, category: str, rule_set: str, check: dict[str, Any], **extra: Any):
    return rule_from_dict(
        {
            "id": rule_id,
            "name": rule_id,
            "severity": severity,
            "category": category,
            "rule_set": rule_set,
            "check": check,
            **extra,
        }
    )


RULES = [
    make_rule("R1", "error", "documentation", "s1", {"type": "required_property", "property": "description"}),
    make_rule("R2", "warning", "naming", "s1", {"type": "name_pattern", "prefix": "fct_"}),
    make_rule("R3", "critical", "pii", "s2", {"type": "pii_unmasked"}),
    make_rule(
        "R4",
        "info",
        "documentation",
        "s2",
        {"type": "coverage", "measure": "documented_models", "min_percent": 100},
        scope="graph",
    ),
]


def graph() -> GraphBuilder:
    b = GraphBuilder()
    b.capsule("fct_a", layer="marts", domain="sales", owner="ana", description="Described.", columns=["id", "b", "c"])
    b.column("fct_a", "email", pii_type="email")  # 1 of 4 columns fails the critical rule
    b.capsule("stg_b", layer="staging", domain="sales", columns=["id", "x"])
    b.capsule("fct_c", layer="marts", domain="finance")
    return b


def report(rules=RULES, **options: Any):
    return score_evaluation(evaluate(graph().graph, rules, now=NOW), **options)


def by_name(score_report) -> dict[str, Any]:
    return {item.name: item for item in score_report.objects}


def test_each_object_is_scored_from_its_own_checks():
    objects = by_name(report())
    a, b, c, project = objects["fct_a"], objects["stg_b"], objects["fct_c"], objects["project"]
    # fct_a: R1 and R2 pass, the column rule fails on 1 of 4 columns: 2.75 of 3 checks pass
    assert (a.checks, a.failed_checks) == (3, 0.25)
    # stg_b: R1 and R2 fail, R3 passes on both columns
    assert (b.checks, b.failed_checks, b.score) == (3, 2, pytest.approx(33.3333, abs=1e-3))
    # fct_c has no columns, so the column rule does not apply to it
    assert (c.checks, c.failed_checks, c.score) == (2, 1, 50.0)
    assert (project.urn, project.checks, project.score) == (None, 1, 0.0)


def test_weighting_by_severity():
    objects = by_name(report())
    # stg_b: weights error 5 + warning 2 + critical 10 = 17; failed 5 + 2
    assert objects["stg_b"].weighted_score == pytest.approx(100 * 10 / 17, abs=1e-3)
    # fct_c: error 5 + warning 2 = 7; failed 5
    assert objects["fct_c"].weighted_score == pytest.approx(100 * 2 / 7, abs=1e-3)


def test_a_critical_failure_caps_the_object_score():
    a = by_name(report())["fct_a"]
    # uncapped it would be 91.7 (plain) and 85.3 (weighted)
    assert (a.score, a.weighted_score, a.capped) == (50.0, 50.0, True)
    uncapped = by_name(report(critical_cap=100.0))["fct_a"]
    assert uncapped.score == pytest.approx(100 * 2.75 / 3, abs=1e-3)
    assert uncapped.weighted_score == pytest.approx(100 * 14.5 / 17, abs=1e-3)


def test_a_wide_table_weighs_as_one_object():
    wide = graph()
    for i in range(300):
        wide.column("fct_a", f"col_{i}")
    evaluation = evaluate(wide.graph, RULES, now=NOW)
    a = by_name(score_evaluation(evaluation))["fct_a"]
    assert a.checks == 3  # the 300 extra columns make one check, not 300
    assert score_evaluation(evaluation).overall.objects == 4


def test_overall_is_the_mean_of_object_scores():
    overall = report().overall
    assert overall.score == pytest.approx((50 + 100 / 3 + 50 + 0) / 4, abs=0.01)
    assert overall.weighted_score == pytest.approx((50 + 100 * 10 / 17 + 100 * 2 / 7 + 0) / 4, abs=0.01)
    assert (overall.objects, overall.failing_objects, overall.checks) == (4, 4, 9)
    assert overall.by_severity == {"critical": 1, "error": 2, "warning": 1, "info": 1}


def test_rollups_per_rule_set_and_category_rescore_objects_from_their_checks():
    score_report = report()
    s1, s2 = score_report.by_rule_set["s1"], score_report.by_rule_set["s2"]
    assert s1.score == pytest.approx((100 + 0 + 50) / 3, abs=0.01)
    assert s1.weighted_score == pytest.approx((100 + 0 + 100 * 2 / 7) / 3, abs=0.01)
    assert s2.score == pytest.approx((50 + 100 + 0) / 3, abs=0.01)  # fct_a 75 capped at 50; project 0
    assert score_report.by_category["documentation"].score == pytest.approx(25.0)
    assert score_report.by_category["naming"].score == pytest.approx(100 * 2 / 3, abs=0.01)


def test_rollups_per_layer_domain_and_owner_group_the_overall_object_scores():
    score_report = report()
    assert score_report.by_layer["marts"].score == 50.0
    assert score_report.by_layer["staging"].score == pytest.approx(33.33, abs=0.01)
    assert score_report.by_domain["sales"].score == pytest.approx((50 + 100 / 3) / 2, abs=0.01)
    assert score_report.by_owner["ana"].score == 50.0
    assert score_report.by_owner["(none)"].objects == 2
    assert score_report.by_layer["marts"].findings == 2  # R3 on fct_a, R1 on fct_c


def test_rule_scores_count_columns_for_column_rules():
    rules = report().by_rule
    assert (rules["R3"].applicable, rules["R3"].failing, rules["R3"].pass_rate) == (6, 1, pytest.approx(83.33))
    assert (rules["R1"].applicable, rules["R1"].failing) == (3, 2)
    assert (rules["R4"].applicable, rules["R4"].failing, rules["R4"].pass_rate) == (1, 1, 0.0)


def test_waived_findings_pass_until_the_waiver_expires():
    waiver = Waiver(rule="R2", object="stg_b", reason="legacy name", expires=date(2026, 6, 30))
    rules = [replace(rule, waivers=(waiver,)) if rule.id == "R2" else rule for rule in RULES]
    waived = report(rules)
    assert by_name(waived)["stg_b"].score == pytest.approx(100 * 2 / 3, abs=1e-3)
    assert waived.overall.waived == 1 and waived.by_rule["R2"].waived == 1
    expired = score_evaluation(evaluate(graph().graph, rules, now=datetime(2026, 7, 1, tzinfo=UTC)))
    assert by_name(expired)["stg_b"].score == pytest.approx(100 / 3, abs=1e-3)


def test_report_serialises_to_plain_json():
    score_report = report()
    data = json.loads(json.dumps(score_report.to_dict(include_objects=True)))
    assert data["overall"]["objects"] == 4
    assert data["weights"] == {"critical": 10.0, "error": 5.0, "warning": 2.0, "info": 1.0}
    assert {item["name"] for item in data["objects"]} == {"fct_a", "stg_b", "fct_c", "project"}
    assert "objects" not in score_report.to_dict()


def test_no_rules_means_no_score():
    empty = score_evaluation(evaluate(graph().graph, [], now=NOW))
    assert (empty.overall.score, empty.overall.objects, empty.objects) == (None, 0, ())
