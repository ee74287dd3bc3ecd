"""Whether a column-lineage edge carries the source column's value into the target: decided here, once.

Propagation, the trace (API, page, CLI) and the exposure paths all ask ``edge_flow``; nothing else in DAB
reads a transformation or an expression to decide it. Pure Python, no Django.

Until the SQL extractor stores its own verdict on each edge (``ColumnLineage.carries_value``), the verdict
is read from the edge's transformation and, for derived and aggregated edges, its stored expression:

- ``direct``, ``renamed``, ``cast``: the value itself travels;
- ``derived``: an expression over the value (lower, concat, substring, coalesce ...) still holds it, unless
  the whole expression ranks or measures it (``row_number() over (partition by x)``, ``length(x)``);
- ``aggregated``: ``min``/``max``/``any_value``/``first``/``last``/``mode`` return one of the values and
  ``array_agg``/``string_agg``/``listagg`` list them, so they carry it; ``count``, ``sum``, ``avg`` and
  every other summary (or an aggregate the expression does not show) do not;
- ``hashed``: the value is masked, not carried: the target holds masked PII and nothing flows further.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["EdgeFlow", "VALUE_AGGREGATES", "edge_flow"]

# Aggregates that return one of the input values, or all of them.
VALUE_AGGREGATES = frozenset({
    "min", "max", "any_value", "arbitrary", "first", "last", "first_value", "last_value", "mode", "array_agg",
    "array_agg_distinct", "listagg", "string_agg", "group_concat", "collect_list", "collect_set", "approx_top_k",
    "min_by", "max_by", "arg_min", "arg_max", "argmin", "argmax",
})  # fmt: skip
_SUMMARY_AGGREGATES = frozenset({
    "count", "count_if", "countif", "sum", "avg", "mean", "median", "stddev", "stddev_pop", "stddev_samp", "variance",
    "var_pop", "var_samp", "approx_count_distinct", "approx_distinct", "approx_percentile", "percentile_cont",
    "percentile_disc", "quantile", "corr", "covar_pop", "covar_samp", "bool_and", "bool_or", "every", "bit_and",
    "bit_or", "bit_xor", "hll_count", "sum_distinct", "entropy", "kurtosis", "skewness", "product",
})  # fmt: skip
_FUNCTION_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(")
# An expression wholly inside one of these yields a rank, a position or a length, never the value.
_MEASURING_RE = re.compile(
    r"^\s*(row_number|rank|dense_rank|ntile|percent_rank|cume_dist|length|len|char_length|character_length"
    r"|octet_length|bit_length)\s*\(", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class EdgeFlow:
    """What an edge does with the source's value: ``carries`` it, ``masks`` it (hashed), or neither; ``why``
    names the function that decided when the value stops (for the evidence a column shows)."""

    carries: bool
    masks: bool = False
    why: str = ""


_CARRIES = EdgeFlow(True)
_MASKS = EdgeFlow(False, True, "hashed")


def edge_flow(transformation: str | None, expression: str | None) -> EdgeFlow:
    """The one answer to "does this edge carry the value" (see the module docstring)."""
    kind = transformation or "derived"
    if kind == "hashed":
        return _MASKS
    if kind == "aggregated":
        names = [m.group(1).lower() for m in _FUNCTION_RE.finditer(expression or "")]
        aggregates = [n for n in names if n in VALUE_AGGREGATES or n in _SUMMARY_AGGREGATES]
        if aggregates and all(n in VALUE_AGGREGATES for n in aggregates):
            return _CARRIES
        summaries = [n for n in aggregates if n not in VALUE_AGGREGATES]
        return EdgeFlow(False, False, summaries[0] if summaries else "")
    if kind == "derived" and expression:
        m = _MEASURING_RE.match(expression)
        if m and expression.rstrip().endswith(")"):
            return EdgeFlow(False, False, m.group(1).lower())
    return _CARRIES
