"""The capsules an evaluation after a change judges again, per what a rule's check declares it reads."""

from __future__ import annotations

import pytest

from conformance.engine.scope import Scope
from lineage.graph import CapsuleNode, ColumnNode, GraphView


def chain_graph() -> GraphView:
    """a -> b -> c -> d, and e -> c; plus column lineage a.x -> f.y where f has no capsule edge to a."""
    graph = GraphView()
    for name in "abcdef":
        graph.add_capsule(CapsuleNode(index=0, urn=f"urn:{name}", name=name, capsule_type="model"))
    for source, target in ("ab", "bc", "cd", "ec"):
        graph.add_edge(graph.by_urn[f"urn:{source}"], graph.by_urn[f"urn:{target}"])
    x = graph.add_column(ColumnNode(index=0, urn="urn:a.x", name="x", capsule=graph.by_urn["urn:a"]))
    y = graph.add_column(ColumnNode(index=0, urn="urn:f.y", name="y", capsule=graph.by_urn["urn:f"]))
    graph.add_column_edge(x.index, y.index, "passthrough")
    return graph


def names(graph: GraphView, indexes) -> str:
    return "".join(sorted(graph.capsules[i].name for i in indexes)) if indexes is not None else "all"


@pytest.mark.parametrize(
    ("depends", "expected"),
    [
        ("self", "b"),
        ("parents", "bc"),  # c reads its parent b
        ("children", "ab"),  # a reads its child b
        ("neighbours", "abc"),
        ("ancestors", "bcd"),  # everything downstream of b reads it as an ancestor
        ("descendants", "ab"),
        ("lineage", "abcd"),
        ("graph", "all"),
    ],
)
def test_scope_follows_what_the_check_reads(depends, expected):
    graph = chain_graph()
    scope = Scope.of(graph, [graph.by_urn["urn:b"]])
    assert names(graph, scope.capsules(depends, "capsule")) == expected


def test_reach_follows_column_lineage_as_well_as_edges():
    graph = chain_graph()
    scope = Scope.of(graph, [graph.by_urn["urn:a"]])
    assert names(graph, scope.capsules("ancestors", "column")) == "abcdf"
    assert names(graph, Scope.of(graph, [graph.by_urn["urn:f"]]).capsules("descendants", "column")) == "af"


def test_project_rules_are_judged_in_full_after_any_change_and_nothing_is_judged_without_one():
    graph = chain_graph()
    assert Scope.of(graph, [0]).capsules("self", "project") is None
    assert Scope.of(graph, []).capsules("graph", "project") == frozenset()
    assert Scope.of(graph, []).capsules("lineage", "capsule") == frozenset()
