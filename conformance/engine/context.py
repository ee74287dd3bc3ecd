"""Facts about one graph that several rules share, computed once per evaluation and memoised.

Every computation here is linear in capsules + edges (or columns + column edges); none is quadratic.
"""

from __future__ import annotations

import fnmatch
import re
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import Any

from conformance.engine.params import compiled
from conformance.engine.project import EVALUATOR_PACKAGE, NO_PROJECTS, TYPED_RESOURCES, ProjectScope
from conformance.engine.results import capsule_label
from conformance.engine.spec import RuleFilter
from lineage.graph import CapsuleNode, ColumnNode, GraphView

_MISSING = object()


class EvalContext:
    """The graph under evaluation plus memoised shared facts (selections, topological order, depths...).

    ``projects`` carries each project's settings. Capsules of dbt-project-evaluator's own package are
    removed, and capsules a project excludes are left out of every rule: no rule selects them and
    ``graph`` holds none of their edges, so a fan-out, a root or a chain does not count them.
    ``with_excluded`` keeps the excluded capsules' edges, for the checks the evaluator defines over them
    (a model reading only excluded models is no root; their parents count as joins and their sources as
    a staging model's ancestors).
    """

    def __init__(self, graph: GraphView, projects: ProjectScope = NO_PROJECTS):
        self.projects = projects
        self._memo: dict[Any, Any] = {}
        removed, excluded = _exclusions(graph, projects)
        self.excluded: frozenset[int] = frozenset(removed | excluded)
        self.with_excluded = _without(graph, removed) if removed else graph
        self.graph = _without(graph, removed | excluded) if self.excluded else graph
        capsule_class = type(graph.capsules[0]) if graph.capsules else CapsuleNode
        column_class = type(graph.columns[0]) if graph.columns else ColumnNode
        self.capsule_fields = frozenset(f.name for f in fields(capsule_class))
        self.column_fields = frozenset(f.name for f in fields(column_class))

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per evaluation for ``key``; later calls return the stored value."""
        value = self._memo.get(key, _MISSING)
        if value is _MISSING:
            value = compute()
            self._memo[key] = value
        return value

    # -- optional facts ---------------------------------------------------------------------------

    def has_capsule_fact(self, name: str) -> bool:
        """Whether capsules carry ``name``, as a field of their own or inside an ``attributes`` mapping."""
        return name in self.capsule_fields or "attributes" in self.capsule_fields

    def capsule_fact(self, node: CapsuleNode, name: str) -> Any:
        if name in self.capsule_fields:
            return getattr(node, name)
        attributes = getattr(node, "attributes", None)
        return attributes.get(name) if isinstance(attributes, dict) else None

    # -- indexes ------------------------------------------------------------------------------------

    @property
    def types(self) -> list[str]:
        return self.memo("types", lambda: [node.capsule_type for node in self.graph.capsules])

    @property
    def layers(self) -> list[str | None]:
        return self.memo("layers", lambda: [node.layer for node in self.graph.capsules])

    @property
    def model_types(self) -> list[str | None]:
        """Each capsule's model type by its project's naming (None for sources, seeds, exposures...)."""

        def compute() -> list[str | None]:
            naming = self.projects.naming
            return [
                naming(getattr(node, "source_system", None)).model_type(node.name, getattr(node, "path", None))
                if node.capsule_type in TYPED_RESOURCES
                else None
                for node in self.graph.capsules
            ]

        return self.memo("model_types", compute)

    def is_time_spine(self, index: int) -> bool:
        """A MetricFlow time spine (``time_spine:`` in the model's yml): neither a root nor misnamed."""
        return bool(self.capsule_fact(self.graph.capsules[index], "time_spine"))

    def by_type(self) -> dict[str, list[int]]:
        def compute() -> dict[str, list[int]]:
            out: dict[str, list[int]] = {}
            for index, capsule_type in enumerate(self.types):
                out.setdefault(capsule_type, []).append(index)
            return out

        return self.memo("by_type", compute)

    # -- filters ------------------------------------------------------------------------------------

    def select(self, flt: RuleFilter) -> list[int]:
        """Capsule indexes within ``flt`` (capsule keys only), in graph order; memoised per filter."""
        return self.memo(("select", flt), lambda: self._select(flt))

    def _select(self, flt: RuleFilter) -> list[int]:
        capsules = self.graph.capsules
        if flt.resource_types:
            groups = self.by_type()
            candidates: Sequence[int] = sorted(i for t in flt.resource_types for i in groups.get(t, ()))
        else:
            candidates = range(len(capsules))
        if self.excluded:
            candidates = [index for index in candidates if index not in self.excluded]
        tests = self._capsule_tests(flt)
        excludes = self._capsule_tests(flt.exclude, with_types=True) if flt.exclude is not None else []
        if not tests and not excludes:
            return list(candidates)
        out = []
        for index in candidates:
            node = capsules[index]
            if all(test(node) for test in tests) and not any(test(node) for test in excludes):
                out.append(index)
        return out

    def _capsule_tests(self, flt: RuleFilter, *, with_types: bool = False) -> list[Callable[[CapsuleNode], bool]]:
        tests: list[Callable[[CapsuleNode], bool]] = []
        if with_types and flt.resource_types:
            tests.append(_member("capsule_type", set(flt.resource_types)))
        for key, attribute in (
            ("layers", "layer"),
            ("domains", "domain"),
            ("owners", "owner"),
            ("packages", "package"),
            ("materializations", "materialization"),
            ("access", "access"),
        ):
            values = getattr(flt, key)
            if values:
                tests.append(_member(attribute, set(values)))
        if flt.model_types:
            kinds, model_types = set(flt.model_types), self.model_types
            tests.append(lambda node: model_types[node.index] in kinds)
        if flt.tags:
            wanted = frozenset(flt.tags)
            tests.append(lambda node: not wanted.isdisjoint(node.tags))
        if flt.paths:
            path_re = re.compile("|".join(fnmatch.translate(glob) for glob in flt.paths))
            tests.append(lambda node: node.path is not None and path_re.match(node.path) is not None)
        if flt.name:
            name_re = compiled(flt.name)
            tests.append(lambda node: name_re.search(node.name) is not None)
        if flt.feeds:
            feeds = set(flt.feeds)
            types = self.types
            downstream = self.graph.downstream
            tests.append(lambda node: any(types[child] in feeds for child in downstream[node.index]))
        return tests

    def select_columns(self, flt: RuleFilter, capsules: Sequence[int], *, inferred: bool = False) -> list[int]:
        """Column indexes of ``capsules`` within the column keys of ``flt``; memoised per filter. Columns column
        lineage inferred are left out unless ``inferred`` (they declare nothing)."""
        selected = self.memo(("columns", flt), lambda: self._select_columns(flt, capsules))
        if inferred:
            return selected
        columns = self.graph.columns
        return self.memo(("declared_columns", flt), lambda: [c for c in selected if not columns[c].inferred])

    def _select_columns(self, flt: RuleFilter, capsules: Sequence[int]) -> list[int]:
        nodes = self.graph.capsules
        tests = self._column_tests(flt)
        excludes = self._column_tests(flt.exclude) if flt.exclude is not None else []
        if not tests and not excludes:
            return [column for index in capsules for column in nodes[index].columns]
        if flt.pii is True and len(tests) == 1 and not excludes:
            # the common PII-only filter: a few columns out of hundreds of thousands
            by_capsule = self.pii_columns()
            return [column for index in capsules for column in by_capsule.get(index, ())]
        columns = self.graph.columns
        out = []
        for index in capsules:
            for column in nodes[index].columns:
                node = columns[column]
                if all(test(node) for test in tests) and not any(test(node) for test in excludes):
                    out.append(column)
        return out

    def pii_columns(self) -> dict[int, list[int]]:
        """Capsule index -> its columns that have a PII type; memoised."""

        def compute() -> dict[int, list[int]]:
            out: dict[int, list[int]] = {}
            for column in self.graph.columns:
                if column.pii_type is not None:
                    out.setdefault(column.capsule, []).append(column.index)
            return out

        return self.memo("pii_columns", compute)

    @staticmethod
    def _column_tests(flt: RuleFilter) -> list[Callable[[ColumnNode], bool]]:
        tests: list[Callable[[ColumnNode], bool]] = []
        if flt.column_name:
            name_re = compiled(flt.column_name)
            tests.append(lambda node: name_re.search(node.name) is not None)
        if flt.column_tags:
            wanted = frozenset(flt.column_tags)
            tests.append(lambda node: not wanted.isdisjoint(node.tags))
        if flt.pii is not None:
            want = flt.pii
            tests.append(lambda node: (node.pii_type is not None) is want)
        return tests

    # -- graph order ----------------------------------------------------------------------------------

    def topological(self) -> tuple[list[int], list[int]]:
        """(capsules in topological order, capsules on or below a cycle); Kahn's algorithm, O(V + E)."""

        def compute() -> tuple[list[int], list[int]]:
            upstream, downstream = self.graph.upstream, self.graph.downstream
            pending = [len(parents) for parents in upstream]
            queue = deque(index for index, count in enumerate(pending) if count == 0)
            order = []
            while queue:
                index = queue.popleft()
                order.append(index)
                for child in downstream[index]:
                    pending[child] -= 1
                    if pending[child] == 0:
                        queue.append(child)
            stuck = [index for index, count in enumerate(pending) if count > 0]
            return order, stuck

        return self.memo("topological", compute)

    def longest_chain(self, *, counts: Callable[[int], bool] | None, key: Any) -> tuple[list[int], list[int]]:
        """For every capsule, the longest run of upstream edges ending at it and the parent that gives it.

        With ``counts`` None this is the DAG depth (roots are 0). With a predicate it is the number of
        consecutive qualifying capsules ending at each capsule (0 when it does not qualify), used for chains
        of views. Capsules on a cycle are visited once after the rest, using whatever parents are known.
        """

        def compute() -> tuple[list[int], list[int]]:
            order, stuck = self.topological()
            upstream = self.graph.upstream
            size = len(upstream)
            length = [0] * size
            best = [-1] * size
            for index in (*order, *stuck):
                if counts is not None and not counts(index):
                    continue
                # depth counts edges from any parent; a chain only continues through qualifying parents
                top, via = (-1, -1) if counts is None else (0, -1)
                for parent in upstream[index]:
                    if length[parent] > top:
                        top, via = length[parent], parent
                length[index], best[index] = top + 1, via
            return length, best

        return self.memo(("chain", key), compute)

    def trace(self, index: int, best: list[int], *, limit: int = 50) -> list[str]:
        """Labels along ``best`` pointers from ``index`` upwards, oldest first."""
        names = []
        while index >= 0 and len(names) < limit:
            names.append(capsule_label(self.graph.capsules[index]))
            index = best[index]
        names.reverse()
        return names


def _member(attribute: str, values: set[Any]) -> Callable[[CapsuleNode], bool]:
    return lambda node: getattr(node, attribute) in values


def _exclusions(graph: GraphView, projects: ProjectScope) -> tuple[set[int], set[int]]:
    """(capsules of the evaluator's own package, capsules their project excludes); one pass."""
    removed: set[int] = set()
    excluded: set[int] = set()
    excluding = {name: s for name, s in projects.projects.items() if s.excludes}
    if not hasattr(graph.capsules[0] if graph.capsules else None, "package"):
        return removed, excluded  # a bare graph view knows no packages nor projects
    for node in graph.capsules:
        if node.package == EVALUATOR_PACKAGE:
            removed.add(node.index)
            continue
        settings = excluding.get(node.source_system) if excluding and node.source_system is not None else None
        if settings is not None and settings.excludes_capsule(
            capsule_type=node.capsule_type,
            package=node.package,
            path=_exclusion_path(node),
            names=(node.name, capsule_label(node)),
        ):
            excluded.add(node.index)
    return removed, excluded


def _exclusion_path(node: CapsuleNode) -> str | None:
    """The string the evaluator matches exclusions against: the file path, plus ``:source.table`` for sources."""
    if node.path and node.capsule_type == "source" and node.source_name:
        return f"{node.path}:{node.source_name}.{node.name}"
    return node.path


def _without(graph: GraphView, drop: set[int]) -> GraphView:
    """The same capsules and columns (same positions) without any capsule edge touching ``drop``."""
    upstream = [[] if i in drop else [p for p in parents if p not in drop] for i, parents in enumerate(graph.upstream)]
    downstream = [
        [] if i in drop else [c for c in children if c not in drop] for i, children in enumerate(graph.downstream)
    ]
    return GraphView(
        capsules=graph.capsules,
        columns=graph.columns,
        upstream=upstream,
        downstream=downstream,
        column_upstream=graph.column_upstream,
        column_downstream=graph.column_downstream,
        by_urn=graph.by_urn,
        column_urn_index=graph.column_urn_index,  # None until asked for (GraphView.column_by_urn)
    )
