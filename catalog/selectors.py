"""Read use-cases of the catalog."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from catalog.models import Capsule, Column, Domain, Owner, SourceSystem


def owner_list() -> QuerySet[Owner]:
    """Owners with how many capsules each owns (one query)."""
    return Owner.objects.annotate(capsule_count=Count("capsules")).order_by("name")


def domain_list() -> QuerySet[Domain]:
    """Domains with parent and owner joined and their capsule counts (one query)."""
    return Domain.objects.select_related("parent", "owner").annotate(capsule_count=Count("capsules")).order_by("name")


def source_system_list() -> QuerySet[SourceSystem]:
    """Source systems (dbt projects) with their capsule counts (one query)."""
    return SourceSystem.objects.annotate(capsule_count=Count("capsules")).order_by("name")


def catalog_counts() -> dict[str, int]:
    """Row counts for the dashboard: five cheap COUNT(*) queries."""
    return {
        "capsules": Capsule.objects.count(),
        "columns": Column.objects.count(),
        "domains": Domain.objects.count(),
        "owners": Owner.objects.count(),
        "source_systems": SourceSystem.objects.count(),
    }
