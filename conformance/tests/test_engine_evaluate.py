"""Evaluation: filters, waivers, fingerprints and rule statuses."""

from __future__ import annotations

import gc
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from conformance.engine import Waiver, evaluate, fingerprint, register_check, rule_from_dict
from conformance.engine.testing import GraphBuilder

DESCRIBED = {"type": "required_property", "property": "description"}
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def make_rule(check: dict[str, Any] | None = None, *, flt: dict[str, Any] | None = None, **extra: Any):
    data: dict[str, Any] = {
        "id": "R-1",
        "name": "R",
        "severity": "error",
        "category": "test",
        "rule_set": "tests",
        "check": check or DESCRIBED,
        **extra,
    }
    if flt:
        data["filter"] = flt
    return rule_from_dict(data)


def landscape() -> GraphBuilder:
    """Undescribed capsules of every kind, layer, domain, tag, package and folder."""
    b = GraphBuilder()
    b.capsule(
        "orders",
        type="source",
        layer="raw",
        source_name="shop",
        package="acme",
        path="models/staging/shop/_sources.yml",
    )
    b.capsule(
        "stg_orders",
        layer="staging",
        parents=["orders"],
        domain="sales",
        tags=("pii",),
        package="acme",
        path="models/staging/shop/stg_orders.sql",
        materialization="view",
    )
    b.capsule(
        "fct_orders",
        layer="marts",
        parents=["stg_orders"],
        domain="sales",
        owner="ana",
        package="acme",
        path="models/marts/sales/fct_orders.sql",
        materialization="table",
        access="public",
    )
    b.capsule(
        "fct_legacy",
        layer="marts",
        parents=["stg_orders"],
        domain="finance",
        tags=("deprecated",),
        package="acme",
        path="models/marts/legacy/fct_legacy.sql",
        materialization="table",
    )
    b.capsule("util_dates", layer=None, package="dbt_utils", path="models/util_dates.sql")
    b.capsule("dash", type="exposure", layer="consumption", parents=["fct_orders"])
    b.column("fct_orders", "order_id")
    b.column("fct_orders", "email", pii_type="email")
    b.column("stg_orders", "email", pii_type="email")
    return b


def names(b: GraphBuilder, **filters: Any) -> list[str]:
    result = evaluate(b.graph, [make_rule(flt=filters)]).results[0]
    return [b.graph.capsules[i].name for i in result.capsules]


def test_filter_keys_select_capsules():
    b = landscape()
    assert names(b, resource_types=["source", "exposure"]) == ["orders", "dash"]
    assert names(b, layers=["marts"]) == ["fct_orders", "fct_legacy"]
    assert names(b, layers=["unknown"]) == ["util_dates"]
    assert names(b, domains=["sales"]) == ["stg_orders", "fct_orders"]
    assert names(b, owners=["ana"]) == ["fct_orders"]
    assert names(b, tags=["pii", "deprecated"]) == ["stg_orders", "fct_legacy"]
    assert names(b, packages=["dbt_utils"]) == ["util_dates"]
    assert names(b, paths=["models/marts/*"]) == ["fct_orders", "fct_legacy"]
    assert names(b, name="^fct_") == ["fct_orders", "fct_legacy"]
    assert names(b, materializations=["view"]) == ["stg_orders"]
    assert names(b, access=["public"]) == ["fct_orders"]
    assert names(b, feeds=["exposure"]) == ["fct_orders"]


def test_filter_keys_combine_with_and_exclusions_with_or():
    b = landscape()
    assert names(b, resource_types=["model"], layers=["marts"], domains=["sales"]) == ["fct_orders"]
    excluded = names(b, resource_types=["model"], exclude={"tags": ["deprecated"], "packages": ["dbt_utils"]})
    assert excluded == ["stg_orders", "fct_orders"]
    assert names(b, exclude={"resource_types": ["model"]}) == ["orders", "dash"]


def test_column_filters_select_columns_within_the_capsule_filter():
    b = landscape()
    rule = make_rule(flt={"layers": ["marts"], "pii": True}, scope="column")
    result = evaluate(b.graph, [rule]).results[0]
    assert [b.graph.columns[c].urn for c in result.columns] == ["model.test.fct_orders.email"]
    rule = make_rule(flt={"column_name": "_id$", "exclude": {"pii": True}}, scope="column")
    assert [b.graph.columns[c].name for c in evaluate(b.graph, [rule]).results[0].columns] == ["order_id"]


