"""FilterSets of the capsule and column lists: one class per list, used by the API and the HTML pages alike.

List-valued filters take comma-separated values (``?layer=staging,marts``). ``ordering`` takes field names,
``-`` for descending, comma-separated; rows with no value sort last either way.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import F, QuerySet
from django_filters import rest_framework as filters
from django_filters.constants import EMPTY_VALUES

from catalog.models import Capsule, Column
from catalog.querysets import capsules
from catalog.selectors import CAPSULE_FACETS, SEARCH_FACETS, column_search_scope
from dab_project.filters import StrictBooleanFilter

__all__ = ["CapsuleFilterSet", "ColumnFilterSet", "SearchScope", "search_scope"]


def sorts_everything(params) -> bool:
    """Whether a list with these query parameters is ordered by ``?ordering=`` or search rank: then every
    match is sorted rather than read off an index in order, and lists page through ids first."""
    return bool(params.get("ordering") or params.get("search"))


class CharInFilter(filters.BaseInFilter, filters.CharFilter):
    """One value or several, comma-separated."""


class OrderingFilter(filters.OrderingFilter):
    """Orders by the named fields with NULLs last in both directions, then by a unique key (stable pages)."""

    def __init__(self, *args, tiebreak: tuple[str, ...] = ("urn",), **kwargs):
        super().__init__(*args, **kwargs)
        self.tiebreak = tiebreak

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        ordering = []
        for param in value:
            field = F(self.param_map[param.lstrip("-")])
            ordering.append(field.desc(nulls_last=True) if param.startswith("-") else field.asc(nulls_last=True))
        return qs.order_by(*ordering, *self.tiebreak)


class CapsuleFilterSet(filters.FilterSet):
    """Filters of every capsule list (API lists, the capsule browser, domain and owner pages)."""

    search = filters.CharFilter(method="filter_search", label="Search", help_text="Name, URN, tag or description.")
    capsule_type = CharInFilter(field_name="capsule_type", label="Type")
    layer = CharInFilter(field_name="layer", label="Layer")
    domain = CharInFilter(field_name="domain__name", label="Domain", help_text="Domain name(s).")
    owner = filters.CharFilter(method="filter_owner", label="Owner", help_text="Owner id or name.")
    materialization = CharInFilter(field_name="materialization", label="Materialization")
    source = CharInFilter(field_name="source_system__name", label="Source", help_text="Source system (dbt project).")
    tag = filters.CharFilter(method="filter_tag", label="Tag")
    has_tests = StrictBooleanFilter(field_name="has_tests", label="Has tests")
    has_pii = StrictBooleanFilter(method="filter_has_pii", label="Has PII", help_text="A column holds PII.")
    ordering = OrderingFilter(
        fields=(
            ("name", "name"),
            ("capsule_type", "capsule_type"),
            ("layer", "layer"),
            ("domain__name", "domain"),
            ("owner__name", "owner"),
            ("materialization", "materialization"),
            ("source_system__name", "source"),
            ("test_count", "test_count"),
            ("doc_coverage", "doc_coverage"),
            ("updated_at", "updated_at"),
        ),
        label="Order by",
    )

    class Meta:
        model = Capsule
        fields: tuple[str, ...] = ()  # every filter is declared above

    # Facets the capsule browser counts; each is counted without its own filter (see facet_querysets).
    facets = tuple(CAPSULE_FACETS)

    def filter_search(self, queryset, name, value):
        # Best matches first unless ?ordering= asks otherwise (the ordering filter runs after this one).
        return queryset.ranked(value)

    def filter_owner(self, queryset, name, value):
        try:
            return queryset.filter(owner_id=uuid.UUID(value))
        except ValueError:
            return queryset.filter(owner__name__iexact=value)

    def filter_tag(self, queryset, name, value):
        return queryset.tagged(value.strip())

    def filter_has_pii(self, queryset, name, value):
        return queryset.with_pii(value)

    def facet_querysets(self) -> dict[str, object]:
        """Facet name -> the capsules it counts: every current filter except the facet's own, so each facet
        shows the values one could switch to. Facets not filtered on share this FilterSet's own queryset
        (one object, so they are counted in one scan); each filtered one gets a FilterSet without its filter.
        No queries until counted."""
        querysets = {}
        for facet in self.facets:
            if self.data.get(facet) in (None, ""):
                querysets[facet] = self.qs
                continue
            data = self.data.copy()
            data.pop(facet, None)
            querysets[facet] = type(self)(data, queryset=self.queryset, request=self.request).qs
        return querysets


class ColumnFilterSet(filters.FilterSet):
    """Filters of every column list (the API's column lists)."""

    search = filters.CharFilter(method="filter_search", label="Search", help_text="Name, URN, tag or description.")
    capsule = filters.CharFilter(field_name="capsule__urn", label="Capsule", help_text="The capsule's URN.")
    data_type = filters.CharFilter(field_name="data_type", lookup_expr="iexact", label="Data type")
    semantic_type = CharInFilter(field_name="semantic_type", label="Semantic type")
    pii = StrictBooleanFilter(method="filter_pii", label="PII", help_text="Holds PII no steward rejected.")
    pii_type = filters.CharFilter(method="filter_pii_type", label="PII type")
    layer = CharInFilter(field_name="capsule__layer", label="Layer")
    domain = CharInFilter(field_name="capsule__domain__name", label="Domain")
    capsule_type = CharInFilter(field_name="capsule__capsule_type", label="Capsule type")
    has_tests = StrictBooleanFilter(field_name="has_tests", label="Has tests")
    origin = CharInFilter(
        field_name="origin", label="Origin", help_text="catalog, manifest, sql (inferred from SQL), usage (inferred)."
    )
    ordering = OrderingFilter(
        fields=(
            ("name", "name"),
            ("capsule__name", "capsule"),
            ("ordinal_position", "position"),
            ("data_type", "data_type"),
            ("semantic_type", "semantic_type"),
            ("pii_type", "pii_type"),
            ("pii_confidence", "pii_confidence"),
        ),
        label="Order by",
    )

    class Meta:
        model = Column
        fields: tuple[str, ...] = ()

    # Filters on what stewards and re-classification change between ingestions: their counts are not cached.
    volatile = frozenset({"pii", "pii_type", "semantic_type"})

    def filter_search(self, queryset, name, value):
        return queryset.ranked(value)

    def filter_pii(self, queryset, name, value):
        return queryset.pii(value)

    def filter_pii_type(self, queryset, name, value):
        return queryset.of_pii_type(value.strip())


@dataclass(frozen=True)
class SearchScope:
    """The facet values chosen on a search (``selected``: facet -> value as given) and where the search then
    looks: the capsules they allow and the columns of those capsules (with their own PII and tests), or
    None when nothing is chosen. ``errors``: the capsule filters' messages for bad values, by parameter."""

    selected: dict[str, str]
    capsules: QuerySet | None
    columns: QuerySet | None
    errors: dict

    @property
    def is_filtered(self) -> bool:
        return bool(self.selected)


BOOLEAN_SPELLINGS = frozenset({"true", "false", "1", "0"})


def search_scope(params) -> SearchScope:
    """Read the search facets (``SEARCH_FACETS``: type, layer, domain, owner, materialization, has_pii,
    has_tests, tag) from query parameters with the capsule filters, so they mean on a search what they mean
    on the capsule list. No queries until the scopes are used."""
    selected = {facet: params.get(facet) for facet in SEARCH_FACETS if params.get(facet) not in (None, "")}
    if not selected:
        return SearchScope(selected={}, capsules=None, columns=None, errors={})
    # The list filters read an unknown yes/no as "either"; a facet link never sends one, so say it is wrong.
    errors = {
        facet: [f"{value!r} is not a yes/no value: use true or false."]
        for facet, value in selected.items()
        if facet in ("has_pii", "has_tests") and value.lower() not in BOOLEAN_SPELLINGS
    }
    filterset = CapsuleFilterSet(selected, queryset=capsules())
    if errors or not filterset.is_valid():
        return SearchScope(selected={}, capsules=None, columns=None, errors=errors or dict(filterset.errors))
    own = {"has_pii", "has_tests"}  # a column's own PII and tests, not its capsule's
    of_capsule = {k: v for k, v in selected.items() if k not in own}
    capsule_scope = CapsuleFilterSet(of_capsule, queryset=capsules()).qs.order_by() if of_capsule else None
    data = filterset.form.cleaned_data
    column_scope = column_search_scope(
        capsules=capsule_scope, has_pii=data.get("has_pii"), has_tests=data.get("has_tests")
    )
    return SearchScope(selected=selected, capsules=filterset.qs.order_by(), columns=column_scope, errors={})
