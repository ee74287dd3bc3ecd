"""The main pages a steward walks, built from whatever the sample project stored (shared by browser tests)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

STG = "urn:dab:dbt:model:acme_shop.stg_customers"


def main_pages() -> dict[str, str]:
    """{name: path} of the main pages, each pointing at a real object of the ingested sample."""
    from catalog.models import Capsule, Column, Domain, Owner
    from conformance.models import Rule, ScoreSnapshot, Violation
    from ingestion.models import IngestionJob

    capsule = Capsule.objects.get(urn=STG)
    pii_column = Column.objects.filter(capsule=capsule, pii_type__isnull=False).order_by("name").first()
    violation = Violation.objects.order_by("detected_at", "id").first()
    return {
        "dashboard": "/",
        "capsule list": "/capsules/",
        "capsule detail": capsule.get_absolute_url(),
        "column detail": pii_column.get_absolute_url(),
        "lineage": "/lineage/?" + urlencode({"urn": STG, "upstream": 2, "downstream": 2}),
        "impact": "/lineage/impact/?" + urlencode({"urn": STG}),
        "impact, nothing chosen": "/lineage/impact/",
        "pii inventory": "/pii/",
        "pii trace": reverse("pii:trace", kwargs={"urn": pii_column.urn}),
        "conformance": "/conformance/",
        "violations": "/conformance/violations/",
        "violation detail": violation.get_absolute_url(),
        "rules": "/conformance/rules/",
        "rule detail": Rule.objects.order_by("rule_id").first().get_absolute_url(),
        "evaluation": ScoreSnapshot.objects.order_by("-evaluated_at").first().get_absolute_url(),
        "search": "/search/?q=customer",
        "ingestion": "/ingestion/",
        "ingestion job": f"/ingestion/{IngestionJob.objects.order_by('-started_at').first().pk}/",
        "upload": "/ingestion/upload/",
        "domains": "/domains/",
        "domain detail": Domain.objects.order_by("name").first().get_absolute_url(),
        "owners": "/owners/",
        "owner detail": Owner.objects.order_by("name").first().get_absolute_url(),
    }
