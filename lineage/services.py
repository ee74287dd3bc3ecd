"""Write use-cases of lineage: column lineage from each model's compiled SQL, stored in bulk.

``column_lineage_after_load`` is the ingestion pipeline's step (see ``ingestion.services.PIPELINE_STEPS``);
``column_lineage_compute`` does the work for one dbt project and can run on its own.

What a model's column lineage is computed from (its compiled SQL, its own columns, and each parent's relation
spellings and columns) is hashed into a fingerprint kept in ``column_lineage_inputs``; a model whose fingerprint is
unchanged keeps its stored edges and status without being parsed again. So a parent gaining or losing a column, or
a renamed relation, re-derives exactly the models that read it, while new run results (which rewrite every
capsule's attributes) re-derive nothing.

Models are derived parents first (in waves over the DAG), because what a model's SQL says of its own columns feeds
its readers: columns that neither the catalog nor the manifest lists are **inferred** and stored as columns like any
other (``catalog.choices.ColumnOrigin``): a model's output columns from its SQL (``sql``), and the columns a parent
without a SQL-established column list (a source, a seed, a model whose SQL cannot be traced) is read at by
downstream SQL (``usage``). An ephemeral model, never in the warehouse catalog, so gets its columns; its readers'
lineage stops at it, and its own continues to its parents. A relation the SQL reads that dbt's ``depends_on`` does
not list (a macro's doing) is attributed by its name when it is a known capsule, and recorded as a ``sql_only``
capsule edge.
"""

from __future__ import annotations

import functools
import hashlib
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.conf import settings
from django.db import connection
from django.db.models import F
from django.db.models.fields.json import KT
from django.db.models.functions import MD5, Collate
from django.utils import timezone

from catalog.choices import INFERRED_ORIGINS, ColumnOrigin, LineageStatus
from catalog.models import Capsule, Column, SourceSystem
from catalog.services import InferredColumn, LineageStatusUpdate, capsules_set_lineage_status, columns_inferred_apply
from dab_project.bulk import bulk_delete, bulk_insert
from dab_project.ids import ordered_uuid
from dab_project.progress import counted
from lineage.models import LINEAGE_TYPES, SQL_ONLY_EDGE, CapsuleLineage, ColumnLineage, ColumnLineageInput
from lineage.sql_lineage import (
    DBT_CTE_PREFIX,
    DEFAULT_MASKING_FUNCTIONS,
    NOT_UPSTREAM,
    ExtractionPool,
    LineageJob,
    ModelLineage,
    UpstreamRelation,
    dialect_for_adapter,
    extract_column_lineage,
    relation_name_parts,
)

__all__ = [
    "LINEAGE_TYPES",
    "ColumnLineageRun",
    "column_lineage_after_load",
    "column_lineage_compute",
    "relation_spellings",
]

# Capsule types a model can read as a relation.
RELATION_TYPES = ("model", "seed", "snapshot", "source")
# dbt's snapshot machinery adds these columns; the snapshot's SQL does not produce them.
SNAPSHOT_META_COLUMNS = frozenset({"dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to", "dbt_is_deleted"})
# Part of every fingerprint: bump it when the extractor's output changes, so stored lineage is re-derived.
EXTRACTOR_VERSION = "2"
_SQL_CHUNK = 500
# Re-analyse the edge table when a run wrote or removed more rows than this.
ANALYZE_AFTER = 5000
# The database's limits on a column's name and URN (catalog.models.Column).
_MAX_NAME, _MAX_URN = 255, 500
NO_SQL_REASON = (
    "no compiled SQL in the manifest (written by `dbt parse` or another command that does not compile models;"
    " `dbt compile`, `dbt build` or `dbt docs generate` write it)"
)

Progress = Callable[[str], None]


# In memory, capsules are keyed by their UUID's int: hashing a uuid.UUID runs Python code, and a walk over a
# project hashes keys hundreds of thousands of times. The UUID comes back for every query and write.
def _key(pk: uuid.UUID) -> int:
    return pk.int


def _uuid(key: int) -> uuid.UUID:
    return uuid.UUID(int=key)


def _uuids(keys) -> list[uuid.UUID]:
    return [uuid.UUID(int=k) for k in keys]


