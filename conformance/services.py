"""Conformance writes: rules synced from YAML, evaluations stored as violations and score snapshots, triage.

``conformance_evaluate`` is what the ingestion pipeline (``conformance_after_load``), ``dab conformance
check``, the API and the dashboard's button call. Steps:

1. sync the rule files (RULES_PATH) into the rules table; a broken file leaves the stored rules as they were
   and the problem is reported, so a typo cannot stop an ingestion;
2. build each stored rule from its file definition plus the stewards' overrides (disabled, parameters);
3. load the whole graph once (``lineage.graph.graph_load``; raw SQL only when a rule reads it) and the
   stewards' waivers;
4. evaluate and score (the pure engine, ``conformance.engine``);
5. store, holding the conformance lock: violations upserted by fingerprint (same problem, same row and
   first-seen date; no longer found: resolved by "dab"; found again: reopened), each rule's latest outcome,
   one score snapshot, and an audit event for every status change.

Stewards change a violation's status through ``violations_triage`` (acknowledge, resolve, waive with a reason
and an optional expiry, reopen); every change leaves a ``ViolationEvent``.
"""

from __future__ import annotations

import hashlib
import heapq
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson
import structlog
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from catalog.models import Capsule, Column, Domain, Owner
from catalog.querysets import sql_among
from conformance.choices import (
    ACTIVE_STATUSES,
    EvaluationTrigger,
    TriageAction,
    ViolationStatus,
    WaiverSource,
)
from conformance.engine import (
    SEVERITIES,
    Evaluation,
    Finding,
    RuleFileError,
    RuleSpec,
    ScoreReport,
    Waiver,
    evaluate,
    load_rules,
    score_evaluation,
)
from conformance.engine.project import ProjectScope
from conformance.engine.registry import check_type
from conformance.engine.results import RuleResult, capsule_label
from conformance.engine.scope import Scope
from conformance.evaluator import (
    EXCEPTIONS_BY,
    EvaluatorConfigError,
    EvaluatorException,
    EvaluatorVars,
    evaluator_exceptions_read,
    evaluator_vars_read,
)
from conformance.impact import downstream_counts
from conformance.models import ProjectConfig, Rule, RuleCapsuleCount, ScoreSnapshot, Violation, ViolationEvent
from conformance.selectors import DAB_ACTOR, project_scope, rule_specs
from dab_project.bulk import bulk_insert, bulk_update
from dab_project.ids import ordered_uuid
from dab_project.memory import gc_paused
from lineage.graph import (
    GraphView,
    capsule_key_index,
    column_capsule_keys,
    column_lineage_neighbours,
    graph_columns_load,
    graph_load,
    key_text,
    key_texts,
)
from lineage.models import CapsuleLineage, ColumnLineage

logger = structlog.get_logger(__name__)

# Any fixed number works; it names "a conformance write" among the database's advisory locks.
CONFORMANCE_LOCK_KEY = 4_271_318_307
OFFENDERS = 50  # capsules kept per snapshot as the ones to fix first
SQL_CHECKS = frozenset({"hard_coded_references"})  # check types that read raw SQL from the graph
Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    return None


class TriageError(ValueError):
    """A status change that does not apply to a violation in its current state; the message says why."""


