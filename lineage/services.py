"""Write use-cases of lineage: column lineage from each model's compiled SQL, stored in bulk.

``column_lineage_after_load`` is the ingestion pipeline's step (see ``ingestion.services.PIPELINE_STEPS``);
``column_lineage_compute`` does the work for one dbt project and can run on its own.

What a model's column lineage is computed from (its compiled SQL, its own columns, and each parent's
relation spellings and columns) is hashed into a fingerprint kept in ``column_lineage_inputs``; a model
whose fingerprint is unchanged keeps its stored edges and status without being parsed again. So a parent
gaining or losing a column, or a renamed relation, re-derives exactly the models that read it, while new
run results (which rewrite every capsule's attributes) re-derive nothing.

A column the SQL names but that neither the manifest nor the catalog lists has no row to point an edge
at: the edge is not stored, it is counted (``edges.skipped_unknown_column``) and the model's status
becomes ``partial`` with the columns named in its reason. Lineage is never dropped silently.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.conf import settings
from django.db import connection
from django.db.models.fields.json import KT
from django.db.models.functions import MD5
from django.utils import timezone

from catalog.choices import LineageStatus
from catalog.models import Capsule, Column, SourceSystem
from catalog.services import LineageStatusUpdate, capsules_set_lineage_status
from dab_project.bulk import bulk_insert
from lineage.models import CapsuleLineage, ColumnLineage, ColumnLineageInput
from lineage.sql_lineage import (
    DEFAULT_MASKING_FUNCTIONS,
    LineageJob,
    ModelLineage,
    UpstreamRelation,
    dialect_for_adapter,
    extract_many,
)

__all__ = [
    "LINEAGE_TYPES",
    "ColumnLineageRun",
    "column_lineage_after_load",
    "column_lineage_compute",
    "relation_spellings",
]

# Capsule types whose columns are computed by SQL (and so get a column-lineage status).
LINEAGE_TYPES = ("model", "snapshot")
# Capsule types a model can read as a relation.
RELATION_TYPES = ("model", "seed", "snapshot", "source")
# dbt's snapshot machinery adds these columns; the snapshot's SQL does not produce them.
SNAPSHOT_META_COLUMNS = frozenset({"dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to", "dbt_is_deleted"})
# Part of every fingerprint: bump it when the extractor's output changes, so stored lineage is re-derived.
EXTRACTOR_VERSION = "1"
_SQL_CHUNK = 500
# Re-analyse the edge table when a run wrote or removed more rows than this.
ANALYZE_AFTER = 5000
NO_SQL_REASON = (
    "no compiled SQL in the manifest (written by `dbt parse` or another command that does not compile models;"
    " `dbt compile`, `dbt build` or `dbt docs generate` write it)"
)

Progress = Callable[[str], None]


@dataclass(slots=True)
class _Node:
    """What the step needs of one capsule (read in one query, no SQL text)."""

    pk: Any
    urn: str
    name: str
    capsule_type: str
    materialization: str | None
    database: str | None
    schema: str | None
    identifier: str | None
    quoted_name: str | None
    in_catalog: bool
    fingerprint: str | None
    status: str | None
    sql_md5: str | None
    columns_hash: str | None
    foreign: bool = False  # a parent stored under another project
    columns: list[tuple[Any, str]] = field(default_factory=list)  # (column id, lower-case name), in order
    parents: list[Any] = field(default_factory=list)  # capsule ids of relation parents


@dataclass(frozen=True, slots=True)
class ColumnLineageRun:
    """What one run did; ``as_dict`` is the step's stats in the ingestion job."""

    models: int
    reparsed: int
    statuses: dict[str, int]
    edges_written: int
    edges_removed: int
    skipped_unknown_column: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "models": self.models,
            "reparsed": self.reparsed,
            "kept": self.models - self.reparsed,
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "edges": {
                "written": self.edges_written,
                "removed": self.edges_removed,
                "skipped_unknown_column": self.skipped_unknown_column,
            },
            "seconds": round(self.seconds, 3),
        }


