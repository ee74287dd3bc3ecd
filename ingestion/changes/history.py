"""Change history: every ingestion records what it changed, and how its run results moved.

``changeset_recording`` wraps the load in ``ingestion.services.dbt_ingest`` (the pipeline's one hook):

1. on entry, read the project's stored state (``project_state_read``; nothing on a first ingestion, which is
   the baseline, not a change);
2. on exit, diff it with the parsed artifacts (the pure diff the change report uses) and write one
   ``CapsuleChange`` per change, in bulk: an unchanged re-ingest writes nothing;
3. record run results (``RunObservation``): a ``run`` row numbering the run, and a row per test or model whose
   status differs from its last recorded one, or whose execution time moved beyond the dead band;
4. drop what is older than CHANGE_HISTORY_DAYS.

It runs inside the ingestion's transaction: a failed or dry-run ingestion keeps none of it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from catalog.models import SourceSystem
from dab_project.memory import gc_paused
from ingestion.models import CapsuleChange, IngestionJob, RunObservation
from ingestion.records import ParsedProject

from .diff import diff_states
from .selectors import project_state_read
from .state import ProjectState, state_from_parsed

__all__ = ["ChangesetRecording", "changeset_recording", "history_prune", "runs_record"]

BATCH = 2000


@dataclass
class ChangesetRecording:
    """What the recording found; ``stats`` go into the job's stats under ``changes``."""

    base: ProjectState | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    # set by the caller after the load: capsules whose columns the loader kept (their inputs are unchanged)
    kept_column_urns: set[str] = field(default_factory=set)
    parsed: ParsedProject | None = None
    # URNs the recorded changes name (None when nothing was compared: a first ingestion)
    recorded_urns: set[str] | None = None

    def columns_before_load(self, urns: Iterable[str]) -> None:
        """The loader's hook, before it writes: read the stored columns of the capsules whose columns it may
        change (``urns``), and of the capsules they and the new capsules read from on either side (the rename
        detection derives column lineage over those). The other capsules' columns are not read: the load leaves
        them as they are, and the diff takes them as the same on both sides."""
        base = self.base
        if base is None or base.columns_reader is None:
            return
        wanted = set(urns)
        upstream = {up for up, downs in base.downstream.items() if downs & wanted}
        if self.parsed is not None:  # and what the changed and the new capsules read in the artifacts
            new = {c.urn for c in self.parsed.capsules if c.urn not in base.capsules}
            upstream.update(e.source_urn for e in self.parsed.edges if e.target_urn in wanted or e.target_urn in new)
        base.columns_reader(sorted(wanted | upstream))
        # Their SQL as stored (column lineage of a capsule whose columns changed); the load rewrites the rows next,
        # so nothing is fetched later (the other capsules' SQL is never needed: their columns are the same).
        if base.sql_source is not None:
            sql = base.sql_source(sorted(u for u in wanted if u in base.capsules and base.capsules[u].sql_digest))
            for urn, text in sql.items():
                base.capsules[urn].compiled_sql = text
            base.sql_source = None


def _json_value(value: Any) -> Any:
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


@contextmanager
def changeset_recording(*, parsed: ParsedProject, job: IngestionJob) -> Iterator[ChangesetRecording]:
    """Wrap the load: see the module docstring. Must run inside the ingestion's transaction."""
    from ingestion.services import conventions_load  # the services module imports this one

    started = time.perf_counter()
    recording = ChangesetRecording(parsed=parsed)
    system = SourceSystem.objects.filter(name=parsed.project.name).first()
    if system is not None:
        with gc_paused():  # hundreds of thousands of small acyclic objects
            # Without columns nor compiled SQL (the database computes its digest): those of the capsules the load may
            # change are read just before it writes (``columns_before_load``). Without the capsules a lean parse
            # kept either, unless they neighbour one it built (the loader vouches for the kept ones, or the load is
            # done again with every record built).
            recording.base = project_state_read(source_system=system, pii=False, columns=False, lazy_sql=True,
                                                skip=_kept_apart(parsed))  # fmt: skip
    read_seconds = time.perf_counter() - started
    yield recording
    recording.parsed = None  # the caller frees the parsed project after the load; nothing here may keep it
    started = time.perf_counter()
    system = SourceSystem.objects.get(name=parsed.project.name)
    stats: dict[str, Any] = {}
    if recording.base is None:
        stats["first"] = "the first ingestion of this project is the baseline: no changes recorded"
    else:
        with gc_paused():
            base = recording.base
            # Columns the loader kept are stored as they were: the same on both sides, not built from the records.
            same = {urn: base.capsules[urn].columns for urn in recording.kept_column_urns if urn in base.capsules}
            # Capsules the parser kept are as stored: the stored state's own objects, so the diff finds them equal
            kept = {capsule.urn: base.capsules[capsule.urn] for capsule in parsed.kept if capsule.urn in base.capsules}
            diff = diff_states(base, state_from_parsed(parsed, conventions=conventions_load(), same_columns=same,
                                                       kept=kept))  # fmt: skip
        recording.recorded_urns = {c.urn for c in diff.changes} | {c.base_urn for c in diff.changes if c.base_urn}
        recording.base = None
        at = job.started_at or timezone.now()
        rows = [
            CapsuleChange(
                ingestion_id=job.pk, source_system_id=system.pk, at=at, kind=c.kind, urn=c.urn[:500],
                name=c.name[:255], capsule_type=c.capsule_type[:50], aspect=c.aspect, column=(c.column or None) and
                c.column[:255], before=_json_value(c.before), after=_json_value(c.after),
                evidence=(c.evidence or None) and c.evidence[:255], base_urn=c.base_urn,
            )
            for c in diff.changes
        ]  # fmt: skip
        CapsuleChange.objects.bulk_create(rows, batch_size=BATCH)
        stats["recorded"] = len(rows)
        stats["by_kind"] = diff.counts()
    stats["runs"] = runs_record(parsed=parsed, job=job, system=system)
    stats["pruned"] = history_prune()
    stats["seconds"] = round(read_seconds + time.perf_counter() - started, 3)
    recording.stats = stats