# -- rules -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncResult:
    """What a sync of the rule files changed in the rules table."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged, "removed": self.removed}


# Rule columns a sync owns (the file's say); stewards' columns are never written by it.
_SYNCED_FIELDS = (
    "name",
    "description",
    "severity",
    "category",
    "rule_set",
    "scope",
    "definition",
    "rationale",
    "remediation",
    "meta",
    "source",
    "enabled_in_source",
)


def rules_sync(*, paths: Sequence[Path] | None = None, now: datetime | None = None) -> SyncResult:
    """Make the rules table match the rule files (RULES_PATH by default): three queries when nothing changed.

    New rules are created, changed ones updated (the file's fields only: a steward's ``enabled_by_steward``
    and ``parameters_override`` survive), rules no longer in any file are marked ``removed_at`` and kept with
    their violations. Raises RuleFileError (file, rule id, field) when a file is invalid; nothing is written.
    """
    specs = load_rules(list(paths) if paths is not None else [Path(settings.RULES_PATH)])
    now = now or timezone.now()
    existing = {rule.rule_id: rule for rule in Rule.objects.all()}
    created: list[Rule] = []
    changed: list[Rule] = []
    unchanged = 0
    for spec in specs:
        values = _synced_values(spec)
        rule = existing.pop(spec.id, None)
        if rule is None:
            created.append(Rule(rule_id=spec.id, **values, enabled=values["enabled_in_source"], synced_at=now))
            continue
        if all(getattr(rule, name) == value for name, value in values.items()) and rule.removed_at is None:
            unchanged += 1
            continue
        for name, value in values.items():
            setattr(rule, name, value)
        rule.removed_at = None
        rule.enabled = _effective_enabled(rule)
        rule.synced_at = now
        changed.append(rule)
    removed = [rule for rule in existing.values() if rule.removed_at is None]
    for rule in removed:
        rule.removed_at = now
        rule.synced_at = now
    with transaction.atomic():
        Rule.objects.bulk_create(created)
        if changed or removed:
            Rule.objects.bulk_update(
                [*changed, *removed], [*_SYNCED_FIELDS, "enabled", "removed_at", "synced_at", "updated_at"]
            )
    if created or changed or removed:
        logger.info("rules_synced", created=len(created), updated=len(changed), removed=len(removed))
    return SyncResult(created=len(created), updated=len(changed), unchanged=unchanged, removed=len(removed))


def _synced_values(spec: RuleSpec) -> dict[str, Any]:
    definition = spec.to_dict()
    return {
        "name": spec.name,
        "description": spec.description or None,
        "severity": spec.severity,
        "category": spec.category,
        "rule_set": spec.rule_set,
        "scope": spec.scope,
        "definition": definition,
        "rationale": spec.rationale or None,
        "remediation": spec.remediation or None,
        "meta": dict(spec.meta),
        "source": _relative(spec.source),
        "enabled_in_source": spec.enabled,
    }


def _relative(source: str | None) -> str | None:
    if not source:
        return None
    path = Path(source)
    try:
        return str(path.resolve().relative_to(Path(settings.BASE_DIR).resolve()))
    except ValueError:
        return str(path)


def _effective_enabled(rule: Rule) -> bool:
    return rule.enabled_by_steward if rule.enabled_by_steward is not None else rule.enabled_in_source


_KEEP: Any = object()


def rule_override(
    *, rule: Rule, actor: str, enabled: bool | None = _KEEP, parameters: dict[str, Any] | None = _KEEP
) -> Rule:
    """A steward's decision on a rule: ``enabled`` True/False (None: follow the file again) and/or check
    ``parameters`` laid over the file's (None or {}: the file's again). Later syncs keep both.

    Raises RuleFileError when the parameters do not make a valid rule (e.g. ``check.max: expected an integer``).
    """
    if enabled is not _KEEP:
        rule.enabled_by_steward = enabled
    if parameters is not _KEEP:
        rule.parameters_override = dict(parameters or {})
        rule_spec_validate(rule=rule)
    rule.enabled = _effective_enabled(rule)
    rule.changed_by = actor
    rule.full_clean(exclude=["definition"])
    rule.save(update_fields=["enabled_by_steward", "parameters_override", "enabled", "changed_by", "updated_at"])
    logger.info(
        "rule_overridden", rule=rule.rule_id, actor=actor, enabled=rule.enabled, parameters=rule.parameters_override
    )
    return rule


def rule_spec_validate(*, rule: Rule) -> RuleSpec:
    """The rule as the engine will run it (file definition + overrides); raises RuleFileError if invalid."""
    from conformance.selectors import rule_spec

    return rule_spec(rule=rule, strict=True)


# -- project settings -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluatorSetup:
    """A project's dbt-project-evaluator set-up as read from its files, validated, not yet stored.

    ``vars`` is None when no dbt_project.yml was given, ``exceptions`` None when no seed was given: the stored
    ones are then kept.
    """

    vars: EvaluatorVars | None = None
    exceptions: tuple[EvaluatorException, ...] | None = None
    source: str = ""

    @property
    def warnings(self) -> list[str]:
        if self.vars is None or not self.vars.not_understood:
            return []
        return [
            f"dbt-project-evaluator variable {name} is written in Jinja DAB cannot render (it needs more than "
            "target.type); the evaluator's default applies"
            for name in self.vars.not_understood
        ]


def evaluator_setup_read(
    *,
    dbt_project: bytes | str | None = None,
    exceptions: bytes | str | None = None,
    adapter: str | None = None,
    dbt_project_label: str = "dbt_project.yml",
    exceptions_label: str = "dbt_project_evaluator_exceptions.csv",
) -> EvaluatorSetup:
    """Read and validate an evaluator set-up (pure; nothing stored). ``adapter`` renders ``target.type``.

    Raises EvaluatorConfigError naming the file and the variable or row that is wrong.
    """
    return EvaluatorSetup(
        vars=evaluator_vars_read(_text(dbt_project, dbt_project_label), adapter=adapter, source=dbt_project_label)
        if dbt_project is not None
        else None,
        exceptions=evaluator_exceptions_read(_text(exceptions, exceptions_label), source=exceptions_label)
        if exceptions is not None
        else None,
        source=", ".join(
            label for label, given in ((dbt_project_label, dbt_project), (exceptions_label, exceptions)) if given
        ),
    )


def _text(data: bytes | str, label: str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise EvaluatorConfigError(f"{label}: not UTF-8 text") from None


_KEEP_LIST: Any = object()


def project_config_store(
    *,
    source_system_id: Any,
    setup: EvaluatorSetup | None = None,
    exclude_packages: list[str] | None = _KEEP_LIST,
    exclude_paths: list[str] | None = _KEEP_LIST,
    exclude_names: list[str] | None = _KEEP_LIST,
    actor: str | None = None,
) -> ProjectConfig:
    """Keep a project's conformance settings: its evaluator set-up (what ``setup`` gives; the rest stays) and/or
    its own excludes. The next evaluation applies them (``conformance_settings_fingerprint`` changes).

    Two queries; raises ValueError (with the field) for excludes that are not lists of non-empty strings.
    """
    config, _ = ProjectConfig.objects.get_or_create(source_system_id=source_system_id)
    for name, value in (("exclude_packages", exclude_packages), ("exclude_paths", exclude_paths),
                        ("exclude_names", exclude_names)):  # fmt: skip
        if value is _KEEP_LIST:
            continue
        items = list(value or [])
        if not all(isinstance(item, str) and item.strip() for item in items):
            raise ValueError(f"{name}: expected a list of non-empty strings, got {value!r}")
        setattr(config, name, [item.strip() for item in items])
    if setup is not None:
        if setup.vars is not None:
            config.evaluator_vars = dict(setup.vars.values)
            config.evaluator_not_understood = list(setup.vars.not_understood)
        if setup.exceptions is not None:
            config.evaluator_exceptions = [exception.to_dict() for exception in setup.exceptions]
        if setup.source:
            config.evaluator_source = setup.source[:500]
    config.changed_by = (actor or "")[:255] or None
    config.save()
    logger.info("project_config_stored", source_system=str(source_system_id), actor=actor)
    return config


def project_settings_update(
    *,
    source_system: Any,
    settings_file: bytes | str | None = None,
    dbt_project: bytes | str | None = None,
    exceptions: bytes | str | None = None,
    labels: dict[str, str] | None = None,
    clear: bool = False,
    actor: str | None = None,
    evaluate: bool = True,
) -> tuple[ProjectConfig, ConformanceRun | None, list[str]]:
    """Change a project's conformance settings from files, then re-evaluate (the artifacts did not change,
    the findings may): DAB's own settings YAML (``exclude`` and ``evaluator``; see conformance.evaluator),
    an evaluator dbt_project.yml and/or its exceptions seed. ``clear`` forgets what is stored first.

    Everything is read and validated before anything is written (EvaluatorConfigError otherwise); the store
    and the evaluation run in one transaction. Returns (settings, the evaluation or None, warnings).
    """
    from conformance.evaluator import project_file_read

    labels = labels or {}
    adapter = (source_system.meta or {}).get("adapter_type")
    project_file = (
        project_file_read(_text(settings_file, labels.get("settings", "settings")), adapter=adapter,
                          source=labels.get("settings", "settings"))
        if settings_file is not None
        else None
    )  # fmt: skip
    setup = evaluator_setup_read(
        dbt_project=dbt_project,
        exceptions=exceptions,
        adapter=adapter,
        dbt_project_label=labels.get("dbt_project", "dbt_project.yml"),
        exceptions_label=labels.get("exceptions", "dbt_project_evaluator_exceptions.csv"),
    )
    if project_file is not None and project_file.evaluator is not None:
        setup = replace(setup, vars=project_file.evaluator)
    warnings = setup.warnings
    with transaction.atomic():
        if clear:
            ProjectConfig.objects.filter(source_system=source_system).delete()
        excludes: dict[str, Any] = {}
        if project_file is not None:
            excludes = {
                f"exclude_{key}": list(project_file.exclude.get(key, ())) for key in ("packages", "paths", "names")
            }
        config = project_config_store(source_system_id=source_system.pk, setup=setup, actor=actor, **excludes)
        run = conformance_evaluate(trigger=EvaluationTrigger.CLI, triggered_by=actor) if evaluate else None
    return config, run, warnings


def conformance_settings_fingerprint(*, source_system_id: Any = None) -> str:
    """A digest of everything an evaluation's outcome depends on besides the artifacts: the rule files (on disk
    and as stored, with stewards' overrides), stewards' waivers and every project's settings and adapter (or
    one project's, with ``source_system_id``). Equal digests and unchanged artifacts mean an evaluation would
    find the same; a pipeline that skips unchanged work compares it. Four queries and a read of RULES_PATH.
    """
    from catalog.selectors import source_system_brief_list

    digest = hashlib.sha256()
    rules_path = Path(settings.RULES_PATH)
    files = sorted(rules_path.glob("*.y*ml")) if rules_path.is_dir() else [rules_path]
    for file in files:
        try:
            digest.update(file.name.encode() + b"\0" + file.read_bytes())
        except OSError:
            digest.update(f"{file}: unreadable".encode())
    rules = Rule.objects.order_by("rule_id").values_list(
        "rule_id", "definition", "enabled", "parameters_override", "removed_at"
    )
    waivers = (
        Violation.objects.filter(status=ViolationStatus.WAIVED, waiver_source=WaiverSource.STEWARD)
        .order_by("fingerprint")
        .values_list("fingerprint", "waiver_reason", "waiver_expires")
    )
    configs = ProjectConfig.objects.order_by("source_system_id").values_list(
        "source_system_id", "exclude_packages", "exclude_paths", "exclude_names", "evaluator_vars",
        "evaluator_exceptions",
    )  # fmt: skip
    systems = source_system_brief_list().values_list("pk", "name", "meta")
    if source_system_id is not None:
        configs = configs.filter(source_system_id=source_system_id)
        systems = systems.filter(pk=source_system_id)
    for part in (rules, waivers, configs, [(pk, name, (meta or {}).get("adapter_type")) for pk, name, meta in systems]):
        digest.update(orjson.dumps(list(part), default=str, option=orjson.OPT_SORT_KEYS))
    return digest.hexdigest()[:40]


# -- evaluation -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreResult:
    """How one evaluation changed the stored violations."""

    new: int = 0  # first found
    reopened: int = 0  # found again after DAB had resolved it (counts as new since the run before)
    still_open: int = 0  # found again, status kept (open, acknowledged or waived)
    resolved: int = 0  # no longer found: resolved by DAB
    closed: int = 0  # their rule was disabled or removed from the rule files
    waived: int = 0  # waived by a rule file's waiver in this run
    unwaived: int = 0  # active again: its waiver expired or left the rule file
    updated: int = 0  # message, details or severity changed
    events: int = 0

    def to_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class ConformanceRun:
    """One evaluation: the engine's result and score, and (when stored) the snapshot and what changed."""

    evaluation: Evaluation
    report: ScoreReport
    snapshot: ScoreSnapshot | None
    stored: StoreResult | None
    sync: SyncResult | None
    warnings: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    scope: dict[str, Any] | None = None  # an evaluation after a change: what it judged again, or why in full

    def stats(self) -> dict[str, Any]:
        """The small JSON summary kept in an ingestion job's stats."""
        overall = self.report.overall
        results = self.evaluation.results
        out: dict[str, Any] = {
            "rules": {
                status: sum(1 for r in results if r.status == status)
                for status in ("evaluated", "skipped", "error", "disabled")
            },
            "findings": len(self.evaluation.active_findings),
            "waived": len(self.evaluation.findings) - len(self.evaluation.active_findings),
            "score": overall.score,
            "weighted_score": overall.weighted_score,
            "timings": {key: round(value, 3) for key, value in self.timings.items()},
        }
        if self.stored is not None:
            out["violations"] = {
                "new": self.stored.new + self.stored.reopened,
                "still_open": self.stored.still_open,
                "resolved": self.stored.resolved + self.stored.closed,
            }
        if self.snapshot is not None:
            out["snapshot"] = str(self.snapshot.pk)
        if self.sync is not None:
            out["rules_synced"] = self.sync.to_dict()
        if self.warnings:
            out["warnings"] = list(self.warnings)
        if self.scope is not None:
            out["scope"] = self.scope
        return out


@dataclass(frozen=True)
class ConformanceChanges:
    """What changed in the graph since the previous evaluation, as the ingestion pipeline knows it.

    ``capsule_ids``: capsules whose fields, tests, columns, inferred columns or column lineage changed;
    ``column_ids``: columns whose PII classification changed (their capsules count as changed);
    ``edges_changed``: edges between capsules were added or removed, or capsules removed (their edges with them):
    the evaluation is then a full one.
    ``since_last_evaluation``: nothing is known yet; the evaluation finds in the database what changed since the
    evaluation it builds on (``graph_changes_since``): `dab conformance check` after edits made outside ingestion.
    """

    capsule_ids: frozenset = frozenset()
    column_ids: frozenset = frozenset()
    edges_changed: bool = False
    since_last_evaluation: bool = False

    @classmethod
    def from_load(cls, load_result: Any) -> ConformanceChanges:
        """From an ingestion's LoadResult, with what the later pipeline steps noted on it."""
        edges = getattr(load_result, "edges", None)
        return cls(
            capsule_ids=frozenset(
                set(getattr(load_result, "changed_capsule_ids", ()))
                | set(getattr(load_result, "changed_column_capsule_ids", ()))
                | set(getattr(load_result, "derived_capsule_ids", ()))
                | set(getattr(load_result, "inferred_column_capsule_ids", ()))
            ),
            column_ids=frozenset(getattr(load_result, "reclassified_column_ids", ())),
            edges_changed=bool(
                getattr(load_result, "removed_capsule_ids", ())
                or (edges is not None and (edges.created or edges.removed))
            ),
        )


# Whatever changed in the database since the evaluation it builds on (see ConformanceChanges)
SINCE_LAST_EVALUATION = ConformanceChanges(since_last_evaluation=True)


