"""Conformance pages: the dashboard (score, trend, breakdowns, what to fix first), violations with bulk triage,
one violation with its audit trail, rules with their rationale and pass rate, one evaluation's changes.

Thin: selectors fetch, the FilterSet shared with the API filters, services write. Each page runs a fixed
number of queries whatever its size.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import UserPassesTestMixin
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from conformance import selectors
from conformance.charts import Point, trend_svg
from conformance.choices import ACTIVE_STATUSES, EvaluationTrigger, Severity, TriageAction, ViolationStatus
from conformance.engine import LAYERS
from conformance.filters import RuleFilterSet, ViolationFilterSet
from conformance.forms import EvaluateForm, TriageForm
from conformance.models import Rule, ScoreSnapshot, Violation
from conformance.services import conformance_evaluate, violations_triage
from dab_project.text import plural

BREAKDOWNS = (
    ("by_rule_set", "Rule set"),
    ("by_category", "Category"),
    ("by_layer", "Layer"),
    ("by_domain", "Domain"),
    ("by_owner", "Owner"),
)
UNASSIGNED = "(none)"


class StewardRequiredMixin(UserPassesTestMixin):
    """Changing violations or evaluating is for signed-in staff."""

    def test_func(self) -> bool:
        user = self.request.user
        return bool(user.is_authenticated and user.is_staff)


def _breakdown_rows(report: dict, key: str) -> list[dict]:
    rows = [{"name": name, **values} for name, values in (report.get(key) or {}).items()]
    return sorted(rows, key=lambda row: (row["score"] if row["score"] is not None else 101, row["name"]))


def _trend(limit: int = 30) -> tuple[list[selectors.TrendPoint], str]:
    points = selectors.snapshot_trend(limit=limit)
    svg = trend_svg(
        points=[
            Point(p.evaluated_at, p.score, p.weighted_score, f"{p.findings} active, {p.new} new, {p.fixed} fixed")
            for p in points
        ]
    )
    return points, svg


class DashboardView(TemplateView):
    """Score and trend, breakdowns, the capsules to fix first and what changed since the evaluation before."""

    template_name = "conformance/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        snapshot = selectors.snapshot_latest()
        context["snapshot"] = snapshot
        context["latest_any"] = snapshot or selectors.snapshot_latest(full_only=False)
        if snapshot is None:
            return context
        report = snapshot.report or {}
        points, svg = _trend()
        previous = points[-2] if len(points) > 1 else None
        new, fixed = selectors.snapshot_changes(snapshot=snapshot)
        context.update(
            report=report,
            trend_svg=svg,
            trend_points=points,
            previous=previous,
            delta=(snapshot.score - previous.score)
            if previous and previous.score is not None and snapshot.score is not None
            else None,
            breakdowns=[(key, label, _breakdown_rows(report, key)) for key, label in BREAKDOWNS],
            offenders=snapshot.offenders[:15],
            new_violations=list(new[:10]),
            fixed_violations=list(fixed[:10]),
            counts=selectors.violation_counts(),
            weakest_rules=selectors.rule_list()
            .filter(removed_at__isnull=True, last_status="evaluated", last_findings__gt=0)
            .order_by("pass_rate", "rule_id")[:8],
            evaluate_form=EvaluateForm(),
        )
        return context


class ViolationListView(ListView):
    """Violations with the API's filters, worst first; stewards triage the selected ones in bulk."""

    template_name = "conformance/violation_list.html"
    context_object_name = "violations"
    paginate_by = 50

    def get_queryset(self):
        data = self.request.GET.copy()
        if "status" not in data:
            data["status"] = "active"
        self.filterset = ViolationFilterSet(data, queryset=selectors.violation_list())
        return self.filterset.qs if self.filterset.is_valid() else selectors.violation_list().none()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        report = (selectors.snapshot_latest() or ScoreSnapshot()).report or {}
        context.update(
            filterset=self.filterset,
            query_without_page=params.urlencode(),
            current=self.filterset.data,
            severities=Severity.values,
            statuses=["active", *ViolationStatus.values],
            rule_sets=sorted(report.get("by_rule_set", {})),
            rules=sorted(report.get("by_rule", {})),
            layers=LAYERS,
            domains=sorted(name for name in report.get("by_domain", {}) if name != UNASSIGNED),
            owners=sorted(name for name in report.get("by_owner", {}) if name != UNASSIGNED),
            actions=TriageAction.choices,
            can_triage=self.request.user.is_staff,
            next_url=self.request.get_full_path(),
        )
        return context


