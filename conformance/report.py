"""The self-contained HTML conformance report (`dab report conformance`): one file to send on or archive."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from conformance import selectors
from conformance.charts import Point, trend_svg
from conformance.choices import ACTIVE_STATUSES

BREAKDOWNS = (
    ("by_rule_set", "Rule set"),
    ("by_category", "Category"),
    ("by_layer", "Layer"),
    ("by_domain", "Domain"),
    ("by_owner", "Owner"),
)


def report_render(*, per_rule: int = 50) -> str:
    """The report of the latest full evaluation: scores, trend, what to fix first, breakdowns, and each failing
    rule with its rationale, remedy and first ``per_rule`` active violations. Raises LookupError when nothing was
    evaluated yet. Three queries plus one per failing rule (there are tens of rules, not thousands)."""
    snapshot = selectors.snapshot_latest()
    if snapshot is None:
        raise LookupError("no evaluation yet: ingest a project or run `dab conformance check`")
    report = snapshot.report or {}
    points = selectors.snapshot_trend(limit=30)
    rules = list(
        selectors.rule_list()
        .filter(removed_at__isnull=True, last_status="evaluated", last_findings__gt=0)
        .order_by("pass_rate", "rule_id")
    )
    for rule in rules:
        active = selectors.violation_list().filter(rule=rule, status__in=ACTIVE_STATUSES)
        rule.report_violations = list(active[:per_rule])
        rule.report_more = max(0, (rule.last_findings or 0) + (rule.last_waived or 0) - len(rule.report_violations))
    context = {
        "snapshot": snapshot,
        "generated_at": timezone.now(),
        "trend_svg": trend_svg(points=[Point(p.evaluated_at, p.score, p.weighted_score) for p in points])
        if len(points) > 1
        else "",
        "offenders": snapshot.offenders[:25],
        "breakdowns": [
            (key, label, sorted(({"name": k, **v} for k, v in report.get(key, {}).items()), key=_by_score))
            for key, label in BREAKDOWNS
        ],
        "rules": rules,
    }
    return render_to_string("conformance/report.html", context)


def _by_score(row: dict) -> tuple:
    return (row["score"] if row["score"] is not None else 101, row["name"])