def conformance_evaluate(
    *,
    rule_set: str | None = None,
    specs: Sequence[RuleSpec] | None = None,
    store: bool = True,
    sync: bool = True,
    trigger: str = EvaluationTrigger.CLI,
    triggered_by: str | None = None,
    ingestion: Any = None,
    graph: GraphView | Callable[[], GraphView] | None = None,
    graph_columns: bool = True,
    now: datetime | None = None,
    progress: Progress = _quiet,
    changes: ConformanceChanges | None = None,
    kept_contents: bool = True,
) -> ConformanceRun:
    """Evaluate the rules over the whole graph and (``store``) keep the outcome; see the module docstring.

    ``changes`` (what an ingestion changed) makes it an evaluation proportional to the change when the previous
    full evaluation can be built on (``_incremental_base``): each rule judges again only the capsules its
    verdicts can depend on (``conformance.engine.scope``) and keeps its stored findings elsewhere; the stored
    violations and the score end as a full evaluation's would. Otherwise (edges changed, settings changed, an
    ingestion not evaluated since...) it is a full one; ``run.scope`` says which and why.

    ``graph`` is the whole graph, or a function returning it (a load started earlier, ``graph_load_start``: it is
    awaited after the rule files are synced), or None to load it here. ``graph_columns=False``: the given graph
    holds no columns yet (``graph_load(columns=False)``); the evaluation loads those it needs (all of them when it
    is a full one).

    ``kept_contents=False``: the findings an evaluation after a change keeps from the stored violations (outside what
    it judges again) come without message, details and column name where the violation is active (the store never
    rewrites those), for a caller that reads the run's counts and score, not its findings (an ingestion).

    ``specs`` evaluates rules given by the caller (``--rules FILE``) instead of the stored ones; those are
    never stored (their rules are not in the rules table). ``rule_set`` keeps one set's rules; such a partial
    run stores its violations and a snapshot marked with the set, which the trend leaves out.
    Costs one graph_load (a few seconds at 300,000 columns) and, when storing, a handful of bulk writes; the
    cyclic garbage collector is paused throughout. Raises ValueError for an unknown rule set.
    """
    if specs is not None and store:
        raise ValueError("rules given by the caller are evaluated only, never stored")
    now = now or timezone.now()
    timings: dict[str, float] = {}
    warnings: list[str] = []
    sync_result = None
    started = time.perf_counter()
    # Paused here too: loading the rule files and digesting the settings (every steward's waiver) allocate
    # enough to start full collections, which rescan every graph the process still holds (a worker's, a bench's
    # earlier runs): 1.8-5.9 s of the rules step at 10,000 models.
    with gc_paused():
        if specs is None:
            if sync:
                try:
                    sync_result = rules_sync(now=now)
                except RuleFileError as exc:
                    warnings.append(f"rule files not synced, the stored rules were used: {exc}")
                    logger.warning("rules_sync_failed", error=str(exc))
            specs, problems = rule_specs()
            warnings.extend(problems)
            stored_rules = True
        else:
            stored_rules = False
        settings_print = conformance_settings_fingerprint() if (store and stored_rules and rule_set is None) else None
        # what the graph holds as this evaluation reads it: the next evaluation after a change compares with it
        state = graph_state(now) if settings_print is not None else None
    timings["rules"] = time.perf_counter() - started
    if rule_set is not None:
        known = sorted({spec.rule_set for spec in specs})
        if rule_set not in known:
            raise ValueError(f"unknown rule set {rule_set!r} (known: {', '.join(known) or 'none'})")
        specs = [spec for spec in specs if spec.rule_set == rule_set]

    # The graph is a million small objects; every full collection would rescan them while the evaluation
    # and the store allocate (measured: graph_load alone 10.5 s of CPU at 10,000 models, 4.3 s paused).
    with gc_paused():
        started = time.perf_counter()
        progress("conformance: loading the graph")
        # after a change that an evaluation can build on, the columns are loaded later, for what it judges again
        if graph is None:
            columns_later = store and _columns_later(changes, settings_print, ingestion)
        else:
            columns_later = not graph_columns
        if graph is None:
            graph = graph_load(
                sql=any(spec.enabled and spec.check.type in SQL_CHECKS for spec in specs), columns=not columns_later
            )
        elif not isinstance(graph, GraphView):
            graph = graph()
        timings["graph_load"] = time.perf_counter() - started
        projects, project_waivers, problems = project_scope()
        warnings.extend(problems)
        if not store:
            evaluation, report = _evaluate(
                graph, specs, now=now, waivers=[*steward_waivers(), *project_waivers], projects=projects,
                timings=timings, progress=progress,
            )  # fmt: skip
            return ConformanceRun(evaluation, report, None, None, sync_result, tuple(warnings), timings)
        with transaction.atomic():
            _lock()
            waivers = steward_waivers()
            scope = scope_info = previous = read = kept_counts = None
            if changes is not None:
                started = time.perf_counter()
                scope, previous, read, scope_info = _scope_build(
                    graph, specs, changes=changes, settings_print=settings_print, ingestion=ingestion, now=now,
                    columns_later=columns_later, state=state, contents=kept_contents,
                )  # fmt: skip
                timings["scope"] = time.perf_counter() - started
            if columns_later:
                started = time.perf_counter()
                # the columns' count the graph's state took a moment ago, in this transaction
                total = state["counts"]["columns"] if state is not None else None
                kept_counts = _columns_load(
                    graph, specs, scope=scope, projects=projects, info=scope_info, column_total=total
                )
                timings["columns"] = time.perf_counter() - started
            evaluation, report = _evaluate(
                graph, specs, now=now, waivers=[*waivers, *project_waivers], projects=projects, timings=timings,
                progress=progress, scope=scope, previous=previous, kept_counts=kept_counts,
            )  # fmt: skip
            started = time.perf_counter()
            progress("conformance: storing violations")
            snapshot, stored = _store(
                evaluation=evaluation,
                report=report,
                now=now,
                rule_set=rule_set,
                trigger=trigger,
                triggered_by=triggered_by,
                ingestion=ingestion,
                stewards=frozenset(waivers),
                settings_print=settings_print,
                kept=frozenset(id(f) for found in (previous or {}).values() for f in found),
                read=read,
                state=state,
            )
            _counts_store(evaluation)
            if settings_print is not None and (stored.resolved or stored.unwaived or stored.closed):
                # The store may have moved violations stewards waived (resolved: no longer found; unwaived: expired),
                # which the fingerprint digests: the next evaluation builds on the settings this one left, or it
                # would find them changed and evaluate in full for nothing.
                snapshot.settings_fingerprint = conformance_settings_fingerprint()
            timings["store"] = time.perf_counter() - started
            snapshot.timings = _rounded(timings)
            ScoreSnapshot.objects.filter(pk=snapshot.pk).update(
                timings=snapshot.timings, settings_fingerprint=snapshot.settings_fingerprint
            )
            started = time.perf_counter()
        # the commit writes what COPY queued (inside an ingestion this is a savepoint's release: near zero)
        timings["commit"] = time.perf_counter() - started
    logger.info(
        "conformance_evaluated",
        score=report.overall.score,
        findings=len(evaluation.active_findings),
        new=stored.new + stored.reopened,
        resolved=stored.resolved,
        seconds=round(sum(timings.values()), 3),
    )
    return ConformanceRun(evaluation, report, snapshot, stored, sync_result, tuple(warnings), timings, scope_info)


def _incremental_base(
    *, settings_print: str | None, ingestion: Any, any_ingestion: bool = False
) -> tuple[ScoreSnapshot | None, str]:
    """The full evaluation an evaluation after a change may build on, or None and why not.

    It must be the latest full run of the stored rules, taken with the same rules, waivers and project settings
    (``settings_fingerprint``), and no ingestion but its own may have completed after it (one whose conformance
    step was off or failed changed the graph without an evaluation): checked for an ``ingestion``'s evaluation and,
    with ``any_ingestion``, for one outside any ingestion. Two queries.
    """
    if settings_print is None:
        return None, "not a full run of the stored rules"
    latest = ScoreSnapshot.objects.filter(rule_set__isnull=True).order_by("-evaluated_at").first()
    if latest is None:
        return None, "no earlier evaluation"
    if latest.settings_fingerprint != settings_print:
        return None, "rules, waivers or project settings changed since the last evaluation"
    if ingestion is not None or any_ingestion:
        # the jobs' model, reached through the snapshot's foreign key: conformance does not import ingestion
        jobs = ScoreSnapshot._meta.get_field("ingestion").related_model
        later = jobs._default_manager.filter(completed_at__gt=latest.evaluated_at, status="completed")
        if later.exclude(pk__in=[getattr(ingestion, "pk", None), latest.ingestion_id]).exists():
            return None, "an ingestion completed since the last evaluation without being evaluated"
    return latest, ""


# The tables the graph is read from (lineage.graph.graph_load), by the name a snapshot's graph_state counts them under.
# Source systems are not here: what the graph reads of them (name, adapter) is in the settings fingerprint, and
# removing one removes its capsules.
GRAPH_TABLES = {
    "capsules": Capsule,
    "columns": Column,
    "owners": Owner,
    "domains": Domain,
    "capsule_edges": CapsuleLineage,
    "column_edges": ColumnLineage,
}


def graph_state(now: datetime) -> dict[str, Any]:
    """What the graph an evaluation reads at ``now`` holds, for the next evaluation to find what changed since:
    ``as_of`` (the evaluation's time: rows written later have a later ``updated_at`` or ``created_at``) and each
    table's row count (a removed row leaves no trace but the count). One query of counts."""
    qn = connection.ops.quote_name
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {qn(m._meta.db_table)})" for m in GRAPH_TABLES.values())
    with connection.cursor() as cursor:
        cursor.execute(sql)
        counts = cursor.fetchone()
    return {"as_of": now.isoformat(), "counts": dict(zip(GRAPH_TABLES, counts, strict=True))}


def graph_changes_since(base: ScoreSnapshot, state: dict[str, Any]) -> tuple[ConformanceChanges | None, str]:
    """What changed in the graph's tables since the evaluation ``base`` (whose ``graph_state`` says when it read them
    and how many rows each held), given the ``state`` now; (None, why) when only a full evaluation can tell.

    Rows are changed when written after it: every write path moves ``updated_at`` (``TimeStampedModel``; the bulk
    writes of catalog.services set it too), and edges, never updated in place, have ``created_at``. A changed
    capsule, column, owner or domain makes the capsules it belongs to (or that name it) changed; a column edge added
    makes both its ends' capsules changed; a capsule edge added, or any row removed (the count now is not the base's
    plus the rows created since), makes it a full evaluation. Two queries.
    """
    recorded = base.graph_state or {}
    if not recorded.get("as_of") or set(recorded.get("counts") or ()) != set(GRAPH_TABLES):
        return None, "the last evaluation did not record the state of the graph"
    since = connection.ops.adapt_datetimefield_value(datetime.fromisoformat(recorded["as_of"]))
    tables = {name: connection.ops.quote_name(model._meta.db_table) for name, model in GRAPH_TABLES.items()}
    created = ", ".join(f"(SELECT COUNT(*) FROM {table} WHERE created_at > %s)" for table in tables.values())
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {created}", [since] * len(tables))
        added = dict(zip(tables, cursor.fetchone(), strict=True))
        for name in tables:
            # not the base's rows plus those added since: some were removed (or counted in a state not yet committed)
            if recorded["counts"][name] + added[name] != state["counts"][name]:
                return None, f"{name.replace('_', ' ')} removed since the last evaluation"
        if added["capsule_edges"]:
            return None, "edges between capsules changed"
        capsules, columns, edges = tables["capsules"], tables["columns"], tables["column_edges"]
        parts = [
            f"SELECT id FROM {capsules} WHERE updated_at > %s",
            f"SELECT capsule_id FROM {columns} WHERE updated_at > %s",
            f"SELECT id FROM {capsules} WHERE owner_id IN (SELECT id FROM {tables['owners']} WHERE updated_at > %s)",
            f"SELECT id FROM {capsules} WHERE domain_id IN (SELECT id FROM {tables['domains']} WHERE updated_at > %s)",
        ]
        if added["column_edges"]:
            parts += [
                f"SELECT capsule_id FROM {columns} WHERE id IN (SELECT {end} FROM {edges} WHERE created_at > %s)"
                for end in ("source_column_id", "target_column_id")
            ]
        cursor.execute(" UNION ".join(parts), [since] * len(parts))
        changed = frozenset(row[0] for row in cursor.fetchall())
    return ConformanceChanges(capsule_ids=changed), ""


