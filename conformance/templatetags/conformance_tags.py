"""Template helpers of the conformance pages and the capsule page's violations panel."""

from __future__ import annotations

from django import template

from conformance.choices import ViolationStatus
from conformance.selectors import capsule_violations as select_capsule_violations

register = template.Library()
PANEL_LIMIT = 50

STATUS_BADGES = {
    ViolationStatus.OPEN: "badge-bad",
    ViolationStatus.ACKNOWLEDGED: "badge-warn",
    ViolationStatus.WAIVED: "badge-info",
    ViolationStatus.RESOLVED: "badge-ok",
}


@register.simple_tag
def capsule_violations(capsule) -> dict:
    """The capsule's active violations (at most PANEL_LIMIT, worst first) and how many there are: one query,
    two when there are more than the panel shows."""
    rows = list(select_capsule_violations(capsule=capsule)[: PANEL_LIMIT + 1])
    total = len(rows) if len(rows) <= PANEL_LIMIT else select_capsule_violations(capsule=capsule).count()
    counting = [v for v in rows if v.status != ViolationStatus.WAIVED]
    by_severity: dict[str, int] = {}
    for violation in counting:
        by_severity[violation.severity] = by_severity.get(violation.severity, 0) + 1
    return {"items": rows[:PANEL_LIMIT], "total": total, "by_severity": by_severity, "more": total > PANEL_LIMIT}


@register.filter
def status_badge(status: str) -> str:
    return STATUS_BADGES.get(status, "badge-muted")


@register.filter
def score_class(score) -> str:
    """A colour band for a 0-100 score."""
    if score is None:
        return "score-none"
    if score >= 90:
        return "score-good"
    if score >= 70:
        return "score-fair"
    return "score-poor"


@register.filter
def clamp_percent(value) -> float:
    """0-100 for a bar's width."""
    try:
        return max(0.0, min(100.0, float(value)))
    except (TypeError, ValueError):
        return 0.0


@register.simple_tag
def violation_object(violation) -> str:
    """How people name a violation's object (``Violation.object_label``)."""
    return violation.object_label
