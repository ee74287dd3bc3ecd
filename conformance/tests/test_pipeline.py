"""Conformance through the real pipeline: the sample project is ingested (load, PII classification, column
lineage, PII propagation, conformance) and the stored violations are judged against its truth file."""

from __future__ import annotations

from collections import defaultdict

import pytest

from conformance.choices import ViolationStatus
from conformance.models import Rule, ScoreSnapshot, Violation, ViolationEvent
from conformance.services import conformance_evaluate
from conformance.tests.test_rulesets_acme import EXACT, SILENT, SLIP_RULES, STRICTER_THAN_SAMPLE, expected

pytestmark = pytest.mark.django_db


def stored_findings() -> dict[str, dict[str, list[Violation]]]:
    """rule id -> capsule unique_id -> its active violations."""
    out: dict[str, dict[str, list[Violation]]] = defaultdict(lambda: defaultdict(list))
    for violation in Violation.objects.exclude(status=ViolationStatus.RESOLVED).select_related(
        "rule", "capsule", "column"
    ):
        key = violation.capsule.unique_id if violation.capsule else "project"
        out[violation.rule.rule_id][key].append(violation)
    return out


def test_ingestion_evaluates_and_reports_its_stats(sample_project):
    stats = sample_project.stats["conformance"]
    assert stats["rules"]["evaluated"] == Rule.objects.filter(enabled=True).count() > 50
    assert stats["rules"]["skipped"] == 0 and stats["rules"]["error"] == 0
    assert stats["violations"] == {"new": stats["findings"], "still_open": 0, "resolved": 0}
    assert stats["findings"] == Violation.objects.filter(status=ViolationStatus.OPEN).count() > 0
    snapshot = ScoreSnapshot.objects.get()
    assert snapshot.ingestion_id == sample_project.pk and snapshot.trigger == "ingestion"
    assert 0 < snapshot.score < 100 and snapshot.score == stats["score"]
    assert set(snapshot.report) >= {"overall", "by_rule_set", "by_category", "by_layer", "by_domain", "by_owner"}
    assert Violation.objects.filter(ingestion=sample_project).count() == stats["findings"]


@pytest.mark.parametrize("item", expected()["slips"], ids=lambda item: f"{item['rule']}:{item['node'].split('.')[-1]}")
def test_each_deliberate_slip_is_found_by_the_right_rules(sample_project, item):
    node = item.get("via", item["node"])
    found = stored_findings()
    for rule_id in SLIP_RULES[item["rule"]]:
        assert node in found[rule_id], f"{item['rule']} on {node}: {rule_id} found nothing"


def test_unmasked_pii_is_stored_column_by_column(sample_project):
    found = stored_findings()["PII-002"]
    for item in expected()["slips"]:
        if item["rule"] != "unmasked_pii_in_mart":
            continue
        assert sorted(v.column.name for v in found[item["node"]]) == sorted(item["columns"])


@pytest.mark.parametrize("rule_id", sorted(EXACT))
def test_slip_rules_flag_nothing_but_the_slips(sample_project, rule_id):
    assert set(stored_findings()[rule_id]) == EXACT[rule_id]


@pytest.mark.parametrize("rule_id", SILENT)
def test_practices_the_sample_follows_raise_nothing(sample_project, rule_id):
    assert dict(stored_findings()[rule_id]) == {}


def test_clean_by_design_patterns_are_not_flagged(sample_project):
    allowed: dict[str, set[str]] = defaultdict(set)
    for item in expected()["slips"]:
        allowed[item["node"]].update(SLIP_RULES[item["rule"]])
    allowed["model.acme_shop.fct_daily_revenue"].update({"DOC-001", "DOC-002"})
    found = stored_findings()
    problems = [
        (item["node"], rule_id)
        for item in expected()["clean_by_design"]
        for rule_id, by_node in found.items()
        if item["node"] in by_node and rule_id not in allowed[item["node"]] and rule_id not in STRICTER_THAN_SAMPLE
    ]
    assert problems == []


def test_re_evaluation_keeps_identity_and_first_seen(sample_project):
    before = {v.fingerprint: (v.pk, v.detected_at, v.failing_since) for v in Violation.objects.all()}
    run = conformance_evaluate()
    after = {v.fingerprint: (v.pk, v.detected_at, v.failing_since) for v in Violation.objects.all()}
    assert after == before
    assert run.stored.new == run.stored.resolved == 0 and run.stored.still_open == len(before)
    assert run.snapshot.new_count == run.snapshot.fixed_count == 0
    assert ViolationEvent.objects.count() == 0
    violation = Violation.objects.select_related("rule").first()
    assert violation.seen_at == run.snapshot.evaluated_at  # found by the latest evaluation of its rule


