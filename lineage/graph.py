"""The whole-graph view: capsules, columns and their lineage as plain Python structures.

Whole-graph work (conformance rules over paths, PII propagation, layer checks, fan-out) wants the
entire graph at once. Loading it costs a few queries; after that every algorithm works on lists of
ints, never on the ORM. Every app builds the view through this module so they all see the same graph.

Nodes are addressed by their position in ``GraphView.capsules`` / ``GraphView.columns``; adjacency
lists hold those positions. ``pk`` keeps the database key so results can be written back in bulk.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from itertools import groupby
from operator import attrgetter
from typing import Any

import orjson
from django.db import connection

from dab_project.memory import gc_paused


@dataclass(slots=True, frozen=True)
class TestInfo:
    """A dbt data test attached to a capsule (and possibly one of its columns)."""

    name: str
    test_type: str  # unique, not_null, relationships, accepted_values, or the custom test's name
    column: str | None = None  # lower-case column name, None for model-level tests
    status: str | None = None  # latest run_results status (pass, fail, warn, error, skipped)
    path: str | None = None  # the file declaring it (a yml for generic tests)


@dataclass(slots=True)
class ColumnNode:
    index: int
    urn: str
    name: str
    capsule: int  # index into GraphView.capsules
    data_type: str | None = None
    description: str = ""
    tags: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    tests: tuple[str, ...] = ()  # test types attached to this column
    pii_type: str | None = None
    pii_masked: bool = False
    semantic_type: str | None = None
    in_manifest: bool = True  # declared in the project's YAML (not only seen in the warehouse)
    constraints: tuple[dict[str, Any], ...] = ()
    # The database key as the database writes it in text (``key_text``): graph_load reads it so because
    # psycopg builds a uuid.UUID per value, about 0.5 s of CPU for 376,000 columns.
    pk: Any = None
    # Inferred by column lineage (catalog.choices.ColumnOrigin sql/usage): it takes part in lineage and PII, not in
    # what judges the project's declarations (documentation, tests, naming, column counts).
    inferred: bool = False


@dataclass(slots=True)
class CapsuleNode:
    index: int
    urn: str
    name: str
    capsule_type: str  # model, source, seed, snapshot, exposure, metric, semantic_model, ...
    layer: str | None = None  # raw, staging, intermediate, marts, consumption (None when unknown)
    materialization: str | None = None
    description: str = ""
    domain: str | None = None
    owner: str | None = None
    tags: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    path: str | None = None  # original_file_path in the dbt project
    package: str | None = None
    source_system: str | None = None  # dbt project name
    database: str | None = None
    schema: str | None = None
    relation_name: str | None = None
    source_name: str | None = None  # for sources: the dbt source name (`source('<this>', 'table')`)
    access: str | None = None
    group: str | None = None
    contract_enforced: bool = False
    version: str | None = None
    tests: tuple[TestInfo, ...] = ()
    columns: list[int] = field(default_factory=list)  # indexes into GraphView.columns
    attributes: dict[str, Any] = field(default_factory=dict)  # type-specific dbt facts (freshness, exposure url...)
    raw_sql: str | None = None  # only when graph_load(sql=True)
    pk: Any = None


@dataclass(slots=True)
class GraphView:
    """Capsules, columns, and both lineage levels as adjacency lists of indexes."""

    capsules: list[CapsuleNode] = field(default_factory=list)
    columns: list[ColumnNode] = field(default_factory=list)
    upstream: list[list[int]] = field(default_factory=list)  # capsule index -> parent capsule indexes
    downstream: list[list[int]] = field(default_factory=list)  # capsule index -> child capsule indexes
    # column index -> [(other column index, transformation_type)]
    column_upstream: list[list[tuple[int, str]]] = field(default_factory=list)
    column_downstream: list[list[tuple[int, str]]] = field(default_factory=list)
    by_urn: dict[str, int] = field(default_factory=dict)
    # column urn -> column index, built on first use (``column_by_urn``): the evaluation never asks for it, and
    # building it costs graph_load 0.3-0.5 s of CPU at 386,000 columns
    column_urn_index: dict[str, int] | None = field(default=None, repr=False, compare=False)
    # A view with some capsules' columns only (``graph_columns_load``): the capsules whose columns (and the column
    # edges between them) it holds, and how many columns the catalog holds in all. None: every capsule's.
    column_capsules: frozenset[int] | None = None
    column_total: int | None = None
    # capsule_key_index's result, kept: several steps of one evaluation ask for it
    key_index: dict[str, int] | None = field(default=None, repr=False, compare=False)

    @property
    def column_by_urn(self) -> dict[str, int]:
        """Column urn -> column index (the last column of a urn when several share it)."""
        if self.column_urn_index is None:
            columns = self.columns
            self.column_urn_index = dict(zip(map(attrgetter("urn"), columns), range(len(columns)), strict=True))
        return self.column_urn_index

    # -- building -------------------------------------------------------------------------------

    def add_capsule(self, node: CapsuleNode) -> CapsuleNode:
        node.index = len(self.capsules)
        self.capsules.append(node)
        self.upstream.append([])
        self.downstream.append([])
        self.by_urn[node.urn] = node.index
        return node

    def add_column(self, node: ColumnNode) -> ColumnNode:
        node.index = len(self.columns)
        self.columns.append(node)
        self.column_upstream.append([])
        self.column_downstream.append([])
        self.column_by_urn[node.urn] = node.index
        self.capsules[node.capsule].columns.append(node.index)
        return node

    def add_edge(self, source: int, target: int) -> None:
        if source == target or target in self.downstream[source]:
            return
        self.downstream[source].append(target)
        self.upstream[target].append(source)

    def add_column_edge(self, source: int, target: int, transformation_type: str) -> None:
        if source == target:
            return
        self.column_downstream[source].append((target, transformation_type))
        self.column_upstream[target].append((source, transformation_type))

    # -- reading --------------------------------------------------------------------------------

    def has_columns(self, index: int) -> bool:
        """Whether the view holds capsule ``index``'s columns (always, unless loaded for some capsules only)."""
        return self.column_capsules is None or index in self.column_capsules

    def capsule(self, urn: str) -> CapsuleNode | None:
        index = self.by_urn.get(urn)
        return None if index is None else self.capsules[index]

    def walk(
        self, start: Iterable[int], *, direction: str = "downstream", max_depth: int | None = None
    ) -> Iterator[tuple[int, int]]:
        """Breadth-first over capsules from ``start`` (excluded), yielding (index, depth); cycle-safe."""
        adjacency = self.downstream if direction == "downstream" else self.upstream
        seen = set(start)
        queue = deque((index, 0) for index in seen)
        while queue:
            index, depth = queue.popleft()
            if max_depth is not None and depth >= max_depth:
                continue
            for nxt in adjacency[index]:
                if nxt not in seen:
                    seen.add(nxt)
                    yield nxt, depth + 1
                    queue.append((nxt, depth + 1))


