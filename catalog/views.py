"""Catalog pages: the capsule browser, capsule and column pages, domains, owners and search.

Thin: selectors fetch, the FilterSets shared with the API filter and order, templates render. Every page
runs a fixed number of queries whatever its page size.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from catalog import selectors
from catalog.filters import CapsuleFilterSet, search_scope, sorts_everything
from catalog.models import Capsule, Column, Domain, Owner
from catalog.panels import capsule_panels, column_panels

DEFAULT_PAGE_SIZE = 50
_page_size_field = forms.IntegerField(min_value=1, max_value=200, required=False)

FACET_LABELS = {
    "capsule_type": ("Type", "All types"),
    "layer": ("Layer", "All layers"),
    "domain": ("Domain", "All domains"),
    "owner": ("Owner", "All owners"),
    "materialization": ("Materialization", "Any materialization"),
    "source": ("Source", "All sources"),
    "has_tests": ("Tests", "With or without tests"),
}
BOOLEAN_LABELS = {"has_tests": {"true": "With tests", "false": "Without tests"}}


@dataclass(frozen=True)
class FacetOption:
    value: str
    label: str
    count: int | None
    selected: bool


@dataclass(frozen=True)
class Facet:
    """One select of the filter bar: its parameter, label, and values with their counts."""

    name: str
    label: str
    empty_label: str
    options: list[FacetOption]


# The selects of the compact filter on domain and owner pages (the same choices as the capsule browser's).
SCOPED_FACETS = ("capsule_type", "layer")


def _facets(filterset: CapsuleFilterSet, names: tuple[str, ...] | None = None) -> list[Facet]:
    """The filter bar's selects with counts under every other current filter (one query); ``names`` picks some."""
    counts = selectors.capsule_facet_counts(querysets=filterset.facet_querysets())
    facets = []
    for name in filterset.facets:
        if names is not None and name not in names:
            continue
        current = filterset.data.get(name, "")
        labels = BOOLEAN_LABELS.get(name, {})
        options = [
            FacetOption(value=c.value, label=labels.get(c.value, c.value), count=c.count, selected=c.value == current)
            for c in counts[name]
            if c.value is not None
        ]
        if current and not any(o.selected for o in options):
            # A value that matches nothing under the other filters (or a list) stays visible and selected.
            options.insert(0, FacetOption(value=current, label=labels.get(current, current), count=0, selected=True))
        label, empty_label = FACET_LABELS[name]
        facets.append(Facet(name=name, label=label, empty_label=empty_label, options=options))
    return facets


class _CapsuleTableMixin:
    """A paginated, filterable, sortable capsule table over ``base_queryset()`` (browser, domain, owner)."""

    paginate_by = DEFAULT_PAGE_SIZE
    context_object_name = "capsules"

    def base_queryset(self):
        return selectors.capsule_list()

    def get_paginate_by(self, queryset) -> int:
        try:
            return _page_size_field.clean(self.request.GET.get("page_size")) or DEFAULT_PAGE_SIZE
        except ValidationError:
            return DEFAULT_PAGE_SIZE

    def get_queryset(self):
        self.filterset = CapsuleFilterSet(self.request.GET, queryset=self.base_queryset(), request=self.request)
        return self.filterset.qs

    def paginate_queryset(self, queryset, page_size):
        """The page's rows with their column counts. Sorted by a header or by search rank, page through
        ids and fetch the page's rows whole (see the API's ``_ListMixin``: sorting narrow rows is cheaper)."""
        if sorts_everything(self.request.GET):
            paginator, page, ids, is_paginated = super().paginate_queryset(
                queryset.values_list("pk", flat=True), page_size
            )
            rows = selectors.rows_by_ids(queryset=queryset, ids=ids)
        else:
            paginator, page, rows, is_paginated = super().paginate_queryset(queryset, page_size)
        page.object_list = selectors.capsule_column_counts_attach(capsules=rows)
        return paginator, page, page.object_list, is_paginated

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        context["filterset"] = self.filterset
        context["query_without_page"] = params.urlencode()
        context["filter_errors"] = self.filterset.errors
        return context


