"""Conformance scores: per object first, then averaged over objects for every rollup.

Definitions (docs/rules.md explains them with an example):

1. A *check* is one rule applied to one object. Objects are capsules; findings on columns count towards
   their capsule, and project-level rules (graph coverage) judge one extra object, the project.
2. A capsule-subject rule's check fails (1) when the capsule has an unwaived finding of that rule, else
   passes (0). A column rule is ONE check per capsule whose failed share is failing columns / judged
   columns, so a 300-column table weighs as much as any other capsule. A project rule fails when it has an
   unwaived finding.
3. Object score = 100 x (checks - failed) / checks. Weighted score = 100 x (W - failed W) / W with each
   check weighted by its rule's severity (critical 10, error 5, warning 2, info 1). An object with an
   unwaived critical failure is capped at 50 (both scores).
4. A rollup (overall, per rule set, per category, per layer, domain, owner) is the plain mean of its
   objects' scores. Per rule set / category the object scores are recomputed from that set's checks only.
   Per layer / domain / owner the overall object scores are grouped by the capsule's attribute (the
   project object belongs to none of these). Means are summed exactly (``math.fsum``): the order the objects
   come in (the database's) cannot move a rounded score by a hundredth.
5. Waived findings pass until their waiver expires (the evaluation then no longer flags them waived).

The cost is linear in checks through C-level Counter updates; only failing objects are visited one by one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from math import fsum
from types import MappingProxyType
from typing import Any

from conformance.engine.results import Evaluation, RuleResult
from conformance.engine.spec import SEVERITIES
from dab_project.memory import gc_paused

DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType({"critical": 10.0, "error": 5.0, "warning": 2.0, "info": 1.0})
CRITICAL_CAP = 50.0
PROJECT = -1  # the object id of project-level checks
UNASSIGNED = "(none)"


@dataclass(frozen=True, slots=True)
class ScoreSummary:
    """A rollup: mean object scores, how many objects/checks it covers and the findings behind it."""

    score: float | None
    weighted_score: float | None
    objects: int
    failing_objects: int
    checks: int
    failed_checks: float
    findings: int
    waived: int
    by_severity: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RuleScore:
    """How one rule fared: objects judged (columns for column rules), failing ones, pass rate."""

    rule_id: str
    rule_set: str
    category: str
    severity: str
    status: str
    applicable: int
    failing: int
    findings: int
    waived: int
    pass_rate: float | None


@dataclass(frozen=True, slots=True)
class ObjectScore:
    """One capsule's (or the project's) own score from all the checks that applied to it."""

    urn: str | None
    name: str
    capsule_type: str | None
    layer: str | None
    domain: str | None
    owner: str | None
    score: float
    weighted_score: float
    checks: int
    failed_checks: float
    capped: bool


@dataclass(frozen=True, slots=True)
class ScoreReport:
    """Every rollup of one evaluation; ``to_dict()`` is the snapshot stored per evaluation."""

    evaluated_at: str
    overall: ScoreSummary
    by_rule_set: dict[str, ScoreSummary]
    by_category: dict[str, ScoreSummary]
    by_layer: dict[str, ScoreSummary]
    by_domain: dict[str, ScoreSummary]
    by_owner: dict[str, ScoreSummary]
    by_rule: dict[str, RuleScore]
    objects: tuple[ObjectScore, ...]
    weights: dict[str, float]
    critical_cap: float

    def to_dict(self, *, include_objects: bool = False) -> dict[str, Any]:
        out = {
            "evaluated_at": self.evaluated_at,
            "weights": dict(self.weights),
            "critical_cap": self.critical_cap,
            "overall": asdict(self.overall),
        }
        for name in ("by_rule_set", "by_category", "by_layer", "by_domain", "by_owner", "by_rule"):
            out[name] = {key: asdict(value) for key, value in getattr(self, name).items()}
        if include_objects:
            out["objects"] = [asdict(item) for item in self.objects]
        return out


class _Group:
    """Accumulated checks of one rollup group (overall, one rule set or one category)."""

    __slots__ = ("counts", "critical", "failed", "findings", "waived", "weighted_failed")

    def __init__(self) -> None:
        self.counts = {severity: Counter() for severity in SEVERITIES}  # object -> number of checks
        self.failed: Counter[int] = Counter()  # object -> failed checks (fractions for column rules)
        self.weighted_failed: Counter[int] = Counter()
        self.critical: set[int] = set()
        self.findings: Counter[str] = Counter()
        self.waived = 0


def score_evaluation(
    evaluation: Evaluation, *, weights: Mapping[str, float] = DEFAULT_WEIGHTS, critical_cap: float = CRITICAL_CAP
) -> ScoreReport:
    """Object scores and every rollup of ``evaluation`` (see the module docstring for the definitions)."""
    with gc_paused():
        return _score(evaluation, weights=weights, critical_cap=critical_cap)


def _score(evaluation: Evaluation, *, weights: Mapping[str, float], critical_cap: float) -> ScoreReport:
    graph = evaluation.graph
    owner_of_column = [column.capsule for column in graph.columns]
    groups: dict[tuple[str, str], _Group] = {}
    by_rule: dict[str, RuleScore] = {}
    for result in evaluation.results:
        rule = result.rule
        active = [f for f in result.findings if f.waiver is None]
        waived = len(result.findings) - len(active)
        if result.status != "evaluated":
            by_rule[rule.id] = RuleScore(
                rule.id, rule.rule_set, rule.category, rule.severity, result.status, 0, 0, 0, 0, None
            )
            continue
        objects, failed, failing = _rule_checks(result, owner_of_column)
        applicable = result.applicable
        by_rule[rule.id] = RuleScore(
            rule.id,
            rule.rule_set,
            rule.category,
            rule.severity,
            result.status,
            applicable,
            failing,
            len(active),
            waived,
            round(100.0 * (applicable - failing) / applicable, 2) if applicable else None,
        )
        weight = weights[rule.severity]
        weighted_failed = {obj: weight * share for obj, share in failed.items()}
        for key in (("overall", ""), ("rule_set", rule.rule_set), ("category", rule.category)):
            group = groups.get(key) or groups.setdefault(key, _Group())
            group.counts[rule.severity].update(objects)
            if failed:
                group.failed.update(failed)
                group.weighted_failed.update(weighted_failed)
            if rule.severity == "critical":
                group.critical.update(failed)
            group.findings[rule.severity] += len(active)
            group.waived += waived

    overall_group = groups.get(("overall", "")) or _Group()
    # The overall group's failing objects are the most numerous: score them once for the objects and the summary.
    overall_failing = _failing_scores(overall_group, weights, critical_cap)
    object_scores = _object_scores(overall_group, overall_failing)
    objects = tuple(_object_record(graph, obj, values) for obj, values in sorted(object_scores.items()))
    return ScoreReport(
        evaluated_at=evaluation.evaluated_at.isoformat(),
        overall=_summary(overall_group, weights, critical_cap, failing=overall_failing),
        by_rule_set={
            key[1]: _summary(g, weights, critical_cap) for key, g in sorted(groups.items()) if key[0] == "rule_set"
        },
        by_category={
            key[1]: _summary(g, weights, critical_cap) for key, g in sorted(groups.items()) if key[0] == "category"
        },
        **_attribute_rollups(evaluation, objects),
        by_rule=by_rule,
        objects=objects,
        weights=dict(weights),
        critical_cap=critical_cap,
    )


def _rule_checks(result: RuleResult, owner_of_column: list[int]) -> tuple[list[int], dict[int, float], int]:
    """(objects judged by the rule, failed share per failing object, number of failing rule objects)."""
    active = [f for f in result.findings if f.waiver is None]
    if result.subject == "project":
        return [PROJECT], ({PROJECT: 1.0} if active else {}), int(bool(active))
    if result.subject == "column":
        per_capsule = Counter(map(owner_of_column.__getitem__, result.columns))
        if result.kept_columns:
            per_capsule.update(result.kept_columns)  # capsules whose columns the view did not load
        failing_columns = {f.column for f in active if f.column is not None}
        failed_per_capsule = Counter(owner_of_column[c] for c in failing_columns)
        # a finding kept on a column the view did not load: named by the column's key, counted on its capsule
        kept_failing = {f.column_key: f.capsule for f in active if f.column is None and f.column_key is not None}
        if kept_failing:
            failed_per_capsule.update(kept_failing.values())
        for capsule in failed_per_capsule:
            per_capsule.setdefault(capsule, failed_per_capsule[capsule])  # a hit outside the filter still counts
        failed = {capsule: count / per_capsule[capsule] for capsule, count in failed_per_capsule.items()}
        return list(per_capsule), failed, len(failing_columns) + len(kept_failing)
    objects = list(result.capsules)
    failing = {f.capsule for f in active if f.capsule is not None}
    stray = failing.difference(objects)
    if stray:
        objects.extend(sorted(stray))
    return objects, dict.fromkeys(failing, 1.0), len(failing)


def _object_scores(
    group: _Group, failing: Mapping[int, tuple[float, float, int, float, bool]]
) -> dict[int, tuple[float, float, int, float, bool]]:
    """object -> (score, weighted score, checks, failed checks, capped) for every object of the group, given the
    unrounded scores of its failing objects (``_failing_scores``)."""
    totals: Counter[int] = Counter()
    for counter in group.counts.values():
        totals.update(counter)
    out = dict.fromkeys(totals, None)
    for obj, checks in totals.items():
        out[obj] = (100.0, 100.0, checks, 0.0, False)
    for obj, (score, weighted, checks, failed, capped) in failing.items():
        out[obj] = (round(score, 4), round(weighted, 4), checks, failed, capped)
    return out


def _failing_scores(
    group: _Group, weights: Mapping[str, float], cap: float
) -> dict[int, tuple[float, float, int, float, bool]]:
    """Unrounded scores of the group's failing objects only (every other object scores 100)."""
    gets = [(group.counts[severity].get, weights[severity]) for severity in SEVERITIES]
    weighted_failed, critical = group.weighted_failed, group.critical
    out = {}
    for obj, failed in group.failed.items():
        checks = 0
        weight = 0.0
        for get, factor in gets:
            n = get(obj, 0)
            checks += n
            weight += factor * n
        score = 100.0 * (checks - failed) / checks
        weighted = 100.0 * (weight - weighted_failed[obj]) / weight if weight else score
        capped = obj in critical
        if capped:
            score, weighted = min(score, cap), min(weighted, cap)
        out[obj] = (score, weighted, checks, failed, capped)
    return out


