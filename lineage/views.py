"""Lineage pages: the explorer, the impact report, and the JSON the graph script draws.

The page-side JSON views follow page authentication (a login, or ALLOW_ANONYMOUS_READ for GET), so
the drawings work for everyone who may see the page, API key or not.
"""

from __future__ import annotations

import csv

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views import View
from django.views.generic import TemplateView

from catalog.models import Capsule, Column
from lineage import selectors
from lineage.forms import GraphForm, ImpactForm


def _graph_or_404(form: GraphForm) -> dict:
    data = form.cleaned_data
    try:
        return selectors.lineage_graph(
            urn=data["urn"],
            upstream=data["upstream"],
            downstream=data["downstream"],
            level=data["level"],
            max_nodes=data.get("max_nodes") or selectors.GRAPH_MAX_NODES,
        )
    except Capsule.DoesNotExist as exc:
        raise Http404(str(exc)) from None


class ExplorerView(TemplateView):
    """Pick a capsule (search box), then explore its lineage graph; the first drawing is in the page."""

    template_name = "lineage/explorer.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        if params:
            # A link may name only the URN: show the hops and level it is drawn with, and the capsule picked.
            for name in ("upstream", "downstream"):
                if not params.get(name):
                    params[name] = "2"
        form = GraphForm(params or None)
        context["form"] = form
        if not form.is_bound or not form.is_valid():
            return context
        data = form.cleaned_data
        query = data["q"].strip()
        if query:
            # A URN typed or picked from the suggestions, or the exact name of one capsule, is drawn at once;
            # anything else is searched.
            exact = None
            if query.startswith("urn:") and (
                Capsule.objects.filter(urn=query).exists() or Column.objects.filter(urn=query).exists()
            ):
                exact = query
            else:
                named = list(Capsule.objects.filter(name__iexact=query).values_list("urn", flat=True)[:2])
                exact = named[0] if len(named) == 1 else None
            if exact:
                data["urn"] = exact
            else:
                context["results"] = selectors.lineage_capsule_search(query=query)
                return context
        if data["urn"]:
            context["graph"] = _graph_or_404(form)
            params.setdefault("q", data["urn"])  # the search box shows what is drawn
            context["focus"] = (
                Capsule.objects.filter(urn=context["graph"]["root_capsule"])
                .only("urn", "name", "capsule_type", "layer", "lineage_status", "lineage_error")
                .first()
            )
        return context


class GraphJsonView(View):
    """``/lineage/graph.json?urn=&upstream=&downstream=&level=``: what the graph script fetches to expand."""

    def get(self, request):
        form = GraphForm(request.GET)
        if not form.is_valid() or not form.cleaned_data["urn"]:
            return JsonResponse({"error": {"code": "bad_request", "message": "give a urn", "details": form.errors}},
                                status=400)  # fmt: skip
        return JsonResponse(_graph_or_404(form))


class SearchJsonView(View):
    """``/lineage/search.json?q=``: capsules for the explorer's search box suggestions."""

    def get(self, request):
        query = request.GET.get("q", "")
        return JsonResponse(
            {
                "results": [
                    {"urn": c.urn, "name": c.name, "type": c.capsule_type, "layer": c.layer}
                    for c in selectors.lineage_capsule_search(query=query, limit=15)
                ]
            }
        )


class ImpactView(TemplateView):
    """Everything downstream of a capsule or column, grouped; ``?format=csv|json`` downloads it."""

    template_name = "lineage/impact.html"

    def get(self, request, *args, **kwargs):
        form = ImpactForm(request.GET)
        if "urn" not in request.GET:  # the entry page: choose what to analyse
            return render(request, "lineage/impact_start.html", {"form": ImpactForm()})
        if not form.is_valid():
            return render(request, "lineage/impact_start.html", {"form": form}, status=400)
        data = form.cleaned_data
        depth = selectors.depth_resolve(requested=data.get("depth"))
        capsule = Capsule.objects.filter(urn=data["urn"]).only("id", "urn", "name").first()
        if capsule is not None:
            impact = selectors.impact_analyse(capsule=capsule, depth=depth)
        else:
            column = get_object_or_404(Column.objects.select_related("capsule"), urn=data["urn"])
            impact = selectors.impact_analyse(column=column, depth=depth)
        name = impact.root.rsplit(":", 1)[-1].replace('"', "")
        if data.get("format") == "csv":
            response = HttpResponse(content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="impact-{name}.csv"'
            csv.writer(response).writerows(impact.csv_rows())
            return response
        if data.get("format") == "json":
            response = JsonResponse(impact.as_dict())
            response["Content-Disposition"] = f'attachment; filename="impact-{name}.json"'
            return response
        context = self.get_context_data(impact=impact, summary=impact.as_dict())
        return self.render_to_response(context)