@dataclass(slots=True)
class _Node:
    """What the step needs of one capsule (read in one query, no SQL text), and what this run learns of it."""

    pk: int  # the capsule's id as an int (``_key``); ``_uuid(pk)`` for the database
    urn: str
    name: str
    capsule_type: str
    materialization: str | None
    database: str | None
    schema: str | None
    identifier: str | None
    quoted_name: str | None
    alias: str | None
    in_catalog: bool
    fingerprint: str | None
    status: str | None
    sql_md5: str | None
    columns_hash: str | None
    outputs_hash: str | None  # what the model's SQL said of its columns, when last derived
    outputs_complete: bool
    foreign: bool = False  # a parent stored under another project
    # (column id: a UUID, or its 32 hex digits as the loader hands it over; lower-case name; origin), in order;
    # None: unread
    columns: list[tuple[Any, str, str]] | None = None
    parents: list[Any] = field(default_factory=list)  # capsule ids of relation parents (depends_on)
    sql_parents: list[Any] = field(default_factory=list)  # relations only the SQL names (stored sql_only edges)
    outputs: dict[str, str | None] | None = None  # this run: columns the SQL produces that nobody declares, with type
    # Caches for readers, dropped whenever the model's columns or outputs change (``settle``).
    _known: frozenset[str] | None = None
    _signature: tuple | None = None
    _spellings: tuple[str, ...] | None = None

    def settle(self, outputs: dict[str, str | None], complete: bool) -> None:
        """Record what this model's SQL produces (its readers resolve against it from now on)."""
        self.outputs, self.outputs_complete = outputs, complete
        self.outputs_hash = _outputs_hash(outputs, complete)
        self._known = self._signature = None

    def known_set(self) -> frozenset[str]:
        if self._known is None:
            self._known = frozenset(self.known_names())
        return self._known

    def signature(self) -> tuple:
        """What a reader's lineage depends on of this parent (part of the reader's fingerprint)."""
        if self._signature is None:
            self._signature = (self.urn, _spellings(self), self.columns_hash, self.in_catalog, self.outputs_hash,
                               self.outputs_complete)  # fmt: skip
        return self._signature

    @property
    def complete(self) -> bool:
        """Whether ``known_names`` is the whole column list (readers may then expand * from it)."""
        return self.in_catalog or self.outputs_complete

    @property
    def usage_inferable(self) -> bool:
        """Whether what readers read of it may become columns: anything but a model whose SQL lists them all."""
        return self.capsule_type not in LINEAGE_TYPES or not self.outputs_complete

    def declared(self) -> list[str]:
        return [name for _, name, origin in self.columns or () if origin not in INFERRED_ORIGINS]

    def sql_names(self) -> list[str]:
        if self.outputs is not None:
            return list(self.outputs)
        return [name for _, name, origin in self.columns or () if origin == ColumnOrigin.SQL]

    def known_names(self) -> tuple[str, ...]:
        """Declared columns and those its SQL produces (not those only read of it): what readers resolve against.
        A whole SQL output list comes first, in the SQL's order."""
        declared, produced = self.declared(), self.sql_names()
        if self.outputs_complete and produced:
            first, rest = produced, declared
        else:
            first, rest = declared, produced
        return tuple(dict.fromkeys([*first, *rest]))


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
    inferred: dict[str, int] = field(default_factory=dict)
    sql_only_relations: int = 0
    derived_ids: frozenset = frozenset()  # the models derived again (their edges were rewritten)
    inferred_capsule_ids: frozenset = frozenset()  # capsules that gained, lost or changed inferred columns

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
            "inferred_columns": dict(self.inferred),
            "sql_only_relations": self.sql_only_relations,
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
    alias: str | None = None,
) -> tuple[str, ...]:
    """How compiled SQL may name a capsule: dbt's quoted relation_name and database.schema.identifier.

    The extractor also matches any trailing part of these (``schema.identifier``, ``identifier``), ignoring
    quotes and case. An ephemeral model has no relation: dbt inlines it as the CTE ``__dbt__cte__<alias>``
    (dbt before 1.5 used the name; both are accepted).
    """
    if capsule_type == "model" and materialization == "ephemeral":
        return tuple(dict.fromkeys(f"{DBT_CTE_PREFIX}{n}" for n in (alias, name) if n))
    names = [quoted_name] if quoted_name else []
    parts = [p for p in (database, schema, identifier) if p]
    if identifier and parts:
        names.append(".".join(parts))
    return tuple(dict.fromkeys(names))


def column_lineage_after_load(*, load_result, job, progress: Progress = lambda message: None) -> dict[str, Any]:
    """Pipeline step: column lineage for the project just loaded (only models whose inputs changed); then fresh
    planner statistics for the capsule edges when the load changed many of them."""
    # the columns the load inserted for the capsules it created: the step need not read them back (and they are
    # freed with the run, not held by the load's result for the steps after it)
    created_columns, load_result.created_columns = load_result.created_columns, {}
    run = column_lineage_compute(
        source_system_id=load_result.source_system_id,
        job_id=getattr(job, "pk", None),
        progress=progress,
        columns=created_columns,
    )
    del created_columns
    # for the steps after this one (PII propagation, conformance): what column lineage changed
    load_result.derived_capsule_ids.update(run.derived_ids)
    load_result.inferred_column_capsule_ids.update(run.inferred_capsule_ids)
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
    columns: dict[int, list[tuple[Any, str, str]]] | None = None,
) -> ColumnLineageRun:
    """Derive and store the column lineage of one dbt project's models and snapshots.

    Steps:
    1. read the project's capsules and their relation parents, also in other projects (two or three queries, no
       SQL text, no columns);
    2. walk the models in waves, parents first: fingerprint each from its inputs and its parents as they now
       stand; keep a model whose fingerprint matches the stored one (``force`` re-derives all); read the columns
       and SQL of the others and run the extractor over a process pool kept for the whole walk (``processes``,
       default LINEAGE_PROCESSES or the CPUs; small waves run in this process). Each derived model's SQL-produced
       columns are known before its readers' wave;
    3. attribute relations the SQL reads beyond depends_on by their name (extracting such a model once more);
    4. infer the columns readers read of parents that do not list them; then write: the re-derived models' old
       edges out, inferred columns in (classified) or out, new edges in, ``sql_only`` capsule edges, statuses,
       fingerprints; other capsule types are marked not_applicable.
    Must run inside the caller's transaction (the ingestion holds its lock). Costs about 1-3 ms of CPU per
    re-derived model (sqlglot's parser), spread over the processes.

    ``columns`` gives the stored columns of capsules the caller just wrote (capsule id as int -> (column id, lower-case
    name, origin) in ``_attach_columns``'s order): those are not read again (a first ingest reads no columns at all;
    the project's 386,477 at 10,000 models took 15 s of this process while the workers waited).
    """
    started = time.perf_counter()
    system = SourceSystem.objects.only("meta").get(pk=source_system_id)
    nodes = _read_nodes(source_system_id)
    for pk, known in (columns or {}).items():
        node = nodes.get(pk)
        if node is not None and not node.foreign:
            node.columns = known
    run = _Run(
        nodes=nodes,
        source_system_id=source_system_id,
        dialect=dialect_for_adapter((system.meta or {}).get("adapter_type")),
        masking=_masking_functions(),
        job_id=job_id,
        now=timezone.now(),
    )
    models = [n for n in run.nodes.values() if n.capsule_type in LINEAGE_TYPES and not n.foreign]
    statuses: Counter[str] = Counter()
    todo: list[tuple[_Node, str]] = []
    with ExtractionPool(processes=processes or getattr(settings, "LINEAGE_PROCESSES", None)) as pool:
        for wave in _waves(models, run.nodes):
            changed = []
            for model in wave:
                fingerprint = _fingerprint(model, run.nodes, dialect=run.dialect, masking=run.masking)
                if not force and model.status and model.fingerprint == fingerprint:
                    statuses[model.status] += 1
                else:
                    changed.append((model, fingerprint))
            if changed:
                todo.extend(changed)
                progress(counted(f"column lineage: deriving {len(changed)} models ({len(todo)} so far)",
                                 done=sum(statuses.values()), total=len(models)))  # fmt: skip
                for status in run.derive([m for m, _ in changed], pool):
                    statuses[status] += 1
    progress(f"column lineage: {len(todo)} of {len(models)} models derived")
    written, removed, inferred = run.write(fingerprints=todo)
    inferred_capsules = frozenset(run.inferred_capsules)
    progress(f"column lineage: {written} edges written")
    return ColumnLineageRun(
        models=len(models),
        reparsed=len(todo),
        statuses={str(k): v for k, v in sorted(statuses.items())},
        edges_written=written,
        edges_removed=removed,
        skipped_unknown_column=run.skipped_total,
        seconds=time.perf_counter() - started,
        inferred=inferred,
        sql_only_relations=sum(len(v) for v in run.sql_parents.values()),
        derived_ids=frozenset(_uuids(m.pk for m in run.derived)),
        inferred_capsule_ids=frozenset(_uuids(inferred_capsules)),
    )


