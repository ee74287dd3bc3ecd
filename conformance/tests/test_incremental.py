"""Conformance proportional to change: after an ingestion that changed a few models, judging again only what the
change can affect must leave exactly the stored violations, rule outcomes and score a full evaluation leaves.

Each scenario starts from the real sample project ingested (a full evaluation) and steward triage on it, then
ingests a modified copy of the sample twice from that same state (each inside a savepoint rolled back
afterwards): once as the pipeline runs it (incremental), once forced to evaluate in full. The two end states
are compared field by field (timestamps aside)."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

import pytest
from django.db import transaction

from conformance import services
from conformance.choices import ViolationStatus
from conformance.models import Rule, ScoreSnapshot, Violation
from conformance.services import ConformanceChanges, conformance_evaluate, violations_triage
from conformance.tests.conftest import SAMPLE_TARGET

pytestmark = pytest.mark.django_db


class _Rollback(Exception):
    pass


def sample_manifest() -> dict:
    return json.loads((SAMPLE_TARGET / "manifest.json").read_text())


def models_in(manifest: dict, folder: str) -> list[dict]:
    return [
        node
        for key, node in sorted(manifest["nodes"].items())
        if node["resource_type"] == "model" and f"/{folder}/" in f"/{node['original_file_path']}"
    ]


def modified(manifest: dict) -> dict:
    """A handful of models changed without touching an edge: a staging model's materialization, an intermediate
    model's description, a mart's column documentation and tags, another mart's domain, and the first node
    without a description documented."""
    out = copy.deepcopy(manifest)
    staging, intermediate, marts = models_in(out, "staging"), models_in(out, "intermediate"), models_in(out, "marts")
    assert staging and intermediate and len(marts) >= 2
    node = staging[0]
    node["config"]["materialized"] = "table" if node["config"].get("materialized") == "view" else "view"
    intermediate[0]["description"] = ""
    mart = marts[0]
    for column in mart["columns"].values():
        column["description"] = ""
    mart["tags"] = [*mart.get("tags", []), "changed_for_test"]
    marts[1]["meta"] = {**marts[1].get("meta", {}), "domain": "another_domain"}
    undocumented = next(node for key, node in sorted(out["nodes"].items()) if not node.get("description"))
    undocumented["description"] = "Documented now."
    return out


def full_columns() -> int:
    from catalog.models import Column

    return Column.objects.count()


def stored_state() -> dict[str, Any]:
    """Everything an evaluation leaves, timestamps and generated ids aside."""
    violations = {
        v["fingerprint"]: v
        for v in Violation.objects.values(
            "fingerprint",
            "rule__rule_id",
            "capsule__urn",
            "column__urn",
            "severity",
            "message",
            "details",
            "status",
            "resolved_by",
            "waiver_source",
            "waiver_reason",
            "waiver_expires",
            "waived_by",
            "acknowledged_by",
        )  # fmt: skip
    }
    snapshot = ScoreSnapshot.objects.order_by("-evaluated_at").first()
    report = {key: value for key, value in snapshot.report.items() if key != "evaluated_at"}
    rules = list(
        Rule.objects.order_by("rule_id").values_list(
            "rule_id", "last_status", "last_applicable", "last_failing", "last_findings", "last_waived", "pass_rate"
        )
    )
    summary = {
        name: getattr(snapshot, name)
        for name in (
            "score",
            "weighted_score",
            "capsules",
            "columns",
            "rules_evaluated",
            "rules_skipped",
            "findings",
            "waived",
            "by_severity",
            "new_count",
            "fixed_count",
            "offenders",
        )  # fmt: skip
    }
    return {"violations": violations, "snapshot": summary, "report": report, "rules": rules}


def assert_same_state(incremental: dict[str, Any], full: dict[str, Any]) -> None:
    """Two ``stored_state()`` readings are the same; a differing violation is named by its fingerprint."""
    assert incremental["violations"].keys() == full["violations"].keys()
    for fingerprint, row in full["violations"].items():
        assert incremental["violations"][fingerprint] == row, fingerprint
    assert incremental["snapshot"] == full["snapshot"]
    assert incremental["report"] == full["report"]
    assert incremental["rules"] == full["rules"]


def ingest_and_read(ingest, manifest: dict, *, full: bool, monkeypatch) -> tuple[dict, dict]:
    """Ingest ``manifest`` in a savepoint, read what conformance stored, roll it all back."""
    captured: dict[str, Any] = {}
    with monkeypatch.context() as patch:
        if full:
            patch.setattr(ConformanceChanges, "from_load", classmethod(lambda cls, load_result: None))
        try:
            with transaction.atomic():
                job = ingest(manifest)
                captured["state"] = stored_state()
                captured["stats"] = job.stats["conformance"]
                raise _Rollback
        except _Rollback:
            pass
    return captured["state"], captured["stats"]


@pytest.fixture
def triaged(ingest):
    """The sample ingested and evaluated, then triaged: one violation acknowledged, one resolved by a steward
    although its rule still finds it, one waived by a steward."""
    ingest()
    open_ = list(Violation.objects.filter(status=ViolationStatus.OPEN).order_by("fingerprint")[:3])
    assert len(open_) == 3
    violations_triage(violations=[open_[2]], action="waive", actor="steward", reason="accepted")
    # the waiver is a setting: evaluate once so the next ingestion can build on an evaluation that knew it
    conformance_evaluate(triggered_by="test")
    # acknowledging and resolving are not: the next evaluation's outcome for them is the same either way
    violations_triage(violations=[open_[0]], action="acknowledge", actor="steward")
    violations_triage(violations=[open_[1]], action="resolve", actor="steward")
    return open_


def test_incremental_evaluation_stores_what_a_full_one_stores(ingest, triaged, monkeypatch):
    changed = modified(sample_manifest())
    incremental, stats = ingest_and_read(ingest, changed, full=False, monkeypatch=monkeypatch)
    assert stats["scope"]["mode"] == "incremental", stats["scope"]
    assert 0 < stats["scope"]["changed_capsules"] < 10
    # only the columns of what the rules judge again were loaded; the rest is counted as the last evaluation did
    loaded = stats["scope"]["columns"]
    assert 0 < loaded["columns"] < full_columns(), loaded
    full, full_stats = ingest_and_read(ingest, changed, full=True, monkeypatch=monkeypatch)
    assert "scope" not in full_stats
    # the change did change conformance (so the comparison is not between two unchanged states)
    assert stats["violations"]["new"] > 0 and stats["violations"]["resolved"] > 0
    assert_same_state(incremental, full)
    assert stats["violations"] == full_stats["violations"] and stats["score"] == full_stats["score"]


def test_an_unchanged_reingest_judges_nothing_again_and_changes_nothing(ingest, triaged):
    before = stored_state()
    job = ingest(force=True)
    stats = job.stats["conformance"]
    assert stats["scope"] == {**stats["scope"], "mode": "incremental", "changed_capsules": 0}
    assert stats["violations"]["new"] == 0 and stats["violations"]["resolved"] == 0
    after = stored_state()
    # the violation a steward resolved is still found: opened again, as a full evaluation does
    reopened = {fp for fp, row in before["violations"].items() if row != after["violations"][fp]}
    assert reopened == {triaged[1].fingerprint}
    assert after["violations"][triaged[1].fingerprint]["status"] == ViolationStatus.OPEN
    assert after["violations"].keys() == before["violations"].keys()
    assert after["report"] == before["report"]


def test_changed_edges_settings_or_an_unevaluated_ingestion_mean_a_full_evaluation(ingest, triaged, settings):
    manifest = sample_manifest()
    staging = models_in(manifest, "staging")
    # an edge dropped: a model no longer reads one of its parents
    child = next(node for node in models_in(manifest, "marts") if len(node["depends_on"]["nodes"]) > 1)
    child["depends_on"]["nodes"] = child["depends_on"]["nodes"][1:]
    job = ingest(manifest)
    assert job.stats["conformance"]["scope"] == {"mode": "full", "reason": "edges between capsules changed"}
    # a steward waiver is a setting
    violations_triage(
        violations=[Violation.objects.filter(status=ViolationStatus.OPEN).order_by("fingerprint").first()],
        action="waive", actor="steward", reason="later",
    )  # fmt: skip
    staging[0]["description"] = "changed again"
    job = ingest(manifest)
    assert job.stats["conformance"]["scope"]["reason"].startswith("rules, waivers or project settings changed")
    # an ingestion with conformance off leaves the graph ahead of the stored evaluation
    settings.CONFORMANCE_ON_INGEST = False
    staging[0]["description"] = "and again"
    ingest(manifest)
    settings.CONFORMANCE_ON_INGEST = True
    staging[0]["description"] = "once more"
    job = ingest(manifest)
    assert job.stats["conformance"]["scope"]["reason"].startswith("an ingestion completed since")
    # and the ingestion after that full evaluation builds on it again
    staging[0]["description"] = "last time"
    job = ingest(manifest)
    assert job.stats["conformance"]["scope"]["mode"] == "incremental"


def test_every_built_in_check_declares_what_it_reads():
    from conformance.engine import check_types
    from conformance.engine.registry import DEPENDS

    kinds = check_types()
    assert kinds and all(kind.depends in DEPENDS for kind in kinds.values())
    # the neighbour checks read the neighbours, not only the capsule itself
    assert kinds["upstream"].depends == "parents" and kinds["downstream"].depends == "children"
    assert set(kinds) >= services.SQL_CHECKS


def test_a_violation_dab_resolved_and_found_again_reopens_as_in_a_full_evaluation(ingest, triaged, monkeypatch):
    """The evaluation after a change reads only the stored violations it keeps; one DAB resolved earlier and
    found again in the scope is looked up by its fingerprint and reopened (not inserted twice)."""
    manifest = sample_manifest()
    documented = modified(manifest)
    job = ingest(documented)  # the first undocumented node documented: its violations resolved by DAB
    assert job.stats["conformance"]["scope"]["mode"] == "incremental"
    assert job.stats["conformance"]["violations"]["resolved"] > 0
    fixed = set(
        Violation.objects.filter(status=ViolationStatus.RESOLVED, resolved_by="dab").values_list(
            "fingerprint", flat=True
        )
    )
    # the change undone: what was fixed is found again
    incremental, stats = ingest_and_read(ingest, manifest, full=False, monkeypatch=monkeypatch)
    assert stats["scope"]["mode"] == "incremental"
    full, full_stats = ingest_and_read(ingest, manifest, full=True, monkeypatch=monkeypatch)
    reopened = {fp for fp in fixed if incremental["violations"][fp]["status"] == ViolationStatus.OPEN}
    assert reopened and stats["violations"]["new"] >= len(reopened)
    assert incremental["violations"] == full["violations"]
    assert incremental["snapshot"] == full["snapshot"] and incremental["rules"] == full["rules"]
    assert stats["violations"] == full_stats["violations"]


def kept_counts_agree_with_the_rules() -> int:
    """Every column rule's kept counts add up to the applicable columns its latest evaluation reported; returns how
    many rules were checked."""
    from django.db.models import Sum

    from conformance.models import RuleCapsuleCount

    column_rules = Rule.objects.filter(last_status="evaluated", scope="column")
    checked = 0
    for rule in column_rules:
        rows = RuleCapsuleCount.objects.filter(rule=rule).exclude(capsule_id=RuleCapsuleCount.EVERY_CAPSULE)
        assert RuleCapsuleCount.objects.filter(rule=rule, capsule_id=RuleCapsuleCount.EVERY_CAPSULE).exists()
        assert (rows.aggregate(total=Sum("applicable"))["total"] or 0) == rule.last_applicable, rule.rule_id
        checked += 1
    return checked


def test_kept_counts_follow_every_evaluation(ingest, triaged):
    assert kept_counts_agree_with_the_rules() >= 2
    job = ingest(modified(sample_manifest()))
    assert "capsules" in job.stats["conformance"]["scope"]["columns"]
    assert kept_counts_agree_with_the_rules() >= 2


def test_without_kept_counts_every_column_is_loaded_and_the_outcome_is_the_same(ingest, triaged, monkeypatch):
    from conformance.models import RuleCapsuleCount

    changed = modified(sample_manifest())
    full, _ = ingest_and_read(ingest, changed, full=True, monkeypatch=monkeypatch)
    RuleCapsuleCount.objects.all().delete()  # e.g. the first evaluation after this table was added
    incremental, stats = ingest_and_read(ingest, changed, full=False, monkeypatch=monkeypatch)
    assert stats["scope"]["mode"] == "incremental"
    assert stats["scope"]["columns"] == {"loaded": "all", "reason": "no counts kept for a rule that needs them"}
    assert incremental == full
    # that evaluation keeps the counts again: the next one loads only what it judges again
    ingest(changed)
    assert kept_counts_agree_with_the_rules() >= 2
    models_in(changed, "staging")[0]["description"] = "changed once more"
    job = ingest(changed)
    assert "capsules" in job.stats["conformance"]["scope"]["columns"], job.stats["conformance"]["scope"]


def test_a_check_that_does_not_say_which_columns_it_reads_gets_every_column(ingest, triaged, monkeypatch):
    from conformance.engine import registry

    kind = registry.check_type("pii_declared")
    monkeypatch.setitem(registry._REGISTRY, "pii_declared", replace(kind, columns="all"))
    changed = modified(sample_manifest())
    incremental, stats = ingest_and_read(ingest, changed, full=False, monkeypatch=monkeypatch)
    assert stats["scope"]["columns"]["loaded"] == "all"
    assert stats["scope"]["columns"]["reason"].endswith("reads columns beyond what it judges again")
    full, _ = ingest_and_read(ingest, changed, full=True, monkeypatch=monkeypatch)
    assert incremental == full


def test_the_scope_walked_through_the_database_is_the_whole_graphs(ingest):
    """A view without columns follows column lineage through the database (``column_lineage_neighbours``): the
    capsules judged again per ``depends`` are those the whole graph's walk gives, for every capsule changed."""
    from conformance.engine.registry import DEPENDS
    from conformance.engine.scope import Scope
    from lineage.graph import graph_load

    ingest()
    whole, capsules_only = graph_load(), graph_load(columns=False)
    links = services._column_links(capsules_only)
    assert [node.urn for node in whole.capsules] == [node.urn for node in capsules_only.capsules]
    widened = 0
    for index in range(len(whole.capsules)):
        full, walked = Scope.of(whole, [index]), Scope.of(capsules_only, [index], links=links)
        for depends in DEPENDS:
            assert walked.capsules(depends, "capsule") == full.capsules(depends, "capsule"), (index, depends)
        widened += len(full.capsules("lineage", "capsule")) > 1
    assert widened > 10