def test_reingesting_a_fix_resolves_the_violation_and_a_new_slip_opens_one(sample_project, ingest, sample_manifest):
    nodes = sample_manifest["nodes"]
    touchpoints = nodes["model.acme_shop.int_customer_touchpoints"]
    touchpoints["description"] = "Every contact a customer had with us: orders, sessions and tickets."
    nodes["model.acme_shop.fct_orders"]["description"] = ""  # a new slip: a mart loses its description
    fixed = Violation.objects.get(
        rule__rule_id="DBT-D02", capsule__unique_id="model.acme_shop.int_customer_touchpoints"
    )
    kept = Violation.objects.get(rule__rule_id="DBT-D02", capsule__unique_id="model.acme_shop.fct_daily_revenue")

    job = ingest(sample_manifest)

    fixed.refresh_from_db()
    assert fixed.status == ViolationStatus.RESOLVED and fixed.resolved_by == "dab"
    event = fixed.events.get()
    assert (event.actor, event.from_status, event.to_status, event.reason) == (
        "dab",
        "open",
        "resolved",
        "no longer found",
    )
    kept_now = Violation.objects.get(pk=kept.pk)
    assert (kept_now.status, kept_now.detected_at) == (ViolationStatus.OPEN, kept.detected_at)
    new = Violation.objects.get(rule__rule_id="DBT-D02", capsule__unique_id="model.acme_shop.fct_orders")
    assert new.status == ViolationStatus.OPEN and new.ingestion_id == job.pk
    snapshot = ScoreSnapshot.objects.get(ingestion=job)
    assert snapshot.new_count >= 1 and snapshot.fixed_count >= 1
    assert job.stats["conformance"]["violations"]["resolved"] >= 1


def test_a_fixed_violation_that_comes_back_is_reopened_as_new(sample_project, ingest, sample_manifest):
    nodes = sample_manifest["nodes"]
    original = nodes["model.acme_shop.int_customer_touchpoints"]["description"]
    nodes["model.acme_shop.int_customer_touchpoints"]["description"] = "Every contact a customer had with us."
    ingest(sample_manifest)
    nodes["model.acme_shop.int_customer_touchpoints"]["description"] = original
    job = ingest(sample_manifest)
    violation = Violation.objects.get(
        rule__rule_id="DBT-D02", capsule__unique_id="model.acme_shop.int_customer_touchpoints"
    )
    assert violation.status == ViolationStatus.OPEN and violation.resolved_at is None
    snapshot = ScoreSnapshot.objects.get(ingestion=job)
    assert violation.failing_since == snapshot.evaluated_at > violation.detected_at
    assert [e.reason for e in violation.events.order_by("at")] == ["no longer found", "found again after it was fixed"]


def test_a_dry_run_ingestion_keeps_no_evaluation(sample_project, ingest):
    count, snapshots = Violation.objects.count(), ScoreSnapshot.objects.count()
    job = ingest(dry_run=True)
    assert "conformance" in job.stats
    assert (Violation.objects.count(), ScoreSnapshot.objects.count()) == (count, snapshots)


def test_conformance_on_ingest_off_skips_the_step(db, ingest, settings):
    settings.CONFORMANCE_ON_INGEST = False
    job = ingest()
    assert job.stats["conformance"] == {"skipped": "CONFORMANCE_ON_INGEST is off"}
    assert not Violation.objects.exists() and not ScoreSnapshot.objects.exists()


def test_a_broken_rule_file_does_not_stop_ingestion(sample_project, ingest, rules_dir):
    (rules_dir / "broken.yaml").write_text("rules:\n  - id: X-1\n    name: x\n")
    job = ingest()
    warnings = job.stats["conformance"]["warnings"]
    assert any("broken.yaml" in w and "rule X-1" in w for w in warnings)
    assert job.stats["conformance"]["rules"]["evaluated"] > 50  # the stored rules ran


def test_a_conformance_failure_is_reported_and_the_ingestion_still_completes(db, ingest, monkeypatch):
    from conformance import services

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "_store", broken)
    job = ingest()
    assert job.status == "completed"
    assert job.stats["conformance"]["error"] == "RuntimeError: disk on fire"
    assert not Violation.objects.exists() and not ScoreSnapshot.objects.exists()