def test_findings_carry_urns_severity_and_positions():
    b = landscape()
    [finding] = evaluate(b.graph, [make_rule(flt={"name": "^fct_orders$"})]).findings
    assert (finding.rule_id, finding.capsule_urn, finding.column_urn, finding.severity) == (
        "R-1",
        "model.test.fct_orders",
        None,
        "error",
    )
    assert finding.capsule == b.index("fct_orders")
    assert finding.to_dict()["waived"] is False


def test_fingerprint_is_stable_across_runs_and_graph_order():
    b = landscape()
    first = {f.capsule_urn: f.fingerprint for f in evaluate(b.graph, [make_rule()]).findings}
    again = {f.capsule_urn: f.fingerprint for f in evaluate(b.graph, [make_rule()]).findings}
    assert first == again
    # the same capsules added in another order get other positions but the same identities
    other = GraphBuilder()
    for node in reversed(b.graph.capsules):
        other.capsule(node.name, type=node.capsule_type, layer=node.layer)
    assert {f.capsule_urn: f.fingerprint for f in evaluate(other.graph, [make_rule()]).findings} == first


def test_fingerprint_ignores_message_and_counts_but_not_rule_object_or_key():
    b = GraphBuilder()
    b.capsule("hub")
    for name in ("a", "b", "c"):
        b.capsule(name, parents=["hub"])
    rule = make_rule({"type": "fan_out", "max": 1}, flt={"name": "hub"})
    [before] = evaluate(b.graph, [rule]).findings
    b.capsule("d", parents=["hub"])
    [after] = evaluate(b.graph, [rule]).findings
    assert before.message != after.message and before.details["count"] != after.details["count"]
    assert before.fingerprint == after.fingerprint
    base = fingerprint(rule_id="R-1", capsule_urn="model.x", column_urn=None, key="")
    assert len(base) == 40
    assert base != fingerprint(rule_id="R-2", capsule_urn="model.x", column_urn=None, key="")
    assert base != fingerprint(rule_id="R-1", capsule_urn="model.y", column_urn=None, key="")
    assert base != fingerprint(rule_id="R-1", capsule_urn="model.x", column_urn="model.x.c", key="")
    assert base != fingerprint(rule_id="R-1", capsule_urn="model.x", column_urn=None, key="above")


def test_several_problems_of_one_rule_on_one_object_get_distinct_fingerprints():
    b = GraphBuilder()
    b.capsule("s1", type="source")
    b.capsule("s2", type="source")
    b.capsule("m", parents=["s1", "s2"])
    findings = evaluate(b.graph, [make_rule({"type": "upstream", "forbidden_types": ["source"]})]).findings
    assert len({f.fingerprint for f in findings}) == 2


def test_waiver_by_name_glob_flags_the_finding_instead_of_dropping_it():
    b = landscape()
    waiver = Waiver(rule="R-1", object="fct_*", reason="agreed", expires=date(2026, 12, 31), by="jane")
    rule = make_rule(flt={"layers": ["marts"]})
    rule = replace(rule, waivers=(waiver,))
    findings = evaluate(b.graph, [rule], now=NOW).findings
    assert [(f.capsule_urn, f.waived) for f in findings] == [
        ("model.test.fct_orders", True),
        ("model.test.fct_legacy", True),
    ]
    assert findings[0].waiver.reason == "agreed"
    assert evaluate(b.graph, [rule], now=NOW).results[0].active_findings == ()


def test_expired_waiver_no_longer_applies_and_expiry_day_is_included():
    b = landscape()
    waiver = Waiver(rule="R-*", object="fct_orders", reason="agreed", expires=date(2026, 6, 1))
    rule = replace(make_rule(flt={"name": "^fct_orders$"}), waivers=(waiver,))
    assert evaluate(b.graph, [rule], now=NOW).findings[0].waived
    later = datetime(2026, 6, 2, 0, 1, tzinfo=UTC)
    assert not evaluate(b.graph, [rule], now=later).findings[0].waived


