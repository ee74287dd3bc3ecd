"""The whole-graph view: capsules, columns and their lineage as plain Python structures.

Whole-graph work (conformance rules over paths, PII propagation, layer checks, fan-out) wants the
entire graph at once. Loading it costs a few queries; after that every algorithm works on lists of
ints, never on the ORM. Every app builds the view through this module so they all see the same graph.

Nodes are addressed by their position in ``GraphView.capsules`` / ``GraphView.columns``; adjacency
lists hold those positions. ``pk`` keeps the database key so results can be written back in bulk.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass(slots=True, frozen=True)
class TestInfo:
    """A dbt data test attached to a capsule (and possibly one of its columns)."""

    name: str
    test_type: str  # unique, not_null, relationships, accepted_values, or the custom test's name
    column: str | None = None  # lower-case column name, None for model-level tests
    status: str | None = None  # latest run_results status (pass, fail, warn, error, skipped)


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
    pk: Any = None


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
    column_by_urn: dict[str, int] = field(default_factory=dict)

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
    """JSON columns arrive decoded from PostgreSQL and as text from SQLite."""
    if value is None:
        return default
    if isinstance(value, str | bytes):
        return orjson.loads(value)
    return value


def graph_load(*, columns: bool = True, column_edges: bool = True, sql: bool = False) -> GraphView:
    """The whole catalog as a GraphView: four queries (capsules, columns, capsule and column edges).

    ``columns=False`` skips the columns (and their edges) for work that only needs capsules;
    ``sql=True`` adds each capsule's raw SQL (about 3 KB a model).
    Costs about a second per 300,000 columns; call it once per evaluation, not per request.
    """
    from catalog.models import Capsule, Column
    from lineage.models import CapsuleLineage, ColumnLineage

    graph = GraphView()
    capsule_index: dict[Any, int] = {}
    rows = Capsule.objects.values_list(
        "id", "urn", "name", "capsule_type", "layer", "materialization", "description", "domain__name",
        "owner__name", "tags", "meta", "original_file_path", "package_name", "source_system__name",
        "database_name", "schema_name", "relation_name", "attributes", "access", "group_name",
        "contract_enforced", "version", "tests", *(["raw_sql"] if sql else []),
    ).order_by()  # fmt: skip
    for row in rows.iterator(chunk_size=5000):
        (pk, urn, name, capsule_type, layer, materialization, description, domain, owner, tags, meta, path,
         package, system, database, schema, relation, attributes, access, group, contract, version,
         tests) = row[:23]  # fmt: skip
        attributes = _json(attributes, {})
        node = graph.add_capsule(
            CapsuleNode(
                index=0, urn=urn, name=name, capsule_type=capsule_type, layer=layer, materialization=materialization,
                description=description or "", domain=domain, owner=owner, tags=tuple(_json(tags, [])),
                meta=_json(meta, {}), path=path, package=package, source_system=system, database=database,
                schema=schema, relation_name=relation, source_name=attributes.get("source_name"), access=access,
                group=group, contract_enforced=bool(contract), version=version,
                tests=tuple(
                    TestInfo(name=t.get("name", ""), test_type=t.get("test_type", ""), column=t.get("column"),
                             status=t.get("status"))
                    for t in _json(tests, [])
                ),
                attributes=attributes,
                raw_sql=row[23] if sql else None,
                pk=pk,
            )
        )  # fmt: skip
        capsule_index[pk] = node.index
    for source_id, target_id in CapsuleLineage.objects.values_list("source_id", "target_id").order_by():
        source, target = capsule_index.get(source_id), capsule_index.get(target_id)
        if source is not None and target is not None:
            graph.add_edge(source, target)
    if not columns:
        return graph
    column_index: dict[Any, int] = {}
    rows = Column.objects.values_list(
        "id", "urn", "name", "capsule_id", "data_type", "description", "tags", "meta", "tests", "pii_type",
        "pii_masked", "semantic_type", "in_manifest", "constraints",
    ).order_by("capsule_id", "ordinal_position", "name")  # fmt: skip
    for row in rows.iterator(chunk_size=20_000):
        pk, urn, name, capsule_id, data_type, description, tags, meta, tests, pii_type, masked, semantic = row[:12]
        capsule = capsule_index.get(capsule_id)
        if capsule is None:
            continue
        node = graph.add_column(
            ColumnNode(
                index=0, urn=urn, name=name, capsule=capsule, data_type=data_type, description=description or "",
                tags=tuple(_json(tags, [])), meta=_json(meta, {}), tests=tuple(_json(tests, [])), pii_type=pii_type,
                pii_masked=bool(masked), semantic_type=semantic, in_manifest=bool(row[12]),
                constraints=tuple(_json(row[13], [])), pk=pk,
            )
        )  # fmt: skip
        column_index[pk] = node.index
    if column_edges:
        for source_id, target_id, kind in ColumnLineage.objects.values_list(
            "source_column_id", "target_column_id", "transformation_type"
        ).order_by():
            source, target = column_index.get(source_id), column_index.get(target_id)
            if source is not None and target is not None:
                graph.add_column_edge(source, target, kind or "derived")
    return graph
