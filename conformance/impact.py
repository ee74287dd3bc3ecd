"""Downstream impact over the in-memory graph: how many capsules depend, directly or not, on each capsule."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from lineage.graph import GraphView

# Past this many capsules the all-pairs bitsets would take too much memory; count by search instead.
BITSET_LIMIT = 60_000


def downstream_counts(graph: GraphView, *, capsules: Iterable[int]) -> dict[int, int]:
    """For each capsule index in ``capsules``: the number of distinct capsules downstream of it (any depth).

    Up to BITSET_LIMIT capsules, one pass in reverse topological order ORs each capsule's children's
    reachability bitsets (Python ints): O(E x V / 64) word operations and up to V bits per capsule
    (about 0.1 s and a few MB at 15,000 capsules). Capsules on or below a cycle, and every capsule of a
    larger graph, are counted by a breadth-first search of their own.
    """
    wanted = list(dict.fromkeys(capsules))
    if not wanted:
        return {}
    if len(graph.capsules) > BITSET_LIMIT:
        return {index: _search(graph, index) for index in wanted}
    order, stuck = _topological(graph)
    downstream = graph.downstream
    reach: list[int] = [0] * len(graph.capsules)
    for index in stuck:
        bits = 0
        for found in _walk(graph, index):
            bits |= 1 << found
        reach[index] = bits
    for index in reversed(order):
        bits = 0
        for child in downstream[index]:
            bits |= reach[child] | (1 << child)
        reach[index] = bits
    return {index: reach[index].bit_count() for index in wanted}


def _topological(graph: GraphView) -> tuple[list[int], list[int]]:
    """(capsules in topological order, capsules on or below a cycle): Kahn's algorithm."""
    pending = [len(parents) for parents in graph.upstream]
    queue = deque(index for index, count in enumerate(pending) if count == 0)
    order = []
    while queue:
        index = queue.popleft()
        order.append(index)
        for child in graph.downstream[index]:
            pending[child] -= 1
            if pending[child] == 0:
                queue.append(child)
    return order, [index for index, count in enumerate(pending) if count > 0]


def _walk(graph: GraphView, start: int) -> list[int]:
    """Every capsule reachable from ``start`` (itself only when a cycle leads back to it)."""
    seen: set[int] = set()
    queue = deque([start])
    while queue:
        for child in graph.downstream[queue.popleft()]:
            if child not in seen:
                seen.add(child)
                queue.append(child)
    seen.discard(start)
    return list(seen)


def _search(graph: GraphView, start: int) -> int:
    return len(_walk(graph, start))