def _scope_build(
    graph: GraphView,
    specs: Sequence[RuleSpec],
    *,
    changes: ConformanceChanges,
    settings_print: str | None,
    ingestion: Any,
    now: datetime,
    columns_later: bool = False,
    state: dict[str, Any] | None = None,
    contents: bool = True,
) -> tuple[Scope | None, dict[str, list[Finding]] | None, _StoredRead | None, dict[str, Any]]:
    """The scope of an evaluation after ``changes``, the previous findings it keeps outside it and the stored
    violations read for them; (None, None, None, why) for a full evaluation. Two queries for the base, one for
    the previous findings. ``columns_later``: ``graph`` holds no columns yet (``_columns_load`` adds those the
    evaluation needs); column lineage is then followed through the database (``column_lineage_neighbours``).
    ``changes.since_last_evaluation``: what changed is read from the database (``graph_changes_since``, ``state``
    being the graph's now)."""
    if changes.edges_changed:
        return None, None, None, {"mode": "full", "reason": "edges between capsules changed"}
    since = changes.since_last_evaluation
    base, why = _incremental_base(settings_print=settings_print, ingestion=ingestion, any_ingestion=since)
    if base is None:
        return None, None, None, {"mode": "full", "reason": why}
    if since:
        changes, why = graph_changes_since(base, state) if state is not None else (None, "no state of the graph")
        if changes is None:
            return None, None, None, {"mode": "full", "reason": why}
    # keyed by the UUIDs' ints: hashing a UUID object runs Python code, an int's does not (376,000 columns)
    index_of = {node.pk.int: node.index for node in graph.capsules}
    changed = {index_of[key] for key in map(_uuid_int, changes.capsule_ids) if key in index_of}
    if changes.column_ids and columns_later:
        owners = column_capsule_keys(changes.column_ids)
        changed.update(index_of[key] for key in map(_uuid_int, owners) if key in index_of)
    elif changes.column_ids:
        wanted = set(map(key_text, changes.column_ids))
        changed.update(node.capsule for node in graph.columns if node.pk in wanted)
    previous, expired, full_rules, read = _previous_findings(
        graph, specs, today=timezone.localdate(now), columns_later=columns_later, contents=contents
    )
    changed |= expired
    links = _column_links(graph) if columns_later else None
    scope = Scope.of(graph, changed, full_rules=full_rules, links=links)
    return (
        scope,
        previous,
        read,
        {
            "mode": "incremental",
            "base": str(base.pk),
            "changed_capsules": len(changed),
            "full_rules": sorted(full_rules),
        },
    )


def _columns_later(changes: ConformanceChanges | None, settings_print: str | None, ingestion: Any) -> bool:
    """Whether the evaluation after ``changes`` can load only the columns it judges again: it builds on an earlier
    evaluation (``_scope_build`` says so again under the lock; should it not, every column is loaded then)."""
    if changes is None or changes.edges_changed:
        return False
    since = changes.since_last_evaluation
    return _incremental_base(settings_print=settings_print, ingestion=ingestion, any_ingestion=since)[0] is not None


def _column_links(graph: GraphView) -> Callable[[set[int], bool], set[int]]:
    """For a view without columns: the capsules column lineage links a set of capsules to, asked of the database."""
    index_of = capsule_key_index(graph)
    capsules = graph.capsules

    def links(frontier: set[int], downstream: bool) -> set[int]:
        found = column_lineage_neighbours((capsules[index].pk for index in frontier), downstream=downstream)
        return {index_of[key] for key in found if key in index_of}

    return links


def _columns_load(
    graph: GraphView,
    specs: Sequence[RuleSpec],
    *,
    scope: Scope | None,
    projects: ProjectScope,
    info: dict[str, Any],
    column_total: int | None = None,
) -> dict[str, dict[int, tuple[int, int]]] | None:
    """Load into ``graph`` (capsules only so far) the columns the evaluation reads, and return the counts the
    previous evaluations kept for the rest (``RuleCapsuleCount``), by rule id and capsule index.

    What each rule reads (``CheckType.reads_columns``): ``own`` columns of the capsules it judges again, ``upstream``
    those and every capsule upstream of them through column lineage, ``counts`` none of its own (the judged
    capsules' come with the others', the rest from the kept counts). Every column is loaded instead (and None
    returned) when a rule judged in full reads columns, reads ``all``, is re-parametrised by a project, or has no
    counts kept; ``info["columns"]`` says which and why.
    """
    needed: set[int] | None = set(scope.changed) if scope is not None else None
    why = "" if scope is not None else "a full evaluation"
    counted: list[str] = []
    for spec in specs if needed is not None else ():
        kind = check_type(spec.check.type)
        subject = kind.scopes.get(spec.scope) if kind is not None else None
        if not spec.enabled or kind is None or subject is None:
            continue
        reads = kind.reads_columns(spec.check.params, subject)
        if reads == "none":
            continue
        within = None if spec.id in scope.full_rules else scope.capsules(kind.depends, subject)
        if reads == "all" or projects.overridden(spec.id) or (within is None and reads != "counts"):
            needed, why = None, f"rule {spec.id} reads columns beyond what it judges again"
            break
        if reads == "counts" or subject == "column":
            counted.append(spec.id)
        if reads != "counts":
            needed |= within
            if reads == "upstream":
                needed |= scope.reach(within, downstream=False, capsule_edges=False)
    kept = _counts_read(graph, counted) if needed is not None else None
    if needed is not None and kept is None:
        needed, why = None, "no counts kept for a rule that needs them"
    graph_columns_load(graph, capsules=needed, column_total=column_total)
    if needed is None:
        info["columns"] = {"loaded": "all", "reason": why}
        return None
    info["columns"] = {"capsules": len(needed), "columns": len(graph.columns)}
    return kept