def relation_spellings(
    *,
    capsule_type: str,
    name: str,
    materialization: str | None,
    database: str | None,
    schema: str | None,
    identifier: str | None,
    quoted_name: str | None,
) -> tuple[str, ...]:
    """How compiled SQL may name a capsule: dbt's quoted relation_name and database.schema.identifier.

    The extractor also matches any trailing part of these (``schema.identifier``, ``identifier``), ignoring
    quotes and case. An ephemeral model has no relation: dbt injects it as the CTE ``__dbt__cte__<name>``.
    """
    if capsule_type == "model" and materialization == "ephemeral":
        return (f"__dbt__cte__{name}",)
    names = [quoted_name] if quoted_name else []
    parts = [p for p in (database, schema, identifier) if p]
    if identifier and parts:
        names.append(".".join(parts))
    return tuple(dict.fromkeys(names))


def column_lineage_after_load(*, load_result, job, progress: Progress = lambda message: None) -> dict[str, Any]:
    """Pipeline step: column lineage for the project just loaded (only models whose inputs changed); then fresh
    planner statistics for the capsule edges when the load changed many of them."""
    run = column_lineage_compute(
        source_system_id=load_result.source_system_id, job_id=getattr(job, "pk", None), progress=progress
    )
    edges = load_result.edges
    if connection.vendor == "postgresql" and edges.created + edges.removed > ANALYZE_AFTER // 5:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {CapsuleLineage._meta.db_table}")
    return run.as_dict()


def column_lineage_compute(
    *,
    source_system_id: Any,
    job_id: uuid.UUID | None = None,
    force: bool = False,
    processes: int | None = None,
    progress: Progress = lambda message: None,
) -> ColumnLineageRun:
    """Derive and store the column lineage of one dbt project's models and snapshots.

    Steps:
    1. read the project's capsules and their relation parents, also in other projects (two or three
       queries, no SQL text, no columns);
    2. fingerprint each model's inputs; a model whose fingerprint matches the stored one is kept
       (``force`` re-derives all);
    3. read the columns of the others and their parents, then their compiled SQL in chunks, and run the
       extractor over a process pool (``processes``, default LINEAGE_PROCESSES or the CPUs; small
       projects run in this process);
    4. delete the re-derived models' old edges, insert the new ones in bulk, and set every re-derived
       model's status, reason and fingerprint; other capsule types are marked not_applicable.
    Must run inside the caller's transaction (the ingestion holds its lock). Costs about 1-3 ms of
    CPU per re-derived model (sqlglot's parser), spread over the processes.
    """
    started = time.perf_counter()
    system = SourceSystem.objects.only("meta").get(pk=source_system_id)
    dialect = dialect_for_adapter((system.meta or {}).get("adapter_type"))
    masking = _masking_functions()
    nodes = _read_nodes(source_system_id)
    models = [n for n in nodes.values() if n.capsule_type in LINEAGE_TYPES and not n.foreign]

    todo: list[tuple[_Node, str]] = []
    statuses: Counter[str] = Counter()
    for model in models:
        fingerprint = _fingerprint(model, nodes, dialect=dialect, masking=masking)
        if not force and model.status and model.fingerprint == fingerprint:
            statuses[model.status] += 1
        else:
            todo.append((model, fingerprint))
    progress(f"column lineage: {len(todo)} of {len(models)} models to derive")

    removed = _delete_edges([m.pk for m, _ in todo if m.status])
    updates: list[LineageStatusUpdate] = []
    rows: list[tuple] = []
    skipped_total = 0
    now = timezone.now()
    with_sql = [m for m, _ in todo if m.sql_md5 is not None]
    _attach_columns(nodes, {m.pk for m in with_sql} | {p for m in with_sql for p in m.parents},
                    source_system_id=source_system_id)  # fmt: skip
    for model, _ in todo:
        if model.sql_md5 is None:
            # The extractor's verdict too, without shipping the job to a worker.
            statuses[LineageStatus.NO_SQL] += 1
            updates.append(LineageStatusUpdate(model.pk, LineageStatus.NO_SQL, NO_SQL_REASON))
    by_urn = {m.urn: m for m in with_sql}
    jobs = _jobs(with_sql, nodes, dialect=dialect, masking=masking)
    for urn, result in extract_many(jobs, processes=processes or getattr(settings, "LINEAGE_PROCESSES", None)):
        model = by_urn[urn]
        model_rows, skipped = _edge_rows(model, result, nodes, job_id=job_id, now=now)
        rows.extend(model_rows)
        skipped_total += skipped.count
        status, reason = _verdict(result, skipped, model)
        statuses[status] += 1
        updates.append(LineageStatusUpdate(model.pk, status, reason))

    written = bulk_insert(
        ColumnLineage._meta.db_table,
        ("source_urn", "target_urn", "source_column_id", "target_column_id", "transformation_type",
         "transformation_expr", "ingestion_id", "created_at"),
        rows,
    )  # fmt: skip
    not_applicable = [
        LineageStatusUpdate(n.pk, LineageStatus.NOT_APPLICABLE)
        for n in nodes.values()
        if not n.foreign and n.capsule_type not in LINEAGE_TYPES and n.status != LineageStatus.NOT_APPLICABLE
    ]
    capsules_set_lineage_status(updates=[*updates, *not_applicable])
    _save_fingerprints([(m.pk, fp) for m, fp in todo], now=now)
    if connection.vendor == "postgresql" and written + removed > ANALYZE_AFTER:
        # Fresh statistics keep traversal on the edge indexes right after a big load (autovacuum would only
        # catch up a minute later, and a stale plan scans the whole table: 0.5 ms becomes 400 ms).
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {ColumnLineage._meta.db_table}")
    progress(f"column lineage: {written} edges written")
    return ColumnLineageRun(
        models=len(models),
        reparsed=len(todo),
        statuses={str(k): v for k, v in sorted(statuses.items())},
        edges_written=written,
        edges_removed=removed,
        skipped_unknown_column=skipped_total,
        seconds=time.perf_counter() - started,
    )


