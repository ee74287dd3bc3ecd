"""Building small GraphViews by hand, for the engine's tests and for tests of a deployment's own checks.

b = GraphBuilder()
b.capsule("orders", type="source", layer="raw", source_name="shop")
b.capsule("stg_shop__orders", layer="staging", parents=["orders"], columns=["order_id", "email"])
b.column("stg_shop__orders", "email", pii_type="email")
graph = b.graph

Source facts that the product's GraphView keeps in ``attributes`` (``freshness``, ``source_description``)
can be given as keywords; they land in ``attributes`` as graph_load puts them there.
"""

from __future__ import annotations

from typing import Any

from lineage.graph import CapsuleNode, ColumnNode, GraphView, TestInfo

# keyword arguments of GraphBuilder.capsule that graph_load keeps in CapsuleNode.attributes
ATTRIBUTE_FACTS = ("freshness", "source_description")


class GraphBuilder:
    """Adds capsules, columns and edges by name; URNs are ``<type>.test.<name>`` and ``<capsule urn>.<column>``."""

    def __init__(self) -> None:
        self.graph = GraphView()

    def capsule(
        self,
        name: str,
        *,
        type: str = "model",
        parents: list[str] | tuple[str, ...] = (),
        columns: list[str] | tuple[str, ...] = (),
        tests: list[TestInfo] | tuple[TestInfo, ...] = (),
        **fields: Any,
    ) -> int:
        """Add a capsule (and edges from the named parents, and plain columns); returns its index."""
        attributes = dict(fields.pop("attributes", None) or {})
        for key in ATTRIBUTE_FACTS:
            if key in fields:
                attributes[key] = fields.pop(key)
        node = self.graph.add_capsule(
            CapsuleNode(
                index=0,
                urn=f"{type}.test.{name}",
                name=name,
                capsule_type=type,
                tests=tuple(tests),
                attributes=attributes,
                **fields,
            )
        )
        for parent in parents:
            self.edge(parent, name)
        for column in columns:
            self.column(name, column)
        return node.index

    def column(self, capsule: str, name: str, **fields: Any) -> int:
        """Add a column, or update the fields of an existing one; returns its index."""
        index = self.index(capsule)
        urn = f"{self.graph.capsules[index].urn}.{name}"
        existing = self.graph.column_by_urn.get(urn)
        if existing is not None:
            node = self.graph.columns[existing]
            for key, value in fields.items():
                setattr(node, key, value)
            return existing
        return self.graph.add_column(ColumnNode(index=0, urn=urn, name=name, capsule=index, **fields)).index

    def edge(self, parent: str, child: str) -> None:
        self.graph.add_edge(self.index(parent), self.index(child))

    def column_edge(self, parent: str, child: str, kind: str = "passthrough") -> None:
        """Column lineage between ``capsule.column`` names."""
        self.graph.add_column_edge(self.column_index(parent), self.column_index(child), kind)

    def index(self, name: str) -> int:
        for node in self.graph.capsules:
            if node.name == name:
                return node.index
        raise KeyError(name)

    def node(self, name: str) -> CapsuleNode:
        return self.graph.capsules[self.index(name)]

    def column_index(self, dotted: str) -> int:
        capsule, column = dotted.rsplit(".", 1)
        return self.graph.column_by_urn[f"{self.node(capsule).urn}.{column}"]


def pk_tests(column: str) -> tuple[TestInfo, TestInfo]:
    """unique + not_null on one column: what a primary-key test is made of."""
    return (
        TestInfo(name=f"unique_{column}", test_type="unique", column=column),
        TestInfo(name=f"not_null_{column}", test_type="not_null", column=column),
    )
