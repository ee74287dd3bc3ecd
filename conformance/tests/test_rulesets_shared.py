"""The built-in rules over real dbt projects (../shared/dbt): they run, stay consistent, and the rules taken
from dbt-project-evaluator fire on the evaluator's own integration-test project, which exists to trip them.

Skipped when ../shared is absent (a fresh machine outside our workplace has none).
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache
from pathlib import Path
from types import MappingProxyType

import pytest

from conformance.engine import evaluate, format_junit, format_sarif, load_rules, score_evaluation
from conformance.tests.test_rulesets_acme import graph_from_parsed, parse_folder

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO / ".." / "shared" / "dbt"
PROJECTS = (
    "dbt-project-evaluator",
    "jaffle-shop",
    "jaffle_shop_duckdb",
    "mattermost-analytics",
    "mit-ol-data-platform",
    "gitlab-analytics",
)

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/dbt is absent"),
]


@cache
def evaluated(project: str):
    folder = SHARED / project
    if not (folder / "manifest.json").exists():
        pytest.skip(f"{project} has no manifest here")
    graph = graph_from_parsed(parse_folder(folder))
    return graph, evaluate(graph, load_rules([REPO / "config" / "rules"]))


@pytest.mark.parametrize("project", PROJECTS)
def test_every_rule_runs_on_a_real_project(project):
    graph, evaluation = evaluated(project)
    assert [r.rule.id for r in evaluation.results if r.status == "skipped"] == []
    prints = [f.fingerprint for f in evaluation.findings]
    assert len(prints) == len(set(prints))
    assert all(f.capsule_urn in graph.by_urn for f in evaluation.findings if f.capsule_urn is not None)
    report = score_evaluation(evaluation)
    assert 0 <= report.overall.score <= 100
    json.dumps(report.to_dict(include_objects=True))
    assert json.loads(format_sarif(evaluation))["runs"][0]["results"]
    assert "<testsuites" in format_junit(evaluation)


# Checks of dbt-project-evaluator its integration project does not trip under the package defaults: it
# lowers too_many_joins_threshold to 3 and chained_views_threshold to 2 (DBT-M12 and DBT-P01 are run
# with those values below), and writes its only hard-coded references inside a Jinja comment {# ... #},
# which dbt never runs and we deliberately ignore (DBT-M04).
INTEGRATION_THRESHOLDS = {"DBT-M12": {"max": 2}, "DBT-P01": {"max": 2}}
NOT_TRIPPED = {"DBT-M04"}


def test_evaluator_rules_fire_on_the_evaluators_integration_project():
    graph, _ = evaluated("dbt-project-evaluator")
    rules = []
    for rule in load_rules([REPO / "config" / "rules" / "dbt_best_practices.yaml"]):
        if rule.id in INTEGRATION_THRESHOLDS:
            params = MappingProxyType({**rule.check.params, **INTEGRATION_THRESHOLDS[rule.id]})
            rule = replace(rule, check=replace(rule.check, params=params))
        rules.append(rule)
    evaluation = evaluate(graph, rules)
    silent = {r.rule.id for r in evaluation.results if not r.findings}
    assert silent == NOT_TRIPPED