# -- reading ----------------------------------------------------------------------------------------------------------


def _masking_functions() -> frozenset[str]:
    extra = getattr(settings, "LINEAGE_MASKING_FUNCTIONS", None) or ()
    return DEFAULT_MASKING_FUNCTIONS | frozenset(f.lower() for f in extra)


def _node_rows(queryset) -> Iterator[_Node]:
    rows = queryset.annotate(
        quoted_name=KT("attributes__relation_name"),
        in_catalog_flag=KT("attributes__in_catalog"),
        sql_md5=MD5("compiled_sql"),
    ).values_list(
        "id", "urn", "name", "capsule_type", "materialization", "database_name", "schema_name", "relation_name",
        "quoted_name", "in_catalog_flag", "lineage_input__fingerprint", "lineage_status", "sql_md5", "columns_hash",
    ).order_by()  # fmt: skip
    for pk, urn, name, kind, mat, database, schema, ident, quoted, in_catalog, fp, status, sql_md5, cols in rows:
        yield _Node(
            pk, urn, name, kind, mat, database, schema, ident, quoted, str(in_catalog).lower() in ("true", "1"), fp,
            status, sql_md5 if kind in LINEAGE_TYPES else None, cols,
        )  # fmt: skip


def _read_nodes(source_system_id: Any) -> dict[Any, _Node]:
    """The project's capsules and their relation parents from other projects (``foreign``), by id, each with
    its parents. Two queries (three with foreign parents)."""
    nodes = {n.pk: n for n in _node_rows(Capsule.objects.filter(source_system_id=source_system_id))}
    edges = (
        CapsuleLineage.objects.filter(target__source_system_id=source_system_id, target__capsule_type__in=LINEAGE_TYPES)
        .values_list("source_id", "target_id")
        .order_by()
    )
    pairs = list(edges)
    missing = list({s for s, _ in pairs if s not in nodes})
    for start in range(0, len(missing), 2000):
        for node in _node_rows(Capsule.objects.filter(pk__in=missing[start : start + 2000])):
            node.foreign = True
            nodes[node.pk] = node
    for source, target in pairs:
        parent = nodes.get(source)
        if parent is not None and parent.capsule_type in RELATION_TYPES:
            nodes[target].parents.append(source)
    return nodes


