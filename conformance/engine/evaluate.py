"""Evaluating rules over the in-memory graph: filter, check, fingerprint, apply waivers."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime

from conformance.engine.context import EvalContext
from conformance.engine.registry import CheckRun, check_type
from conformance.engine.results import (
    CheckNotEvaluable,
    Evaluation,
    Finding,
    Hit,
    RuleResult,
    capsule_label,
    fingerprint,
)
from conformance.engine.spec import RuleSpec, Waiver
from dab_project.memory import gc_paused
from lineage.graph import CapsuleNode, ColumnNode, GraphView

logger = logging.getLogger(__name__)


def evaluate(
    graph: GraphView, rules: Sequence[RuleSpec], *, now: datetime | None = None, waivers: Sequence[Waiver] = ()
) -> Evaluation:
    """Every rule over the whole graph, set-based; findings matching an active waiver come back flagged.

    ``now`` decides which waivers have expired (default: the current UTC time). ``waivers`` adds waivers
    kept outside the rule files (e.g. granted by a steward in the UI) to those the rules declare.
    A check that raises is reported with status ``error`` (and logged) instead of stopping the others.
    Facts several rules need (selections, topological order, depths, reachability) are computed once.
    The cyclic garbage collector is paused meanwhile (see ``gc_paused``).
    """
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    extra = _ExtraWaivers(waivers)
    with gc_paused():
        ctx = EvalContext(graph)
        results = tuple(_evaluate_rule(ctx, rule, today=now.date(), extra=extra.for_rule(rule.id)) for rule in rules)
    return Evaluation(graph=graph, results=results, evaluated_at=now, seconds=time.perf_counter() - started)


class _ExtraWaivers:
    """Waivers kept outside the rule files, grouped by rule so thousands of them cost no more than a few.

    A steward's waivers name one rule and one fingerprint each; matching every one against every rule
    (and every finding against every waiver) would be quadratic.
    """

    def __init__(self, waivers: Sequence[Waiver]):
        self.exact: dict[str, list[Waiver]] = {}
        self.globs: list[Waiver] = []
        for waiver in waivers:
            if any(char in waiver.rule for char in "*?["):
                self.globs.append(waiver)
            else:
                self.exact.setdefault(waiver.rule.lower(), []).append(waiver)

    def for_rule(self, rule_id: str) -> list[Waiver]:
        found = self.exact.get(rule_id.lower(), [])
        globbed = [waiver for waiver in self.globs if waiver.matches_rule(rule_id)]
        return found + globbed if globbed else found


class _RuleWaivers:
    """The active waivers of one rule: patterns tried in order, fingerprints looked up; the first listed wins."""

    def __init__(self, waivers: list[Waiver]):
        self.patterns = [(position, w) for position, w in enumerate(waivers) if w.fingerprint is None]
        self.prints: dict[str, tuple[int, Waiver]] = {}
        for position, waiver in enumerate(waivers):
            if waiver.fingerprint is not None:
                self.prints.setdefault(waiver.fingerprint, (position, waiver))

    def __bool__(self) -> bool:
        return bool(self.patterns or self.prints)

    def match(self, *, names: Callable[[], tuple[str, ...]], fingerprint: str) -> Waiver | None:
        by_print = self.prints.get(fingerprint)
        if self.patterns:
            found = names()
            for position, waiver in self.patterns:
                if by_print is not None and by_print[0] < position:
                    break
                if waiver.matches_object(names=found, fingerprint=fingerprint):
                    return waiver
        return by_print[1] if by_print is not None else None


def _evaluate_rule(ctx: EvalContext, rule: RuleSpec, *, today: date, extra: Sequence[Waiver]) -> RuleResult:
    started = time.perf_counter()
    kind = check_type(rule.check.type)
    subject = kind.scopes.get(rule.scope) if kind is not None else None
    if not rule.enabled:
        return RuleResult(rule=rule, status="disabled", subject=subject or "capsule")
    if kind is None or subject is None:
        reason = (
            f"check type {rule.check.type!r} is not registered"
            if kind is None
            else f"check {kind.name} does not support scope {rule.scope}"
        )
        return RuleResult(rule=rule, status="skipped", subject=subject or "capsule", reason=reason)
    capsules = ctx.select(rule.filter)
    columns = ctx.select_columns(rule.filter, capsules, inferred=kind.inferred_columns) if subject == "column" else []
    run = CheckRun(ctx=ctx, rule=rule, params=rule.check.params, subject=subject, capsules=capsules, columns=columns)
    try:
        hits = list(kind.function(run=run))
    except CheckNotEvaluable as exc:
        return RuleResult(
            rule=rule, status="skipped", subject=subject, reason=str(exc), seconds=time.perf_counter() - started
        )
    except Exception as exc:  # a deployment's own check must not stop the evaluation of every other rule
        logger.exception("conformance check %s of rule %s failed", kind.name, rule.id)
        return RuleResult(
            rule=rule,
            status="error",
            subject=subject,
            reason=f"{type(exc).__name__}: {exc}",
            seconds=time.perf_counter() - started,
        )
    active = _RuleWaivers([w for w in (*rule.waivers, *extra) if w.matches_rule(rule.id) and w.is_active(on=today)])
    findings: dict[str, Finding] = {}
    for hit in hits:
        finding = _finding(ctx, rule, hit, active)
        findings.setdefault(finding.fingerprint, finding)  # one finding per identity: the store keys on it
    return RuleResult(
        rule=rule,
        status="evaluated",
        subject=subject,
        capsules=tuple(capsules),
        columns=tuple(columns),
        findings=tuple(findings.values()),
        seconds=time.perf_counter() - started,
    )


def _finding(ctx: EvalContext, rule: RuleSpec, hit: Hit, waivers: _RuleWaivers) -> Finding:
    graph = ctx.graph
    capsule = graph.capsules[hit.capsule] if hit.capsule is not None else None
    column = graph.columns[hit.column] if hit.column is not None else None
    capsule_urn = capsule.urn if capsule is not None else None
    column_urn = column.urn if column is not None else None
    print_ = fingerprint(rule_id=rule.id, capsule_urn=capsule_urn, column_urn=column_urn, key=hit.key)
    waiver = None
    if waivers:
        waiver = waivers.match(names=lambda: _object_names(capsule, column), fingerprint=print_)
    return Finding(
        rule_id=rule.id,
        capsule_urn=capsule_urn,
        column_urn=column_urn,
        message=hit.message,
        details=hit.details if hit.details is not None else {},
        fingerprint=print_,
        severity=rule.severity,
        waiver=waiver,
        capsule=hit.capsule,
        column=hit.column,
    )


def _object_names(capsule: CapsuleNode | None, column: ColumnNode | None) -> tuple[str, ...]:
    """The names a waiver's object glob is matched against."""
    if capsule is None:
        return ("project",)
    short = dict.fromkeys((capsule.name, capsule_label(capsule)))  # name, and source.table or model.v2
    if column is None:
        return (*short, capsule.urn)
    return (*(f"{name}.{column.name}" for name in short), column.urn)