class ViolationTriageView(StewardRequiredMixin, View):
    """POST the bulk triage form (or one violation's form); back to where it came from with the outcome."""

    def post(self, request):
        form = TriageForm(request.POST)
        target = request.POST.get("next") or reverse("conformance:violation_list")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("conformance:violation_list")
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return HttpResponseRedirect(target)
        data = form.cleaned_data
        result = violations_triage(
            violations=Violation.objects.filter(pk__in=data["ids"]).only("pk"),
            action=data["action"],
            actor=request.user.get_username(),
            reason=data.get("reason"),
            expires=data.get("expires"),
        )
        label = dict(TriageAction.choices)[data["action"]].lower()
        if result.changed:
            messages.success(request, f"{label.capitalize()}: {plural(len(result.changed), 'violation')}.")
        if result.skipped:
            reasons = sorted(set(result.skipped.values()))
            messages.warning(request, f"{len(result.skipped)} left as they were: {'; '.join(reasons)}.")
        return HttpResponseRedirect(target)


class ViolationDetailView(DetailView):
    """One violation: what, where, the rule's rationale and remedy, its audit trail, triage."""

    template_name = "conformance/violation_detail.html"
    context_object_name = "violation"

    def get_object(self, queryset=None):
        try:
            return selectors.violation_detail(pk=self.kwargs["pk"])
        except (ObjectDoesNotExist, ValueError):
            raise Http404("No such violation.") from None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            actions=TriageAction.choices,
            can_triage=self.request.user.is_staff,
            next_url=self.request.get_full_path(),
            events=list(self.object.events.all()),
        )
        return context


class RuleListView(ListView):
    """Every rule with its set, severity, rationale, remedy and latest pass rate."""

    template_name = "conformance/rule_list.html"
    context_object_name = "rules"

    def get_queryset(self):
        self.filterset = RuleFilterSet(self.request.GET, queryset=selectors.rule_list())
        return self.filterset.qs if self.filterset.is_valid() else Rule.objects.none()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rules = context["rules"]
        sets: dict[str, list[Rule]] = {}
        for rule in rules:
            sets.setdefault(rule.rule_set or "(no set)", []).append(rule)
        context.update(
            rule_sets=sorted(sets.items()),
            all_sets=sorted(Rule.objects.order_by().values_list("rule_set", flat=True).distinct()),
            current=self.filterset.data,
            severities=Severity.values,
        )
        return context


class RuleDetailView(DetailView):
    """One rule: what it asks, why, how to fix, its parameters and filter, and its active violations."""

    template_name = "conformance/rule_detail.html"
    context_object_name = "rule"

    def get_object(self, queryset=None):
        try:
            return selectors.rule_get(rule_id=self.kwargs["rule_id"])
        except Rule.DoesNotExist:
            raise Http404("No such rule.") from None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rule = self.object
        violations = selectors.violation_list().filter(rule=rule, status__in=ACTIVE_STATUSES)
        context.update(
            check={**(rule.definition or {}).get("check", {}), **(rule.parameters_override or {})},
            rule_filter=(rule.definition or {}).get("filter", {}),
            waivers=(rule.definition or {}).get("waivers", []),
            violations=list(violations[:25]),
            violation_count=violations.count(),
            project_parameters=selectors.rule_project_parameters(rule_id=rule.rule_id),
        )
        return context


class SnapshotDetailView(DetailView):
    """One stored evaluation: its scores and what it changed (new and fixed violations)."""

    template_name = "conformance/snapshot_detail.html"
    context_object_name = "snapshot"

    def get_queryset(self):
        return selectors.snapshot_list()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        new, fixed = selectors.snapshot_changes(snapshot=self.object)
        context.update(
            new_violations=list(new[:100]),
            new_count=new.count(),
            fixed_violations=list(fixed[:100]),
            fixed_count=fixed.count(),
            breakdowns=[(key, label, _breakdown_rows(self.object.report or {}, key)) for key, label in BREAKDOWNS],
        )
        return context


class EvaluateView(StewardRequiredMixin, View):
    """The dashboard's "Evaluate now" button: evaluate every rule (or one set) and store the outcome."""

    def post(self, request):
        form = EvaluateForm(request.POST)
        rule_set = form.cleaned_data.get("rule_set") or None if form.is_valid() else None
        try:
            run = conformance_evaluate(
                rule_set=rule_set, trigger=EvaluationTrigger.UI, triggered_by=f"user:{request.user.get_username()}"
            )
        except ValueError as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(reverse("conformance:dashboard"))
        stats = run.stats()
        for warning in run.warnings:
            messages.warning(request, warning)
        messages.success(
            request,
            f"Evaluated {stats['rules']['evaluated']} rules: score {stats['score']}, "
            f"{stats['violations']['new']} new, {stats['violations']['resolved']} resolved.",
        )
        return HttpResponseRedirect(reverse("conformance:dashboard"))
