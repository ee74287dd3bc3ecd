"""FilterSets shared by the API and the HTML pages."""

from __future__ import annotations

import django_filters as filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

from ingestion.models import CapsuleChange


class _GivenDateTimeField(IsoDateTimeField):
    # ?since= with no value is a mistake to report, not a filter to drop silently
    def clean(self, value):
        if value == "":
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().clean(value)


class GivenIsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = _GivenDateTimeField


class CapsuleChangeFilterSet(filters.FilterSet):
    """Filters of the change history (``GET /api/v1/changes``, the timeline page)."""

    since = GivenIsoDateTimeFilter(field_name="at", lookup_expr="gte", label="Since",
                                      help_text="ISO date-time: changes at or after it.")  # fmt: skip
    until = GivenIsoDateTimeFilter(field_name="at", lookup_expr="lt", label="Until")
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
