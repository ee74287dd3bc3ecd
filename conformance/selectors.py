"""Conformance reads: rules as the engine runs them, violations for lists and pages, scores and their trend."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When

from catalog.querysets import in_batches
from conformance.choices import ACTIVE_STATUSES, EvaluationTrigger, ViolationStatus
from conformance.engine import SEVERITIES, RuleFileError, RuleSpec, rule_from_dict
from conformance.engine.project import ProjectScope, ProjectSettings
from conformance.engine.spec import Waiver
from conformance.evaluator import (
    EvaluatorConfigError,
    EvaluatorException,
    adapter_parameters,
    exception_waivers,
    project_settings_from_vars,
)
from conformance.models import ProjectConfig, Rule, ScoreSnapshot, Violation, ViolationEvent

__all__ = [
    "SEVERITY_RANK",
    "baseline_snapshot",
    "capsule_violations",
    "fingerprints_present_at",
    "project_config_get",
    "project_scope",
    "rule_project_parameters",
    "rule_get",
    "rule_list",
    "rule_spec",
    "rule_specs",
    "snapshot_changes",
    "snapshot_latest",
    "snapshot_list",
    "snapshot_trend",
    "violation_counts",
    "violation_detail",
    "violation_fingerprints_active",
    "violation_list",
]

DAB_ACTOR = "dab"  # the evaluation itself (conformance.services.DAB_ACTOR)

# a list row never shows a capsule's SQL (kilobytes per model)
HEAVY_CAPSULE_FIELDS = ("capsule__raw_sql", "capsule__compiled_sql", "capsule__tests")

# critical first; used to sort violations by severity in the database
SEVERITY_RANK = Case(
    *(When(severity=severity, then=Value(position)) for position, severity in enumerate(SEVERITIES)),
    default=Value(len(SEVERITIES)),
    output_field=IntegerField(),
)


# -- rules ------------------------------------------------------------------------------------------------


def rule_spec(*, rule: Rule, strict: bool = False) -> RuleSpec:
    """The rule as the engine runs it: the file's definition, the steward's parameters over it, ``enabled``.

    With ``strict`` a definition the overrides break raises RuleFileError; otherwise the caller
    (``rule_specs``) falls back to the file's parameters.
    """
    data = copy.deepcopy(rule.definition or {})
    data["enabled"] = bool(rule.enabled)
    if rule.parameters_override:
        data["check"] = {**data.get("check", {}), **rule.parameters_override}
    try:
        return rule_from_dict(data, source=f"rules table ({rule.source or 'no file'})")
    except RuleFileError:
        if strict or not rule.parameters_override:
            raise
        plain = copy.deepcopy(rule.definition or {})
        plain["enabled"] = bool(rule.enabled)
        return rule_from_dict(plain, source=f"rules table ({rule.source or 'no file'})")


def rule_specs() -> tuple[list[RuleSpec], list[str]]:
    """Every stored rule still in the rule files, as the engine runs it, and the problems met on the way.

    A steward's parameters that no longer fit the file's definition are ignored (and reported); a stored
    definition that cannot be read at all leaves its rule out (and is reported). One query.
    """
    specs: list[RuleSpec] = []
    problems: list[str] = []
    for rule in Rule.objects.filter(removed_at__isnull=True).order_by("rule_set", "rule_id"):
        try:
            specs.append(rule_spec(rule=rule, strict=True))
            continue
        except RuleFileError as exc:
            if not rule.parameters_override:
                problems.append(f"rule {rule.rule_id} left out: {exc}")
                continue
            problems.append(f"rule {rule.rule_id}: the steward's parameters were ignored: {exc}")
        try:
            specs.append(rule_spec(rule=rule))
        except RuleFileError as exc:
            problems.append(f"rule {rule.rule_id} left out: {exc}")
    return specs, problems


def rule_list() -> QuerySet[Rule]:
    """Rules by set and id, rules gone from the files last."""
    return Rule.objects.order_by(
        Case(When(removed_at__isnull=True, then=Value(0)), default=Value(1)), "rule_set", "rule_id"
    )


def rule_get(*, rule_id: str) -> Rule:
    """One rule by its id; raises Rule.DoesNotExist."""
    return Rule.objects.get(rule_id=rule_id)


# -- project settings ------------------------------------------------------------------------------------


def project_scope() -> tuple[ProjectScope, list[Waiver], list[str]]:
    """Every project's settings as the engine applies them, the waivers its evaluator exceptions make, and
    the problems met (a stored setting that no longer validates is left out and reported). Two queries.

    Projects without stored settings still get what their adapter implies (the evaluator's default
    chained_views_threshold is 4 on Athena, Trino and ClickHouse).
    """
    from catalog.selectors import source_system_brief_list

    configs = {config.source_system_id: config for config in ProjectConfig.objects.all()}
    projects: dict[str, ProjectSettings] = {}
    waivers: list[Waiver] = []
    problems: list[str] = []
    for pk, name, meta in source_system_brief_list().values_list("pk", "name", "meta"):
        adapter = (meta or {}).get("adapter_type")
        config = configs.get(pk)
        if config is None:
            if adapter_parameters(adapter):
                projects[name] = project_settings_from_vars({}, project=name, adapter=adapter)
            continue
        try:
            projects[name] = project_settings_from_vars(
                config.evaluator_vars or {},
                project=name,
                adapter=adapter,
                exclude_paths=tuple(config.exclude_paths or ()),
                exclude_names=tuple(config.exclude_names or ()),
                exclude_packages=tuple(config.exclude_packages or ()),
            )
            exceptions = tuple(EvaluatorException.from_dict(item) for item in config.evaluator_exceptions or ())
            waivers.extend(exception_waivers(exceptions))
        except (EvaluatorConfigError, KeyError, TypeError, ValueError) as exc:
            problems.append(f"the conformance settings of {name} were left out: {exc}")
    return ProjectScope(projects=projects), waivers, problems


def rule_project_parameters(*, rule_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(project, parameters and resource types it sets) for each project that re-parametrises ``rule_id``."""
    scope, _, _ = project_scope()
    out = []
    for settings in scope.overridden(rule_id):
        values: dict[str, Any] = dict(settings.parameters.get(rule_id, {}))
        if rule_id in settings.resource_types:
            values["resource_types"] = list(settings.resource_types[rule_id])
        out.append((settings.project, values))
    return out