# -- reading ----------------------------------------------------------------------------------------------------------


def _masking_functions() -> frozenset[str]:
    extra = getattr(settings, "LINEAGE_MASKING_FUNCTIONS", None) or ()
    return DEFAULT_MASKING_FUNCTIONS | frozenset(f.lower() for f in extra)


def _flag(value: Any) -> bool:
    return str(value).lower() in ("true", "1")


def _node_rows(queryset) -> Iterator[_Node]:
    rows = queryset.annotate(
        quoted_name=KT("attributes__relation_name"),
        alias_name=KT("attributes__alias"),
        in_catalog_flag=KT("attributes__in_catalog"),
        sql_md5=MD5("compiled_sql"),
    ).values_list(
        "id", "urn", "name", "capsule_type", "materialization", "database_name", "schema_name", "relation_name",
        "quoted_name", "alias_name", "in_catalog_flag", "lineage_input__fingerprint", "lineage_status", "sql_md5",
        "columns_hash", "lineage_input__outputs_hash", "lineage_input__outputs_complete",
    ).order_by()  # fmt: skip
    for (pk, urn, name, kind, mat, database, schema, ident, quoted, alias, in_catalog, fp, status, sql_md5, cols,
         outputs_hash, outputs_complete) in rows:  # fmt: skip
        yield _Node(
            _key(pk), urn, name, kind, mat, database, schema, ident, quoted, alias, _flag(in_catalog), fp, status,
            sql_md5 if kind in LINEAGE_TYPES else None, cols, outputs_hash, bool(outputs_complete),
        )  # fmt: skip


def _read_nodes(source_system_id: Any) -> dict[Any, _Node]:
    """The project's capsules and their relation parents from other projects (``foreign``), by id, each with
    its parents. Two queries (three with foreign parents)."""
    nodes = {n.pk: n for n in _node_rows(Capsule.objects.filter(source_system_id=source_system_id))}
    edges = (
        CapsuleLineage.objects.filter(target__source_system_id=source_system_id, target__capsule_type__in=LINEAGE_TYPES)
        .values_list("source_id", "target_id", "edge_type")
        .order_by()
    )
    triples = [(_key(source), _key(target), edge_type) for source, target, edge_type in edges]
    _read_foreign(nodes, {s for s, _, _ in triples if s not in nodes})
    for source, target, edge_type in triples:
        parent = nodes.get(source)
        if parent is not None and parent.capsule_type in RELATION_TYPES and source != target:
            (nodes[target].sql_parents if edge_type == SQL_ONLY_EDGE else nodes[target].parents).append(source)
    return nodes


def _read_foreign(nodes: dict[Any, _Node], keys: set[int]) -> None:
    missing = _uuids(keys)
    for start in range(0, len(missing), 2000):
        for node in _node_rows(Capsule.objects.filter(pk__in=missing[start : start + 2000])):
            node.foreign = True
            nodes[node.pk] = node


def _attach_columns(nodes: dict[Any, _Node], capsule_ids: set[Any], *, source_system_id: Any) -> None:
    """Read the columns of these capsules (those not read yet) into their nodes: (id, lower-case name, origin), in
    ordinal order (columns without a position last), then by name code point by code point, whatever the database's
    collation (the order the loader hands over, ``ingestion.loader._column_order``). When they are a good part of
    the project, one query over the project's columns is cheaper than lists of ids, and every capsule of the project
    is read with it (later waves then need no query); foreign parents are read by id."""
    wanted = {pk for pk in capsule_ids if nodes[pk].columns is None}
    if not wanted:
        return
    by_name = Collate("name", "C") if connection.vendor == "postgresql" else F("name")  # SQLite compares bytes
    order = (F("capsule_id").asc(), F("ordinal_position").asc(nulls_last=True), by_name.asc())
    querysets = []
    if len(wanted) > len(nodes) // 4:
        querysets.append(Column.objects.filter(capsule__source_system_id=source_system_id))
        wanted |= {pk for pk, node in nodes.items() if node.columns is None and not node.foreign}
        ids = [pk for pk in wanted if nodes[pk].foreign]
    else:
        ids = list(wanted)
    for pk in wanted:
        nodes[pk].columns = []
    ids = _uuids(ids)
    querysets.extend(Column.objects.filter(capsule_id__in=ids[i : i + 2000]) for i in range(0, len(ids), 2000))
    for queryset in querysets:
        for capsule_id, pk, name, origin in (
            queryset.values_list("capsule_id", "id", "name", "origin").order_by(*order).iterator(chunk_size=20_000)
        ):
            key = capsule_id.int
            if key in wanted:
                nodes[key].columns.append((pk, name.lower(), origin))