# -- loading the view from the database -------------------------------------------------------------------


def _json(value: Any, default: Any) -> Any:
    """JSON columns are read as text and decoded with orjson; empty ones skip the decoder."""
    if value is None or value == "[]" or value == "{}":
        return default
    if isinstance(value, str | bytes):
        return orjson.loads(value)
    return value


def key_text(value: Any) -> str:
    """A primary key (a UUID, or its text) as the database writes it in text, the form ``ColumnNode.pk`` holds:
    hyphenated on PostgreSQL, 32 hex digits on SQLite (as Django stores UUIDs there)."""
    value = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    return str(value) if connection.vendor == "postgresql" else value.hex


def key_texts(values: Iterable[Any]) -> list[str]:
    """``key_text`` of many keys: the connection's vendor looked up once (each lookup goes through Django's
    connection proxy, about 10 us: 0.2 s of CPU for 15,000 capsules)."""
    if connection.vendor == "postgresql":
        return [str(value) if isinstance(value, uuid.UUID) else str(uuid.UUID(str(value))) for value in values]
    return [(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))).hex for value in values]


def capsule_key_index(graph: GraphView) -> dict[str, int]:
    """``key_text`` of each capsule's key -> the capsule's index, in the capsules' order; built once per view (the
    view's capsules must not change after)."""
    if graph.key_index is None or len(graph.key_index) != len(graph.capsules):
        keys = key_texts(node.pk for node in graph.capsules)
        graph.key_index = dict(zip(keys, range(len(graph.capsules)), strict=True))
    return graph.key_index


