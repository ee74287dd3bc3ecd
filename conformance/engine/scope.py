"""What an evaluation after a change judges again: the changed capsules and those whose verdict can read them.

Each check type declares what a verdict on one capsule reads (``CheckType.depends``, see the registry). Given
the capsules that changed since the previous evaluation (their fields, columns, tests, PII classification or
column lineage), a rule is judged again on:

| depends | capsules judged again |
|---|---|
| ``self`` | the changed ones |
| ``parents`` | the changed ones and their direct children (a child reads its parents) |
| ``children`` | the changed ones and their direct parents |
| ``neighbours`` | both of the above |
| ``ancestors`` | the changed ones and everything downstream of them (capsule and column lineage) |
| ``descendants`` | the changed ones and everything upstream of them |
| ``lineage`` | both of the above |
| ``graph`` | every capsule, whenever anything changed |

A project-level rule (subject ``project``) is ``graph``. Outside its scope a rule's findings are those of the
previous evaluation, unchanged (the caller hands them over). This is only sound when the edges between capsules
did not change: the caller evaluates in full then (``Scope`` is not used).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from lineage.graph import GraphView

__all__ = ["Scope"]


@dataclass
class Scope:
    """The changed capsules (graph indexes) and the capsules to judge again per ``depends``, memoised."""

    graph: GraphView
    changed: frozenset[int]
    full_rules: frozenset[str] = frozenset()  # rules judged in full all the same (no previous findings to keep)
    # For a view without columns: (capsules, downstream?) -> the capsules column lineage links them to that way
    links: Callable[[set[int], bool], set[int]] | None = None
    _memo: dict[str, frozenset[int] | None] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        graph: GraphView,
        changed: Iterable[int],
        *,
        full_rules: Iterable[str] = (),
        links: Callable[[set[int], bool], set[int]] | None = None,
    ) -> Scope:
        return cls(graph=graph, changed=frozenset(changed), full_rules=frozenset(full_rules), links=links)

    def capsules(self, depends: str, subject: str) -> frozenset[int] | None:
        """The capsules a rule is judged on again; None means all of them (a full run of that rule)."""
        if subject == "project":
            depends = "graph"
        if depends not in self._memo:
            self._memo[depends] = self._compute(depends)
        return self._memo[depends]

    def _compute(self, depends: str) -> frozenset[int] | None:
        changed = self.changed
        if not changed:
            return frozenset()
        graph = self.graph
        if depends == "self":
            return changed
        if depends == "graph":
            return None
        out = set(changed)
        if depends in ("parents", "neighbours"):
            for index in changed:
                out.update(graph.downstream[index])
        if depends in ("children", "neighbours"):
            for index in changed:
                out.update(graph.upstream[index])
        if depends in ("ancestors", "lineage"):
            out |= self._reach(downstream=True)
        if depends in ("descendants", "lineage"):
            out |= self._reach(downstream=False)
        return frozenset(out)

    def _reach(self, *, downstream: bool) -> set[int]:
        """Every capsule reached from the changed ones, through capsule edges and column lineage alike."""
        if self.links is not None:
            return self.reach(self.changed, downstream=downstream)
        graph = self.graph
        edges = graph.downstream if downstream else graph.upstream
        column_edges = graph.column_downstream if downstream else graph.column_upstream
        columns, capsules = graph.columns, graph.capsules
        seen = set(self.changed)
        stack = list(seen)
        while stack:
            index = stack.pop()
            following = list(edges[index])
            for column in capsules[index].columns:
                following.extend(columns[other].capsule for other, _ in column_edges[column])
            for other in following:
                if other not in seen:
                    seen.add(other)
                    stack.append(other)
        return seen

    def reach(self, start: Iterable[int], *, downstream: bool, capsule_edges: bool = True) -> set[int]:
        """``start`` and every capsule reached from it through column lineage (asked of ``links``, one step for
        the whole frontier at a time) and, with ``capsule_edges``, capsule edges."""
        if self.links is None:
            raise ValueError("Scope.reach needs links (a view without columns)")
        edges = self.graph.downstream if downstream else self.graph.upstream
        seen = set(start)
        frontier = set(seen)
        while frontier:
            following = self.links(frontier, downstream)
            if capsule_edges:
                for index in frontier:
                    following.update(edges[index])
            frontier = following - seen
            seen |= frontier
        return seen
