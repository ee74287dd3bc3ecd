"""Whether a column-lineage edge carries the source column's value into the target: one answer for the pii app.

The SQL extractor decides it once per edge, on the parsed SQL, and lineage stores it
(``ColumnLineage.carries_value``): true when the target can hold the source's value (direct, renamed, cast,
derived expressions that keep it, value-returning aggregates such as min, max, any_value, array_agg); false when
the value is hashed or masked, counted or summarised, ranked or measured, or when the source only steers the
result (a CASE condition, a window's PARTITION BY, an aggregate's FILTER). Propagation, the trace (page, API,
CLI) and the exposure paths all ask ``edge_flow``; nothing in the pii app reads an expression to decide it.
Pure Python, no Django.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EdgeFlow", "edge_flow"]


@dataclass(frozen=True, slots=True)
class EdgeFlow:
    """What an edge does with the source's value: ``carries`` it, ``masks`` it (a hash or a masking function
    of it: the target holds the value masked), or neither (counted, ranked, only steering the result)."""

    carries: bool
    masks: bool = False


_CARRIES = EdgeFlow(True)
_MASKS = EdgeFlow(False, True)
_STOPS = EdgeFlow(False)


def edge_flow(transformation: str | None, carries_value: bool) -> EdgeFlow:
    """The one answer to "does this edge carry the value", from the edge's stored transformation and flag."""
    if transformation == "hashed":
        return _MASKS
    return _CARRIES if carries_value else _STOPS