def _counts_read(graph: GraphView, rule_ids: list[str]) -> dict[str, dict[int, tuple[int, int]]] | None:
    """The counts kept for ``rule_ids`` (rule id -> capsule index -> (applicable, counted)); None when a rule has
    none kept for every capsule (no ``EVERY_CAPSULE`` row). One query."""
    if not rule_ids:
        return {}
    index_of = capsule_key_index(graph)
    every = key_text(RuleCapsuleCount.EVERY_CAPSULE)
    out: dict[str, dict[int, tuple[int, int]]] = {}
    complete: set[str] = set()
    table, rules = RuleCapsuleCount._meta.db_table, Rule._meta.db_table
    qn = connection.ops.quote_name
    capsule = "k.capsule_id::text" if connection.vendor == "postgresql" else "k.capsule_id"
    sql = (
        f"SELECT r.rule_id, {capsule}, k.applicable, k.counted FROM {qn(table)} k"
        f" JOIN {qn(rules)} r ON r.id = k.rule_id WHERE r.rule_id IN ({', '.join(['%s'] * len(rule_ids))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(rule_ids))
        rows = cursor.fetchall()
    for rule_id, capsule_key, applicable, counted in rows:
        if capsule_key == every:
            complete.add(rule_id)
            continue
        index = index_of.get(capsule_key)
        if index is not None:
            out.setdefault(rule_id, {})[index] = (applicable, counted)
    if not complete.issuperset(rule_ids):
        return None
    return out


def _counts_store(evaluation: Evaluation) -> None:
    """Keep what each column rule and ``counts`` check counted per capsule (``RuleCapsuleCount``) for the next
    evaluation after a change.

    A view of every column rewrites the evaluated rules' counts (only the rows that differ) and marks them complete;
    a view of some capsules' columns replaces those capsules' rows. A rule it did not evaluate loses its mark (its
    kept counts may no longer hold). Three queries and two bulk writes; nothing written when nothing changed.
    """
    graph = evaluation.graph
    # keys as the database writes them in text (key_text): tens of thousands of UUID objects cost more than the rest
    rule_rows = list(Rule.objects.values_list("rule_id", "pk"))
    rules = dict(zip([rule_id for rule_id, _ in rule_rows], key_texts(pk for _, pk in rule_rows), strict=True))
    owner = [column.capsule for column in graph.columns]
    capsule_keys = list(capsule_key_index(graph))  # in the capsules' order
    fresh: dict[str, dict[str, tuple[int, int]]] = {}  # rule key -> capsule key -> counts
    for result in evaluation.results:
        rule_key = rules.get(result.rule.id)
        if rule_key is None or result.status != "evaluated":
            continue
        if result.subject == "column":
            counts = {index: (n, 0) for index, n in Counter(map(owner.__getitem__, result.columns)).items()}
        elif result.counts is not None:
            counts = dict(result.counts)
        else:
            continue
        fresh[rule_key] = {capsule_keys[index]: found for index, found in counts.items()}
    every = key_text(RuleCapsuleCount.EVERY_CAPSULE)
    # a rule that was not evaluated (skipped, failed, disabled) may have kept counts that no longer hold
    unsure = [rules[r.rule.id] for r in evaluation.results if r.status != "evaluated" and r.rule.id in rules]
    if unsure:
        RuleCapsuleCount.objects.filter(capsule_id=RuleCapsuleCount.EVERY_CAPSULE, rule_id__in=unsure).delete()
    if not fresh:
        return
    if graph.column_capsules is None:
        for counts in fresh.values():
            counts[every] = (0, 0)
        loaded = None
    else:
        loaded = [capsule_keys[index] for index in graph.column_capsules]
    old = {(rule, capsule): (pk, found) for pk, rule, capsule, *found in _counts_rows(list(fresh), loaded)}
    inserts, gone = [], []
    for rule_key, counts in fresh.items():
        for capsule, found in counts.items():
            row = old.pop((rule_key, capsule), None)
            if row is not None and tuple(row[1]) == found:
                continue
            inserts.append((rule_key, capsule, *found))
            if row is not None:
                gone.append(row[0])  # changed: deleted, then inserted anew
    gone.extend(pk for pk, _ in old.values())  # rows of capsules the rule no longer counts
    if gone:
        RuleCapsuleCount.objects.filter(pk__in=gone).delete()
    if inserts:
        bulk_insert(RuleCapsuleCount._meta.db_table, ("rule_id", "capsule_id", "applicable", "counted"), inserts)


def _counts_rows(rule_keys: list[str], capsule_keys: list[str] | None) -> list[tuple]:
    """(id, rule key, capsule key, applicable, counted) of the kept counts of ``rule_keys`` (on ``capsule_keys``
    only, unless None), keys as ``key_text``; one query through a plain cursor."""
    qn = connection.ops.quote_name
    text = (lambda column: f"{column}::text") if connection.vendor == "postgresql" else (lambda column: column)
    sql = (
        f"SELECT id, {text('rule_id')}, {text('capsule_id')}, applicable, counted"
        f" FROM {qn(RuleCapsuleCount._meta.db_table)} WHERE rule_id IN ({', '.join(['%s'] * len(rule_keys))})"
    )
    params = list(rule_keys)
    if capsule_keys is not None:
        if not capsule_keys:
            return []
        sql += f" AND capsule_id IN ({', '.join(['%s'] * len(capsule_keys))})"
        params.extend(capsule_keys)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _uuid_int(value: Any) -> int:
    """A primary key as its UUID's int, whether the driver gave a UUID (PostgreSQL) or hex text (SQLite)."""
    return value.int if isinstance(value, uuid.UUID) else uuid.UUID(str(value)).int


@dataclass(frozen=True)
class _StoredRead:
    """Stored violations already read (by ``_previous_findings``), so the store does not read them again.

    ``rows``: fingerprint -> (state, rule pk) of every violation of ``rules`` except those DAB resolved (a
    finding can only reopen those: the store looks them up by the fingerprints it finds, see ``_stored_for``).
    """

    rules: frozenset
    rows: dict[str, tuple[_Stored, Any]]


def _previous_findings(
    graph: GraphView, specs: Sequence[RuleSpec], *, today: date, columns_later: bool = False, contents: bool = True
) -> tuple[dict[str, list[Finding]], set[int], set[str], _StoredRead]:
    """What the previous evaluation found, as findings on this graph: rule id -> findings (active violations and
    those a steward resolved since, which that evaluation still found), with the waivers they stood under.

    Also returns the capsules holding a waived finding whose waiver has expired (judged again, so the finding
    opens as in a full evaluation), the rules to judge in full (never evaluated, or skipped or failed last
    time: their stored violations are not a verdict) and the stored state of the rows read, for the store.
    One query through a plain cursor. With ``columns_later`` (``graph`` holds no columns yet) a finding on a column
    names it by its key (``Finding.column_key``), with its URN and name read with the violation (the output names
    it as a full evaluation does): columns vanish only from changed capsules, which every rule judges again, so a
    finding kept elsewhere is on a column that still exists.

    ``contents=False``: an active violation's finding has an empty message and details and no column URN or name
    (the database sends none: a third of the query's time, and its column lookups); the store takes over an active
    kept finding as it is stored, never comparing its content. A violation a steward resolved comes whole: the
    store compares it with the stored one.
    """
    rules = {
        rule.rule_id: rule for rule in Rule.objects.filter(rule_id__in=[spec.id for spec in specs if spec.enabled])
    }
    full_rules = {spec.id for spec in specs if spec.enabled and (
        spec.id not in rules or rules[spec.id].last_status != "evaluated")}  # fmt: skip
    by_pk = {rule.pk: rule.rule_id for rule_id, rule in rules.items() if rule_id not in full_rules}
    out: dict[str, list[Finding]] = {}
    expired: set[int] = set()
    stored: dict[str, tuple[_Stored, Any]] = {}
    if not by_pk:
        return out, expired, full_rules, _StoredRead(rules=frozenset(), rows=stored)
    # keys compared as the database's text (key_text): tens of thousands of UUID objects cost more than the query
    rule_of = dict(zip(key_texts(by_pk), by_pk, strict=True))
    capsule_index = capsule_key_index(graph)
    column_index = {node.pk: node.index for node in graph.columns}
    qn = connection.ops.quote_name
    as_text = ("rule_id", "capsule_id", "column_id", "id") if connection.vendor == "postgresql" else ()
    columns = ("rule_id", "fingerprint", "capsule_id", "column_id", "severity", "message", "details", "status",
               "waiver_source", "waiver_reason", "waiver_expires", "waived_by", "id", "resolved_by",
               "digest")  # fmt: skip
    active = [str(status) for status in ACTIVE_STATUSES]
    is_active = f"v.{qn('status')} IN ({', '.join(['%s'] * len(active))})"
    select, params = [], []
    for c in columns:
        if not contents and c in ("message", "details"):
            select.append(f"CASE WHEN {is_active} THEN NULL ELSE v.{qn(c)} END")
            params.extend(active)
        else:
            select.append(f"v.{qn(c)}::text" if c in as_text else f"v.{qn(c)}")
    select = ", ".join(select)
    source = f"{qn('violations')} v"
    if columns_later and contents:
        select += ", k.urn, k.name"
        source += f" LEFT JOIN {qn(Column._meta.db_table)} k ON k.id = v.column_id"
    else:
        select += ", NULL, NULL"
    sql = f"SELECT {select} FROM {source} WHERE {is_active} OR (v.{qn('status')} = %s AND v.{qn('resolved_by')} <> %s)"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *active, str(ViolationStatus.RESOLVED), DAB_ACTOR])
        rows = cursor.fetchall()
    # without contents: the columns of the violations stewards resolved (a handful) are asked for by key
    named: dict[str, tuple[str, str]] = {}
    if columns_later and not contents:
        column_at, status_at = columns.index("column_id"), columns.index("status")
        wanted = {row[column_at] for row in rows if row[column_at] is not None and row[status_at] not in active}
        if wanted:
            found = Column.objects.filter(pk__in=[uuid.UUID(key) for key in wanted]).values_list("pk", "urn", "name")
            named = {key_text(pk): (urn, name) for pk, urn, name in found}
    # The loop runs once per stored violation (59,000 at 10,000 models): names looked up once, findings built with
    # positional arguments, lists made only for a rule's first finding.
    waived, steward, texts, loads = str(ViolationStatus.WAIVED), str(WaiverSource.STEWARD), (str, bytes), orjson.loads
    capsule_nodes, column_nodes = graph.capsules, graph.columns
    for (rule_pk, print_, capsule_pk, column_pk, severity, message, details, status, source, reason, expires, by,
         pk, resolved_by, digest, column_urn, column_name) in rows:  # fmt: skip
        rule_pk = rule_of.get(rule_pk)
        if rule_pk is None:
            continue
        rule_id = by_pk[rule_pk]
        if isinstance(expires, str):
            expires = date.fromisoformat(expires)
        stored[print_] = (_Stored(pk, print_, status, resolved_by, digest, source, reason, expires), rule_pk)
        capsule = column = None
        if capsule_pk is not None:
            capsule = capsule_index.get(capsule_pk)
            if capsule is None:
                continue  # its object is gone: a full evaluation would not find it either
        if column_pk is not None and not columns_later:
            column = column_index.get(column_pk)
            if column is None:
                continue  # the same
        waiver = None
        if status == waived:
            if expires is not None and expires < today:
                if capsule is None:
                    full_rules.add(rule_id)
                else:
                    expired.add(capsule)
                continue
            if source == steward:
                waiver = Waiver(rule=rule_id, reason=reason or "waived", fingerprint=print_, expires=expires, by=by)
            else:
                waiver = Waiver(rule=rule_id, reason=reason, expires=expires, by=by)
        if isinstance(details, texts):
            details = loads(details)
        if named and column_pk in named:
            column_urn, column_name = named[column_pk]
        finding = Finding(
            rule_id,
            capsule_nodes[capsule].urn if capsule is not None else None,
            column_nodes[column].urn if column is not None else column_urn,
            message if message is not None else "",
            details or {},
            print_,
            severity,
            waiver,
            capsule,
            column,
            (),
            column_pk if columns_later else None,
            column_name,
        )
        found = out.get(rule_id)
        if found is None:
            out[rule_id] = [finding]
        else:
            found.append(finding)
    return out, expired, full_rules, _StoredRead(rules=frozenset(by_pk), rows=stored)


def conformance_after_load(*, load_result: Any, job: Any, progress: Progress = _quiet) -> dict[str, Any]:
    """The ingestion pipeline's last step: evaluate every enabled rule and store the outcome.

    Runs inside the ingestion's transaction (a failed or dry-run ingestion keeps nothing of it) and honours
    CONFORMANCE_ON_INGEST. Returns its stats for the job: violations new / still open / resolved, the score.
    An unexpected error is logged and reported in the stats; the ingestion itself still completes.
    """
    if not settings.CONFORMANCE_ON_INGEST:
        return {"skipped": "CONFORMANCE_ON_INGEST is off"}
    try:
        # a savepoint: a conformance bug must not cost the catalog its ingestion
        with transaction.atomic():
            run = conformance_evaluate(
                trigger=EvaluationTrigger.INGESTION,
                triggered_by=getattr(job, "triggered_by", None),
                ingestion=job,
                progress=progress,
                changes=ConformanceChanges.from_load(load_result),
                kept_contents=False,  # the job keeps the run's counts and score, not its findings
            )
    except Exception as exc:
        logger.exception("conformance_after_load_failed")
        return {"error": f"{type(exc).__name__}: {exc}", "hint": "run `dab conformance check` to retry"}
    # what the evaluation depended on besides the artifacts: a later ingestion of unchanged artifacts with the
    # same fingerprint would find the same
    return {
        **run.stats(),
        "settings_fingerprint": conformance_settings_fingerprint(
            source_system_id=getattr(load_result, "source_system_id", None)
        ),
    }


