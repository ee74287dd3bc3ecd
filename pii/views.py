"""The PII pages: inventory with filters and counts, exposure list, a column's trace drawn as a flow, and the
stewards' confirm/reject action (the controls live in the column page's PII panel, templates/pii/_review.html).

Thin: pii.selectors fetch, pii.services record decisions, templates render.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import ListView, TemplateView

from catalog.choices import PiiDecision
from catalog.models import Column, Domain, Owner
from pii.filters import PiiInventoryFilterSet
from pii.selectors import PiiTrace, pii_exposure, pii_inventory_columns, pii_inventory_summary
from pii.selectors import pii_trace as trace_select
from pii.services import column_pii_decide, pii_config

# The PII page lists this many exposed columns; the rest are a CSV download away.
EXPOSED_SHOWN = 50


class PiiInventoryView(ListView):
    """/pii/: the inventory (filtered, 50 a page), counts by type/layer/domain/owner, and the exposure list."""

    template_name = "pii/pii.html"
    context_object_name = "columns"
    paginate_by = 50

    def get_queryset(self):
        filters = PiiInventoryFilterSet(self.request.GET or None).with_page_choices(
            domains=list(Domain.objects.values_list("name", flat=True).order_by("name")),
            owners=list(Owner.objects.values_list("name", flat=True).order_by("name")))
        self.form = filters.form
        # Bad values are shown on the form (with the field named); the page then lists everything.
        self.filters = filters if filters.is_valid() else None
        self.summary = pii_inventory_summary(filters=self.filters)
        return pii_inventory_columns(filters=self.filters)

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        paginator = super().get_paginator(queryset, per_page, orphans, allow_empty_first_page, **kwargs)
        paginator.count = self.summary["total"]  # the summary counted them already: no second COUNT(*)
        return paginator

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        config = pii_config()
        summary = self.summary
        pii_type = self.filters.pii_type_value if self.filters else None
        exposure = pii_exposure(config=config, pii_type=pii_type)
        exposed = exposure.items(exposure.columns[:EXPOSED_SHOWN])
        query = {k: v for k, v in self.request.GET.items() if k != "page" and v}
        context.update(
            form=self.form,
            summary=summary,
            groups=[(title, key, _with_share(summary["groups"][key])) for title, key in (
                ("By type", "pii_type"), ("By layer", "layer"), ("By domain", "domain"), ("By owner", "owner"))],
            exposed=exposed,
            exposed_count=len(exposed) if len(exposed) < EXPOSED_SHOWN else exposure.columns.count(),
            exposure_names=[e["name"] for e in exposure.exposures_reached()],
            risks={key: t.risk for key, t in config.types.items()},
            query=urlencode(query),
            filtered=bool(query),
            csv_query=urlencode({**query, "format": "csv"}),
            exposure_csv_query=urlencode({"format": "csv", **({"pii_type": pii_type} if pii_type else {})}),
        )  # fmt: skip
        return context


def _with_share(items: list[dict]) -> list[dict]:
    """Each group row with its share of the largest, for the bar behind the count."""
    top = max((i["count"] for i in items), default=0) or 1
    rows = [{**i, "share": round(100 * i["count"] / top)} for i in items]
    return [{**row, "share_x": 100 - row["share"]} for row in rows]  # the bar grows from the right


@dataclass(frozen=True, slots=True)
class FlowNode:
    urn: str
    label: str
    sublabel: str
    x: int
    y: int
    kind: str  # pii | masked | plain | focus | exposure
    url: str
    title: str


@dataclass(frozen=True, slots=True)
class FlowEdge:
    path: str
    label: str
    kind: str  # carries | masks | plain
    lx: int
    ly: int


NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 210, 44, 70, 18, 16


def flow_layout(trace: PiiTrace) -> dict[str, Any]:
    """Place the trace's columns on a grid (upstream left, the column in the middle, consumers right,
    exposures last) and route each hop as a curve; returns what pii_flow.html draws. Pure."""
    level: dict[str, int] = {trace.column.urn: 0}
    for hop in sorted(trace.upstream, key=lambda h: h.depth):
        level.setdefault(hop.source, -hop.depth)
    for hop in sorted(trace.downstream, key=lambda h: h.depth):
        level.setdefault(hop.target, hop.depth)
    deepest = max(level.values(), default=0)
    for exposure in trace.exposures:
        level.setdefault(exposure["urn"], deepest + 1)
    low = min(level.values())
    by_level: dict[int, list[str]] = {}
    for urn, lv in sorted(level.items(), key=lambda item: (item[1], item[0])):
        by_level.setdefault(lv, []).append(urn)
    rows = max(len(v) for v in by_level.values())
    height = PAD * 2 + rows * NODE_H + (rows - 1) * GAP_Y
    nodes: dict[str, FlowNode] = {}
    exposure_by_urn = {e["urn"]: e for e in trace.exposures}
    for lv, urns in by_level.items():
        x = PAD + (lv - low) * (NODE_W + GAP_X)
        top = (height - (len(urns) * NODE_H + (len(urns) - 1) * GAP_Y)) // 2
        for i, urn in enumerate(urns):
            y = top + i * (NODE_H + GAP_Y)
            if urn in exposure_by_urn:
                e = exposure_by_urn[urn]
                nodes[urn] = FlowNode(urn, e["name"], e["type"], x, y, "exposure",
                                      reverse("catalog:capsule_detail", kwargs={"urn": urn}),
                                      f"{e['type']} {e['name']} reads {e['via']}")
                continue
            c = trace.columns[urn]
            kind = "focus" if urn == trace.column.urn else (
                "masked" if c.is_pii and c.masked else "pii" if c.is_pii else "plain")
            status = (f"{c.pii_type}{' (masked)' if c.masked else ''}" if c.is_pii else "not PII")
            nodes[urn] = FlowNode(urn, c.label, f"{c.layer or c.capsule_type} · {status}", x, y,
                                  kind, c.url, urn)
    edges = []
    for hop in [*trace.upstream, *trace.downstream]:
        a, b = nodes.get(hop.source), nodes.get(hop.target)
        if a is None or b is None:
            continue
        edges.append(_curve(a, b, hop.transformation, "carries" if hop.carries else "masks" if hop.masks else "plain"))
    for exposure in trace.exposures:
        b = nodes[exposure["urn"]]
        for urn, c in trace.columns.items():
            if c.capsule_urn == exposure["via"] and urn in nodes and level.get(urn, -1) >= 0:
                edges.append(_curve(nodes[urn], b, "exposed", "carries" if c.is_pii and not c.masked else "plain"))
    width = PAD * 2 + (max(level.values()) - low + 1) * (NODE_W + GAP_X) - GAP_X
    return {"nodes": list(nodes.values()), "edges": edges, "width": width, "height": height,
            "node_w": NODE_W, "node_h": NODE_H}


def _curve(a: FlowNode, b: FlowNode, label: str, kind: str) -> FlowEdge:
    """A curve from a's right side to b's left side, labelled just before b (where fanned-out edges part)."""
    x1, y1 = a.x + NODE_W, a.y + NODE_H // 2
    x2, y2 = b.x, b.y + NODE_H // 2
    if x2 <= x1:  # the same level (a diamond folded onto one column): loop below
        x2, y2 = b.x + NODE_W // 2, b.y + NODE_H
        return FlowEdge(f"M{x1},{y1} C{x1 + 40},{y1 + 60} {x2},{y2 + 40} {x2},{y2}", label, kind, x1 + 8, y1 + 30)
    mid = (x1 + x2) // 2
    return FlowEdge(f"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2 - 6},{y2}", label, kind, x2 - GAP_X // 2 + 6, y2 - 5)


class PiiTraceView(TemplateView):
    """/pii/trace/<urn>/: a column's PII origins and consumers, drawn as a flow, with every hop listed."""

    template_name = "pii/pii_trace.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        trace = trace_select(urn=self.kwargs["urn"])
        if trace is None:
            raise Http404("No column has this URN.")
        column = Column.objects.select_related("capsule").get(urn=trace.column.urn)
        context.update(trace=trace, column=column, flow=flow_layout(trace),
                       origins=[trace.columns[u] for u in trace.origins],
                       consumers=[trace.columns[u] for u in trace.downstream_columns()])
        return context


class PiiDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=(("confirmed", "confirm"), ("rejected", "reject"), ("", "clear")),
                                 required=False)
    pii_type = forms.ChoiceField(required=False)
    note = forms.CharField(required=False, max_length=2000)
    next = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pii_type"].choices = [("", "")] + [(k, t.label) for k, t in pii_config().types.items()]


class PiiDecideView(View):
    """POST: a steward confirms a column's PII (with a type), rejects it, or clears the decision.

    Staff only (stewards); the decision is recorded with the user's name and survives re-ingestion.
    """

    http_method_names = ["post"]

    def post(self, request, urn: str):
        if not request.user.is_staff:
            raise PermissionDenied("Only stewards (staff users) can decide on PII classifications.")
        column = Column.objects.filter(urn=urn).first()
        if column is None:
            raise Http404("No column has this URN.")
        form = PiiDecisionForm(request.POST)
        target = request.POST.get("next") or column.get_absolute_url()
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            target = column.get_absolute_url()
        if not form.is_valid():
            messages.error(request, "The decision was not recorded: " + "; ".join(
                f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
            return HttpResponseRedirect(target)
        decision = form.cleaned_data["decision"] or None
        column = column_pii_decide(column=column, decision=decision, pii_type=form.cleaned_data["pii_type"] or None,
                                   actor=request.user.get_username(), note=form.cleaned_data["note"])
        if decision == PiiDecision.CONFIRMED:
            messages.success(request, f"{column.name}: confirmed as {column.pii_type}.")
        elif decision == PiiDecision.REJECTED:
            messages.success(request, f"{column.name}: rejected, not PII. Downstream columns were updated.")
        else:
            messages.success(request, f"{column.name}: decision cleared; detection decides again.")
        return HttpResponseRedirect(target)