def _attach_columns(nodes: dict[Any, _Node], capsule_ids: set[Any], *, source_system_id: Any) -> None:
    """Read the columns of these capsules into their nodes: (id, lower-case name), in ordinal order.

    When they are most of the project one query over the project's columns is cheaper than lists of ids;
    foreign parents are then read by id.
    """
    order = ("capsule_id", "ordinal_position", "name")
    querysets = []
    ids = list(capsule_ids)
    project_wide = len(ids) > len(nodes) // 2
    if project_wide:
        querysets.append(Column.objects.filter(capsule__source_system_id=source_system_id))
        ids = [pk for pk in ids if nodes[pk].foreign]
    querysets.extend(Column.objects.filter(capsule_id__in=ids[i : i + 2000]) for i in range(0, len(ids), 2000))
    for queryset in querysets:
        for capsule_id, pk, name in (
            queryset.values_list("capsule_id", "id", "name").order_by(*order).iterator(chunk_size=20_000)
        ):
            if capsule_id in capsule_ids:
                nodes[capsule_id].columns.append((pk, name.lower()))


# -- fingerprints and jobs ---------------------------------------------------------------------------------------------


def _spellings(node: _Node) -> tuple[str, ...]:
    return relation_spellings(
        capsule_type=node.capsule_type,
        name=node.name,
        materialization=node.materialization,
        database=node.database,
        schema=node.schema,
        identifier=node.identifier,
        quoted_name=node.quoted_name,
    )


def _target_columns(model: _Node) -> tuple[str, ...]:
    names = tuple(name for _, name in model.columns)
    if model.capsule_type == "snapshot":
        names = tuple(n for n in names if n not in SNAPSHOT_META_COLUMNS)
    return names


def _upstream(parent: _Node) -> UpstreamRelation:
    # Columns only the YAML documents may be a subset: the catalog (warehouse) is what makes them complete.
    return UpstreamRelation(
        urn=parent.urn,
        names=_spellings(parent),
        columns=tuple(name for _, name in parent.columns),
        columns_complete=parent.in_catalog,
    )


def _fingerprint(model: _Node, nodes: dict[Any, _Node], *, dialect: str | None, masking: frozenset[str]) -> str:
    """A hash of everything the model's lineage is derived from, without reading SQL or columns.

    The SQL counts by its MD5, columns by the loader's hash of the capsule's columns (which also moves
    when only a column's description changes: a harmless re-derivation, never a stale one).
    """
    parents = sorted((nodes[p] for p in set(model.parents)), key=lambda n: n.urn)
    payload = (
        EXTRACTOR_VERSION,
        dialect,
        sorted(masking),
        model.sql_md5,
        model.capsule_type,
        _spellings(model),
        model.columns_hash,
        [(p.urn, _spellings(p), p.columns_hash, p.in_catalog) for p in parents],
    )
    return hashlib.md5(orjson.dumps(payload), usedforsecurity=False).hexdigest()


def _jobs(
    models: Sequence[_Node], nodes: dict[Any, _Node], *, dialect: str | None, masking: frozenset[str]
) -> Iterator[LineageJob]:
    """One LineageJob per model, reading compiled SQL a chunk at a time (the pool consumes this lazily)."""
    for start in range(0, len(models), _SQL_CHUNK):
        chunk = models[start : start + _SQL_CHUNK]
        sql = dict(Capsule.objects.filter(pk__in=[m.pk for m in chunk]).values_list("id", "compiled_sql").order_by())
        for model in chunk:
            upstream = tuple(_upstream(nodes[p]) for p in dict.fromkeys(model.parents))
            own = _spellings(model) if model.quoted_name else ()
            yield LineageJob(
                key=model.urn,
                sql=sql.get(model.pk),
                dialect=dialect,
                upstream=upstream,
                target_columns=_target_columns(model),
                masking_functions=masking,
                own_names=own,
            )


# -- writing -----------------------------------------------------------------------------------------------------------


