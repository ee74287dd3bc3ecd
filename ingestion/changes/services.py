"""The change report of two states of a dbt project, evaluated without storing anything.

``diff_run`` is what ``dab diff dbt`` and ``POST /api/v1/diff/dbt`` call. Steps:

1. read and parse the head's artifacts (and the base's, when given); bad input fails here, nothing is touched;
2. in one transaction holding the ingestion lock, always rolled back (a preview: nothing is stored, and the
   lock keeps a concurrent ingestion from mixing in):
   a. when the base is artifacts, load them and run the pipeline's later steps, as an ingestion would;
   b. read the base state (with each column's PII classification), its active violations and the score;
   c. load the head and run the same steps (PII classification, column lineage, PII propagation,
      conformance): each works on what the change can affect, as in an ingestion. On PostgreSQL a stored
      base is read (b) on a second connection while the head loads (``_can_read_beside``);
   d. read the head state, violations and score the same way;
3. diff the two states (pure), judge what breaks, and compute the PII and conformance deltas.

With ``evaluate=False`` step 2 is skipped for the head: the head state comes straight from the parsed
artifacts (no PII or conformance delta), which is cheaper and needs no lock.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, connections, transaction

from catalog.models import SourceSystem
from conformance.selectors import snapshot_latest, violation_fingerprints_active, violations_active_brief
from dab_project.memory import gc_paused
from ingestion.loader import project_load
from ingestion.models import IngestionJob
from ingestion.parsers.dbt import ParseError, parse_dbt_artifacts
from ingestion.records import ParsedProject
from ingestion.services import Artifact, IngestionError, _acquire_ingestion_lock, _pipeline_steps, conventions_load

from .diff import diff_states
from .report import DiffReport, conformance_delta, pii_delta, report_build
from .selectors import project_state_read, source_system_find
from .state import ProjectState, state_from_parsed

__all__ = ["ArtifactSet", "DiffError", "diff_run"]


class DiffError(Exception):
    """Input the change report refuses; the message names the problem."""


class _Rollback(Exception):
    pass


@dataclass(frozen=True)
class ArtifactSet:
    """One state's artifacts: a manifest, optionally its catalog and run results."""

    manifest: Artifact
    catalog: Artifact | None = None
    run_results: Artifact | None = None

    @property
    def label(self) -> str:
        return self.manifest.label

    def parse(self, *, limit_mb: int, project_name: str | None) -> ParsedProject:
        try:
            data = {a.kind: a.read(limit_mb=limit_mb) for a in (self.manifest, self.catalog, self.run_results) if a}
            with gc_paused():  # millions of acyclic objects: the cycle collector would rescan them for nothing
                return parse_dbt_artifacts(
                    manifest=data["manifest"], catalog=data.get("catalog"), run_results=data.get("run_results"),
                    project_name=project_name,
                )  # fmt: skip
        except (IngestionError, ParseError) as exc:
            raise DiffError(str(exc)) from None


@dataclass
class _Side:
    state: ProjectState
    violations: dict[str, dict[str, Any]] | None = None  # by fingerprint: all, or (stored base) those that differ
    fingerprints: set[str] | None = None  # of the active violations, when only those are read at first
    score: float | None = None
    scope: dict[str, Any] | None = None  # how its conformance evaluation was scoped (incremental, or full and why)


def _load(parsed: list[ParsedProject | None], index: int, *, actor: str) -> dict[str, Any] | None:
    """Load the parsed state ``parsed[index]`` and run the pipeline's later steps, inside the caller's transaction;
    the job is never saved (the transaction is rolled back before its deferred foreign keys are checked). Returns
    how the conformance step scoped its evaluation (it judges again only what the change can affect, as in an
    ingestion), None when it did not evaluate.

    The parsed state is dropped from the list, and so freed, once loaded: its records hold the artifacts' raw
    column JSON (for columns built on demand), which would otherwise still be alive when conformance loads the
    whole graph, the preview's peak of memory."""
    project = parsed[index]
    parsed[index] = None
    job = IngestionJob(pk=uuid.uuid4(), source_type="dbt", source_name=project.project.name, triggered_by=actor)
    result = project_load(project, job_id=job.pk, conventions=conventions_load())
    del project
    scope = None
    for name, step in _pipeline_steps():
        stats = step(load_result=result, job=job)
        if name == "conformance" and isinstance(stats, dict) and "score" in stats:
            scope = stats.get("scope", {"mode": "full"})
    return scope


def _side(
    system: SourceSystem,
    *,
    evaluate: bool,
    lazy_sql: bool = False,
    like: ProjectState | None = None,
    fingerprints_only: bool = False,
    lazy_columns: bool = False,
) -> _Side:
    """One side's state, and its violations and score when ``evaluate``: with ``fingerprints_only``, only the
    violations' fingerprints (the details of those that differ are read later)."""
    with gc_paused():
        side = _Side(state=project_state_read(source_system=system, lazy_sql=lazy_sql, like=like,
                                              lazy_columns=lazy_columns))  # fmt: skip
    if evaluate and settings.CONFORMANCE_ON_INGEST:
        if fingerprints_only:
            side.fingerprints = violation_fingerprints_active(source_system_id=system.pk)
        else:
            side.violations = violations_active_brief(source_system_id=system.pk)
        latest = snapshot_latest(full_only=True)
        side.score = latest.score if latest else None
    return side