def conformance_after_unchanged_ingestion(*, job: Any) -> dict[str, Any]:
    """An ingestion whose artifacts were those of the last one applied, with nothing else changed: the latest full
    evaluation still holds. It is recorded as this ingestion's evaluation (a copy of that one: nothing new, nothing
    fixed), so the trend and ``--new-only`` see the state applied again. Two queries."""
    if not settings.CONFORMANCE_ON_INGEST:
        return {"skipped": "CONFORMANCE_ON_INGEST is off"}
    last = ScoreSnapshot.objects.filter(rule_set__isnull=True).order_by("-evaluated_at").first()
    if last is None:
        return {"skipped": "no evaluation stored to carry over"}
    copied = ScoreSnapshot.objects.create(
        ingestion_id=job.pk, trigger=EvaluationTrigger.INGESTION, triggered_by=getattr(job, "triggered_by", None),
        rule_set=None, score=last.score, weighted_score=last.weighted_score, capsules=last.capsules,
        columns=last.columns, rules_evaluated=last.rules_evaluated, rules_skipped=last.rules_skipped,
        rules_errored=last.rules_errored, rules_disabled=last.rules_disabled, findings=last.findings,
        waived=last.waived, by_severity=last.by_severity, new_count=0, fixed_count=0, report=last.report,
        offenders=last.offenders, timings={}, settings_fingerprint=last.settings_fingerprint,
        graph_state=last.graph_state,  # the state it evaluated, not this copy's time: edits made since stay later
    )  # fmt: skip
    return {"carried_over": str(last.pk), "snapshot": str(copied.pk), "score": last.score}


def steward_waivers() -> list[Waiver]:
    """Waivers granted by stewards on stored violations, as engine waivers matched by fingerprint; one query."""
    rows = Violation.objects.filter(status=ViolationStatus.WAIVED, waiver_source=WaiverSource.STEWARD).values_list(
        "rule__rule_id", "fingerprint", "waiver_reason", "waiver_expires", "waived_by"
    )
    return [
        Waiver(rule=rule_id, reason=reason or "waived", fingerprint=print_, expires=expires, by=by)
        for rule_id, print_, reason, expires, by in rows
    ]


def _evaluate(
    graph: GraphView,
    specs: Sequence[RuleSpec],
    *,
    now: datetime,
    waivers: list[Waiver],
    projects: ProjectScope,
    timings: dict[str, float],
    progress: Progress,
    scope: Scope | None = None,
    previous: dict[str, list[Finding]] | None = None,
    kept_counts: dict[str, dict[int, tuple[int, int]]] | None = None,
) -> tuple[Evaluation, ScoreReport]:
    started = time.perf_counter()
    progress("conformance: evaluating rules")
    evaluation = evaluate(
        graph, specs, now=now, waivers=waivers, projects=projects, scope=scope, previous=previous,
        kept_counts=kept_counts,
    )  # fmt: skip
    timings["evaluate"] = time.perf_counter() - started
    started = time.perf_counter()
    report = score_evaluation(evaluation)
    timings["score"] = time.perf_counter() - started
    return evaluation, report


def _lock() -> None:
    """Serialise conformance writes (evaluations and triage) across processes; released at commit."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CONFORMANCE_LOCK_KEY])
    # SQLite: every transaction opens with BEGIN IMMEDIATE, which takes the write lock.


def _rounded(timings: dict[str, float]) -> dict[str, float]:
    return {key: round(value, 3) for key, value in timings.items()}


# -- storing an evaluation ---------------------------------------------------------------------------------

_INSERT_COLUMNS = (
    "id",
    "rule_id",
    "capsule_id",
    "column_id",
    "severity",
    "message",
    "details",
    "status",
    "resolved_at",
    "resolved_by",
    "detected_at",
    "ingestion_id",
    "fingerprint",
    "last_seen_at",
    "failing_since",
    "digest",
    "acknowledged_at",
    "acknowledged_by",
    "waiver_source",
    "waiver_reason",
    "waiver_expires",
    "waived_by",
    "waived_at",
)
_CONTENT_COLUMNS = ("severity", "message", "details", "digest")
_EVENT_COLUMNS = (
    "violation_id",
    "fingerprint",
    "at",
    "actor",
    "from_status",
    "to_status",
    "reason",
    "expires",
    "evaluation_id",
)
_NO_WAIVER = {
    "waiver_source": None,
    "waiver_reason": None,
    "waiver_expires": None,
    "waived_by": None,
    "waived_at": None,
}


@dataclass(slots=True)
class _Stored:
    """A stored violation's state as the diff needs it (one row of one query; no timestamps, they cost)."""

    id: Any
    fingerprint: str
    status: str
    resolved_by: str | None
    digest: str
    waiver_source: str | None
    waiver_reason: str | None
    waiver_expires: date | None


