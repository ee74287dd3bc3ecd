"""PII checks over columns: detected PII must be declared, typed, and masked before it reaches consumers."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from conformance.engine.context import EvalContext
from conformance.engine.params import Param
from conformance.engine.registry import CheckRun, register_check
from conformance.engine.results import Hit, capsule_label
from lineage.graph import ColumnNode

DEFAULT_META_KEYS = ("pii", "pii_type", "contains_pii", "is_pii", "sensitive", "personal_data")
DEFAULT_TAGS = ("pii", "sensitive", "personal_data")
# transformations that hand a value on unchanged; anything else (functions, hashes, aggregates) may mask it
DEFAULT_CARRYING = ("direct", "renamed", "cast", "passthrough", "rename", "union")
_FALSY = (None, False, "", 0, "false", "False", "no", "No", "none")

_DECLARATION_PARAMS = {
    "meta_keys": Param("str_list", default=DEFAULT_META_KEYS, help="meta keys whose truthy value declares PII"),
    "tags": Param("str_list", default=DEFAULT_TAGS, help="column tags that declare PII"),
}


def is_declared(column: ColumnNode, *, meta_keys: tuple[str, ...], tags: tuple[str, ...]) -> bool:
    """Whether the dbt project itself says the column holds personal data (a meta key or a tag)."""
    if any(column.meta.get(key) not in _FALSY for key in meta_keys if key in column.meta):
        return True
    return not set(tags).isdisjoint(column.tags)


@register_check(
    "pii_declared",
    depends="self",
    columns="own",
    scopes={"column": "column"},
    params={
        **_DECLARATION_PARAMS,
        "include_masked": Param("bool", default=False, help="also judge masked (hashed, redacted) PII columns"),
    },
)
def pii_declared(*, run: CheckRun) -> Iterator[Hit]:
    """A column DAB classifies as (unmasked) PII is declared as such in the project (column meta or tag)."""
    meta_keys, tags = run.params["meta_keys"], run.params["tags"]
    skip_masked = not run.params["include_masked"]
    columns, capsules = run.graph.columns, run.graph.capsules
    for column in run.columns:
        node = columns[column]
        if node.pii_masked and skip_masked:
            continue
        if node.pii_type is not None and not is_declared(node, meta_keys=meta_keys, tags=tags):
            yield Hit(
                node.capsule,
                f"'{capsule_label(capsules[node.capsule])}.{node.name}' looks like {node.pii_type} PII but is not "
                f"declared (meta {' / '.join(meta_keys[:2])} or tag {tags[0]})",
                column=column,
                details={"pii_type": node.pii_type},
            )


@register_check(
    "pii_type_required",
    depends="self",
    columns="own",
    scopes={"column": "column"},
    params={
        **_DECLARATION_PARAMS,
        "unknown_types": Param("str_list", default=("unknown", "other", "generic"), help="types that say nothing"),
        "type_meta_keys": Param("str_list", default=("pii_type",), help="meta keys that state the type"),
    },
)
def pii_type_required(*, run: CheckRun) -> Iterator[Hit]:
    """A column declared (or classified) as PII says which kind: email, name, phone..."""
    params = run.params
    unknown = {value.lower() for value in params["unknown_types"]}
    columns, capsules = run.graph.columns, run.graph.capsules
    for column in run.columns:
        node = columns[column]
        if node.pii_type is None and not node.meta and not node.tags:
            continue  # nearly every column: nothing declared, nothing detected
        declared = is_declared(node, meta_keys=params["meta_keys"], tags=params["tags"])
        if not declared and node.pii_type is None:
            continue
        stated = [node.meta.get(key) for key in params["type_meta_keys"]]
        if any(isinstance(value, str) and value.lower() not in unknown for value in stated):
            continue
        if node.pii_type is None or node.pii_type.lower() in unknown:
            yield Hit(
                node.capsule,
                f"'{capsule_label(capsules[node.capsule])}.{node.name}' is declared PII but its PII type is "
                f"{node.pii_type or 'not set'}",
                column=column,
                details={"pii_type": node.pii_type},
            )


@register_check(
    "pii_unmasked",
    depends="lineage",
    columns="upstream",  # inherited PII: the unchanged copies come from upstream columns
    scopes={"column": "column"},
    inferred_columns=True,  # holding personal data is a fact of the data, declared or not
    params={
        "use_lineage": Param("bool", default=True, help="also follow column lineage to unmarked copies of PII"),
        "carrying_transformations": Param(
            "str_list", default=DEFAULT_CARRYING, help="column-lineage transformations that pass a value on unchanged"
        ),
    },
)
def pii_unmasked(*, run: CheckRun) -> Iterator[Hit]:
    """No unmasked personal data in the columns judged (typically marts, consumption, exposure parents).

    A column is unmasked PII when it has a PII type and is not masked, or (with ``use_lineage``) when it has
    no PII type of its own but column lineage shows it is an unchanged copy (passthrough, rename, cast,
    union...) of an unmasked PII column upstream. Any other transformation stops the trail: hashing or
    aggregating may well be the masking, and a false alarm costs a privacy officer a day.
    """
    params = run.params
    inherited = _inherited_pii(run.ctx, params["carrying_transformations"]) if params["use_lineage"] else {}
    columns, capsules = run.graph.columns, run.graph.capsules
    exposures = _exposures_fed(run)
    for column in run.columns:
        node = columns[column]
        if node.pii_masked:
            continue
        where = f"'{capsule_label(capsules[node.capsule])}.{node.name}'"
        fed = exposures.get(node.capsule)
        if node.pii_type is not None:
            details = {"pii_type": node.pii_type, "inherited": False}
            yield Hit(
                node.capsule,
                f"{where} holds unmasked {node.pii_type} PII{_reaching(fed, details)}",
                column=column,
                details=details,
            )
            continue
        source = inherited.get(column)
        if source is not None:
            upstream = columns[source]
            name = f"{capsule_label(capsules[upstream.capsule])}.{upstream.name}"
            details = {"pii_type": upstream.pii_type, "inherited": True, "origin": upstream.urn}
            yield Hit(
                node.capsule,
                f"{where} is an unchanged copy of unmasked {upstream.pii_type} PII '{name}' (column lineage)"
                f"{_reaching(fed, details)}",
                column=column,
                details=details,
            )


def _exposures_fed(run: CheckRun) -> dict[int, list[str]]:
    """Capsule -> labels of the exposures it feeds directly, for the capsules in the rule's filter."""
    capsules, children = run.graph.capsules, run.graph.downstream
    out = {}
    for index in run.capsules:
        fed = [capsule_label(capsules[c]) for c in children[index] if capsules[c].capsule_type == "exposure"]
        if fed:
            out[index] = fed
    return out