def graph_load(*, columns: bool = True, column_edges: bool = True, sql: bool = False) -> GraphView:
    """The whole catalog as a GraphView: four queries (capsules, columns, capsule and column edges).

    ``columns=False`` skips the columns (and their edges) for work that only needs capsules;
    ``sql=True`` adds each capsule's raw SQL (about 3 KB a model). Reads through a plain cursor with JSON
    as text (Django's per-value converters cost twice the rest at 376,000 columns) and pauses the cyclic
    garbage collector, which would otherwise rescan the growing graph again and again: about 2 s of CPU
    for 10,000 models and 376,000 columns. Call it once per evaluation, not per request.
    """
    from catalog.models import Capsule, Column
    from lineage.models import CapsuleLineage, ColumnLineage

    with gc_paused():
        return _graph_read(
            capsules=Capsule._meta.db_table, columns_table=Column._meta.db_table if columns else None,
            edges=CapsuleLineage._meta.db_table, column_edges=ColumnLineage._meta.db_table if column_edges else None,
            sql=sql,
        )  # fmt: skip


class GraphLoad:
    """A graph read started in a thread of its own (``graph_load_start``); calling it waits for the graph."""

    def __init__(self, options: dict[str, Any]):
        import threading

        self.options, self._outcome = options, {}
        # a daemon: a command failing before it waits for the graph does not wait for it at its exit either
        self._thread = threading.Thread(target=self._read, name="graph_load_start", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            self._outcome["graph"] = graph_load(**self.options)
        except BaseException as exc:  # handed to the caller, raised there
            self._outcome["error"] = exc
        finally:
            connection.close()  # this thread's own Django connection

    def __call__(self) -> GraphView:
        self._thread.join()
        if "error" in self._outcome:
            raise self._outcome["error"]
        return self._outcome["graph"]

    def wait(self) -> None:
        """Wait for the read to end (its connections closed) without asking for its graph."""
        self._thread.join()


def graph_load_start(**options: Any) -> Callable[[], GraphView]:
    """Start ``graph_load(**options)`` in a thread of its own now and return the function that waits for its graph.

    For a command with other work before it needs the graph (`dab conformance check`: the rule files, the
    settings): PostgreSQL scans and sends the columns meanwhile, where the command would otherwise wait for it
    (about 0.9 s at 10,000 models). The thread reads over connections of its own, so it starts only on PostgreSQL
    outside a transaction (another connection would not see what this one has not committed); otherwise the
    returned function loads the graph when called, as ``graph_load`` would. Start it with the cyclic collector
    paused (``gc_paused``): the thread pauses it too, and would turn it back on when it ends.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return partial(graph_load, **options)
    return GraphLoad(options)


def _graph_read(*, capsules: str, columns_table: str | None, edges: str, column_edges: str | None, sql: bool):
    from lineage.models import SQL_ONLY_EDGE

    postgres = connection.vendor == "postgresql"
    text = (lambda column: f"{column}::text") if postgres else (lambda column: column)
    # Keys are read and indexed as text: psycopg builds a uuid.UUID for every uuid value (about 1.3 us of CPU
    # each, 1.3 million of them at 10,000 models: ids, capsule ids, both ends of every column edge) and hashing
    # one runs Python code; text costs a fifth. SQLite hands UUIDs over as hex text already. Only the capsules'
    # own pk stays a UUID (a few thousand).
    key = (lambda value: value) if postgres else (lambda value: uuid.UUID(value))
    ident = str if postgres else (lambda value: value)
    qn = connection.ops.quote_name
    capsules_sql = (
        f"SELECT c.id, c.urn, c.name, c.capsule_type, c.layer, c.materialization, c.description, d.name, o.name,"
        f" {text('c.tags')}, {text('c.meta')}, c.original_file_path, c.package_name, s.name, c.database_name,"
        f" c.schema_name, c.relation_name, {text('c.attributes')}, c.access, c.group_name, c.contract_enforced,"
        f" c.version, {text('c.tests')}{', c.raw_sql' if sql else ''}"
        f" FROM {qn(capsules)} c LEFT JOIN domains d ON d.id = c.domain_id"
        f" LEFT JOIN owners o ON o.id = c.owner_id LEFT JOIN source_systems s ON s.id = c.source_system_id"
        # In a stable order, not the table's physical one (which any update, VACUUM FULL or restore moves): checks
        # that choose among equal paths (layer_bypass) choose the same one every time.
        " ORDER BY c.urn"
    )
    # The DAG as dbt declares it: relations found in SQL only (lineage.models.SQL_ONLY_EDGE) stay out.
    edges_sql = (
        f"SELECT {text('source_id')}, {text('target_id')} FROM {qn(edges)} WHERE edge_type <> %s"
        " ORDER BY source_id, target_id"
    )
    queries = [(capsules_sql, []), (edges_sql, [SQL_ONLY_EDGE])]
    if columns_table is not None:
        queries.append((_columns_sql(columns_table), []))
        if column_edges is not None:
            queries.append((_column_edges_sql(column_edges), []))
    with _reader(queries, parallel=postgres and _parallel_worth_it(columns_table)) as results:
        return _graph_build(results, key=key, ident=ident)


def _columns_sql(table: str, where: str = "") -> str:
    """The columns' query, ordered by capsule (``_columns_add`` relies on it); ``where`` narrows it."""
    text = (lambda column: f"{column}::text") if connection.vendor == "postgresql" else (lambda column: column)
    # Nearly every column's JSON is empty: sent as NULL it costs psycopg no string (1.5 million at 387,000 columns)
    empty = lambda column, value: f"NULLIF({text(column)}, '{value}')"  # noqa: E731
    return (
        f"SELECT {text('id')}, urn, name, {text('capsule_id')}, data_type, description, {empty('tags', '[]')},"
        f" {empty('meta', '{}')}, {empty('tests', '[]')}, pii_type, pii_masked, semantic_type, in_manifest,"
        f" {empty('constraints', '[]')}, origin"
        # qualified: the bare names would sort by the text output columns, past the (capsule_id, ...) index
        f" FROM {connection.ops.quote_name(table)} c {where} ORDER BY c.capsule_id, c.ordinal_position, c.name"
    )


def _column_edges_sql(table: str, where: str = "") -> str:
    text = (lambda column: f"{column}::text") if connection.vendor == "postgresql" else (lambda column: column)
    return (
        f"SELECT {text('source_column_id')}, {text('target_column_id')}, transformation_type"
        f" FROM {connection.ops.quote_name(table)} e {where}"
    )


def graph_columns_load(
    graph: GraphView, *, capsules: Iterable[int] | None, column_total: int | None = None
) -> GraphView:
    """Add to ``graph`` (loaded with ``columns=False``) the columns of ``capsules`` (indexes; None: every capsule)
    and the column edges between those columns, as ``graph_load`` builds them; marks which capsules' columns it
    holds (``GraphView.column_capsules``) and counts the catalog's columns (``column_total``), unless the caller
    counted them already in this transaction (``column_total``: a count of every column costs 0.05 s at 386,000).

    Three queries (two with ``capsules=None``); the columns are read through their capsule index, so the cost
    follows the capsules asked for, not the catalog. Columns in the same order as a whole load's (by capsule), so
    a walk over them visits them in the same relative order.
    """
    from catalog.models import Column
    from catalog.querysets import sql_among
    from lineage.models import ColumnLineage

    if graph.columns:
        raise ValueError("graph_columns_load adds columns to a view that holds none yet")
    columns_table, edges_table = Column._meta.db_table, ColumnLineage._meta.db_table
    qn = connection.ops.quote_name
    capsule_index = capsule_key_index(graph)
    with gc_paused(), connection.cursor() as cursor:
        if capsules is None:
            cursor.execute(_columns_sql(columns_table))
            column_rows = cursor.fetchall()
            cursor.execute(_column_edges_sql(edges_table))
            _columns_add(graph, column_rows, cursor.fetchall(), capsule_index.get)
            return graph
        wanted = sorted(set(capsules))
        keys = [graph.capsules[index].pk for index in wanted]
        if keys:
            within, params = sql_among("c.capsule_id", keys)
            cursor.execute(_columns_sql(columns_table, f"WHERE {within}"), params)
            column_rows = cursor.fetchall()
            inner = f"SELECT c.id FROM {qn(columns_table)} c WHERE {within}"
            where = f"WHERE e.target_column_id IN ({inner}) AND e.source_column_id IN ({inner})"
            cursor.execute(_column_edges_sql(edges_table, where), params + params)
            _columns_add(graph, column_rows, cursor.fetchall(), capsule_index.get)
        if column_total is None:
            cursor.execute(f"SELECT COUNT(*) FROM {qn(columns_table)}")
            column_total = cursor.fetchone()[0]
        graph.column_total = column_total
    graph.column_capsules = frozenset(wanted)
    return graph


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def column_capsule_keys(column_keys: Iterable[Any]) -> set[Any]:
    """The primary keys of the capsules holding the columns ``column_keys``; one query."""
    from catalog.models import Column

    keys = [_as_uuid(key) for key in column_keys]
    return set(Column.objects.filter(pk__in=keys).values_list("capsule_id", flat=True).distinct()) if keys else set()


def column_lineage_neighbours(capsule_keys: Iterable[Any], *, downstream: bool) -> set[str]:
    """The capsules that column lineage links to ``capsule_keys`` (primary keys) one step downstream (or upstream),
    as ``key_text``; one query through the column and column-lineage indexes."""
    from catalog.models import Column
    from lineage.models import ColumnLineage

    keys = [_as_uuid(key) for key in capsule_keys]
    if not keys:
        return set()
    columns = Column.objects.filter(capsule_id__in=keys).values("pk")
    edges = ColumnLineage.objects.filter(**{"source_column__in" if downstream else "target_column__in": columns})
    far = "target_column__capsule_id" if downstream else "source_column__capsule_id"
    return set(key_texts(edges.values_list(far, flat=True).distinct()))


def _graph_build(results: Iterator[list[tuple]], *, key: Any, ident: Any) -> GraphView:
    """The GraphView from the queries' rows, taken in _graph_read's order."""
    graph = GraphView()
    capsule_index: dict[Any, int] = {}
    for row in next(results):
        (pk, urn, name, capsule_type, layer, materialization, description, domain, owner, tags, meta, path,
         package, system, database, schema, relation, attributes, access, group, contract, version,
         tests) = row[:23]  # fmt: skip
        attributes = _json(attributes, {})
        node = graph.add_capsule(
            CapsuleNode(
                index=0, urn=urn, name=name, capsule_type=capsule_type, layer=layer,
                materialization=materialization, description=description or "", domain=domain, owner=owner,
                tags=tuple(_json(tags, ())), meta=_json(meta, {}), path=path, package=package,
                source_system=system, database=database, schema=schema, relation_name=relation,
                source_name=attributes.get("source_name"), access=access, group=group,
                contract_enforced=bool(contract), version=version,
                tests=tuple(
                    TestInfo(name=t.get("name", ""), test_type=t.get("test_type", ""), column=t.get("column"),
                             status=t.get("status"), path=t.get("path"))
                    for t in _json(tests, ())
                ),
                attributes=attributes, raw_sql=row[23] if len(row) > 23 else None, pk=key(pk),
            )
        )  # fmt: skip
        capsule_index[ident(pk)] = node.index
    for source_id, target_id in next(results):
        source, target = capsule_index.get(source_id), capsule_index.get(target_id)
        if source is not None and target is not None:
            graph.add_edge(source, target)
    column_rows = next(results, None)
    if column_rows is None:
        return graph
    _columns_add(graph, column_rows, next(results, ()), capsule_index.get)
    return graph


def _columns_add(graph: GraphView, column_rows: list[tuple], edge_rows: Iterable[tuple], capsule_of: Any) -> None:
    """Add the columns' rows (ordered by capsule) and the column edges' rows to ``graph``; ``capsule_of`` maps a
    capsule key as the rows give it to the capsule's index. Edges with an end outside the columns are left out."""
    from catalog.choices import INFERRED_ORIGINS

    # The hot loop of the whole load (one pass per column) makes the nodes only; the indexes (by urn, by key,
    # each capsule's columns) and the empty adjacency lists are built after it by C-level zips and extends
    # (GraphView.add_column's appends and dict stores per column cost about 0.3 s of CPU more at 387,000); the urn
    # index is left to GraphView.column_by_urn, built when first asked for.
    loads, inferred = orjson.loads, frozenset(INFERRED_ORIGINS)
    nodes, owners = graph.columns, []
    for (pk, urn, name, capsule_id, data_type, description, tags, meta, tests, pii_type, masked, semantic,
         in_manifest, constraints, origin) in column_rows:  # fmt: skip
        capsule = capsule_of(capsule_id)
        if capsule is None:
            continue
        owners.append(capsule)
        nodes.append(
            ColumnNode(
                len(nodes), urn, name, capsule, data_type, description or "",
                () if tags == "[]" or tags is None else tuple(loads(tags)),
                {} if meta == "{}" or meta is None else loads(meta),
                () if tests == "[]" or tests is None else tuple(loads(tests)),
                pii_type, bool(masked), semantic, bool(in_manifest),
                () if constraints == "[]" or constraints is None else tuple(loads(constraints)), pk,
                origin in inferred,
            )
        )  # fmt: skip
    del column_rows
    count = len(nodes)
    graph.column_upstream.extend([] for _ in range(count))
    graph.column_downstream.extend([] for _ in range(count))
    graph.column_urn_index = None  # rebuilt from the columns when asked for
    column_index = dict(zip(map(attrgetter("pk"), nodes), range(count), strict=True))
    capsule_nodes = graph.capsules
    for owner, indexes in groupby(range(count), owners.__getitem__):  # the rows come ordered by capsule
        capsule_nodes[owner].columns.extend(indexes)
    del owners
    ups, downs, column_of = graph.column_upstream, graph.column_downstream, column_index.get
    for source_id, target_id, kind in edge_rows:
        source, target = column_of(source_id), column_of(target_id)
        # GraphView.add_column_edge inlined (285,000 calls at 10,000 models)
        if source is not None and target is not None and source != target:
            kind = kind or "derived"
            downs[source].append((target, kind))
            ups[target].append((source, kind))


# A catalog whose columns table is smaller than this is read over Django's one connection: the extra
# connections (a few milliseconds each) would cost more than the overlap saves.
PARALLEL_READ_MIN_BYTES = 8 * 1024 * 1024


def _parallel_worth_it(columns_table: str | None) -> bool:
    """Whether to read the graph over several connections: PostgreSQL outside a transaction (a connection of
    its own would not see what this one has not committed), and a columns table large enough."""
    if columns_table is None or connection.in_atomic_block:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_relation_size(to_regclass(%s))", [connection.ops.quote_name(columns_table)])
        size = cursor.fetchone()[0]
    return (size or 0) >= PARALLEL_READ_MIN_BYTES


@contextmanager
def _reader(queries: list[tuple[str, list]], *, parallel: bool) -> Iterator[Iterator[list[tuple]]]:
    """The queries' rows, in order, as an iterator of lists.

    In parallel, every query runs at once over a connection of its own, in one snapshot exported by the
    first (REPEATABLE READ, read only), so the graph is as consistent as one connection's reads. psycopg
    waits for PostgreSQL without the GIL: the columns' index scan and the column edges' transfer run on the
    other core while this thread builds the capsules, instead of one after the other.
    """
    if not parallel:
        with connection.cursor() as cursor:

            def serial() -> Iterator[list[tuple]]:
                for sql, params in queries:
                    cursor.execute(sql, params)
                    yield cursor.fetchall()

            yield serial()
        return
    import psycopg
    from psycopg import sql as psql

    params = connection.get_connection_params()
    connections: list[Any] = []
    try:
        snapshot = None
        for _ in queries:
            conn = psycopg.connect(**params)
            connections.append(conn)
            conn.isolation_level, conn.read_only = psycopg.IsolationLevel.REPEATABLE_READ, True
            if snapshot is None:
                snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            else:
                conn.execute(psql.SQL("SET TRANSACTION SNAPSHOT {}").format(psql.Literal(snapshot)))
        with ThreadPoolExecutor(max_workers=len(queries), thread_name_prefix="graph_load") as pool:
            futures = [
                pool.submit(lambda c, q, p: c.execute(q, p).fetchall(), conn, sql, query_params)
                for conn, (sql, query_params) in zip(connections, queries, strict=True)
            ]
            yield (future.result() for future in futures)
    finally:
        for conn in connections:
            conn.close()