# -- order, fingerprints and jobs -------------------------------------------------------------------------------------


def _waves(models: Sequence[_Node], nodes: dict[Any, _Node]) -> Iterator[list[_Node]]:
    """The models in waves: each model after every model of the project it reads (Kahn's order). Models on a
    cycle (which dbt forbids, but a hand-edited manifest may hold) come last, together."""
    members = {m.pk for m in models}
    waiting: dict[Any, int] = {}
    readers: dict[Any, list[_Node]] = defaultdict(list)
    for model in models:
        ups = {p for p in (*model.parents, *model.sql_parents) if p in members and p != model.pk}
        waiting[model.pk] = len(ups)
        for parent in ups:
            readers[parent].append(model)
    wave = [m for m in models if not waiting[m.pk]]
    done = 0
    while wave:
        yield wave
        done += len(wave)
        following = []
        for model in wave:
            for reader in readers.get(model.pk, ()):
                waiting[reader.pk] -= 1
                if not waiting[reader.pk]:
                    following.append(reader)
        wave = following
    if done < len(models):
        yield [m for m in models if waiting[m.pk] > 0]


def _spellings(node: _Node) -> tuple[str, ...]:
    if node._spellings is None:
        node._spellings = _spelled(node)
    return node._spellings


def _spelled(node: _Node) -> tuple[str, ...]:
    return relation_spellings(
        capsule_type=node.capsule_type,
        name=node.name,
        materialization=node.materialization,
        database=node.database,
        schema=node.schema,
        identifier=node.identifier,
        quoted_name=node.quoted_name,
        alias=node.alias,
    )


def _target_columns(model: _Node) -> tuple[str, ...]:
    """The model's declared columns: they name what a * over an upstream of unknown columns produces."""
    names = tuple(model.declared())
    if model.capsule_type == "snapshot":
        names = tuple(n for n in names if n not in SNAPSHOT_META_COLUMNS)
    return names


def _upstream(parent: _Node) -> UpstreamRelation:
    return UpstreamRelation(
        urn=parent.urn, names=_spellings(parent), columns=parent.known_names(), columns_complete=parent.complete
    )


def _outputs_hash(outputs: dict[str, str | None], complete: bool) -> str:
    return hashlib.md5(orjson.dumps([sorted(outputs.items()), complete]), usedforsecurity=False).hexdigest()


@functools.lru_cache(maxsize=8)
def _sorted_names(names: frozenset[str]) -> tuple[str, ...]:
    # the same set for every model of a run: sorted once, not once per model
    return tuple(sorted(names))


def _fingerprint(model: _Node, nodes: dict[Any, _Node], *, dialect: str | None, masking: frozenset[str]) -> str:
    """A hash of everything the model's lineage is derived from, without reading SQL or columns.

    The SQL counts by its MD5, declared columns by the loader's hash of the capsule's columns (which also moves
    when only a column's description changes: a harmless re-derivation, never a stale one), a parent's
    SQL-produced columns by the hash stored when it was derived (or just now, earlier in this walk).
    """
    parents = sorted(
        [(nodes[p], False) for p in set(model.parents)] + [(nodes[p], True) for p in set(model.sql_parents)],
        key=lambda item: (item[0].urn, item[1]),
    )
    payload = (
        EXTRACTOR_VERSION,
        dialect,
        _sorted_names(masking),
        model.sql_md5,
        model.capsule_type,
        _spellings(model),
        model.columns_hash,
        model.in_catalog,
        [(*p.signature(), sql_only) for p, sql_only in parents],
    )  # fmt: skip
    return hashlib.md5(orjson.dumps(payload), usedforsecurity=False).hexdigest()


# -- one run ----------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Skipped:
    """Edges not stored because an endpoint cannot be a column."""

    targets: dict[str, None] = field(default_factory=dict)  # the model's own output columns (names too long)
    sources: dict[str, None] = field(default_factory=dict)  # "parent.column" a parent with a whole list lacks
    count: int = 0


# (model id, target column, parent id, source column, transformation type, expression, carries the value)
_Edge = tuple[Any, str, Any, str, str, str, bool]