def _can_read_beside() -> bool:
    """Whether a stored base can be read on a second connection while the head loads on this one.

    The head's writes are uncommitted, so the other connection sees the committed base, and this transaction's
    ingestion lock keeps any other ingestion from committing meanwhile: the same state the serial read sees, with
    PostgreSQL packing and hashing 376,000 columns on one core while Python loads the head on the other. Only when
    this transaction is the outermost one (a caller's open transaction, a test's among them, may hold rows the
    other connection cannot see), and only on PostgreSQL (SQLite has one writer and its lock is the file's)."""
    return connection.vendor == "postgresql" and len(connection.atomic_blocks) == 1


def _own_connection(read: Callable[[], _Side]) -> Callable[[], _Side]:
    """``read`` for a worker thread: Django's connections are per thread, so it opens its own and closes it after."""

    def run() -> _Side:
        try:
            return read()
        finally:
            connections.close_all()

    return run


def diff_run(
    *,
    head: ArtifactSet,
    base: ArtifactSet | None = None,
    source_system: str | None = None,
    upload: bool = False,
    evaluate: bool = True,
    actor: str = "diff",
) -> DiffReport:
    """The change report from ``base`` (artifacts, or what DAB stored for the project when None) to ``head``;
    see the module docstring. Raises DiffError for bad input or a project DAB has not stored."""
    limit = settings.INGEST_MAX_UPLOAD_MB if upload else settings.INGEST_MAX_FILE_MB
    head_parsed = head.parse(limit_mb=limit, project_name=source_system)
    base_parsed = base.parse(limit_mb=limit, project_name=source_system or head_parsed.project.name) if base else None
    name = source_system or head_parsed.project.name
    stored = source_system_find(name=name)
    if base_parsed is None and stored is None:
        known = ", ".join(SourceSystem.objects.order_by("name").values_list("name", flat=True)[:20]) or "none"
        raise DiffError(
            f"DAB has stored nothing for the project {name!r} to compare with: ingest it first, pass --base "
            f"artifacts, or name a stored project with --source-system (stored: {known})"
        )
    notes = list(head_parsed.warnings[:5])
    if not head_parsed.capsules or not any(c.in_catalog for c in head_parsed.capsules):
        notes.append("the head has no catalog: columns are compared where the YAML declares them")
    if evaluate and not settings.CONFORMANCE_ON_INGEST:
        notes.append("conformance is off (CONFORMANCE_ON_INGEST): no conformance delta")
    if not evaluate:
        with gc_paused():
            if base_parsed is not None:
                base_side = _Side(state_from_parsed(base_parsed, conventions=conventions_load()))
            else:
                base_side = _Side(project_state_read(source_system=stored, pii=False, lazy_sql=True))
            head_side = _Side(state_from_parsed(head_parsed, conventions=conventions_load()))
    else:
        # the preview drops each parsed project once loaded, so it is not held beside both states
        parsed = [base_parsed, head_parsed]
        del base_parsed, head_parsed
        base_side, head_side = _preview(parsed, name=name, actor=actor)
    with gc_paused():  # the states and the diff are many small acyclic objects
        diff = diff_states(base_side.state, head_side.state)
    conformance = None
    if base_side.violations is not None and head_side.violations is not None:
        conformance = conformance_delta(before=base_side.violations, after=head_side.violations,
                                        score_before=base_side.score, score_after=head_side.score)  # fmt: skip
        if head_side.scope is not None:
            conformance["evaluation"] = head_side.scope
    pii = pii_delta(diff) if evaluate and settings.PII_DETECTION_ENABLED else None
    return report_build(
        diff=diff, project=name, base_label=base.label if base else "stored", head_label=head.label, pii=pii,
        conformance=conformance, notes=notes,
    )  # fmt: skip


def _preview(parsed: list[ParsedProject | None], *, name: str, actor: str) -> tuple[_Side, _Side]:
    """Steps 2a-2d of the module docstring, rolled back. ``parsed`` is [base or None, head]; each is dropped from
    the list once loaded."""
    sides: list[_Side] = []
    try:
        with transaction.atomic():
            _acquire_ingestion_lock()
            stored = parsed[0] is None  # the base is what is stored: it is still there after the rollback
            if not stored:
                _load(parsed, 0, actor=actor)
            system = SourceSystem.objects.get(name=name)

            # The base's columns stay packed (the head read unpacks those the two sides do not share). A stored
            # base's violations: only their fingerprints now; those the head resolves are read after the rollback,
            # as stored (tens of thousands of violations, of which a change moves a handful).
            def read_base() -> _Side:
                return _side(system, evaluate=True, lazy_sql=stored, fingerprints_only=stored, lazy_columns=True)

            with gc_paused():  # held across the thread's own pause, so neither turns the collector back on early
                if stored and _can_read_beside():
                    with ThreadPoolExecutor(max_workers=1) as pool:
                        reading = pool.submit(_own_connection(read_base))
                        scope = _load(parsed, 1, actor=actor)
                        sides.append(reading.result())
                else:
                    sides.append(read_base())
                    scope = _load(parsed, 1, actor=actor)
            # the head read reuses the base's columns and SQL wherever the database's digests match
            sides.append(_side(system, evaluate=True, like=sides[0].state, fingerprints_only=stored))
            sides[-1].scope = scope
            base, head = sides
            if base.fingerprints is not None and head.fingerprints is not None:
                head.violations = violations_active_brief(
                    source_system_id=system.pk, fingerprints=head.fingerprints - base.fingerprints
                )
            raise _Rollback
    except _Rollback:
        pass
    base, head = sides
    if base.fingerprints is not None and head.fingerprints is not None:
        base.violations = violations_active_brief(
            source_system_id=system.pk, fingerprints=base.fingerprints - head.fingerprints
        )
    return base, head
