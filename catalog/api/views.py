"""Catalog API: capsules and columns by URN, domains by name, owners by id, source systems, search.

Viewsets stay declarative: selectors build the querysets, the FilterSets (shared with the pages) filter
and order them, and each list keeps a fixed number of queries whatever the page size.
"""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.core.validators import ProhibitNullCharactersValidator, RegexValidator
from django.utils.functional import cached_property
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors
from catalog.api.serializers import (
    CapsuleDetailSerializer,
    CapsuleSerializer,
    CapsuleStatsSerializer,
    ColumnDetailSerializer,
    ColumnSerializer,
    DomainSerializer,
    OwnerSerializer,
    SearchResultSerializer,
    SourceSystemSerializer,
    SuggestionsSerializer,
)
from catalog.filters import CapsuleFilterSet, ColumnFilterSet, search_scope, sorts_everything
from catalog.models import Capsule, Column, Domain, Owner
from catalog.querysets import capsules
from catalog.search import RANK_LABELS
from dab_project.converters import NameConverter, UrnConverter

NOT_FILTERS = frozenset({"page", "page_size", "ordering", "format"})


class CountedPaginator(Paginator):
    """A paginator told its count instead of counting."""

    def __init__(self, object_list, per_page, *, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.__dict__["count"] = count  # Paginator.count is a cached_property


class _ListMixin:
    """Lists sorted by ``?ordering=`` or search rank page through ids, then fetch the page's rows whole:
    sorting thousands of narrow rows costs a fraction of sorting them whole with their joins (capsules by
    test count: 26 ms -> 12 ms). Pages of capsules get their column counts. Queries: count, the page (or
    the page's ids and their rows), the column counts.
    Nested lists (``/domains/{name}/capsules``) are filtered by the action's FilterSet, then paginated."""

    def paginate_queryset(self, queryset):
        if queryset.model not in (Capsule, Column):  # owners, domains: small tables, one query
            return super().paginate_queryset(queryset)
        if sorts_everything(self.request.query_params):
            ids = super().paginate_queryset(queryset.values_list("pk", flat=True))
            page = None if ids is None else selectors.rows_by_ids(queryset=queryset, ids=ids)
        else:  # the default order walks an index: the page's rows come straight off it
            page = super().paginate_queryset(queryset)
        if page is None:
            return None
        if queryset.model is Capsule:
            page = selectors.capsule_column_counts_attach(capsules=page)
        return page

    def _nested_list(self, queryset, serializer_class):
        page = self.paginate_queryset(self.filter_queryset(queryset))
        serializer = serializer_class(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)


class CapsuleViewSet(_ListMixin, viewsets.ReadOnlyModelViewSet):
    """Data assets (models, sources, seeds, snapshots, exposures, metrics, semantic models), by URN."""

    serializer_class = CapsuleSerializer
    filterset_class = CapsuleFilterSet
    # Ordering is part of the FilterSet (``?ordering=``), so the pages and the API order alike.
    filter_backends = (DjangoFilterBackend,)
    lookup_field = "urn"
    lookup_value_regex = UrnConverter.regex  # escaped: dab_project.converters

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.capsule_detail_queryset()
        if self.action == "columns":  # what the action lists (the schema generator asks)
            return selectors.column_list()
        return selectors.capsule_list()

    def get_serializer_class(self):
        return CapsuleDetailSerializer if self.action == "retrieve" else CapsuleSerializer

    @extend_schema(responses=ColumnSerializer(many=True), parameters=[OpenApiParameter("ordering", str)])
    @action(detail=True, filterset_class=ColumnFilterSet)
    def columns(self, request, urn=None):
        """The capsule's columns in warehouse order; the column filters apply."""
        capsule = get_object_or_404(capsules().only("pk"), urn=urn)
        queryset = selectors.column_list().filter(capsule=capsule).order_by("ordinal_position", "name")
        return self._nested_list(queryset, ColumnSerializer)

    @extend_schema(responses=CapsuleStatsSerializer)
    @action(detail=False)
    def stats(self, request):
        """Counts by type, layer, domain, owner, materialization and source; test and documentation
        coverage. The capsule filters apply."""
        stats = selectors.capsule_stats(queryset=self.filter_queryset(capsules()))
        return Response(CapsuleStatsSerializer(stats).data)


class ColumnViewSet(_ListMixin, viewsets.ReadOnlyModelViewSet):
    """Columns of every capsule, by URN."""

    serializer_class = ColumnSerializer
    filterset_class = ColumnFilterSet
    filter_backends = (DjangoFilterBackend,)
    lookup_field = "urn"
    lookup_value_regex = UrnConverter.regex  # escaped: dab_project.converters

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.column_detail_queryset()
        return selectors.column_list()

    def paginate_queryset(self, queryset):
        """As every list (``_ListMixin``), but the count is remembered per catalog version unless a filter
        on steward decisions is in use. Queries: catalog version, count (when not remembered), the page's
        ids, their rows."""
        params = {k: v for k, v in self.request.query_params.items() if k not in NOT_FILTERS}
        cacheable = not (ColumnFilterSet.volatile & params.keys())
        count = selectors.column_count(
            queryset=queryset, cache_key=urlencode(sorted(params.items())) if cacheable else None
        )
        self.paginator.django_paginator_class = functools.partial(CountedPaginator, count=count)
        return super().paginate_queryset(queryset)

    def get_serializer_class(self):
        return ColumnDetailSerializer if self.action == "retrieve" else ColumnSerializer


class OwnerViewSet(_ListMixin, viewsets.ReadOnlyModelViewSet):
    """Owners of data assets (teams or people), with how many capsules each owns and how well covered."""

    serializer_class = OwnerSerializer
    filterset_class = None  # the capsules action sets its own
    ordering_fields = ("name", "capsule_count")

    def get_queryset(self):
        return selectors.capsule_list() if self.action == "capsules" else selectors.owner_list()

    @extend_schema(responses=CapsuleSerializer(many=True), filters=True)
    @action(detail=True, filterset_class=CapsuleFilterSet, filter_backends=(DjangoFilterBackend,))
    def capsules(self, request, pk=None):
        """The owner's capsules; the capsule filters apply."""
        owner = get_object_or_404(Owner.objects.only("pk"), pk=pk)
        return self._nested_list(selectors.capsule_list().filter(owner=owner), CapsuleSerializer)


class DomainViewSet(_ListMixin, viewsets.ReadOnlyModelViewSet):
    """Business domains, addressed by name."""

    serializer_class = DomainSerializer
    lookup_field = "name"
    lookup_value_regex = NameConverter.regex  # escaped: dab_project.converters
    filterset_class = None  # the capsules action sets its own
    ordering_fields = ("name", "capsule_count")

    def get_queryset(self):
        return selectors.capsule_list() if self.action == "capsules" else selectors.domain_list()

    @extend_schema(responses=CapsuleSerializer(many=True), filters=True)
    @action(detail=True, filterset_class=CapsuleFilterSet, filter_backends=(DjangoFilterBackend,))
    def capsules(self, request, name=None):
        """The domain's capsules; the capsule filters apply."""
        domain = get_object_or_404(Domain.objects.only("pk"), name=name)
        return self._nested_list(selectors.capsule_list().filter(domain=domain), CapsuleSerializer)


class SourceSystemViewSet(viewsets.ReadOnlyModelViewSet):
    """Systems metadata is read from: one per dbt project."""

    serializer_class = SourceSystemSerializer
    ordering_fields = ("name",)

    def get_queryset(self):
        return selectors.source_system_list()


_NO_NUL = RegexValidator(r"^[^\x00]*$", "Null characters are not allowed.", code="null_characters_not_allowed")


class _Text(serializers.CharField):
    """A CharField whose refusal of a NUL character (DRF's, a 400) is a pattern, which the schema shows. A class,
    not a factory: a serializer deep-copies its fields by constructing them again."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        kept = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]
        self.validators = [*kept, _NO_NUL]


def _facet(what: str) -> serializers.CharField:
    """A search facet; empty means "any", as in the capsule filters."""
    return _Text(required=False, allow_blank=True, help_text=f"Facet: {what} (empty: any).")


class _QueryParamsSerializer(serializers.Serializer):
    """Query parameters validated with fields built and bound once per class: DRF deep-copies a serializer's
    declared fields on every instance (a tenth of a search's Django CPU). Sharing is safe because validating
    only reads a field; the fields are bound to a context-free instance, so subclasses must not read
    ``self.context`` or mutate a field per request."""

    @cached_property
    def fields(self):
        cls = type(self)
        shared = cls.__dict__.get("_shared_fields")
        if shared is None:
            # DRF's own fields, bound to a throwaway instance (not this request's), then kept on the class.
            shared = super(_QueryParamsSerializer, cls()).fields
            cls._shared_fields = shared
        return shared


class SearchQuerySerializer(_QueryParamsSerializer):
    q = _Text(allow_blank=True, max_length=200, trim_whitespace=True)
    kind = serializers.ChoiceField(choices=("all", "capsules", "columns"), default="all")
    limit = serializers.IntegerField(min_value=1, max_value=100, default=20)
    offset = serializers.IntegerField(min_value=0, max_value=10_000, default=0)
    facets = serializers.BooleanField(
        default=False, help_text="Also count the capsules per value of each facet for this query (`facets`)."
    )
    capsule_type = _facet("capsule type(s), comma-separated")
    layer = _facet("layer(s), comma-separated")
    domain = _facet("domain name(s), comma-separated")
    owner = _facet("owner id or name")
    materialization = _facet("materialization(s)")
    has_pii = serializers.BooleanField(required=False, help_text="Facet: capsules with PII; columns holding it.")
    has_tests = serializers.BooleanField(required=False, help_text="Facet: tested capsules; tested columns.")
    tag = _facet("a dbt tag of the capsule")


def _search_body(*, request, query: str, kind: str, limit: int, offset: int, facets: bool) -> dict:
    """The /search answer (see ``SearchView``)."""
    scope = search_scope(request.query_params)
    if scope.errors:
        raise serializers.ValidationError(scope.errors)
    body: dict = {"query": query}
    context = {"request": request}
    empty = selectors.SearchPage(results=[], count=0)
    if kind in ("all", "capsules"):
        page = empty
        if query:
            page = selectors.search_capsules(
                query=query, limit=limit, offset=offset, selected=scope.selected, within=scope.capsules, facets=facets
            )
        body["capsules"] = _section(page, CapsuleSerializer, context)
        if facets:
            counts = page.facets or {facet: [] for facet in selectors.SEARCH_FACETS}
            body["facets"] = {
                facet: [{"value": c.value, "count": c.count} for c in values] for facet, values in counts.items()
            }
    if kind in ("all", "columns"):
        page = empty
        if query:
            page = selectors.search_columns(query=query, limit=limit, offset=offset, within=scope.columns)
        body["columns"] = _section(page, ColumnSerializer, context)
    nothing = query and not any(body[k]["count"] for k in ("capsules", "columns") if k in body)
    body["did_you_mean"] = selectors.search_did_you_mean(query=query) if nothing and offset == 0 else []
    return body


def _section(page, serializer_class, context) -> dict:
    results = serializer_class(page.results, many=True, context=context).data
    for item, row in zip(results, page.results, strict=True):
        item["match"] = RANK_LABELS[row.search_rank]
        item["match_reason"] = row.search_reason
    return {"count": page.count, "count_exact": page.exact, "results": results}


class SearchView(APIView):
    """Capsules and columns by name, URN, tag and description, best match first, with facet counts.

    Ranking: exact name (or URN, or the name spelled with other separators), then name prefix, then other
    name/URN/tag matches, then description matches, then capsule names close to the query (typos); each
    result says its tier (``match``) and why (``match_reason``). The facet parameters narrow the results as
    the capsule filters do (columns: by their capsule, and by their own PII and tests); ``facets=true``
    also counts the capsules per value. ``did_you_mean`` lists the closest names when nothing matched."""

    @extend_schema(parameters=[SearchQuerySerializer], responses=SearchResultSerializer)
    def get(self, request):
        params = SearchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        return Response(
            _search_body(
                request=request, query=data["q"], kind=data["kind"], limit=data["limit"], offset=data["offset"],
                facets=data["facets"],
            )
        )  # fmt: skip


class SuggestQuerySerializer(_QueryParamsSerializer):
    q = _Text(allow_blank=True, max_length=200, trim_whitespace=True)
    limit = serializers.IntegerField(min_value=1, max_value=20, default=8)


class SuggestView(APIView):
    """What the header search box offers while typing: the best capsules, then columns, for the first
    two characters on (capsules first; each with its type, layer, URN and page), and the search page's URL."""

    @extend_schema(parameters=[SuggestQuerySerializer], responses=SuggestionsSerializer)
    def get(self, request):
        params = SuggestQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return Response(
            selectors.search_suggest_payload(query=params.validated_data["q"], limit=params.validated_data["limit"])
        )