def project_config_get(*, source_system: Any) -> ProjectConfig | None:
    """One project's stored conformance settings, or None."""
    return ProjectConfig.objects.filter(source_system=source_system).first()


# -- violations ------------------------------------------------------------------------------------------


def violation_list() -> QuerySet[Violation]:
    """Violations with what a list row shows (rule, capsule with its owner and domain, column), worst first:
    severity, then the most recently started failure. One query per page plus the count."""
    return (
        Violation.objects.select_related("rule", "capsule", "capsule__owner", "capsule__domain", "column")
        .defer(*HEAVY_CAPSULE_FIELDS)
        .annotate(severity_rank=SEVERITY_RANK)
        .order_by("severity_rank", "-failing_since", "id")
    )


def violation_detail(*, pk: Any) -> Violation:
    """One violation with its rule, capsule, column and audit trail (newest first); raises DoesNotExist."""
    return (
        Violation.objects.select_related("rule", "capsule", "capsule__owner", "capsule__domain", "column")
        .prefetch_related(Prefetch("events", queryset=ViolationEvent.objects.order_by("-at", "-id")))
        .get(pk=pk)
    )


def capsule_violations(*, capsule: Any, include_resolved: bool = False) -> QuerySet[Violation]:
    """The violations on one capsule (and its columns), worst first; active ones unless asked otherwise."""
    queryset = violation_list().filter(capsule=capsule)
    if not include_resolved:
        queryset = queryset.filter(status__in=ACTIVE_STATUSES)
    return queryset


def violation_counts(*, queryset: QuerySet[Violation] | None = None) -> dict[str, Any]:
    """Counts by status and, for active violations, by severity; one grouped query."""
    queryset = Violation.objects.all() if queryset is None else queryset
    by_status = dict.fromkeys(ViolationStatus.values, 0)
    by_severity = dict.fromkeys(SEVERITIES, 0)
    rows = queryset.order_by().values_list("status", "severity").annotate(n=Count("id"))
    for status, severity, n in rows:
        by_status[status] = by_status.get(status, 0) + n
        if status in (ViolationStatus.OPEN, ViolationStatus.ACKNOWLEDGED):
            by_severity[severity] = by_severity.get(severity, 0) + n
    return {
        "by_status": by_status,
        "by_severity": by_severity,
        "active": sum(by_status[s] for s in ACTIVE_STATUSES),
        "counting": by_status[ViolationStatus.OPEN] + by_status[ViolationStatus.ACKNOWLEDGED],
    }


# -- scores -----------------------------------------------------------------------------------------------


def snapshot_list(*, full_only: bool = False) -> QuerySet[ScoreSnapshot]:
    """Stored evaluations, newest first; ``full_only`` leaves out runs limited to one rule set."""
    queryset = ScoreSnapshot.objects.order_by("-evaluated_at")
    return queryset.filter(rule_set__isnull=True) if full_only else queryset


