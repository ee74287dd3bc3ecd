"""`dab conformance check` builds on the last evaluation: it finds in the database what changed since (edits made
outside ingestion included) and judges again only that; it must leave exactly what `dab conformance check --full`
leaves and print exactly what it prints.

Each scenario starts from the real sample project ingested (a full evaluation) and triaged by stewards, makes one
change, then runs the check twice from that same state, each inside a savepoint rolled back afterwards: as a user
runs it and with ``--full``. Stored violations, rule outcomes, the snapshot and the JSON output are compared
(timestamps aside)."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from catalog.models import Capsule, Column, Owner
from conformance.choices import ViolationStatus
from conformance.models import Rule, ScoreSnapshot, Violation
from conformance.services import conformance_evaluate, rule_override, violations_triage
from conformance.tests.test_incremental import assert_same_state, stored_state

pytestmark = pytest.mark.django_db


class _Rollback(Exception):
    pass


def _timeless(value: Any) -> Any:
    """The JSON output without the clock readings (when it ran, how long it took)."""
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items() if k not in ("evaluated_at", "seconds")}
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    return value


def check(tmp_path, *args: str) -> tuple[dict, dict, str]:
    """Run the check in a savepoint: (what it stored, its JSON output, its stderr); all of it rolled back."""
    out, err, captured = tmp_path / "check.json", io.StringIO(), {}
    try:
        with transaction.atomic():
            try:
                call_command("conformance_check", "--format", "json", "--output", str(out), *args, stderr=err)
            except CommandError as exc:
                assert exc.returncode == 1, exc  # the gate failed: the sample has errors
            captured["state"] = stored_state()
            raise _Rollback
    except _Rollback:
        pass
    return captured["state"], _timeless(json.loads(out.read_text())), err.getvalue()


def both(tmp_path, *args: str) -> tuple[str, str]:
    """The check and the forced full check from the same state give the same; returns both stderrs."""
    incremental, output, said = check(tmp_path, *args)
    full, full_output, full_said = check(tmp_path, "--full", *args)
    assert "evaluation: full (--full)" in full_said
    assert_same_state(incremental, full)
    assert output == full_output
    assert json.dumps(output) == json.dumps(full_output)  # in the same order too
    return said, full_said


@pytest.fixture
def triaged(ingest):
    """The sample ingested and evaluated, then triaged (a waiver, an acknowledgement, a resolution)."""
    ingest()
    open_ = list(Violation.objects.filter(status=ViolationStatus.OPEN).order_by("fingerprint")[:3])
    violations_triage(violations=[open_[2]], action="waive", actor="steward", reason="accepted")
    conformance_evaluate(triggered_by="test")  # the waiver is a setting: the next evaluation builds on this one
    violations_triage(violations=[open_[0]], action="acknowledge", actor="steward")
    violations_triage(violations=[open_[1]], action="resolve", actor="steward")
    return open_


def test_nothing_changed(tmp_path, triaged):
    said, _ = both(tmp_path)
    assert "evaluation: incremental (0 capsules changed" in said
    # a resolved violation the rules still find reopens, as in a full evaluation
    state, _, _ = check(tmp_path)
    assert state["violations"][triaged[1].fingerprint]["status"] == ViolationStatus.OPEN


def test_an_owner_changed_through_the_orm(tmp_path, triaged):
    capsule = Capsule.objects.filter(capsule_type="model", owner__isnull=False).order_by("urn").first()
    other = Owner.objects.exclude(pk=capsule.owner_id).order_by("name").first() or Owner.objects.create(name="other")
    capsule.owner = other
    capsule.save()
    said, _ = both(tmp_path)
    assert "evaluation: incremental (1 capsule changed" in said


def test_an_owner_removed_from_a_capsule(tmp_path, triaged):
    capsule = Capsule.objects.filter(capsule_type="model", owner__isnull=False).order_by("urn").first()
    unchanged, _, _ = check(tmp_path)
    capsule.owner = None
    capsule.save()
    said, _ = both(tmp_path)
    assert "evaluation: incremental (1 capsule changed" in said
    # the change changed conformance: not a comparison of two unchanged states
    state, _, _ = check(tmp_path)
    assert state["violations"].keys() - unchanged["violations"].keys()


def test_a_columns_description_and_tests_changed(tmp_path, triaged):
    unchanged, _, _ = check(tmp_path)
    # a documented PII column: a rule requires PII columns to say what they hold
    documented = Column.objects.filter(capsule__capsule_type="model", pii_type__isnull=False).exclude(description="")
    column = documented.order_by("urn").first()
    column.description = ""
    column.save()
    tested = Column.objects.filter(capsule__capsule_type="model", tests__len__gt=0).order_by("urn").first()
    if tested is not None:
        tested.tests = []
        tested.save()
    said, _ = both(tmp_path)
    assert "evaluation: incremental (" in said and "0 capsules changed" not in said
    state, _, _ = check(tmp_path)
    assert state != unchanged  # the change changed conformance: not a comparison of two unchanged states


def test_an_owner_renamed(tmp_path, triaged):
    owner = Owner.objects.filter(capsules__isnull=False).order_by("name").first()
    owner.name = "renamed_owner"
    owner.save()
    said, _ = both(tmp_path)
    assert "evaluation: incremental (" in said


def test_a_waiver_expired(tmp_path, triaged, monkeypatch):
    waived = Violation.objects.filter(status=ViolationStatus.OPEN).order_by("fingerprint").last()
    violations_triage(
        violations=[waived], action="waive", actor="steward", reason="for now", expires=timezone.localdate()
    )
    conformance_evaluate(triggered_by="test")  # the waiver is a setting
    later = timezone.now() + timedelta(days=2)  # the waiver held through its day; now it has expired
    monkeypatch.setattr("conformance.management.commands.conformance_check.timezone.now", lambda: later)
    said, _ = both(tmp_path)
    assert "evaluation: incremental (1 capsule changed" in said
    state, _, _ = check(tmp_path)
    assert state["violations"][waived.fingerprint]["status"] == ViolationStatus.OPEN  # its waiver expired


def test_a_rule_override_means_a_full_evaluation(tmp_path, triaged):
    rule = Rule.objects.filter(last_findings__gt=0, enabled=True).order_by("rule_id").first()
    rule_override(rule=rule, enabled=False, actor="steward")
    said, _ = both(tmp_path)
    assert "evaluation: full (rules, waivers or project settings changed" in said


def test_a_capsule_deleted_means_a_full_evaluation(tmp_path, triaged):
    Capsule.objects.filter(capsule_type="model").order_by("urn").first().delete()
    said, _ = both(tmp_path)
    assert "evaluation: full (capsules removed since the last evaluation)" in said


def test_a_column_lineage_edge_removed_means_a_full_evaluation(tmp_path, triaged):
    from lineage.models import ColumnLineage

    ColumnLineage.objects.order_by("source_urn", "target_urn").first().delete()
    said, _ = both(tmp_path)
    assert "evaluation: full (column edges removed since the last evaluation)" in said


def test_an_ingestion_not_evaluated_means_a_full_evaluation(tmp_path, triaged, ingest, settings):
    settings.CONFORMANCE_ON_INGEST = False
    ingest(force=True)
    said, _ = both(tmp_path)
    assert "evaluation: full (an ingestion completed since the last evaluation" in said


def test_the_checks_snapshot_is_a_full_one_and_the_next_builds_on_it(tmp_path, triaged):
    """An incremental check's snapshot has exact scores: the trend, the score API and --new-only take it as a full
    evaluation (rule_set None), and it records the graph's state, so the check after it builds on it."""
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("conformance_check", "--limit", "1", stderr=err)
    assert "evaluation: incremental" in err.getvalue()
    snapshot = ScoreSnapshot.objects.order_by("-evaluated_at").first()
    assert snapshot.rule_set is None and snapshot.trigger == "cli"
    assert set(snapshot.graph_state["counts"]) >= {"capsules", "columns", "column_edges"}
    assert snapshot.graph_state["counts"]["capsules"] == Capsule.objects.count()
    _, _, said = check(tmp_path)
    assert "evaluation: incremental (0 capsules changed" in said


