"""Template helpers for the lineage fragments the catalog pages include."""

from __future__ import annotations

from dataclasses import dataclass

from django import template

from lineage import selectors

register = template.Library()


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One edge of a column's trace: ``source`` feeds ``target`` through ``transformation``."""

    depth: int
    source: selectors.LineageNode
    target: selectors.LineageNode
    transformation: str
    expression: str | None


@dataclass(frozen=True, slots=True)
class ColumnTrace:
    upstream: list[TraceStep]  # towards the sources, nearest first
    downstream: list[TraceStep]  # towards the consumers, nearest first
    sources: list[selectors.LineageNode]  # upstream columns nothing else feeds
    consumers: list[selectors.LineageNode]  # downstream columns that feed nothing further
    depth: selectors.DepthInfo
    exposures: list[selectors.ExposureUse]  # exposures reading the column's capsule or a capsule it feeds


def _step_order(step: TraceStep) -> tuple:
    source, target = step.source, step.target
    return (step.depth, source.capsule_name or "", source.name, target.capsule_name or "", target.name)


@register.simple_tag
def column_trace(column) -> ColumnTrace:
    """The column's lineage both ways to MAX_LINEAGE_DEPTH, as edges ordered by distance, and the exposures at its
    end. Five queries."""
    result = selectors.column_lineage(column=column, direction="both", depth=selectors.depth_resolve(requested=None))
    nodes = {n.urn: n for n in result.nodes}
    upstream, downstream = [], []
    for edge in result.edges:
        source, target = nodes[edge.source], nodes[edge.target]
        if source.direction == "upstream" and target.direction in ("upstream", "self"):
            upstream.append(TraceStep(source.depth, source, target, edge.edge_type, edge.expression))
        elif target.direction == "downstream" and source.direction in ("downstream", "self"):
            downstream.append(TraceStep(target.depth, source, target, edge.edge_type, edge.expression))
    upstream.sort(key=_step_order)
    downstream.sort(key=_step_order)
    return ColumnTrace(
        upstream=upstream,
        downstream=downstream,
        sources=[n for n in result.nodes if n.direction == "upstream" and n.upstream_count == 0],
        consumers=[n for n in result.nodes if n.direction == "downstream" and n.downstream_count == 0],
        depth=result.depth,
        exposures=selectors.exposures_reading(
            capsule_urns=[column.capsule.urn, *(n.capsule_urn for n in result.nodes if n.direction == "downstream")]
        ),
    )


@register.filter
def transformation_class(kind: str | None) -> str:
    """CSS class of a transformation badge."""
    return f"tx tx-{kind or 'derived'}"