class _RelationIndex:
    """Every relation capsule by the name parts compiled SQL may use, for relations depends_on does not list.

    Built on first use from the project's capsules; those of other projects are added only when a name is not
    found among the project's. A name matches a capsule's whole spelling, or a trailing part of it when only one
    capsule has that trailing part.
    """

    def __init__(self, nodes: dict[Any, _Node], source_system_id: Any) -> None:
        self.nodes = nodes
        self.source_system_id = source_system_id
        self.exact: dict[tuple[str, ...], set[Any]] | None = None
        self.suffix: dict[tuple[str, ...], set[Any]] = {}
        self.wide = False

    def _add(self, node: _Node) -> None:
        for spelling in _spellings(node):
            parts = relation_name_parts(spelling)
            self.exact.setdefault(parts, set()).add(node.pk)
            for k in range(1, len(parts)):
                self.suffix.setdefault(parts[k:], set()).add(node.pk)

    def _lookup(self, parts: tuple[str, ...]) -> Any | None:
        hits = self.exact.get(parts) or self.suffix.get(parts) or set()
        return next(iter(hits)) if len(hits) == 1 else None

    def find(self, label: str) -> Any | None:
        if self.exact is None:
            self.exact = {}
            for node in list(self.nodes.values()):
                if node.capsule_type in RELATION_TYPES:
                    self._add(node)
        parts = relation_name_parts(label)
        found = self._lookup(parts)
        if found is None and not self.wide and parts not in self.exact and parts not in self.suffix:
            self.wide = True
            others = Capsule.objects.exclude(source_system_id=self.source_system_id).filter(
                capsule_type__in=RELATION_TYPES
            )
            for node in _node_rows(others):
                if node.pk not in self.nodes:
                    node.foreign = True
                    self.nodes[node.pk] = node
                    self._add(node)
            found = self._lookup(parts)
        return found