def test_other_runs_stay_full(tmp_path, triaged):
    """A rule set, --no-store and rules given on the command line are evaluated in full."""
    _, _, said = check(tmp_path, "--no-store")
    assert "evaluation: incremental" not in said


def test_new_only_gives_the_same_gate(tmp_path, triaged):
    capsule = Capsule.objects.filter(capsule_type="model", owner__isnull=False).order_by("urn").first()
    capsule.owner = None
    capsule.save()
    said, _ = both(tmp_path, "--new-only")
    assert "evaluation: incremental (1 capsule changed" in said


def test_an_edit_before_an_unchanged_ingestion_is_still_seen(tmp_path, triaged, ingest):
    """An unchanged re-ingestion records a copy of the last evaluation; the copy keeps the time that evaluation read
    the graph, so an edit made in between is still found by the next check."""
    ingest()  # evaluated with the triage's settings: the next ingestion of the same artifacts changes nothing
    # a column's edit (an edit of a capsule makes the next ingestion decide again: ingestion.outcome_fingerprint)
    column = Column.objects.filter(capsule__capsule_type="model", pii_type__isnull=False).exclude(description="")
    column = column.order_by("urn").first()
    column.description = ""
    column.save()
    job = ingest()
    assert "carried_over" in job.stats["conformance"], job.stats["conformance"]
    said, _ = both(tmp_path)
    assert "evaluation: incremental (1 capsule changed" in said


def test_an_owner_deleted_means_a_full_evaluation(tmp_path, triaged):
    """A removed row leaves no trace but the count (an owner in use cannot be removed: PROTECT)."""
    unused = Owner.objects.create(name="nobody's")
    conformance_evaluate(triggered_by="test")
    unused.delete()
    said, _ = both(tmp_path)
    assert "evaluation: full (owners removed since the last evaluation)" in said


def test_a_waived_violation_fixed_leaves_the_next_check_incremental(tmp_path, triaged):
    """The store resolves a steward-waived violation no longer found: the waivers the settings fingerprint digests
    changed, and the snapshot records the fingerprint the store left, so the next check still builds on it."""
    undocumented = Violation.objects.filter(rule__rule_id="PII-005", status=ViolationStatus.OPEN)
    violation = undocumented.select_related("column").order_by("fingerprint").first()
    violations_triage(violations=[violation], action="waive", actor="steward", reason="soon documented")
    conformance_evaluate(triggered_by="test")
    violation.column.description = "What it holds and why."
    violation.column.save()
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("conformance_check", "--limit", "1", stderr=err)
    assert "evaluation: incremental (1 capsule changed" in err.getvalue()
    assert Violation.objects.get(pk=violation.pk).status == ViolationStatus.RESOLVED
    said, _ = both(tmp_path)
    assert "evaluation: incremental (0 capsules changed" in said
