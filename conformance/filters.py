"""FilterSets of the violation and rule lists, used by the API and the HTML pages alike.

List-valued filters take comma-separated values (``?severity=critical,error``); ``status=active`` means open,
acknowledged or waived.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field

from conformance.choices import ACTIVE_STATUSES, RuleStatus, Severity, ViolationStatus
from conformance.models import Rule, ScoreSnapshot, Violation
from dab_project.filters import UUID_OR_EMPTY, StrictBooleanFilter

__all__ = ["RuleFilterSet", "ViolationFilterSet"]


class CharInFilter(filters.BaseInFilter, filters.CharFilter):
    """One value or several, comma-separated."""


class ViolationFilterSet(filters.FilterSet):
    """Filters of every violation list (API, the violations page, a capsule's panel)."""

    severity = CharInFilter(field_name="severity", label="Severity", help_text=", ".join(Severity.values))
    status = filters.CharFilter(
        method="filter_status",
        label="Status",
        help_text="open, acknowledged, waived, resolved (comma-separated), or active (all but resolved).",
    )
    rule = CharInFilter(field_name="rule__rule_id", label="Rule", help_text="Rule id(s).")
    rule_set = CharInFilter(field_name="rule__rule_set", label="Rule set")
    category = CharInFilter(field_name="rule__category", label="Category")
    layer = CharInFilter(field_name="capsule__layer", label="Layer")
    domain = CharInFilter(field_name="capsule__domain__name", label="Domain", help_text="Domain name(s).")
    owner = CharInFilter(field_name="capsule__owner__name", label="Owner", help_text="Owner name(s).")
    capsule = filters.CharFilter(
        method="filter_capsule", label="Capsule", help_text="A capsule URN, or part of a capsule name."
    )
    search = filters.CharFilter(method="filter_search", label="Search", help_text="Words of the message.")
    new_in = filters.UUIDFilter(
        method="filter_new_in", label="New in evaluation", help_text="Violations first found (or found again) then."
    )

    class Meta:
        model = Violation
        fields = ()

    def filter_status(self, queryset: QuerySet[Violation], name: str, value: str) -> QuerySet[Violation]:
        wanted = {part.strip() for part in value.split(",") if part.strip()}
        if "active" in wanted:
            wanted = (wanted - {"active"}) | set(ACTIVE_STATUSES)
        return queryset.filter(status__in=wanted & set(ViolationStatus.values))

    def filter_capsule(self, queryset: QuerySet[Violation], name: str, value: str) -> QuerySet[Violation]:
        value = value.strip()
        if value.startswith("urn:"):
            return queryset.filter(capsule__urn=value)
        return queryset.filter(capsule__name__icontains=value)

    def filter_search(self, queryset: QuerySet[Violation], name: str, value: str) -> QuerySet[Violation]:
        for word in value.split():
            queryset = queryset.filter(Q(message__icontains=word) | Q(rule__rule_id__iexact=word))
        return queryset

    # The schema says what the filter reads: an evaluation's id, or nothing (any), as the pages send it.
    @extend_schema_field({"type": "string", "pattern": UUID_OR_EMPTY})
    def filter_new_in(self, queryset: QuerySet[Violation], name: str, value) -> QuerySet[Violation]:
        at = ScoreSnapshot.objects.filter(pk=value).values_list("evaluated_at", flat=True).first()
        return queryset.filter(failing_since=at) if at is not None else queryset.none()


class RuleFilterSet(filters.FilterSet):
    """Filters of the rule lists."""

    rule_set = CharInFilter(field_name="rule_set", label="Rule set")
    category = CharInFilter(field_name="category", label="Category")
    severity = CharInFilter(field_name="severity", label="Severity")
    enabled = StrictBooleanFilter(field_name="enabled", label="Enabled")
    last_status = CharInFilter(field_name="last_status", label="Latest outcome", help_text=", ".join(RuleStatus.values))
    search = filters.CharFilter(method="filter_search", label="Search")

    class Meta:
        model = Rule
        fields = ()

    def filter_search(self, queryset: QuerySet[Rule], name: str, value: str) -> QuerySet[Rule]:
        for word in value.split():
            queryset = queryset.filter(
                Q(rule_id__icontains=word) | Q(name__icontains=word) | Q(description__icontains=word)
            )
        return queryset