def snapshot_latest(*, full_only: bool = True) -> ScoreSnapshot | None:
    """The latest stored evaluation (of every rule, unless ``full_only`` is False)."""
    return snapshot_list(full_only=full_only).first()


@dataclass(frozen=True)
class TrendPoint:
    evaluated_at: datetime
    score: float | None
    weighted_score: float | None
    findings: int
    new: int
    fixed: int
    trigger: str
    pk: Any


def snapshot_trend(*, limit: int = 30) -> list[TrendPoint]:
    """The scores of the last ``limit`` full evaluations, oldest first; one query without the JSON columns."""
    rows = (
        snapshot_list(full_only=True)
        .values_list("evaluated_at", "score", "weighted_score", "findings", "new_count", "fixed_count", "trigger", "pk")
        .order_by("-evaluated_at")[:limit]
    )
    return [TrendPoint(*row) for row in reversed(list(rows))]


def snapshot_changes(*, snapshot: ScoreSnapshot) -> tuple[QuerySet[Violation], QuerySet[Violation]]:
    """(violations new in this evaluation, violations it resolved because they were no longer found)."""
    new = violation_list().filter(failing_since=snapshot.evaluated_at)
    fixed_ids = ViolationEvent.objects.filter(
        evaluation=snapshot, to_status=ViolationStatus.RESOLVED, reason="no longer found"
    ).values("violation_id")
    fixed = violation_list().filter(pk__in=fixed_ids)
    return new, fixed


def baseline_snapshot(*, before: datetime | None = None) -> ScoreSnapshot | None:
    """The evaluation ``--new-only`` compares against: the state before the latest ingestion.

    That is the latest full evaluation stored before the latest evaluation an ingestion triggered (a CI job
    ingests the change, which evaluates it, then runs the gate); without any ingestion-triggered one, the
    latest full evaluation. ``before`` ignores evaluations from then on (the run being checked).
    """
    full = snapshot_list(full_only=True)
    if before is not None:
        full = full.filter(evaluated_at__lt=before)
    latest_ingestion = full.filter(trigger=EvaluationTrigger.INGESTION).first()
    if latest_ingestion is None:
        return full.first()
    return full.filter(evaluated_at__lt=latest_ingestion.evaluated_at).first()


def fingerprints_present_at(*, snapshot: ScoreSnapshot) -> set[str]:
    """Fingerprints of the violations that evaluation found; one query.

    A violation is found by every evaluation from its ``failing_since`` on while it stays active, and up to
    its ``last_seen_at`` once resolved (a fix followed by a return starts a new stretch). A violation a
    steward resolved counts as found then too: the evaluation reopens it if it still fails.
    """
    at = snapshot.evaluated_at
    still_failing = ~Q(status=ViolationStatus.RESOLVED) | ~Q(resolved_by=DAB_ACTOR)
    return set(
        Violation.objects.filter(Q(failing_since__lte=at) & (still_failing | Q(last_seen_at__gte=at))).values_list(
            "fingerprint", flat=True
        )
    )


def violation_fingerprints_active(*, source_system_id: Any) -> set[str]:
    """The fingerprints of ``violations_active_brief``: what the change report compares first (tens of thousands
    of rows on a large project; their details are read only for those that differ). One query."""
    return set(
        Violation.objects.filter(
            capsule__source_system_id=source_system_id,
            status__in=(ViolationStatus.OPEN, ViolationStatus.ACKNOWLEDGED),
        )
        .order_by()
        .values_list("fingerprint", flat=True)
    )


def violations_active_brief(
    *, source_system_id: Any, fingerprints: Iterable[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Unwaived active violations on one project's capsules, by fingerprint, as plain dicts (the change report
    compares two of these); only those of ``fingerprints`` when given (one query; a query per 900 on SQLite)."""
    active = Violation.objects.filter(
        capsule__source_system_id=source_system_id,
        status__in=(ViolationStatus.OPEN, ViolationStatus.ACKNOWLEDGED),
    )
    if fingerprints is None:
        return _violations_brief(active)
    out: dict[str, dict[str, Any]] = {}
    for batch in in_batches(active, "fingerprint", sorted(fingerprints)):
        out.update(_violations_brief(batch))
    return out


def _violations_brief(active: QuerySet) -> dict[str, dict[str, Any]]:
    rows = active.values_list(
        "fingerprint", "rule__rule_id", "rule__name", "severity", "message", "capsule__urn", "capsule__name",
        "capsule__original_file_path", "column__name",
    ).order_by()  # fmt: skip
    keys = ("rule_id", "rule", "severity", "message", "urn", "capsule", "path", "column")
    return {row[0]: dict(zip(keys, row[1:], strict=True)) for row in rows}