def _store(
    *,
    evaluation: Evaluation,
    report: ScoreReport,
    now: datetime,
    rule_set: str | None,
    trigger: str,
    triggered_by: str | None,
    ingestion: Any,
    stewards: frozenset[Waiver],
    settings_print: str | None = None,
    kept: frozenset[int] = frozenset(),
    read: _StoredRead | None = None,
    state: dict[str, Any] | None = None,
) -> tuple[ScoreSnapshot, StoreResult]:
    """Upsert the evaluation's findings by fingerprint, close what is gone, record the snapshot and events.

    1. read the stored state of the evaluated rules' violations (one query);
    2. diff in memory: new rows, status changes (reopen, waive, unwaive, resolve), content changes;
    3. write: COPY the new rows; one bulk update per shape of change;
    4. close the active violations of disabled rules and, in a full run, of rules gone from the files;
    5. the snapshot, the rules' latest outcome, the audit events (COPY).

    A violation found again with nothing changed is not written at all: while it is active, it was last seen
    by its rule's latest evaluation (``Rule.last_evaluated_at``, see ``Violation.seen_at``), and the row's own
    ``last_seen_at`` is brought up to date whenever it stops being active. Rewriting tens of thousands of
    unchanged rows (and their eight indexes) per evaluation would cost seconds.

    ``kept`` holds the ids of findings an evaluation after a change took over from the stored violations: one
    whose violation is still active is still open by construction, and is not serialised and compared again.
    ``read`` holds the stored violations that evaluation read already: step 1 then reads only the rest it needs.
    """
    graph = evaluation.graph
    rules = {rule.rule_id: rule for rule in Rule.objects.all()}
    evaluated = [r for r in evaluation.results if r.status == "evaluated" and r.rule.id in rules]
    rule_pks = [rules[r.rule.id].pk for r in evaluated]
    previous = {rule.pk: rule.last_evaluated_at for rule in rules.values()}  # when each rule last found anything
    stored = _stored_state(rule_pks) if read is None else _stored_for(evaluated, rule_pks, read)

    inserts: list[tuple] = []
    changes: dict[tuple[str, ...], list[tuple]] = {}
    content_changes: list[tuple] = []
    events: list[tuple] = []  # (violation id, fingerprint, from, to, actor, reason, expires)
    counts: Counter[str] = Counter()
    ingestion_id = getattr(ingestion, "pk", None)
    for result in evaluated:
        rule_pk = rules[result.rule.id].pk
        for finding in result.findings:
            if kept and id(finding) in kept:
                found = stored.get(finding.fingerprint)
                if found is not None and found[0].status in ACTIVE_STATUSES:
                    del stored[finding.fingerprint]
                    counts["still_open"] += 1
                    continue
            details = orjson.dumps(finding.details, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
            digest = _digest(finding, details)
            found = stored.pop(finding.fingerprint, None)
            if found is None:
                inserts.append(
                    _insert_row(finding, graph, rule_pk, details, digest, now, ingestion_id, events, stewards)
                )
                counts["waived" if finding.waiver is not None else "new"] += 1
                continue
            row = found[0]
            if row.digest != digest:
                content_changes.append((row.id, finding.severity, finding.message, details.decode(), digest))
                counts["updated"] += 1
            kind, values = _apply_finding(row, finding, now, events, stewards)
            counts[kind] += 1
            if values:
                _queue(changes, row.id, {**values, "last_seen_at": now})

    for row, rule_pk in stored.values():
        if row.status not in ACTIVE_STATUSES:
            continue
        events.append(
            (row.id, row.fingerprint, row.status, ViolationStatus.RESOLVED, DAB_ACTOR, "no longer found", None)
        )
        values = {"status": ViolationStatus.RESOLVED, "resolved_at": now, "resolved_by": DAB_ACTOR}
        if previous.get(rule_pk) is not None:
            values["last_seen_at"] = previous[rule_pk]
        _queue(changes, row.id, values)
        counts["resolved"] += 1

    if inserts:
        bulk_insert("violations", _INSERT_COLUMNS, inserts)
    if content_changes:
        bulk_update("violations", _CONTENT_COLUMNS, content_changes)
    for columns, values in changes.items():
        bulk_update("violations", columns, values)
    counts["closed"] = _close_rules(evaluation, rules, previous, full=rule_set is None, now=now, events=events)

    snapshot = ScoreSnapshot.objects.create(
        evaluated_at=now,
        ingestion_id=ingestion_id,
        trigger=trigger,
        triggered_by=(triggered_by or "")[:255] or None,
        rule_set=rule_set,
        score=report.overall.score,
        weighted_score=report.overall.weighted_score,
        capsules=len(graph.capsules),
        columns=len(graph.columns) if graph.column_total is None else graph.column_total,
        rules_evaluated=sum(1 for r in evaluation.results if r.status == "evaluated"),
        rules_skipped=sum(1 for r in evaluation.results if r.status == "skipped"),
        rules_errored=sum(1 for r in evaluation.results if r.status == "error"),
        rules_disabled=sum(1 for r in evaluation.results if r.status == "disabled"),
        findings=report.overall.findings,
        waived=report.overall.waived,
        by_severity=report.overall.by_severity,
        new_count=counts["new"] + counts["reopened"],
        fixed_count=counts["resolved"],
        report=report.to_dict(),
        offenders=offenders(evaluation=evaluation, report=report),
        settings_fingerprint=settings_print,
        graph_state=state or {},
    )
    if events:
        bulk_insert(
            "violation_events",
            _EVENT_COLUMNS,
            (
                (pk, print_, now, actor[:255], old, new, reason, expires, snapshot.pk)
                for pk, print_, old, new, actor, reason, expires in events
            ),
        )
    _rules_record(evaluation=evaluation, report=report, rules=rules, now=now)
    return snapshot, StoreResult(
        new=counts["new"],
        reopened=counts["reopened"],
        still_open=counts["still_open"],
        resolved=counts["resolved"],
        closed=counts["closed"],
        waived=counts["waived"] + counts["waive"],
        unwaived=counts["unwaive"],
        updated=counts["updated"],
        events=len(events),
    )


def _stored_for(evaluated: list[RuleResult], rule_pks: list[Any], read: _StoredRead) -> dict[str, tuple[_Stored, Any]]:
    """The stored state the store needs after an evaluation that read most of it already (``read``): those rows
    of the evaluated rules, every row of the evaluated rules it did not read, and the rows DAB resolved that a
    finding of this evaluation names (they reopen). At most two queries, instead of reading every violation."""
    wanted = set(rule_pks)
    out = {print_: entry for print_, entry in read.rows.items() if entry[1] in wanted}
    unread = [pk for pk in rule_pks if pk not in read.rules]
    unknown = [
        finding.fingerprint for result in evaluated for finding in result.findings if finding.fingerprint not in out
    ]
    out.update(_stored_state(unread))
    found = _stored_state([], fingerprints=[print_ for print_ in unknown if print_ not in out])
    out.update((print_, entry) for print_, entry in found.items() if entry[1] in wanted)
    return out


def _stored_state(rule_pks: list[Any], *, fingerprints: Sequence[str] = ()) -> dict[str, tuple[_Stored, Any]]:
    """fingerprint -> (state, rule pk) of every stored violation of these rules, or with these fingerprints; one
    query through a plain cursor (the ORM's row handling costs more than the query at 50,000 rows)."""
    qn = connection.ops.quote_name
    columns = ("id", "fingerprint", "status", "resolved_by", "digest", "waiver_source", "waiver_reason")
    # keys as text on PostgreSQL: a UUID object per key costs more than the rest of the row (see key_text)
    as_text = ("id", "rule_id") if connection.vendor == "postgresql" else ()
    select = ", ".join(f"{qn(c)}::text" if c in as_text else qn(c) for c in (*columns, "waiver_expires", "rule_id"))
    out: dict[str, tuple[_Stored, Any]] = {}
    rule_of: dict[str, uuid.UUID] = {}
    rows = []
    with connection.cursor() as cursor:
        for column, values, keys in (("rule_id", rule_pks, True), ("fingerprint", fingerprints, False)):
            if values:
                within, params = sql_among(qn(column), values, keys=keys)
                cursor.execute(f"SELECT {select} FROM {qn('violations')} WHERE {within}", params)
                rows.extend(cursor.fetchall())
    for row in rows:
        expires = row[7]
        if isinstance(expires, str):
            expires = date.fromisoformat(expires)
        rule_pk = rule_of.get(row[8])
        if rule_pk is None:
            rule_pk = rule_of[row[8]] = uuid.UUID(row[8])
        out[row[1]] = (_Stored(*row[:7], waiver_expires=expires), rule_pk)
    return out


def _queue(changes: dict[tuple[str, ...], list[tuple]], pk: Any, values: dict[str, Any]) -> None:
    """Group row updates by the columns they set: one bulk update per shape."""
    columns = tuple(sorted(values))
    changes.setdefault(columns, []).append((pk, *(values[column] for column in columns)))


def _digest(finding: Finding, details: bytes) -> str:
    """Changes when what a violation says changes; its identity (the fingerprint) does not."""
    text = b"\x1f".join((finding.severity.encode(), finding.message.encode(), details))
    return hashlib.blake2b(text, digest_size=16).hexdigest()


def _insert_row(
    finding: Finding,
    graph: GraphView,
    rule_pk: Any,
    details: bytes,
    digest: str,
    now: datetime,
    ingestion_id: Any,
    events: list[tuple],
    stewards: frozenset[Waiver],
) -> tuple:
    capsule = graph.capsules[finding.capsule].pk if finding.capsule is not None else None
    column = graph.columns[finding.column].pk if finding.column is not None else None
    pk = ordered_uuid()
    waiver = finding.waiver
    status = ViolationStatus.OPEN
    waiver_values: tuple = (None, None, None, None, None)
    if waiver is not None:
        status = ViolationStatus.WAIVED
        waiver_values = (_waiver_source(waiver, stewards), waiver.reason, waiver.expires, _waiver_actor(waiver), now)
        events.append(
            (
                pk,
                finding.fingerprint,
                None,
                ViolationStatus.WAIVED,
                _waiver_actor(waiver),
                waiver.reason,
                waiver.expires,
            )
        )
    return (
        pk,
        rule_pk,
        capsule,
        column,
        finding.severity,
        finding.message,
        details.decode(),
        status,
        None,
        None,
        now,
        ingestion_id,
        finding.fingerprint,
        now,
        now,
        digest,
        None,
        None,
        *waiver_values,
    )


def _waiver_source(waiver: Waiver, stewards: frozenset[Waiver]) -> str:
    if waiver in stewards:
        return WaiverSource.STEWARD
    return WaiverSource.PROJECT if waiver.by == EXCEPTIONS_BY else WaiverSource.RULE_FILE


def _waiver_actor(waiver: Waiver) -> str:
    return waiver.by or "rule file"


def _apply_finding(
    row: _Stored, finding: Finding, now: datetime, events: list[tuple], stewards: frozenset[Waiver]
) -> tuple[str, dict[str, Any] | None]:
    """What a finding of this run does to its stored violation: (kind of change, columns to set or None).

    Kinds: still_open (nothing to do, or a steward's resolve undone), reopened (found again after a fix:
    counts as new), waive (a rule file's waiver now covers it), unwaive (its waiver expired or was withdrawn).
    """
    waiver = finding.waiver
    before = row.status
    if waiver is not None:
        source = _waiver_source(waiver, stewards)
        if before == ViolationStatus.WAIVED and (
            source == WaiverSource.STEWARD
            or (
                row.waiver_source == source
                and row.waiver_reason == waiver.reason
                and row.waiver_expires == waiver.expires
            )
        ):
            return "still_open", None
        values: dict[str, Any] = {
            "status": ViolationStatus.WAIVED,
            "waiver_source": source,
            "waiver_reason": waiver.reason,
            "waiver_expires": waiver.expires,
            "waived_by": _waiver_actor(waiver),
            "waived_at": now,
        }
        if before == ViolationStatus.RESOLVED:
            values.update(resolved_at=None, resolved_by=None)
            if row.resolved_by == DAB_ACTOR:
                values["failing_since"] = now
        events.append(
            (
                row.id,
                row.fingerprint,
                before,
                ViolationStatus.WAIVED,
                _waiver_actor(waiver),
                waiver.reason,
                waiver.expires,
            )
        )
        return "waive", values
    if before == ViolationStatus.RESOLVED:
        fixed_before = row.resolved_by == DAB_ACTOR
        reason = "found again after it was fixed" if fixed_before else "still found after it was marked resolved"
        events.append((row.id, row.fingerprint, before, ViolationStatus.OPEN, DAB_ACTOR, reason, None))
        values = {"status": ViolationStatus.OPEN, "resolved_at": None, "resolved_by": None}
        if fixed_before:
            values["failing_since"] = now
        return ("reopened" if fixed_before else "still_open"), values
    if before == ViolationStatus.WAIVED:
        expired = row.waiver_expires is not None and row.waiver_expires < timezone.localdate(now)
        reason = f"waiver expired on {row.waiver_expires.isoformat()}" if expired else "waiver withdrawn"
        events.append((row.id, row.fingerprint, before, ViolationStatus.OPEN, DAB_ACTOR, reason, None))
        return "unwaive", {"status": ViolationStatus.OPEN, **_NO_WAIVER}
    return "still_open", None


def _close_rules(
    evaluation: Evaluation,
    rules: dict[str, Rule],
    previous: dict[Any, datetime | None],
    *,
    full: bool,
    now: datetime,
    events: list[tuple],
) -> int:
    """Resolve the active violations of rules switched off (and, in a full run, of rules gone from the files)."""
    reasons: dict[Any, str] = {}
    for result in evaluation.results:
        if result.status == "disabled" and result.rule.id in rules:
            reasons[rules[result.rule.id].pk] = "rule disabled"
    if full:
        for rule in rules.values():
            if rule.removed_at is not None:
                reasons[rule.pk] = "rule removed from the rule files"
    if not reasons:
        return 0
    rows = list(
        Violation.objects.filter(rule_id__in=list(reasons), status__in=ACTIVE_STATUSES).values_list(
            "id", "rule_id", "status", "last_seen_at", "fingerprint"
        )
    )
    for pk, rule_pk, status, _, print_ in rows:
        events.append((pk, print_, status, ViolationStatus.RESOLVED, DAB_ACTOR, reasons[rule_pk], None))
    if rows:
        bulk_update(
            "violations",
            ("status", "resolved_at", "resolved_by", "last_seen_at"),
            [
                (pk, ViolationStatus.RESOLVED, now, DAB_ACTOR, max(filter(None, (seen, previous.get(rule_pk)))))
                for pk, rule_pk, _, seen, _ in rows
            ],
        )
    return len(rows)


def _rules_record(*, evaluation: Evaluation, report: ScoreReport, rules: dict[str, Rule], now: datetime) -> None:
    """Each rule's latest outcome on its row (the rules page reads pass rates from there).

    ``last_evaluated_at`` and the counts move only when the rule was evaluated: a skipped run found nothing,
    so it must not count as having seen the rule's violations. One bulk update of the rows that changed
    (Django's ``bulk_update`` builds a CASE per field and row: half a second of CPU for 60 rules).
    """
    rows = []
    for result in evaluation.results:
        rule = rules.get(result.rule.id)
        if rule is None:
            continue
        values = {"last_status": result.status, "last_reason": result.reason}
        score = report.by_rule.get(result.rule.id)
        if result.status == "evaluated" and score is not None:
            values.update(
                last_evaluated_at=now, last_applicable=score.applicable, last_failing=score.failing,
                last_findings=score.findings, last_waived=score.waived, pass_rate=score.pass_rate,
            )  # fmt: skip
        if any(getattr(rule, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(rule, name, value)
            rows.append(tuple(getattr(rule, name) for name in ("pk", *_RULE_OUTCOME)))
    bulk_update(Rule._meta.db_table, _RULE_OUTCOME, rows)


_RULE_OUTCOME = (
    "last_evaluated_at",
    "last_status",
    "last_reason",
    "last_applicable",
    "last_failing",
    "last_findings",
    "last_waived",
    "pass_rate",
)


def offenders(*, evaluation: Evaluation, report: ScoreReport, limit: int = OFFENDERS) -> list[dict[str, Any]]:
    """The capsules to fix first: worst active severity, then most capsules downstream, then most findings.

    Downstream counts come from the evaluated graph (``conformance.impact.downstream_counts``).
    """
    rank = {severity: position for position, severity in enumerate(SEVERITIES)}
    # counted by (capsule, severity) pairs first: a Counter built per finding (59,000) cost more than the rest
    per_capsule: dict[int, Counter[str]] = {}
    pairs = Counter((f.capsule, f.severity) for f in evaluation.active_findings if f.capsule is not None)
    for (capsule, severity), count in pairs.items():  # first seen first, as the findings come
        counts = per_capsule.get(capsule)
        if counts is None:
            counts = per_capsule[capsule] = Counter()
        counts[severity] = count
    if not per_capsule:
        return []
    graph = evaluation.graph
    downstream = downstream_counts(graph, capsules=per_capsule)
    scores = {item.urn: item for item in report.objects if item.urn is not None}

    def key(index: int) -> tuple:
        counts = per_capsule[index]
        worst = min(rank[severity] for severity in counts)
        return (worst, -downstream.get(index, 0), -sum(counts.values()), graph.capsules[index].name)

    out = []
    for index in heapq.nsmallest(limit, per_capsule, key=key):  # sorted(...)[:limit], without sorting them all
        node = graph.capsules[index]
        counts = per_capsule[index]
        score = scores.get(node.urn)
        out.append(
            {
                "urn": node.urn,
                "name": capsule_label(node),
                "capsule_type": node.capsule_type,
                "layer": node.layer,
                "domain": node.domain,
                "owner": node.owner,
                "downstream": downstream.get(index, 0),
                "worst": min(counts, key=rank.__getitem__),
                "by_severity": {severity: counts[severity] for severity in SEVERITIES if counts[severity]},
                "findings": sum(counts.values()),
                "score": score.score if score else None,
                "weighted_score": score.weighted_score if score else None,
            }
        )
    return out


# -- triage -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TriageResult:
    """What a (bulk) status change did: the violations changed, and why the others were left alone."""

    changed: tuple[Violation, ...]
    skipped: dict[str, str]  # violation id -> reason

    def to_dict(self) -> dict[str, Any]:
        return {"changed": [str(v.pk) for v in self.changed], "skipped": self.skipped}


def violations_triage(
    *,
    violations: Iterable[Violation],
    action: str,
    actor: str,
    reason: str | None = None,
    expires: date | None = None,
    now: datetime | None = None,
) -> TriageResult:
    """Acknowledge, resolve, waive (reason required, optional expiry) or reopen violations, with an audit event each.

    Violations whose status does not allow the action are skipped with the reason. Holds the conformance lock so
    an evaluation cannot overwrite the change half-way; two queries plus one per 500 changed rows.
    Raises TriageError when the request itself is wrong (unknown action, waiver without reason, past expiry).
    """
    now = now or timezone.now()
    reason = (reason or "").strip() or None
    if action not in TriageAction.values:
        raise TriageError(f"unknown action {action!r} (known: {', '.join(TriageAction.values)})")
    if action == TriageAction.WAIVE:
        if not reason:
            raise TriageError("a waiver needs a reason")
        if expires is not None and expires < timezone.localdate(now):
            raise TriageError(f"the waiver's expiry {expires.isoformat()} is in the past")
    elif expires is not None:
        raise TriageError("only a waiver has an expiry")
    changed: list[Violation] = []
    skipped: dict[str, str] = {}
    events: list[ViolationEvent] = []
    with transaction.atomic():
        _lock()
        ids = [violation.pk for violation in violations]
        for violation in Violation.objects.filter(pk__in=ids).select_related("rule"):
            before = violation.status
            problem = _triage_apply(violation, action=action, actor=actor, reason=reason, expires=expires, now=now)
            if problem:
                skipped[str(violation.pk)] = problem
                continue
            changed.append(violation)
            events.append(
                ViolationEvent(
                    violation=violation,
                    fingerprint=violation.fingerprint,
                    at=now,
                    actor=actor[:255],
                    from_status=before,
                    to_status=violation.status,
                    reason=reason,
                    expires=expires,
                )
            )
        found = {str(v.pk) for v in changed} | set(skipped)
        for pk in ids:
            if str(pk) not in found:
                skipped[str(pk)] = "no such violation"
        if changed:
            Violation.objects.bulk_update(
                changed,
                [
                    "status",
                    "resolved_at",
                    "resolved_by",
                    "acknowledged_at",
                    "acknowledged_by",
                    "last_seen_at",
                    *_NO_WAIVER,
                ],
                batch_size=500,
            )
            ViolationEvent.objects.bulk_create(events, batch_size=500)
    if changed:
        logger.info("violations_triaged", action=action, actor=actor, changed=len(changed), skipped=len(skipped))
    return TriageResult(changed=tuple(changed), skipped=skipped)


def violation_triage(
    *,
    violation: Violation,
    action: str,
    actor: str,
    reason: str | None = None,
    expires: date | None = None,
) -> Violation:
    """One violation's status change (see violations_triage); raises TriageError when it does not apply."""
    result = violations_triage(violations=[violation], action=action, actor=actor, reason=reason, expires=expires)
    if not result.changed:
        raise TriageError(result.skipped.get(str(violation.pk), "not changed"))
    return result.changed[0]


def _triage_apply(
    violation: Violation, *, action: str, actor: str, reason: str | None, expires: date | None, now: datetime
) -> str | None:
    """Change the violation in memory; returns why not when the action does not apply."""
    status = violation.status
    by_file = status == ViolationStatus.WAIVED and violation.waiver_source in (
        WaiverSource.RULE_FILE,
        WaiverSource.PROJECT,
    )
    if action == TriageAction.ACKNOWLEDGE:
        if status != ViolationStatus.OPEN:
            return f"only an open violation can be acknowledged (this one is {status})"
        violation.status = ViolationStatus.ACKNOWLEDGED
        violation.acknowledged_at, violation.acknowledged_by = now, actor
        return None
    if action == TriageAction.RESOLVE:
        if status == ViolationStatus.RESOLVED:
            return "already resolved"
        if by_file:
            return _not_triageable(violation)
        violation.last_seen_at = violation.seen_at  # it stops being active: freeze when it was last seen
        violation.status = ViolationStatus.RESOLVED
        violation.resolved_at, violation.resolved_by = now, actor
        _clear_waiver(violation)
        return None
    if action == TriageAction.WAIVE:
        if status == ViolationStatus.RESOLVED:
            return "a resolved violation has nothing to waive"
        if by_file:
            if violation.waiver_source == WaiverSource.PROJECT:
                return "already waived by the project's evaluator exceptions"
            return "already waived by a rule file"
        violation.status = ViolationStatus.WAIVED
        violation.waiver_source, violation.waiver_reason, violation.waiver_expires = (
            WaiverSource.STEWARD,
            reason,
            expires,
        )
        violation.waived_by, violation.waived_at = actor, now
        return None
    # reopen
    if status == ViolationStatus.OPEN:
        return "already open"
    if by_file:
        return _not_triageable(violation)
    violation.status = ViolationStatus.OPEN
    violation.resolved_at = violation.resolved_by = None
    violation.acknowledged_at = violation.acknowledged_by = None
    _clear_waiver(violation)
    return None


def _not_triageable(violation: Violation) -> str:
    if violation.waiver_source == WaiverSource.PROJECT:
        return "waived by the project's dbt-project-evaluator exceptions: change the exceptions seed instead"
    return "waived by a rule file: change the file's waiver instead"


def _clear_waiver(violation: Violation) -> None:
    violation.waiver_source = violation.waiver_reason = violation.waiver_expires = None
    violation.waived_by = violation.waived_at = None


# -- the CI gate -------------------------------------------------------------------------------------------


def gate_findings(
    *, evaluation: Evaluation, fail_on: str, baseline: set[str] | None = None
) -> tuple[list[Finding], list[Finding]]:
    """(findings that fail the gate, active findings at or above the threshold that the baseline already had).

    A finding fails the gate when it is active (not waived), its severity is ``fail_on`` or worse, and, when
    a ``baseline`` (fingerprints) is given, it is not in it.
    """
    if fail_on not in SEVERITIES:
        raise ValueError(f"unknown severity {fail_on!r} (known: {', '.join(SEVERITIES)})")
    worst_allowed = SEVERITIES.index(fail_on)
    failing, known = [], []
    for finding in evaluation.active_findings:
        if SEVERITIES.index(finding.severity) > worst_allowed:
            continue
        if baseline is not None and finding.fingerprint in baseline:
            known.append(finding)
        else:
            failing.append(finding)
    return failing, known


def evaluation_only(evaluation: Evaluation, *, fingerprints: set[str]) -> Evaluation:
    """The evaluation with only the findings named (e.g. the new ones), for output formats."""
    results = tuple(
        replace(result, findings=tuple(f for f in result.findings if f.fingerprint in fingerprints))
        for result in evaluation.results
    )
    return replace(evaluation, results=results)


__all__ = [
    "CONFORMANCE_LOCK_KEY",
    "DAB_ACTOR",
    "ConformanceRun",
    "StoreResult",
    "SyncResult",
    "TriageError",
    "TriageResult",
    "EvaluatorConfigError",
    "EvaluatorSetup",
    "conformance_after_load",
    "conformance_evaluate",
    "conformance_settings_fingerprint",
    "evaluator_setup_read",
    "project_config_store",
    "project_settings_update",
    "evaluation_only",
    "gate_findings",
    "offenders",
    "rule_override",
    "rule_spec_validate",
    "rules_sync",
    "steward_waivers",
    "violation_triage",
    "violations_triage",
]