class CapsuleListView(_CapsuleTableMixin, ListView):
    """The capsule browser: filter bar with counts per facet, sortable table; the URL holds the state."""

    template_name = "catalog/capsule_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["facets"] = _facets(self.filterset)
        context["is_filtered"] = any(
            v for k, v in self.request.GET.items() if k in self.filterset.filters and k != "ordering"
        )
        return context


class CapsuleDetailView(DetailView):
    """Everything about one capsule: header, description, columns, tests, neighbours, meta, raw JSON."""

    template_name = "catalog/capsule_detail.html"
    context_object_name = "capsule"

    def get_object(self, queryset=None):
        try:
            return selectors.capsule_get(urn=self.kwargs["urn"])
        except Capsule.DoesNotExist:
            raise Http404("No capsule has this URN.") from None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        capsule = self.object
        context["columns"] = list(selectors.capsule_columns(capsule=capsule))
        context["upstream"] = selectors.capsule_upstream(capsule=capsule)
        context["downstream"] = selectors.capsule_downstream(capsule=capsule)
        context["capsule_panels"] = capsule_panels(capsule=capsule)
        return context


class ColumnDetailView(DetailView):
    """One column: type, description, tests, and the panels other apps register (catalog.panels)."""

    template_name = "catalog/column_detail.html"
    context_object_name = "column"

    def get_object(self, queryset=None):
        try:
            return selectors.column_get(urn=self.kwargs["urn"])
        except Column.DoesNotExist:
            raise Http404("No column has this URN.") from None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        column = self.object
        context["column_tests"] = [t for t in column.capsule.tests if t.get("column") == column.name]
        context["column_panels"] = column_panels()
        return context


class DomainListView(ListView):
    """Domains with how many capsules each holds and how well they are tested and documented."""

    template_name = "catalog/domain_list.html"
    context_object_name = "domains"

    def get_queryset(self):
        return selectors.domain_list()


class DomainDetailView(_CapsuleTableMixin, ListView):
    """One domain: its owner, parent and children, coverage, and its capsules (filterable table)."""

    template_name = "catalog/domain_detail.html"

    def dispatch(self, request, *args, **kwargs):
        try:
            self.domain = selectors.domain_get(name=kwargs["name"])
        except Domain.DoesNotExist:
            raise Http404("No domain has this name.") from None
        return super().dispatch(request, *args, **kwargs)

    def base_queryset(self):
        return selectors.capsule_list().filter(domain=self.domain)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["domain"] = self.domain
        context["facets"] = _facets(self.filterset, names=SCOPED_FACETS)
        context["children"] = list(self.domain.children.order_by("name"))
        return context


class OwnerListView(ListView):
    """Owners with their capsule counts and coverage."""

    template_name = "catalog/owner_list.html"
    context_object_name = "owners"

    def get_queryset(self):
        return selectors.owner_list()


class OwnerDetailView(_CapsuleTableMixin, ListView):
    """One owner: contact, domains owned, coverage, and the capsules they own (filterable table)."""

    template_name = "catalog/owner_detail.html"

    def dispatch(self, request, *args, **kwargs):
        try:
            self.owner = selectors.owner_get(pk=kwargs["pk"])
        except Owner.DoesNotExist:
            raise Http404("No owner has this id.") from None
        return super().dispatch(request, *args, **kwargs)

    def base_queryset(self):
        return selectors.capsule_list().filter(owner=self.owner)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["owner"] = self.owner
        context["facets"] = _facets(self.filterset, names=SCOPED_FACETS)
        context["owned_domains"] = list(self.owner.domains.order_by("name"))
        return context


SEARCH_FACET_LABELS = {
    "capsule_type": "Type",
    "layer": "Layer",
    "domain": "Domain",
    "owner": "Owner",
    "materialization": "Materialization",
    "has_pii": "PII",
    "has_tests": "Tests",
    "tag": "Tag",
}
SEARCH_BOOLEAN_LABELS = {
    "has_pii": {"true": "Holds PII", "false": "No PII"},
    "has_tests": {"true": "With tests", "false": "Without tests"},
}