class _Run:
    """The state of one ``column_lineage_compute``: what was derived, inferred and read, until it is written."""

    def __init__(self, *, nodes, source_system_id, dialect, masking, job_id, now) -> None:
        self.nodes: dict[Any, _Node] = nodes
        self.source_system_id = source_system_id
        self.dialect = dialect
        self.masking = masking
        self.job_id = job_id
        self.now = now
        self.index = _RelationIndex(nodes, source_system_id)
        self.derived: list[_Node] = []
        self.edges: list[_Edge] = []
        self.reads: dict[Any, dict[str, list[str]]] = {}  # derived model -> {parent URN: names it reads}
        self.sql_parents: dict[Any, list[Any]] = {}  # derived model -> relations only its SQL names
        self.updates: list[LineageStatusUpdate] = []
        self.single_sources: dict[tuple[Any, str], tuple[Any, str]] = {}  # untyped inferred column -> its source
        self.skipped_total = 0
        self.inferred_capsules: set[Any] = set()

    # -- deriving ----------------------------------------------------------------------------------------------

    def attach(self, ids: set[Any]) -> None:
        _attach_columns(self.nodes, ids, source_system_id=self.source_system_id)

    def job(self, model: _Node, sql: str | None, extra: Sequence[Any] = ()) -> LineageJob:
        parents = [self.nodes[p] for p in dict.fromkeys([*model.parents, *extra])]
        return LineageJob(
            key=model.urn,
            sql=sql,
            dialect=self.dialect,
            upstream=tuple(_upstream(p) for p in parents),
            target_columns=_target_columns(model),
            masking_functions=self.masking,
            own_names=_spellings(model) if model.quoted_name else (),
            target_columns_complete=model.in_catalog,
        )

    def derive(self, models: list[_Node], pool: ExtractionPool) -> Iterator[str]:
        """Extract these models (one wave: their parents are settled) and record what they say; yields statuses."""
        self.attach({m.pk for m in models} | {p for m in models for p in (*m.parents, *m.sql_parents)})
        with_sql = []
        for model in models:
            self.derived.append(model)
            if model.sql_md5 is None:
                # The extractor's verdict too, without shipping the job to a worker.
                model.settle({}, False)
                self.sql_parents[model.pk] = []
                self.updates.append(LineageStatusUpdate(_uuid(model.pk), LineageStatus.NO_SQL, NO_SQL_REASON))
                yield LineageStatus.NO_SQL
            else:
                with_sql.append(model)
        by_urn = {m.urn: m for m in with_sql}
        sql_of: dict[str, str | None] = {}
        for urn, result in pool.run(self._jobs(with_sql, sql_of)):
            model = by_urn[urn]
            result = self._attribute_unknown(model, result, sql_of.get(urn))
            yield self._record(model, result)

    def _jobs(self, models: list[_Node], sql_of: dict[str, str | None]) -> Iterator[LineageJob]:
        """One LineageJob per model, reading compiled SQL a chunk at a time (the pool consumes this lazily). The SQL
        of models naming unknown relations is kept, to extract them again."""
        for start in range(0, len(models), _SQL_CHUNK):
            chunk = models[start : start + _SQL_CHUNK]
            sql = dict(Capsule.objects.filter(pk__in=_uuids(m.pk for m in chunk)).values_list("id", "compiled_sql"))
            for model in chunk:
                sql_of[model.urn] = sql.get(_uuid(model.pk))
                yield self.job(model, sql_of[model.urn], model.sql_parents)

    def _attribute_unknown(self, model: _Node, result: ModelLineage, sql: str | None) -> ModelLineage:
        """A relation the SQL reads beyond depends_on (through a macro, or written by hand) that names a known
        capsule becomes a parent of this model, found in SQL only; the model is extracted once more with it. Such
        parents found before stay while the SQL still reads them."""
        candidates = [p for p in model.sql_parents if p not in model.parents]
        added = False
        for label in result.unknown_relations:
            found = self.index.find(label)
            if found is None or found == model.pk or found in model.parents or found in candidates:
                continue
            candidates.append(found)
            added = True
        if added:
            self.attach(set(candidates))
            job = self.job(model, sql, candidates)
            result = extract_column_lineage(
                sql=job.sql, dialect=job.dialect, upstream=job.upstream, target_columns=job.target_columns,
                masking_functions=job.masking_functions, own_names=job.own_names,
                target_columns_complete=job.target_columns_complete,
            )  # fmt: skip
        read = set(result.relations)
        self.sql_parents[model.pk] = [p for p in candidates if self.nodes[p].urn in read]
        return result

    def _record(self, model: _Node, result: ModelLineage) -> str:
        """Keep what the extractor said of one model: its SQL-produced columns (known to its readers from now on),
        its edges by name, what it reads of its parents beyond their known columns; decide its status."""
        declared = set(model.declared())
        outputs: dict[str, str | None] = {}
        skipped = _Skipped()
        for name, dtype in zip(result.output_columns, result.output_types, strict=False):
            if name in declared or name in outputs:
                continue
            if model.capsule_type == "snapshot" and name in SNAPSHOT_META_COLUMNS:
                continue
            if len(name) > _MAX_NAME or len(model.urn) + 1 + len(name) > _MAX_URN:
                skipped.targets[name[:60]] = None
                continue
            outputs[name] = dtype
        model.settle(outputs, result.outputs_complete and result.status != LineageStatus.FAILED)

        parents = {self.nodes[p].urn: self.nodes[p] for p in (*model.parents, *self.sql_parents.get(model.pk, ()))}
        known = {urn: p.known_set() for urn, p in parents.items()}
        reads: dict[str, dict[str, None]] = defaultdict(dict)
        typed_by: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for edge in result.edges:
            parent = parents.get(edge.source_urn)
            if parent is None or edge.target_column in skipped.targets:
                skipped.count += 1
                continue
            if edge.source_column not in known[parent.urn]:
                if not parent.usage_inferable:
                    skipped.count += 1
                    skipped.sources[f"{parent.name}.{edge.source_column}"] = None
                    continue
                reads[parent.urn][edge.source_column] = None
            self.edges.append((
                model.pk, edge.target_column, parent.pk, edge.source_column, edge.transformation_type,
                edge.expression, edge.carries_value,
            ))  # fmt: skip
            if edge.transformation_type in ("direct", "renamed") and edge.carries_value:
                typed_by[edge.target_column].append((parent.pk, edge.source_column))
        for urn, column in result.filter_columns:
            parent = parents.get(urn)
            if parent is not None and parent.usage_inferable and column not in known[urn]:
                reads[urn][column] = None
        for name, dtype in outputs.items():
            sources = typed_by.get(name, ())
            if dtype is None and len(sources) == 1:
                self.single_sources[(model.pk, name)] = sources[0]  # typed as that source, when it is
        self.reads[model.pk] = {urn: list(names) for urn, names in reads.items()}
        self.skipped_total += skipped.count
        status, reason = _verdict(result, skipped)
        self.updates.append(LineageStatusUpdate(_uuid(model.pk), status, reason))
        return status

    # -- writing -----------------------------------------------------------------------------------------------

    def write(self, *, fingerprints: list[tuple[_Node, str]]) -> tuple[int, int, dict[str, int]]:
        """Store the run: inferred columns, edges, sql_only capsule edges, statuses and fingerprints. Returns the
        edges written and removed and the inferred columns' changes."""
        removed = _delete_edges(_uuids(m.pk for m in self.derived if m.status))
        usage = self._usage()
        inserts, updates, deletes = self._reconcile(usage)
        columns_inferred_apply(inserts=inserts, updates=updates, delete_ids=deletes, now=self.now)
        self.inferred_capsules = {c.capsule_id.int for c in inserts} | self._capsules_of(updates, deletes)
        self.attach_new(inserts, deletes)
        written = bulk_insert(
            ColumnLineage._meta.db_table,
            ("source_urn", "target_urn", "source_column_id", "target_column_id", "transformation_type",
             "transformation_expr", "carries_value", "ingestion_id", "created_at"),
            self._edge_rows(),
        )  # fmt: skip
        self._write_sql_only_edges()
        not_applicable = [
            LineageStatusUpdate(_uuid(n.pk), LineageStatus.NOT_APPLICABLE)
            for n in self.nodes.values()
            if not n.foreign and n.capsule_type not in LINEAGE_TYPES and n.status != LineageStatus.NOT_APPLICABLE
        ]
        capsules_set_lineage_status(updates=[*self.updates, *not_applicable])
        _save_inputs(
            [
                (_uuid(m.pk), fp, m.outputs_hash, m.outputs_complete, self.reads.get(m.pk, {}))
                for m, fp in self._final(fingerprints)
            ],
            now=self.now,
        )
        if connection.vendor == "postgresql" and written + removed > ANALYZE_AFTER:
            # Fresh statistics keep traversal on the edge indexes right after a big load (autovacuum would only
            # catch up a minute later, and a stale plan scans the whole table: 0.5 ms becomes 400 ms).
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {ColumnLineage._meta.db_table}")
        counts = Counter(c.origin for c in inserts)
        inferred = {
            "sql_created": counts[ColumnOrigin.SQL],
            "usage_created": counts[ColumnOrigin.USAGE],
            "changed": len(updates),
            "removed": len(deletes),
        }
        return written, removed, inferred

    def _final(self, fingerprints: list[tuple[_Node, str]]) -> Iterator[tuple[_Node, str]]:
        """The fingerprints to store: a model that found relations in its SQL only is fingerprinted with them, as the
        next run will read them (from the sql_only edges just written)."""
        for model, fingerprint in fingerprints:
            found = self.sql_parents.get(model.pk)
            if found is not None and set(found) != set(model.sql_parents):
                model.sql_parents = list(found)
                fingerprint = _fingerprint(model, self.nodes, dialect=self.dialect, masking=self.masking)
            yield model, fingerprint

    def _usage(self) -> dict[Any, set[str]]:
        """The columns to infer from usage for each parent of a derived model: the union of what all its readers
        read of it beyond its known columns (stored reads for the readers not derived now). Two queries."""
        if not self.derived:
            return {}
        affected = {p for m in self.derived for p in (*m.parents, *m.sql_parents, *self.sql_parents.get(m.pk, ()))}
        affected |= {m.pk for m in self.derived} | self._formerly_read()
        readers: dict[Any, set[Any]] = defaultdict(set)
        ids = _uuids(affected)
        for start in range(0, len(ids), 2000):
            for source, target in CapsuleLineage.objects.filter(source_id__in=ids[start : start + 2000]).values_list(
                "source_id", "target_id"
            ):
                readers[source.int].add(target.int)
        for model in self.derived:
            for parent in (*model.parents, *self.sql_parents.get(model.pk, ())):
                readers[parent].add(model.pk)
        derived = {m.pk for m in self.derived}
        stored_ids = _uuids({r for rs in readers.values() for r in rs if r not in derived})
        stored: dict[Any, dict] = {}
        for start in range(0, len(stored_ids), 2000):
            rows = (
                ColumnLineageInput.objects.filter(capsule_id__in=stored_ids[start : start + 2000])
                .exclude(reads={})
                .values_list("capsule_id", "reads")
            )
            stored.update((capsule_id.int, reads) for capsule_id, reads in rows)
        usage: dict[Any, set[str]] = {}
        for pk in affected:
            node = self.nodes.get(pk)
            if node is None:
                continue
            names: set[str] = set()
            if node.usage_inferable:
                for reader in readers.get(pk, ()):
                    reads = self.reads.get(reader) if reader in derived else stored.get(reader)
                    names.update((reads or {}).get(node.urn, ()))
                names -= set(node.known_names())
            usage[pk] = names
        return usage

    def _formerly_read(self) -> set[Any]:
        """Capsules the derived models read beyond their known columns when last derived: a parent dbt no longer
        lists keeps no column only that reader inferred. One query (two when such a parent is not at hand)."""
        ids = _uuids(m.pk for m in self.derived if m.status)
        urns: set[str] = set()
        for start in range(0, len(ids), 2000):
            for reads in (
                ColumnLineageInput.objects.filter(capsule_id__in=ids[start : start + 2000])
                .exclude(reads={})
                .values_list("reads", flat=True)
            ):
                urns.update(reads or ())
        by_urn = {n.urn: pk for pk, n in self.nodes.items()}
        found = {by_urn[u] for u in urns if u in by_urn}
        missing = [u for u in urns if u not in by_urn]
        if missing:
            keys = {pk.int for pk in Capsule.objects.filter(urn__in=missing).values_list("id", flat=True)}
            _read_foreign(self.nodes, keys)
            found |= keys
        return found

    def _reconcile(self, usage: dict[Any, set[str]]):
        """Inferred columns wanted against those stored, per capsule touched: inserts, (id, origin, type) updates,
        deletes. A name both produced and read is ``sql``; a derived model's produced columns replace its stored
        ones, a parent's read columns its stored ones."""
        touched = {m.pk for m in self.derived} | set(usage)
        self.attach(touched)
        stored_types = self._stored_inferred_types(touched)
        passed_on = self._passed_on_types()
        inserts: list[InferredColumn] = []
        updates: list[tuple[Any, str, str | None]] = []
        deletes: list[Any] = []
        for pk in touched:
            node = self.nodes[pk]
            current = {name: (cid, origin) for cid, name, origin in node.columns or () if origin in INFERRED_ORIGINS}
            wanted: dict[str, tuple[str, str | None]] = {}
            if node.outputs is not None:
                for name, dtype in node.outputs.items():
                    wanted[name] = (ColumnOrigin.SQL, dtype or passed_on.get((pk, name)))
            else:
                for cid, name, origin in node.columns or ():
                    if origin == ColumnOrigin.SQL:
                        wanted[name] = (origin, stored_types.get(cid))
            if pk in usage:
                for name in sorted(usage[pk]):
                    wanted.setdefault(name, (ColumnOrigin.USAGE, None))
            else:
                for _, name, origin in node.columns or ():
                    if origin == ColumnOrigin.USAGE:
                        wanted.setdefault(name, (origin, None))
            positions = {name: i for i, name in enumerate(node.outputs or {}, start=1)}
            for name, (origin, dtype) in wanted.items():
                if name in current:
                    cid, old_origin = current[name]
                    if (old_origin, stored_types.get(cid)) != (origin, dtype):
                        updates.append((cid, origin, dtype))
                else:
                    column = InferredColumn(
                        ordered_uuid(), _uuid(pk), node.urn, name, origin, dtype, positions.get(name)
                    )
                    inserts.append(column)
            deletes.extend(cid for name, (cid, _) in current.items() if name not in wanted)
        return inserts, updates, deletes

    def _capsules_of(self, updates: Sequence[tuple], deletes: Sequence[Any]) -> set[Any]:
        ids = {cid for cid, *_ in updates} | set(deletes)
        if not ids:
            return set()
        return {pk for pk, node in self.nodes.items() if any(c[0] in ids for c in node.columns or ())}

    def _stored_inferred_types(self, capsule_ids: set[Any]) -> dict[Any, str | None]:
        ids = _uuids(k for k in capsule_ids if any(o in INFERRED_ORIGINS for _, _, o in self.nodes[k].columns or ()))
        types: dict[Any, str | None] = {}
        for start in range(0, len(ids), 2000):
            types.update(
                Column.objects.filter(capsule_id__in=ids[start : start + 2000], origin__in=INFERRED_ORIGINS)
                .values_list("id", "data_type")
                .order_by()
            )
        return types

    def _passed_on_types(self) -> dict[tuple[Any, str], str | None]:
        """For each inferred column without an evident type that passes one column on unchanged: that column's type,
        following chains of such inferred columns; the declared columns at the chains' ends in one query."""
        ends: dict[tuple[Any, str], Any] = {}
        for key, source in self.single_sources.items():
            seen = {key}
            while source not in seen:
                seen.add(source)
                parent = self.nodes[source[0]]
                if parent.outputs is not None and source[1] in parent.outputs:
                    if parent.outputs[source[1]]:
                        ends[key] = parent.outputs[source[1]]
                        break
                    if source not in self.single_sources:
                        break
                    source = self.single_sources[source]
                    continue
                ends[key] = source
                break
        urns = {f"{self.nodes[p].urn}:{c}": (p, c) for p, c in {e for e in ends.values() if isinstance(e, tuple)}}
        stored: dict[tuple[Any, str], str | None] = {}
        found = list(urns)
        for start in range(0, len(found), 2000):
            chunk = Column.objects.filter(urn__in=found[start : start + 2000])
            for urn, dtype in chunk.values_list("urn", "data_type"):
                stored[urns[urn]] = dtype
        return {key: stored.get(end) if isinstance(end, tuple) else end for key, end in ends.items()}

    def attach_new(self, inserts: Sequence[InferredColumn], deletes: Sequence[Any]) -> None:
        """Bring the in-memory column lists in line with what ``columns_inferred_apply`` wrote."""
        gone = set(deletes)
        by_capsule: dict[Any, list[InferredColumn]] = defaultdict(list)
        for column in inserts:
            by_capsule[column.capsule_id.int].append(column)
        for pk, node in self.nodes.items():
            if node.columns is None or (pk not in by_capsule and not gone):
                continue
            node.columns = [c for c in node.columns if c[0] not in gone]
            node.columns.extend((c.id, c.name, c.origin) for c in by_capsule.get(pk, ()))

    def _edge_rows(self) -> Iterator[tuple]:
        ids: dict[Any, dict[str, Any]] = {}

        def column_ids(pk: Any) -> dict[str, Any]:
            found = ids.get(pk)
            if found is None:
                found = ids[pk] = {name: cid for cid, name, _ in self.nodes[pk].columns or ()}
            return found

        seen: set[tuple[Any, Any]] = set()
        for model_pk, target, parent_pk, source, kind, expression, carries in self.edges:
            target_id, source_id = column_ids(model_pk).get(target), column_ids(parent_pk).get(source)
            if target_id is None or source_id is None or target_id == source_id or (source_id, target_id) in seen:
                continue
            seen.add((source_id, target_id))
            model, parent = self.nodes[model_pk], self.nodes[parent_pk]
            yield (f"{parent.urn}:{source}", f"{model.urn}:{target}", source_id, target_id, kind, expression, carries,
                   self.job_id, self.now)  # fmt: skip

    def _write_sql_only_edges(self) -> None:
        """The derived models' ``sql_only`` capsule edges, as their SQL now reads."""
        stale, rows = [], []
        stored = {(p, m.pk) for m in self.derived for p in m.sql_parents}
        wanted = {(p, m) for m, parents in self.sql_parents.items() for p in parents}
        if stored - wanted:
            stale = list(
                CapsuleLineage.objects.filter(
                    edge_type=SQL_ONLY_EDGE, target_id__in=_uuids(m.pk for m in self.derived)
                ).values_list("id", "source_id", "target_id")
            )
            stale = [pk for pk, source, target in stale if (source.int, target.int) not in wanted]
            bulk_delete(CapsuleLineage._meta.db_table, stale)
        for source, target in wanted - stored:
            rows.append((self.nodes[source].urn, self.nodes[target].urn, _uuid(source), _uuid(target), SQL_ONLY_EDGE,
                         "{}", self.job_id, self.now))  # fmt: skip
        bulk_insert(
            CapsuleLineage._meta.db_table,
            ("source_urn", "target_urn", "source_id", "target_id", "edge_type", "meta", "ingestion_id", "created_at"),
            rows,
        )