def _summary(
    group: _Group,
    weights: Mapping[str, float],
    cap: float,
    *,
    failing: Mapping[int, tuple[float, float, int, float, bool]] | None = None,
) -> ScoreSummary:
    """Mean object scores of the group; only failing objects are visited one by one (``failing``: their unrounded
    scores, when the caller has them already)."""
    counters = group.counts.values()
    every = set().union(*(counter.keys() for counter in counters))
    count = len(every)
    if not count:
        return ScoreSummary(None, None, 0, 0, 0, 0.0, 0, group.waived, {})
    if failing is None:
        failing = _failing_scores(group, weights, cap)
    passing = 100.0 * (count - len(failing))
    return ScoreSummary(
        score=round((passing + fsum(v[0] for v in failing.values())) / count, 2),
        weighted_score=round((passing + fsum(v[1] for v in failing.values())) / count, 2),
        objects=count,
        failing_objects=len(failing),
        checks=sum(sum(counter.values()) for counter in counters),
        failed_checks=round(fsum(group.failed.values()), 4),
        findings=sum(group.findings.values()),
        waived=group.waived,
        by_severity={severity: group.findings[severity] for severity in SEVERITIES if group.findings[severity]},
    )


def _object_record(graph: Any, obj: int, values: tuple[float, float, int, float, bool]) -> ObjectScore:
    score, weighted, checks, failed, capped = values
    if obj == PROJECT:
        return ObjectScore(None, "project", None, None, None, None, score, weighted, checks, failed, capped)
    node = graph.capsules[obj]
    return ObjectScore(
        node.urn,
        node.name,
        node.capsule_type,
        node.layer,
        node.domain,
        node.owner,
        score,
        weighted,
        checks,
        failed,
        capped,
    )