def _reaching(exposures: list[str] | None, details: dict) -> str:
    if not exposures:
        return ""
    details["exposures"] = exposures
    return f", read by exposure {', '.join(exposures)}"


def _inherited_pii(ctx: EvalContext, carrying: tuple[str, ...]) -> dict[int, int]:
    """Column -> the unmasked PII column it is an unchanged copy of, for columns without a PII type.

    One breadth-first search downstream from every unmasked PII column at once, along carrying edges
    only, stopping at masked columns and at columns with a PII type of their own (they speak for
    themselves). It visits only what PII reaches, so it costs far less than the column graph; memoised.
    """
    kinds = frozenset(carrying)

    def compute() -> dict[int, int]:
        columns = ctx.graph.columns
        downstream = ctx.graph.column_downstream
        starts = [c.index for c in columns if c.pii_type is not None and not c.pii_masked and downstream[c.index]]
        origin: dict[int, int] = {}
        queue = deque((start, start) for start in starts)
        while queue:
            column, source = queue.popleft()
            for child, kind in downstream[column]:
                if kind not in kinds or child in origin:
                    continue
                node = columns[child]
                if node.pii_masked or node.pii_type is not None:
                    continue
                origin[child] = source
                queue.append((child, source))
        return origin

    return ctx.memo(("pii_inherited", kinds), compute)