# -- writing -----------------------------------------------------------------------------------------------------------


def _save_inputs(rows: list[tuple[Any, str, str | None, bool, dict]], *, now) -> None:
    """Replace the re-derived models' inputs (fingerprint, outputs, reads), and drop those of capsules the loader
    deleted."""
    table = ColumnLineageInput._meta.db_table
    ids = [row[0] for row in rows]
    for start in range(0, len(ids), 2000):
        ColumnLineageInput.objects.filter(capsule_id__in=ids[start : start + 2000])._raw_delete(connection.alias)
    bulk_insert(
        table,
        ("capsule_id", "fingerprint", "outputs_hash", "outputs_complete", "reads", "derived_at"),
        [(pk, fp, outputs, complete, orjson.dumps(reads).decode(), now) for pk, fp, outputs, complete, reads in rows],
    )
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


def _listed(names: dict[str, None] | Sequence[str], limit: int = 5) -> str:
    shown = list(names)[:limit]
    return ", ".join(shown) + (", …" if len(names) > limit else "")


def _verdict(result: ModelLineage, skipped: _Skipped) -> tuple[str, str | None]:
    """The status and reason to store: the extractor's, made partial when edges could not be stored."""
    status, reason = result.status, result.reason
    if reason and result.unknown_relations:
        # the name matched no capsule either (relations that do are attributed before this)
        reason = reason.replace(NOT_UPSTREAM, "is neither in its depends_on nor a relation DAB knows")
    notes = []
    if skipped.targets:
        notes.append(f"output columns whose names are too long to store: {_listed(skipped.targets)}")
    if skipped.sources:
        notes.append(
            "upstream columns that the parent's columns (catalog, manifest and its own SQL) do not include: "
            f"{_listed(skipped.sources)}"
        )
    if notes:
        note = f"{skipped.count} edge(s) not stored, naming " + "; ".join(notes)
        reason = f"{reason}; {note}" if reason else note
        if status == LineageStatus.PARSED:
            status = LineageStatus.PARTIAL
    return status, reason[:2000] if reason else None