def test_an_ingestions_evaluation_reads_back_only_what_the_store_compares(ingest, triaged):
    """Without contents (an ingestion's evaluation after a change), the kept findings of active violations come
    without message, details and column name (the store never rewrites them); one a steward resolved comes whole,
    as the store compares it with the stored row and reopens it when found again."""
    from django.utils import timezone

    from conformance.selectors import rule_specs
    from lineage.graph import graph_load

    on_column = Violation.objects.filter(status=ViolationStatus.OPEN, column__isnull=False).order_by("fingerprint")[0]
    violations_triage(violations=[on_column], action="resolve", actor="steward")
    graph = graph_load(columns=False)
    specs, _ = rule_specs()
    today = timezone.localdate()
    whole, *_ = services._previous_findings(graph, specs, today=today, columns_later=True)
    light, *_ = services._previous_findings(graph, specs, today=today, columns_later=True, contents=False)
    by_print = {f.fingerprint: f for found in whole.values() for f in found}
    lean = {f.fingerprint: f for found in light.values() for f in found}
    assert lean.keys() == by_print.keys()
    resolved = triaged[1].fingerprint
    assert lean[resolved] == by_print[resolved] and lean[resolved].message == triaged[1].message
    column = lean[on_column.fingerprint]
    assert column == by_print[on_column.fingerprint] and column.message == on_column.message
    assert (column.column_urn, column.column_name) == (on_column.column.urn, on_column.column.name)
    others = [print_ for print_ in lean if print_ not in (resolved, on_column.fingerprint)]
    assert others and all(lean[p].message == "" and lean[p].details == {} for p in others)
    # what the scores and the store read is the same
    fields = ("rule_id", "capsule_urn", "severity", "waiver", "capsule", "column", "column_key")
    assert all(
        [getattr(lean[p], name) for name in fields] == [getattr(by_print[p], name) for name in fields] for p in lean
    )
