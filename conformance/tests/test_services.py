"""Rule sync and steward overrides, waivers (rule files and stewards, with expiry), triage, partial runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml
from django.utils import timezone

from conformance.choices import ViolationStatus, WaiverSource
from conformance.engine import RuleFileError
from conformance.models import Rule, ScoreSnapshot, Violation, ViolationEvent
from conformance.selectors import rule_specs
from conformance.services import (
    TriageError,
    conformance_evaluate,
    rule_override,
    rules_sync,
    violation_triage,
    violations_triage,
)

pytestmark = pytest.mark.django_db

TOUCHPOINTS = "model.acme_shop.int_customer_touchpoints"


def edit_rules(path, change) -> None:
    document = yaml.safe_load(path.read_text())
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def rule_entry(document: dict, rule_id: str) -> dict:
    return next(rule for rule in document["rules"] if rule["id"] == rule_id)


def violation(rule_id: str, unique_id: str) -> Violation:
    return Violation.objects.select_related("rule").get(rule__rule_id=rule_id, capsule__unique_id=unique_id)


# -- rules ------------------------------------------------------------------------------------------------


def test_sync_stores_every_rule_file_rule_with_its_documentation(rules_dir):
    result = rules_sync()
    assert result.created == Rule.objects.count() == 63
    rule = Rule.objects.get(rule_id="DBT-M02")
    assert rule.rule_set == "dbt_best_practices" and rule.source.endswith("dbt_best_practices.yaml")
    assert rule.rationale and rule.remediation and rule.check_type == "upstream"
    assert rules_sync().unchanged == 63  # a second sync changes nothing


def test_sync_updates_the_file_fields_but_keeps_the_stewards_overrides(rules_dir):
    rules_sync()
    rule_override(rule=Rule.objects.get(rule_id="DBT-M05"), actor="ada", enabled=False, parameters={"max": 5})
    edit_rules(
        rules_dir / "dbt_best_practices.yaml", lambda d: rule_entry(d, "DBT-M05").update(severity="error", name="Fan")
    )
    assert rules_sync().updated == 1
    rule = Rule.objects.get(rule_id="DBT-M05")
    assert (rule.severity, rule.name) == ("error", "Fan")
    assert (rule.enabled, rule.enabled_by_steward, rule.parameters_override) == (False, False, {"max": 5})
    spec = next(s for s in rule_specs()[0] if s.id == "DBT-M05")
    assert spec.check.params["max"] == 5 and not spec.enabled and spec.severity == "error"


def test_a_rule_enabled_by_its_file_follows_the_file_until_a_steward_decides(rules_dir):
    rules_sync()
    edit_rules(rules_dir / "testing.yaml", lambda d: rule_entry(d, "TST-002").update(enabled=True))
    rules_sync()
    assert Rule.objects.get(rule_id="TST-002").enabled
    rule_override(rule=Rule.objects.get(rule_id="TST-002"), actor="ada", enabled=False)
    rules_sync()
    assert not Rule.objects.get(rule_id="TST-002").enabled
    rule_override(rule=Rule.objects.get(rule_id="TST-002"), actor="ada", enabled=None)  # follow the file again
    assert Rule.objects.get(rule_id="TST-002").enabled


def test_the_evaluation_syncs_and_reads_the_rules_with_the_collector_paused(sample_project, monkeypatch):
    """Loading the rule files and digesting the settings allocate enough to start full collections, which would
    rescan every graph the process still holds (a worker's, a bench's earlier runs): seconds at 10,000 models."""
    import gc

    from conformance import services

    seen = []
    for name in ("rules_sync", "rule_specs", "conformance_settings_fingerprint"):
        real = getattr(services, name)
        monkeypatch.setattr(
            services, name, lambda *a, real=real, name=name, **k: seen.append((name, gc.isenabled())) or real(*a, **k)
        )
    assert gc.isenabled()
    services.conformance_evaluate()
    assert seen == [(name, False) for name in ("rules_sync", "rule_specs", "conformance_settings_fingerprint")]
    assert gc.isenabled()


def test_bad_override_parameters_are_refused_with_the_field(rules_dir):
    rules_sync()
    with pytest.raises(RuleFileError, match=r"rule DBT-M05: check.max"):
        rule_override(rule=Rule.objects.get(rule_id="DBT-M05"), actor="ada", parameters={"max": "three"})
    with pytest.raises(RuleFileError, match=r"check.maxx"):
        rule_override(rule=Rule.objects.get(rule_id="DBT-M05"), actor="ada", parameters={"maxx": 3})
    assert Rule.objects.get(rule_id="DBT-M05").parameters_override == {}


def test_override_that_no_longer_fits_the_file_is_ignored_and_reported(rules_dir):
    rules_sync()
    Rule.objects.filter(rule_id="DBT-M05").update(parameters_override={"max": "three"})
    specs, problems = rule_specs()
    assert any(s.id == "DBT-M05" and s.check.params["max"] == 2 for s in specs)
    assert any("DBT-M05" in p and "ignored" in p for p in problems)


def test_rules_gone_from_the_files_are_marked_and_their_violations_closed(sample_project, rules_dir):
    kept = violation("DBT-D02", TOUCHPOINTS)
    edit_rules(rules_dir / "dbt_best_practices.yaml", lambda d: d["rules"].remove(rule_entry(d, "DBT-D02")))
    run = conformance_evaluate()
    rule = Rule.objects.get(rule_id="DBT-D02")
    assert rule.removed_at is not None
    kept.refresh_from_db()
    assert kept.status == ViolationStatus.RESOLVED and kept.events.get().reason == "rule removed from the rule files"
    assert run.stored.closed >= 1 and "DBT-D02" not in {r.rule.id for r in run.evaluation.results}
    assert rules_sync().removed == 0  # marked once


def test_disabling_a_rule_closes_its_violations_and_enabling_reopens_them(sample_project):
    target = violation("DBT-D02", TOUCHPOINTS)
    rule_override(rule=target.rule, actor="ada", enabled=False)
    conformance_evaluate()
    target.refresh_from_db()
    assert target.status == ViolationStatus.RESOLVED and target.events.get().reason == "rule disabled"
    assert Rule.objects.get(rule_id="DBT-D02").last_status == "disabled"
    rule_override(rule=Rule.objects.get(rule_id="DBT-D02"), actor="ada", enabled=True)
    conformance_evaluate()
    target.refresh_from_db()
    assert target.status == ViolationStatus.OPEN


# -- waivers ----------------------------------------------------------------------------------------------


def test_a_rule_file_waiver_waives_with_an_audit_event_and_counts_for_nothing(sample_project, rules_dir):
    before = ScoreSnapshot.objects.get()
    target = violation("DBT-D02", TOUCHPOINTS)
    waiver = {
        "rule": "DBT-D02",
        "object": "int_customer_touchpoints",
        "reason": "documented in the wiki",
        "by": "jane@acme.example",
    }
    edit_rules(rules_dir / "dbt_best_practices.yaml", lambda d: d.setdefault("waivers", []).append(waiver))
    run = conformance_evaluate()
    target.refresh_from_db()
    assert (target.status, target.waiver_source, target.waiver_reason, target.waived_by) == (
        ViolationStatus.WAIVED,
        WaiverSource.RULE_FILE,
        "documented in the wiki",
        "jane@acme.example",
    )
    event = target.events.get()
    assert (event.actor, event.to_status, event.reason) == ("jane@acme.example", "waived", "documented in the wiki")
    assert run.snapshot.score > before.score and run.snapshot.waived == 1
    conformance_evaluate()
    assert target.events.count() == 1  # unchanged waiver, no new event


def test_an_expired_rule_file_waiver_reopens_the_violation(sample_project, rules_dir):
    yesterday = timezone.localdate() - timedelta(days=1)
    waiver = {"rule": "DBT-D02", "object": "int_customer_touchpoints", "reason": "later", "expires": str(yesterday)}
    conformance_evaluate(now=timezone.now() - timedelta(days=2))
    edit_rules(rules_dir / "dbt_best_practices.yaml", lambda d: d.setdefault("waivers", []).append(waiver))
    conformance_evaluate(now=timezone.now() - timedelta(days=2))
    target = violation("DBT-D02", TOUCHPOINTS)
    assert target.status == ViolationStatus.WAIVED and target.waiver_expires == yesterday
    conformance_evaluate()
    target.refresh_from_db()
    assert target.status == ViolationStatus.OPEN and target.waiver_reason is None
    assert target.events.order_by("-at", "-id").first().reason == f"waiver expired on {yesterday.isoformat()}"


def test_a_steward_waiver_holds_until_its_expiry_then_the_violation_reopens(sample_project):
    target = violation("DBT-D02", TOUCHPOINTS)
    tomorrow = timezone.localdate() + timedelta(days=1)
    violation_triage(violation=target, action="waive", actor="ada", reason="rebuilt next sprint", expires=tomorrow)
    run = conformance_evaluate()
    target.refresh_from_db()
    assert target.status == ViolationStatus.WAIVED and target.waiver_source == WaiverSource.STEWARD
    assert any(f.fingerprint == target.fingerprint and f.waived for f in run.evaluation.findings)
    assert run.snapshot.waived == 1
    later = conformance_evaluate(now=timezone.now() + timedelta(days=2))
    target.refresh_from_db()
    assert target.status == ViolationStatus.OPEN
    assert later.snapshot.waived == 0
    events = list(target.events.order_by("at", "id").values_list("actor", "to_status", "reason"))
    assert events == [("ada", "waived", "rebuilt next sprint"), ("dab", "open", f"waiver expired on {tomorrow}")]


def test_many_steward_waivers_are_matched_by_fingerprint(sample_project):
    open_ = list(Violation.objects.filter(status=ViolationStatus.OPEN))
    result = violations_triage(violations=open_, action="waive", actor="ada", reason="bulk")
    assert len(result.changed) == len(open_)
    run = conformance_evaluate()
    assert run.evaluation.active_findings == [] and run.snapshot.score == 100
    assert ViolationEvent.objects.filter(actor="dab").count() == 0


# -- triage -----------------------------------------------------------------------------------------------


def test_triage_transitions_leave_an_audit_trail(sample_project):
    target = violation("DBT-D02", TOUCHPOINTS)
    violation_triage(violation=target, action="acknowledge", actor="ada", reason="seen")
    target.refresh_from_db()
    assert target.status == ViolationStatus.ACKNOWLEDGED and target.acknowledged_by == "ada"
    violation_triage(violation=target, action="resolve", actor="bob", reason="fixed in PR 12")
    target.refresh_from_db()
    assert (target.status, target.resolved_by) == (ViolationStatus.RESOLVED, "bob")
    violation_triage(violation=target, action="reopen", actor="ada")
    target.refresh_from_db()
    assert target.status == ViolationStatus.OPEN and target.resolved_at is None and target.acknowledged_by is None
    trail = list(target.events.order_by("at", "id").values_list("actor", "from_status", "to_status", "reason"))
    assert trail == [
        ("ada", "open", "acknowledged", "seen"),
        ("bob", "acknowledged", "resolved", "fixed in PR 12"),
        ("ada", "resolved", "open", None),
    ]


def test_a_resolve_that_did_not_fix_anything_is_undone_by_the_next_evaluation(sample_project):
    target = violation("DBT-D02", TOUCHPOINTS)
    violation_triage(violation=target, action="resolve", actor="bob")
    run = conformance_evaluate()
    target.refresh_from_db()
    assert target.status == ViolationStatus.OPEN and target.failing_since == target.detected_at
    assert target.events.order_by("-at", "-id").first().reason == "still found after it was marked resolved"
    assert run.stored.reopened == 0  # not new: it never stopped failing


@pytest.mark.parametrize(
    ("action", "options", "message"),
    [
        ("waive", {}, "needs a reason"),
        ("waive", {"reason": "x", "expires": timezone.localdate() - timedelta(days=1)}, "in the past"),
        ("acknowledge", {"expires": timezone.localdate()}, "only a waiver"),
        ("delete", {}, "unknown action"),
    ],
)
def test_bad_triage_requests_are_refused(sample_project, action, options, message):
    with pytest.raises(TriageError, match=message):
        violation_triage(violation=violation("DBT-D02", TOUCHPOINTS), action=action, actor="ada", **options)


def test_bulk_triage_skips_what_does_not_apply_and_says_why(sample_project):
    first, second = Violation.objects.filter(status=ViolationStatus.OPEN)[:2]
    violation_triage(violation=first, action="resolve", actor="ada")
    result = violations_triage(violations=[first, second], action="acknowledge", actor="ada")
    assert [v.pk for v in result.changed] == [second.pk]
    assert "only an open violation" in result.skipped[str(first.pk)]


def test_a_rule_file_waiver_cannot_be_overridden_by_triage(sample_project, rules_dir):
    waiver = {"rule": "DBT-D02", "object": "int_customer_touchpoints", "reason": "accepted"}
    edit_rules(rules_dir / "dbt_best_practices.yaml", lambda d: d.setdefault("waivers", []).append(waiver))
    conformance_evaluate()
    with pytest.raises(TriageError, match="rule file"):
        violation_triage(violation=violation("DBT-D02", TOUCHPOINTS), action="reopen", actor="ada")


# -- partial and custom runs ------------------------------------------------------------------------------


def test_a_rule_set_run_touches_only_that_sets_violations(sample_project, rules_dir):
    Violation.objects.filter(rule__rule_set="medallion").delete()
    other = Violation.objects.exclude(rule__rule_set="medallion").count()
    run = conformance_evaluate(rule_set="medallion")
    assert {r.rule.rule_set for r in run.evaluation.results} == {"medallion"}
    assert run.snapshot.rule_set == "medallion" and run.stored.new > 0
    assert Violation.objects.exclude(rule__rule_set="medallion").exclude(status="open").count() == 0
    assert Violation.objects.exclude(rule__rule_set="medallion").count() == other


def test_an_unknown_rule_set_is_refused(sample_project):
    with pytest.raises(ValueError, match="unknown rule set 'nope'"):
        conformance_evaluate(rule_set="nope")


def test_rules_given_by_the_caller_are_never_stored(sample_project):
    from conformance.engine import load_rules
    from conformance.tests.conftest import RULES_DIR

    specs = load_rules([RULES_DIR / "medallion.yaml"])
    with pytest.raises(ValueError, match="never stored"):
        conformance_evaluate(specs=specs)
    count = Violation.objects.count()
    run = conformance_evaluate(specs=specs, store=False)
    assert run.snapshot is None and run.evaluation.findings and Violation.objects.count() == count


def test_offenders_are_the_first_of_every_capsule_with_findings_sorted_by_the_ranking(sample_project):
    """``offenders`` counts findings per (capsule, severity) and takes the first ``limit`` without sorting every
    capsule; the list must be the one a plain sort of every offending capsule gives, ties kept in finding order."""
    from collections import Counter

    from conformance.engine.spec import SEVERITIES
    from conformance.impact import downstream_counts
    from conformance.services import offenders

    run = conformance_evaluate(store=False)
    evaluation, report = run.evaluation, run.report
    per_capsule: dict[int, Counter] = {}
    for finding in evaluation.active_findings:
        if finding.capsule is not None:
            per_capsule.setdefault(finding.capsule, Counter())[finding.severity] += 1
    downstream = downstream_counts(evaluation.graph, capsules=per_capsule)
    rank = {severity: position for position, severity in enumerate(SEVERITIES)}

    def key(index: int) -> tuple:
        counts = per_capsule[index]
        return (min(rank[s] for s in counts), -downstream.get(index, 0), -sum(counts.values()),
                evaluation.graph.capsules[index].name)  # fmt: skip

    ranked = sorted(per_capsule, key=key)
    assert len(ranked) > 5
    for limit in (1, 5, len(ranked) - 1, len(ranked), len(ranked) + 10):
        found = offenders(evaluation=evaluation, report=report, limit=limit)
        assert [item["urn"] for item in found] == [evaluation.graph.capsules[i].urn for i in ranked[:limit]]
        for item, index in zip(found, ranked, strict=False):
            counts = per_capsule[index]
            assert item["findings"] == sum(counts.values())
            assert item["by_severity"] == {s: counts[s] for s in SEVERITIES if counts[s]}
