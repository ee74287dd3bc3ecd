"""Evaluating rules over the in-memory graph: filter, check, fingerprint, apply waivers."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any

from conformance.engine.context import EvalContext
from conformance.engine.project import NO_PROJECTS, ProjectScope
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
from conformance.engine.scope import Scope
from conformance.engine.spec import RuleFileError, RuleSpec, Waiver
from dab_project.memory import gc_paused
from lineage.graph import CapsuleNode, ColumnNode, GraphView

logger = logging.getLogger(__name__)


def evaluate(
    graph: GraphView,
    rules: Sequence[RuleSpec],
    *,
    now: datetime | None = None,
    waivers: Sequence[Waiver] = (),
    projects: ProjectScope = NO_PROJECTS,
    scope: Scope | None = None,
    previous: Mapping[str, Sequence[Finding]] | None = None,
    kept_counts: Mapping[str, Mapping[int, tuple[int, int]]] | None = None,
) -> Evaluation:
    """Every rule over the whole graph, set-based; findings matching an active waiver come back flagged.

    ``now`` decides which waivers have expired (default: the current UTC time). ``waivers`` adds waivers
    kept outside the rule files (e.g. granted by a steward in the UI) to those the rules declare.
    ``projects`` applies each project's settings (``conformance.engine.project``): its excluded capsules
    are left out of every rule, its naming decides model types, and a rule it re-parametrises runs once
    per such project over that project's capsules (and once with the file's parameters over the rest),
    its results merged into one.
    A check that raises is reported with status ``error`` (and logged) instead of stopping the others.
    Facts several rules need (selections, topological order, depths, reachability) are computed once.
    The cyclic garbage collector is paused meanwhile (see ``gc_paused``).

    With ``scope`` (after a change; ``conformance.engine.scope``) each rule's check judges only the capsules its
    verdicts can depend on, and ``previous`` (rule id -> the previous evaluation's findings, waivers as they
    were) supplies its findings on every other capsule. The applicable capsules and columns are still the
    whole selection, so the score is the one a full evaluation gives.

    A view holding some capsules' columns only (``GraphView.column_capsules``: an evaluation after a change that
    loaded the columns its rules judge again) needs ``kept_counts`` (rule id -> capsule index -> (applicable,
    counted), as the previous evaluation recorded them) for its column rules and ``counts`` checks: they stand for
    the capsules whose columns it did not load.
    """
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    extra = _ExtraWaivers(waivers)
    with gc_paused():
        ctx = EvalContext(graph, projects)
        results = tuple(
            _scoped(
                ctx,
                rule,
                today=now.date(),
                extra=extra.for_rule(rule.id),
                scope=scope,
                previous=previous,
                kept=(kept_counts or {}).get(rule.id, {}),
            )
            for rule in rules
        )
    return Evaluation(graph=ctx.graph, results=results, evaluated_at=now, seconds=time.perf_counter() - started)


def _scoped(
    ctx: EvalContext,
    rule: RuleSpec,
    *,
    today: date,
    extra: Sequence[Waiver],
    scope: Scope | None,
    previous: Mapping[str, Sequence[Finding]] | None,
    kept: Mapping[int, tuple[int, int]] = MappingProxyType({}),
) -> RuleResult:
    """The rule judged where ``scope`` says, plus the previous findings everywhere else (see ``evaluate``)."""
    kind = check_type(rule.check.type)
    subject = kind.scopes.get(rule.scope) if kind is not None else None
    if scope is None or kind is None or subject is None or not rule.enabled or rule.id in scope.full_rules:
        return _evaluate_variants(ctx, rule, today=today, extra=extra, kept=kept)
    within = scope.capsules(kind.depends, subject)
    if within is None:
        return _evaluate_variants(ctx, rule, today=today, extra=extra, kept=kept)
    result = _evaluate_variants(ctx, rule, today=today, extra=extra, within=within, kept=kept)
    if result.status == "skipped" and within:
        # a check may find its subset not evaluable (no raw SQL among a few sources) where the whole is
        return _evaluate_variants(ctx, rule, today=today, extra=extra, kept=kept)
    if result.status != "evaluated":
        return result
    nothing_changed = not scope.changed
    kept = [
        finding
        for finding in (previous or {}).get(rule.id, ())
        if (finding.capsule is None and nothing_changed)
        or (finding.capsule is not None and finding.capsule not in within)
    ]
    if not kept:
        return result
    findings = {finding.fingerprint: finding for finding in result.findings}
    for finding in kept:
        findings.setdefault(finding.fingerprint, finding)
    return replace(result, findings=tuple(findings.values()))


def _evaluate_variants(
    ctx: EvalContext,
    rule: RuleSpec,
    *,
    today: date,
    extra: Sequence[Waiver],
    within: frozenset[int] | None = None,
    kept: Mapping[int, tuple[int, int]] = MappingProxyType({}),
) -> RuleResult:
    """The rule, or, when projects re-parametrise it, one run per such project plus one for the rest, merged."""
    overriding = ctx.projects.overridden(rule.id) if rule.enabled else []
    if not overriding:
        return _evaluate_rule(ctx, rule, today=today, extra=extra, within=within, kept=kept)
    started = time.perf_counter()
    names = frozenset(settings.project for settings in overriding)
    capsules = ctx.graph.capsules
    results = [
        _evaluate_rule(
            ctx,
            rule,
            today=today,
            extra=extra,
            only=lambda i: capsules[i].source_system not in names,
            key="",
            within=within,
            kept=kept,
        )  # fmt: skip
    ]
    for settings in overriding:
        project = settings.project
        try:
            variant = _variant(rule, settings)
        except RuleFileError as exc:
            kind = check_type(rule.check.type)
            subject = (kind.scopes.get(rule.scope) if kind is not None else None) or "capsule"
            reason = f"the settings of project {project} do not fit the rule: {exc.reason}"
            return RuleResult(rule=rule, status="error", subject=subject, reason=reason)
        results.append(
            _evaluate_rule(
                ctx, variant, today=today, extra=extra, only=lambda i, p=project: capsules[i].source_system == p,
                key=project, within=within, kept=kept,
            )
        )  # fmt: skip
    return _merged(rule, results, seconds=time.perf_counter() - started)


def _variant(rule: RuleSpec, settings: Any) -> RuleSpec:
    from conformance.engine.loader import rule_from_dict

    data = rule.to_dict()
    if rule.id in settings.parameters:
        data["check"] = {**data["check"], **settings.parameters[rule.id]}
    if rule.id in settings.resource_types:
        data.setdefault("filter", {})["resource_types"] = list(settings.resource_types[rule.id])
    built = rule_from_dict(data, source=rule.source)
    # the file's waivers stay as they were (rule_from_dict keeps them); meta as given
    return replace(built, waivers=rule.waivers, meta=rule.meta)


def _merged(rule: RuleSpec, results: list[RuleResult], *, seconds: float) -> RuleResult:
    evaluated = [r for r in results if r.status == "evaluated"]
    if not evaluated:
        first = results[0]
        return RuleResult(rule=rule, status=first.status, subject=first.subject, reason=first.reason, seconds=seconds)
    findings: dict[str, Finding] = {}
    for result in evaluated:
        for finding in result.findings:
            findings.setdefault(finding.fingerprint, finding)
    counts = [r.counts for r in evaluated if r.counts is not None]
    return RuleResult(
        rule=rule,
        status="evaluated",
        subject=evaluated[0].subject,
        capsules=tuple(c for r in evaluated for c in r.capsules),
        columns=tuple(c for r in evaluated for c in r.columns),
        findings=tuple(findings.values()),
        seconds=seconds,
        kept_columns={i: n for r in evaluated for i, n in r.kept_columns.items()},
        counts={i: n for found in counts for i, n in found.items()} if counts else None,
    )


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

    def match(
        self, *, names: Callable[[], tuple[str, ...]], fingerprint: str, related: tuple[tuple[str, str], ...] = ()
    ) -> Waiver | None:
        by_print = self.prints.get(fingerprint)
        if self.patterns:
            found = names()
            for position, waiver in self.patterns:
                if by_print is not None and by_print[0] < position:
                    break
                if waiver.matches_object(names=found, fingerprint=fingerprint, related=related):
                    return waiver
        return by_print[1] if by_print is not None else None


def _evaluate_rule(
    ctx: EvalContext,
    rule: RuleSpec,
    *,
    today: date,
    extra: Sequence[Waiver],
    only: Callable[[int], bool] | None = None,
    key: str = "",
    within: frozenset[int] | None = None,
    kept: Mapping[int, tuple[int, int]] = MappingProxyType({}),
) -> RuleResult:
    """One rule; ``only`` restricts it to some capsules (a project's), ``key`` then tells its project-level
    finding apart from the other projects'. ``within`` limits the capsules (and their columns) the check judges;
    the result still reports the whole selection as applicable."""
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
    if only is not None:
        capsules = [index for index in capsules if only(index)]
        if subject == "column":
            keep = set(capsules)
            columns = [column for column in columns if ctx.graph.columns[column].capsule in keep]
    judged, judged_columns = capsules, columns
    if within is not None:
        judged = [index for index in capsules if index in within]
        if subject == "column":
            owners = ctx.graph.columns
            judged_columns = [column for column in columns if owners[column].capsule in within]
    graph = ctx.graph
    reads = kind.reads_columns(rule.check.params, subject)
    kept_columns: dict[int, int] = {}
    if graph.column_capsules is not None:
        # a view holding some capsules' columns: the others' counts are the previous evaluation's
        kept = {index: found for index, found in kept.items() if not graph.has_columns(index)}
        if subject == "column":
            kept_columns = {index: kept[index][0] for index in capsules if index in kept}
    else:
        kept = MappingProxyType({})
    counts: dict[int, tuple[int, int]] | None = {} if reads == "counts" else None
    run = CheckRun(
        ctx=ctx, rule=rule, params=rule.check.params, subject=subject, capsules=judged, columns=judged_columns,
        kept=kept if reads == "counts" else MappingProxyType({}), counts=counts,
    )  # fmt: skip
    try:
        hits = list(kind.function(run=run)) if (within is None or judged) else []
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
        if key and hit.capsule is None:
            details = {**(hit.details or {}), "project": key}
            hit = replace(hit, key=f"{hit.key}@{key}" if hit.key else key, details=details)
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
        kept_columns=kept_columns,
        counts=counts,
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
        waiver = waivers.match(names=lambda: _object_names(capsule, column), fingerprint=print_, related=hit.related)
    return Finding(
        rule_id=rule.id,
        capsule_urn=capsule_urn,
        column_urn=column_urn,
        message=hit.message,
        details=_with_related(hit),
        fingerprint=print_,
        severity=rule.severity,
        waiver=waiver,
        capsule=hit.capsule,
        column=hit.column,
        related=hit.related,
    )


def _object_names(capsule: CapsuleNode | None, column: ColumnNode | None) -> tuple[str, ...]:
    """The names a waiver's object glob is matched against."""
    if capsule is None:
        return ("project",)
    short = dict.fromkeys((capsule.name, capsule_label(capsule)))  # name, and source.table or model.v2
    if column is None:
        return (*short, capsule.urn)
    return (*(f"{name}.{column.name}" for name in short), column.urn)


def _with_related(hit: Hit) -> dict[str, Any]:
    """The hit's details, with the neighbours it is about by role (what waivers' ``related`` match)."""
    details = hit.details if hit.details is not None else {}
    if not hit.related:
        return details
    related: dict[str, list[str]] = {}
    for role, label in hit.related:
        related.setdefault(role, []).append(label)
    return {**details, "related": related}
