"""The inventory's filters, written once: the PII page, the API (``/compliance/pii-inventory``) and the CLI
(``dab pii inventory``) all validate and apply them through ``PiiInventoryFilterSet``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.db.models import Q
from django_filters import rest_framework as filters

from catalog.choices import Layer
from catalog.models import Column
from dab_project.filters import StrictBooleanFilter
from pii.services import pii_config

__all__ = ["DETECTED_BY", "PiiInventoryFilterSet"]

# The signals a column can be detected by, in the order the page offers them.
DETECTED_BY = ("steward", "meta", "tag", "lineage", "name", "description", "type")  # type: inet, macaddr
NONE = "-"  # layer, domain or owner: none set
MASKING = (("", "any"), ("false", "unmasked"), ("true", "masked"))


def _none_or(field: str):
    """A filter method: rows whose ``field`` is empty for "-", else equal to the value."""

    def method(queryset, name, value):
        if value == NONE:
            return queryset.filter(**{f"{field}__isnull": True})
        return queryset.filter(**{field: value})

    return method


class PiiInventoryFilterSet(filters.FilterSet):
    """Which PII columns an inventory shows; empty values do not filter. ``domain``/``owner`` are names and
    ``layer`` a layer, each ``"-"`` for none. A bad value (an unknown PII type or signal, ``masked=maybe``) is
    an error naming the field, never a silent empty answer."""

    pii_type = filters.ChoiceFilter(label="PII type", empty_label="any type")
    layer = filters.CharFilter(method=_none_or("capsule__layer"), label="Layer")
    domain = filters.CharFilter(method=_none_or("capsule__domain__name"), label="Domain",
                                help_text='domain name; "-" for none')
    owner = filters.CharFilter(method=_none_or("capsule__owner__name"), label="Owner",
                               help_text='owner name; "-" for none')
    masked = StrictBooleanFilter(field_name="pii_masked", label="Masking", widget=forms.Select(choices=MASKING))
    detected_by = filters.ChoiceFilter(field_name="pii_detected_by", label="Detected by", empty_label="any signal",
                                       choices=[(s, s) for s in DETECTED_BY])
    source_system = filters.CharFilter(field_name="capsule__source_system__name", label="dbt project",
                                       help_text="dbt project name")
    q = filters.CharFilter(method="filter_q", label="Name contains", max_length=200,
                           help_text="column or capsule name contains")

    class Meta:
        model = Column
        fields = ()

    def __init__(self, data: Mapping[str, Any] | None = None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.filters["pii_type"].extra["choices"] = sorted(
            ((key, t.label) for key, t in pii_config().types.items()), key=lambda c: c[1])

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(capsule__name__icontains=value)) if value else queryset

    @property
    def pii_type_value(self) -> str | None:
        """The validated PII type, if one was asked for (the exposure list narrows to it too)."""
        return (self.form.cleaned_data.get("pii_type") or None) if self.is_valid() else None

    def with_page_choices(self, *, domains: list[str], owners: list[str]) -> PiiInventoryFilterSet:
        """The page shows domain, owner and layer as pick lists (the API and CLI take any name)."""
        form = self.form
        form.fields["layer"].widget = forms.Select(choices=[("", "any layer"), *Layer.choices, (NONE, "unknown")])
        form.fields["domain"].widget = forms.Select(choices=[("", "any domain"), *((n, n) for n in domains),
                                                             (NONE, "none")])
        form.fields["owner"].widget = forms.Select(choices=[("", "any owner"), *((n, n) for n in owners),
                                                            (NONE, "none")])
        del form.fields["source_system"]
        return self