def _save_fingerprints(rows: list[tuple[Any, str]], *, now) -> None:
    """Replace the re-derived models' fingerprints, and drop those of capsules the loader deleted."""
    table = ColumnLineageInput._meta.db_table
    ids = [pk for pk, _ in rows]
    for start in range(0, len(ids), 2000):
        ColumnLineageInput.objects.filter(capsule_id__in=ids[start : start + 2000])._raw_delete(connection.alias)
    bulk_insert(table, ("capsule_id", "fingerprint", "derived_at"), [(pk, fp, now) for pk, fp in rows])
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE NOT EXISTS (SELECT 1 FROM {Capsule._meta.db_table} c WHERE c.id = capsule_id)"
        )


def _delete_edges(capsule_ids: list) -> int:
    """Delete the column lineage into these capsules' columns (before re-deriving it)."""
    removed = 0
    for start in range(0, len(capsule_ids), 2000):
        chunk = capsule_ids[start : start + 2000]
        removed += ColumnLineage.objects.filter(target_column__capsule_id__in=chunk)._raw_delete(connection.alias)
    return removed


@dataclass(slots=True)
class _Skipped:
    """Edges not stored because an endpoint is not a stored column."""

    targets: dict[str, None] = field(default_factory=dict)  # the model's own output columns
    sources: dict[str, None] = field(default_factory=dict)  # "parent.column"
    partial_parents: dict[str, None] = field(default_factory=dict)  # parents whose columns are only the documented
    count: int = 0


def _edge_rows(model: _Node, result: ModelLineage, nodes: dict[Any, _Node], *, job_id, now) -> tuple[list, _Skipped]:
    """Rows for column_lineage, and what could not be stored because an endpoint is not a stored column."""
    targets = {name: pk for pk, name in model.columns}
    parents: dict[str, _Node] = {nodes[p].urn: nodes[p] for p in model.parents}
    sources: dict[str, dict[str, Any]] = {}
    rows: dict[tuple[Any, Any], tuple] = {}
    skipped = _Skipped()
    for edge in result.edges:
        parent = parents[edge.source_urn]
        columns = sources.get(parent.urn)
        if columns is None:
            columns = sources[parent.urn] = {name: pk for pk, name in parent.columns}
        target_id, source_id = targets.get(edge.target_column), columns.get(edge.source_column)
        if target_id is None or source_id is None:
            skipped.count += 1
            if target_id is None:
                skipped.targets[edge.target_column] = None
            if source_id is None:
                skipped.sources[f"{parent.name}.{edge.source_column}"] = None
                if not parent.in_catalog:
                    skipped.partial_parents[parent.name] = None
            continue
        key = (source_id, target_id)
        if key not in rows and source_id != target_id:
            rows[key] = (
                f"{parent.urn}:{edge.source_column}", f"{model.urn}:{edge.target_column}", source_id, target_id,
                edge.transformation_type, edge.expression, job_id, now,
            )  # fmt: skip
    return list(rows.values()), skipped


def _listed(names: dict[str, None], limit: int = 5) -> str:
    shown = list(names)[:limit]
    return ", ".join(shown) + (", …" if len(names) > limit else "")


def _verdict(result: ModelLineage, skipped: _Skipped, model: _Node) -> tuple[str, str | None]:
    """The status and reason to store: the extractor's, made partial when edges could not be stored."""
    status, reason = result.status, result.reason
    if skipped.count:
        notes = []
        if not model.columns:
            ephemeral = model.materialization == "ephemeral"
            why = "it is ephemeral and none are documented" if ephemeral else "no catalog entry, none documented"
            notes.append(f"the model has no known columns ({why}), so none of its {skipped.count} edges is stored")
        else:
            if skipped.targets:
                notes.append(
                    f"output columns that neither the manifest nor the catalog lists: {_listed(skipped.targets)}"
                )
            if skipped.sources:
                where = (
                    f" ({_listed(skipped.partial_parents, 3)}: no catalog entry, only documented columns are known)"
                    if skipped.partial_parents
                    else ""
                )
                notes.append(
                    f"upstream columns that neither the manifest nor the catalog lists: "
                    f"{_listed(skipped.sources)}{where}"
                )
            notes[0] = f"{skipped.count} edge(s) not stored, naming " + notes[0]
        note = "; ".join(notes)
        reason = f"{reason}; {note}" if reason else note
        if status == LineageStatus.PARSED:
            status = LineageStatus.PARTIAL
    return status, reason[:2000] if reason else None
