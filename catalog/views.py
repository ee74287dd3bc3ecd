"""Stewards' catalog pages. Thin: selectors fetch, templates render."""

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView, TemplateView

from catalog import selectors
from catalog.models import Capsule, Column, Domain, Owner


class CapsuleListView(ListView):
    template_name = "catalog/capsule_list.html"
    paginate_by = 50

    def get_queryset(self):
        return Capsule.objects.select_related("domain", "owner", "source_system").order_by("name", "urn")


class CapsuleDetailView(DetailView):
    template_name = "catalog/capsule_detail.html"
    context_object_name = "capsule"

    def get_object(self, queryset=None):
        return get_object_or_404(
            Capsule.objects.select_related("domain", "owner", "source_system"), urn=self.kwargs["urn"]
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["columns"] = self.object.columns.order_by("ordinal_position", "name")
        return context


class ColumnDetailView(DetailView):
    template_name = "catalog/column_detail.html"
    context_object_name = "column"

    def get_object(self, queryset=None):
        return get_object_or_404(Column.objects.select_related("capsule"), urn=self.kwargs["urn"])


class DomainListView(ListView):
    template_name = "catalog/domain_list.html"
    context_object_name = "domains"

    def get_queryset(self):
        return selectors.domain_list()


class DomainDetailView(DetailView):
    template_name = "catalog/domain_detail.html"
    context_object_name = "domain"

    def get_object(self, queryset=None):
        return get_object_or_404(Domain.objects.select_related("parent", "owner"), name=self.kwargs["name"])


class OwnerDetailView(DetailView):
    template_name = "catalog/owner_detail.html"
    context_object_name = "owner"
    model = Owner


class SearchView(TemplateView):
    template_name = "catalog/search.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.get("q", "").strip()
        context["search_query"] = query
        if query:
            context["capsules"] = Capsule.objects.filter(Q(name__icontains=query) | Q(urn__icontains=query))[:50]
        return context
