"""The invariants the database itself enforces (ingestion bypasses forms and serializers)."""

import pytest
from django.db import IntegrityError, transaction

from catalog.models import Capsule, Column, Domain, Owner
from conformance.models import Rule, Violation
from ingestion.models import IngestionJob
from lineage.models import CapsuleLineage, ColumnLineage

pytestmark = pytest.mark.django_db


def capsule(name: str) -> Capsule:
    return Capsule.objects.create(urn=f"urn:dab:dbt:model:p.{name}", name=name, capsule_type="model")


def fails(model, fields: dict):
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(**fields)


def test_urns_are_unique():
    capsule("a")
    fails(Capsule, {"urn": "urn:dab:dbt:model:p.a", "name": "a", "capsule_type": "model"})


def test_owner_names_are_unique_ignoring_case():
    Owner.objects.create(name="Sales")
    fails(Owner, {"name": "sales"})


def test_lineage_edge_cannot_loop_or_repeat():
    a, b = capsule("a"), capsule("b")
    CapsuleLineage.objects.create(source=a, target=b, source_urn=a.urn, target_urn=b.urn)
    fails(CapsuleLineage, {"source": a, "target": b, "source_urn": a.urn, "target_urn": b.urn})
    fails(CapsuleLineage, {"source": a, "target": a, "source_urn": a.urn, "target_urn": a.urn})
    # Another edge type between the same pair is a different edge.
    CapsuleLineage.objects.create(source=a, target=b, source_urn=a.urn, target_urn=b.urn, edge_type="exposes")


def test_column_lineage_cannot_loop_or_repeat():
    a = capsule("a")
    c1 = Column.objects.create(urn=f"{a.urn}:x", capsule=a, name="x")
    c2 = Column.objects.create(urn=f"{a.urn}:y", capsule=a, name="y")
    ColumnLineage.objects.create(source_column=c1, target_column=c2, source_urn=c1.urn, target_urn=c2.urn)
    fails(ColumnLineage, {"source_column": c1, "target_column": c2, "source_urn": "s", "target_urn": "t"})
    fails(ColumnLineage, {"source_column": c1, "target_column": c1, "source_urn": "s", "target_urn": "t"})


def test_has_tests_must_match_test_count():
    fails(Capsule, {"urn": "u1", "name": "a", "capsule_type": "model", "has_tests": True, "test_count": 0})
    fails(Capsule, {"urn": "u2", "name": "a", "capsule_type": "model", "has_tests": False, "test_count": 2})


def test_severity_and_status_values_are_checked():
    rule = Rule.objects.create(rule_id="R1", name="r", category="naming", scope="capsule", definition={})
    fails(
        Rule, {"rule_id": "R2", "name": "r", "category": "c", "scope": "capsule", "definition": {}, "severity": "bad"}
    )
    fails(Rule, {"rule_id": "R3", "name": "r", "category": "c", "scope": "planet", "definition": {}})
    fails(Violation, {"rule": rule, "severity": "urgent", "message": "m", "fingerprint": "f1"})
    fails(Violation, {"rule": rule, "severity": "error", "message": "m", "fingerprint": "f2", "status": "gone"})
    fails(IngestionJob, {"source_type": "dbt", "status": "paused"})


def test_a_domain_cannot_be_its_own_parent():
    domain = Domain.objects.create(name="sales")
    domain.parent = domain
    with pytest.raises(IntegrityError), transaction.atomic():
        domain.save()


def test_deleting_a_capsule_removes_its_columns_edges_and_violations():
    a, b = capsule("a"), capsule("b")
    col = Column.objects.create(urn=f"{a.urn}:x", capsule=a, name="x")
    CapsuleLineage.objects.create(source=a, target=b, source_urn=a.urn, target_urn=b.urn)
    rule = Rule.objects.create(rule_id="R1", name="r", category="naming", scope="capsule", definition={})
    Violation.objects.create(rule=rule, capsule=a, column=col, severity="error", message="m", fingerprint="f")
    a.delete()
    assert not Column.objects.exists() and not CapsuleLineage.objects.exists() and not Violation.objects.exists()
    assert Capsule.objects.get() == b


def test_seed_defaults_hold_in_the_database():
    job = IngestionJob.objects.create(source_type="dbt")
    job.refresh_from_db()
    assert job.status == "running" and job.stats == {} and job.started_at is not None
    a = capsule("a")
    a.refresh_from_db()
    assert (a.has_tests, a.test_count, a.doc_coverage, a.tags, a.meta) == (False, 0, 0.0, [], {})