def test_waivers_match_urns_columns_projects_and_fingerprints():
    b = landscape()
    column_rule = make_rule(flt={"pii": True}, scope="column")
    by_column = Waiver(rule="R-1", object="fct_orders.email", reason="hashed downstream")
    findings = evaluate(b.graph, [column_rule], waivers=[by_column]).findings
    assert [(f.column_urn, f.waived) for f in findings] == [
        ("model.test.stg_orders.email", False),
        ("model.test.fct_orders.email", True),
    ]
    by_urn = Waiver(rule="R-1", object="model.test.stg_*", reason="staging")
    assert evaluate(b.graph, [column_rule], waivers=[by_urn]).findings[0].waived
    target = findings[0].fingerprint
    by_print = Waiver(rule="R-1", fingerprint=target, reason="one violation, waived in the UI")
    assert [f.waived for f in evaluate(b.graph, [column_rule], waivers=[by_print]).findings] == [True, False]
    project_rule = make_rule({"type": "coverage", "measure": "documented_models", "min_percent": 100}, scope="graph")
    project = Waiver(rule="R-1", object="project", reason="ramping up")
    assert evaluate(b.graph, [project_rule], waivers=[project]).findings[0].waived
    other_rule = Waiver(rule="X-1", object="*", reason="not this rule")
    assert not evaluate(b.graph, [project_rule], waivers=[other_rule]).findings[0].waived


def test_disabled_and_unregistered_rules_are_reported_not_run():
    b = landscape()
    disabled = replace(make_rule(), enabled=False)
    unknown = replace(make_rule(), id="R-2", check=replace(make_rule().check, type="gone"))
    results = evaluate(b.graph, [disabled, unknown]).results
    assert [(r.status, r.findings, r.applicable) for r in results] == [("disabled", (), 0), ("skipped", (), 0)]
    assert "gone" in results[1].reason


def test_evaluation_records_time_and_empty_graphs_work():
    evaluation = evaluate(GraphBuilder().graph, [make_rule()], now=NOW)
    assert evaluation.evaluated_at == NOW
    assert evaluation.results[0].applicable == 0 and evaluation.findings == []


def test_garbage_collector_state_is_restored():
    b = landscape()
    gc.disable()
    try:
        evaluate(b.graph, [make_rule()])
        assert not gc.isenabled()
    finally:
        gc.enable()
    evaluate(b.graph, [make_rule()])
    assert gc.isenabled()


def test_a_check_that_raises_is_reported_and_the_others_still_run():
    @register_check("test_always_breaks")
    def always_breaks(*, run):
        raise RuntimeError("boom")

    b = landscape()
    broken = make_rule({"type": "test_always_breaks"})
    fine = replace(make_rule(), id="R-2")
    first, second = evaluate(b.graph, [broken, fine]).results
    assert (first.status, first.reason) == ("error", "RuntimeError: boom")
    assert second.status == "evaluated" and second.findings


def test_waiver_objects_match_source_and_version_labels():
    b = GraphBuilder()
    b.capsule("orders", type="source", source_name="shop")
    b.capsule("dim_customers", version="2")
    rule = make_rule()
    findings = evaluate(b.graph, [rule], waivers=[Waiver(rule="R-1", object="shop.orders", reason="a")]).findings
    assert [f.waived for f in findings] == [True, False]
    findings = evaluate(b.graph, [rule], waivers=[Waiver(rule="R-1", object="*.v2", reason="b")]).findings
    assert [f.waived for f in findings] == [False, True]


def test_the_first_listed_matching_waiver_wins_whether_pattern_or_fingerprint():
    b = landscape()
    rule = make_rule(flt={"name": "^fct_orders$"})
    target = evaluate(b.graph, [rule]).findings[0].fingerprint
    by_print = Waiver(rule="R-1", fingerprint=target, reason="steward")
    by_name = Waiver(rule="R-*", object="fct_*", reason="file")
    assert evaluate(b.graph, [replace(rule, waivers=(by_name,))], waivers=[by_print]).findings[0].waiver is by_name
    assert evaluate(b.graph, [rule], waivers=[by_print, by_name]).findings[0].waiver is by_print


def test_thousands_of_fingerprint_waivers_each_match_their_own_finding():
    b = GraphBuilder()
    for i in range(3000):
        b.capsule(f"m{i}")
    rule = make_rule()
    prints = [f.fingerprint for f in evaluate(b.graph, [rule]).findings]
    waivers = [Waiver(rule="R-1", fingerprint=p, reason="bulk") for p in prints[:2500]]
    waivers += [Waiver(rule="X-1", fingerprint=p, reason="another rule") for p in prints[2500:]]
    findings = evaluate(b.graph, [rule], waivers=waivers).findings
    assert sum(f.waived for f in findings) == 2500