def _attribute_rollups(evaluation: Evaluation, objects: tuple[ObjectScore, ...]) -> dict[str, dict[str, ScoreSummary]]:
    """Overall object scores grouped by layer, domain and owner, with the findings on those capsules."""
    capsules = evaluation.graph.capsules
    per_capsule = Counter(
        (f.capsule, f.severity, f.waiver is None) for f in evaluation.findings if f.capsule is not None
    )
    found: dict[str, dict[str, Counter[str]]] = {"layer": {}, "domain": {}, "owner": {}}
    waived: dict[str, Counter[str]] = {"layer": Counter(), "domain": Counter(), "owner": Counter()}
    for (capsule, severity, is_active), n in per_capsule.items():
        node = capsules[capsule]
        for attribute in ("layer", "domain", "owner"):
            value = getattr(node, attribute) or UNASSIGNED
            if is_active:
                bucket = found[attribute].get(value)
                if bucket is None:
                    bucket = found[attribute][value] = Counter()
                bucket[severity] += n
            else:
                waived[attribute][value] += n
    out = {}
    for attribute in ("layer", "domain", "owner"):
        buckets: dict[str, list[ObjectScore]] = {}
        for item in objects:
            if item.urn is not None:
                buckets.setdefault(getattr(item, attribute) or UNASSIGNED, []).append(item)
        rollup = {}
        for value, items in sorted(buckets.items()):
            severities = found[attribute].get(value, Counter())
            rollup[value] = ScoreSummary(
                score=round(fsum(i.score for i in items) / len(items), 2),
                weighted_score=round(fsum(i.weighted_score for i in items) / len(items), 2),
                objects=len(items),
                failing_objects=sum(1 for i in items if i.failed_checks),
                checks=sum(i.checks for i in items),
                failed_checks=round(fsum(i.failed_checks for i in items), 4),
                findings=sum(severities.values()),
                waived=waived[attribute][value],
                by_severity={severity: severities[severity] for severity in SEVERITIES if severities[severity]},
            )
        out[f"by_{attribute}"] = rollup
    return out
