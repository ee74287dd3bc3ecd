"""FilterSets shared by the API and the HTML pages."""

from __future__ import annotations

import django_filters as filters

from ingestion.models import CapsuleChange


class CapsuleChangeFilterSet(filters.FilterSet):
    """Filters of the change history (``GET /api/v1/changes``, the timeline page)."""

    since = filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte", label="Since",
                                      help_text="ISO date-time: changes at or after it.")  # fmt: skip
    until = filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt", label="Until")
    source_system = filters.CharFilter(field_name="source_system__name", label="Project",
                                       help_text="Source system (dbt project) name.")  # fmt: skip
    kind = filters.MultipleChoiceFilter(
        choices=[(k, k.replace("_", " ")) for k in (
            "capsule_added", "capsule_removed", "capsule_renamed", "capsule_changed", "column_added",
            "column_removed", "column_renamed", "column_type_changed", "test_added", "test_removed")],
        label="Kind",
    )  # fmt: skip
    urn = filters.CharFilter(field_name="urn", label="Capsule URN")

    class Meta:
        model = CapsuleChange
        fields = ("since", "until", "source_system", "kind", "urn")