def _kept_apart(parsed: ParsedProject) -> set[str]:
    """URNs of the capsules a lean parse kept that no edge of the artifacts joins to a capsule it built."""
    if not parsed.kept:
        return set()
    built = {capsule.urn for capsule in parsed.capsules}
    near = {e.source_urn for e in parsed.edges if e.target_urn in built}
    near.update(e.target_urn for e in parsed.edges if e.source_urn in built)
    return {capsule.urn for capsule in parsed.kept if capsule.urn not in near}


def _has_run_results(parsed: ParsedProject) -> bool:
    return any(t.status for t in parsed.tests) or any("last_run" in c.attributes for c in parsed.capsules)


def _last_observations(system: SourceSystem) -> dict[str, tuple[str | None, float | None]]:
    """The last recorded (status, execution time) of each test and model of a project; one query."""
    rows = RunObservation.objects.filter(source_system=system).exclude(kind="run")
    if connection.vendor == "postgresql":
        rows = rows.order_by("urn", "-run").distinct("urn")
        return {urn: (status, seconds) for urn, status, seconds in rows.values_list("urn", "status", "execution_time")}
    last: dict[str, tuple[str | None, float | None]] = {}
    for urn, status, seconds in rows.order_by("urn", "run").values_list("urn", "status", "execution_time"):
        last[urn] = (status, seconds)
    return last


def _moved(before: float | None, after: float | None) -> bool:
    if after is None:
        return False
    if before is None:
        return True
    delta = abs(after - before)
    return delta >= settings.RUN_TIME_DEADBAND_SECONDS and delta > settings.RUN_TIME_DEADBAND * before


def runs_record(*, parsed: ParsedProject, job: IngestionJob, system: SourceSystem) -> dict[str, int]:
    """Step 3 of the module docstring; two queries and one bulk insert of what moved."""
    if not _has_run_results(parsed):
        return {}
    run = (RunObservation.objects.filter(source_system=system, kind="run").aggregate(n=Max("run"))["n"] or 0) + 1
    at = job.started_at or timezone.now()
    last = _last_observations(system)
    rows = [RunObservation(ingestion_id=job.pk, source_system_id=system.pk, run=run, at=at, kind="run")]
    for test in parsed.tests:
        if test.status and last.get(test.urn, (None, None))[0] != test.status:
            rows.append(RunObservation(ingestion_id=job.pk, source_system_id=system.pk, run=run, at=at, kind="test",
                                       urn=test.urn[:500], name=test.name[:255], status=test.status[:20]))  # fmt: skip
    for capsule in parsed.capsules:
        result = capsule.attributes.get("last_run")
        if not result:
            continue
        status, seconds = result.get("status"), result.get("execution_time")
        before_status, before_seconds = last.get(capsule.urn, (None, None))
        if status != before_status or _moved(before_seconds, seconds):
            rows.append(RunObservation(
                ingestion_id=job.pk, source_system_id=system.pk, run=run, at=at, kind="model",
                urn=capsule.urn[:500], name=capsule.name[:255], status=(status or None) and status[:20],
                execution_time=seconds,
            ))  # fmt: skip
    RunObservation.objects.bulk_create(rows, batch_size=BATCH)
    return {"run": run, "recorded": len(rows) - 1}


def history_prune(*, now=None) -> int:
    """Delete changes and run observations older than CHANGE_HISTORY_DAYS (0 keeps everything); two deletes."""
    days = settings.CHANGE_HISTORY_DAYS
    if not days:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    removed, _ = CapsuleChange.objects.filter(at__lt=cutoff).delete()
    gone, _ = RunObservation.objects.filter(at__lt=cutoff).delete()
    return removed + gone