@dataclass(frozen=True)
class SearchFacetOption:
    label: str
    count: int
    selected: bool
    url: str  # the search with this value chosen, or (when chosen) without it


def _search_facets(request, counts: dict[str, list[selectors.FacetCount]], selected: dict[str, str]) -> list:
    """The results page's facet lists: each value a link that chooses it (or, chosen, drops it); the URL keeps
    the query, the tab and the other facets, so it can be shared."""
    facets = []
    for name, label in SEARCH_FACET_LABELS.items():
        current = selected.get(name, "")
        labels = SEARCH_BOOLEAN_LABELS.get(name, {})
        options = []
        for count in counts.get(name, []):
            chosen = count.value.lower() == current.lower()
            params = request.GET.copy()
            params.pop("page", None)
            if chosen:
                params.pop(name, None)
            else:
                params[name] = count.value
            options.append(
                SearchFacetOption(
                    label=labels.get(count.value, count.value), count=count.count, selected=chosen,
                    url=f"?{params.urlencode()}",
                )
            )  # fmt: skip
        if current and not any(o.selected for o in options):
            params = request.GET.copy()
            params.pop("page", None)
            params.pop(name, None)
            options.insert(0, SearchFacetOption(labels.get(current, current), 0, True, f"?{params.urlencode()}"))
        if options:
            facets.append((name, label, options))
    return facets


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, strip=True)
    kind = forms.ChoiceField(choices=(("all", "All"), ("capsules", "Capsules"), ("columns", "Columns")), required=False)
    page = forms.IntegerField(min_value=1, max_value=500, required=False)


class SearchView(TemplateView):
    """Header search: capsules and columns ranked together on one page, or one kind paginated, with the
    capsule facets of the query (type, layer, domain, owner, materialization, PII, tests, tags) and, when
    nothing matches, the closest names."""

    template_name = "catalog/search.html"
    preview_size = 10  # per kind on the "All" tab
    page_size = 50  # on a kind's own tab

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = SearchForm(self.request.GET)
        form.is_valid()
        query = form.cleaned_data.get("q") or ""
        kind = form.cleaned_data.get("kind") or "all"
        page = form.cleaned_data.get("page") or 1
        first_index = 1 if kind == "all" else (page - 1) * self.page_size + 1
        scope = search_scope(self.request.GET)
        context.update(search_query=query, kind=kind, page=page, first_index=first_index, facet_errors=scope.errors)
        if not query:
            return context
        size = self.preview_size if kind == "all" else self.page_size
        offset = 0 if kind == "all" else (page - 1) * self.page_size
        # The capsules are always searched: their candidates carry the facet counts, even on the columns tab.
        context["capsules"] = selectors.search_capsules(
            query=query, limit=size if kind != "columns" else 0, offset=offset, selected=scope.selected,
            within=scope.capsules, facets=True,
        )  # fmt: skip
        if kind == "capsules":
            count, exact = selectors.search_count(query=query, kind="columns", within=scope.columns)
            context["columns"] = selectors.SearchPage(results=[], count=count, exact=exact)
        else:
            context["columns"] = selectors.search_columns(query=query, limit=size, offset=offset, within=scope.columns)
        if kind != "all":
            context["last_page"] = max(1, -(-context[kind].count // self.page_size))
        context["facets"] = _search_facets(self.request, context["capsules"].facets, scope.selected)
        context["is_filtered"] = scope.is_filtered
        if not context["capsules"].count and not context["columns"].count and not scope.is_filtered:
            context["did_you_mean"] = selectors.search_did_you_mean(query=query)
        return context


class SearchSuggestView(View):
    """The header box's typeahead, for the pages (their login rules, not an API key): JSON as
    ``/api/v1/search/suggest`` answers it."""

    def get(self, request):
        form = forms.CharField(required=False, max_length=200, strip=True)
        try:
            query = form.clean(request.GET.get("q", ""))
        except ValidationError as error:
            return JsonResponse({"error": {"code": "bad_request", "message": " ".join(error.messages)}}, status=400)
        return JsonResponse(selectors.search_suggest_payload(query=query, limit=8))
