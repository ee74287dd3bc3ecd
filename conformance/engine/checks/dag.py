"""Lineage-graph checks: layer order, paths that bypass a layer, fan-in/out, depth, view chains, DAG smells.

All are linear in capsules + edges; shared facts (topological order, depths, reachability) are memoised in
the EvalContext so rules with the same parameters share one pass.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator, Mapping
from typing import Any

from conformance.engine.context import EvalContext
from conformance.engine.params import Param
from conformance.engine.registry import CheckRun, register_check
from conformance.engine.results import Hit, capsule_label
from lineage.graph import CapsuleNode

LISTED = 25  # neighbour names listed in details before truncating

# -- direct dependencies --------------------------------------------------------------------------

_NEIGHBOUR_RULES = (
    ("layers", "layer"),
    ("types", "capsule_type"),
    ("materializations", "materialization"),
    ("access", "access"),
)
_NEIGHBOUR_PARAMS = {
    "only_types": Param("type_list", help="only neighbours of these resource types are judged"),
    "allowed_layers": Param("layer_list", help="neighbours must be in one of these layers"),
    "forbidden_layers": Param("layer_list", help="neighbours must not be in these layers"),
    "allowed_types": Param("type_list", help="neighbours must be of these resource types"),
    "forbidden_types": Param("type_list", help="neighbours must not be of these resource types"),
    "allowed_materializations": Param("str_list", help="neighbours must be materialised so"),
    "forbidden_materializations": Param("str_list", help="neighbours must not be materialised so"),
    "allowed_access": Param("access_list", help="neighbours must have this access"),
    "forbidden_access": Param("access_list", help="neighbours must not have this access"),
    "allowed_model_types": Param("str_list", help="neighbours must be of these model types (dbt-project-evaluator's)"),
    "forbidden_model_types": Param("str_list", help="neighbours must not be of these model types"),
    "unknown_layer": Param(
        "str", default="pass", choices=("pass", "fail"), help="how allowed_layers treats a neighbour of unknown layer"
    ),
}


def _neighbour_params(params: Mapping[str, Any], scope: str) -> None:
    keys = [key for key, _ in _NEIGHBOUR_RULES] + ["model_types"]
    if not any(params.get(f"{verdict}_{key}") for key in keys for verdict in ("allowed", "forbidden")):
        raise ValueError("check: give at least one allowed_* or forbidden_* list")


def _neighbour_conditions(params: Mapping[str, Any]) -> list[tuple[str, str | None, Any, Any, str]]:
    """(key, attribute or None for the model type, allowed set, forbidden set, label) of the conditions given;
    computed once per rule so each neighbour is judged only on those."""
    out = []
    for key, attribute in (*_NEIGHBOUR_RULES, ("model_types", None)):
        allowed, forbidden = params.get(f"allowed_{key}"), params.get(f"forbidden_{key}")
        if allowed or forbidden:
            label = {"access": "access", "model_types": "model type"}.get(key, key.rstrip("s"))
            out.append((key, attribute, set(allowed or ()), set(forbidden or ()), label))
    return out


def _neighbour_problems(
    node: CapsuleNode, conditions: list[tuple[str, str | None, Any, Any, str]], unknown_layer: str, model_type: Any
) -> list[str]:
    problems = []
    for key, attribute, allowed, forbidden, label in conditions:
        value = getattr(node, attribute) if attribute is not None else model_type
        if allowed and value not in allowed:
            if value is None and key == "layers" and unknown_layer == "pass":
                continue
            problems.append(f"{label} {value or 'unknown'} is not allowed")
        if forbidden and value in forbidden:
            problems.append(f"{label} {value} is forbidden")
    return problems


def _neighbours(run: CheckRun, *, direction: str) -> Iterator[Hit]:
    params = run.params
    only = set(params.get("only_types") or ())
    capsules = run.graph.capsules
    adjacency = run.graph.upstream if direction == "upstream" else run.graph.downstream
    verb = "depends on" if direction == "upstream" else "feeds"
    role = "parent" if direction == "upstream" else "child"
    conditions = _neighbour_conditions(params)
    unknown_layer = params["unknown_layer"]
    typed = bool(params.get("allowed_model_types") or params.get("forbidden_model_types"))
    model_types = run.ctx.model_types if typed else None
    for index in run.capsules:
        node = capsules[index]
        for other in adjacency[index]:
            neighbour = capsules[other]
            if only and neighbour.capsule_type not in only:
                continue
            problems = _neighbour_problems(
                neighbour, conditions, unknown_layer, model_types[other] if model_types is not None else None
            )
            if problems:
                yield Hit(
                    index,
                    f"'{capsule_label(node)}' {verb} {_describe(neighbour)}: {'; '.join(problems)}",
                    key=neighbour.urn,
                    related=((role, capsule_label(neighbour)),),
                    details={
                        direction.rstrip("stream") + "stream": neighbour.urn,
                        "name": neighbour.name,
                        "resource_type": neighbour.capsule_type,
                        "layer": neighbour.layer,
                        "materialization": neighbour.materialization,
                        "access": neighbour.access,
                    },
                )


@register_check(
    "upstream",
    depends="parents",
    columns="none",
    scopes={"graph": "capsule"},
    params=_NEIGHBOUR_PARAMS,
    validate=_neighbour_params,
)
def upstream(*, run: CheckRun) -> Iterator[Hit]:
    """Every direct parent satisfies the allowed/forbidden layers, types, materializations and access."""
    return _neighbours(run, direction="upstream")


@register_check(
    "downstream",
    depends="children",
    columns="none",
    scopes={"graph": "capsule"},
    params=_NEIGHBOUR_PARAMS,
    validate=_neighbour_params,
)
def downstream(*, run: CheckRun) -> Iterator[Hit]:
    """Every direct child satisfies the allowed/forbidden layers, types, materializations and access."""
    return _neighbours(run, direction="downstream")


@register_check(
    "layer_dependencies",
    depends="parents",
    columns="none",
    scopes={"graph": "capsule"},
    params={
        "allowed": Param("layer_layers", required=True, help="for each layer, the layers it may read from"),
        "ignore_types": Param("type_list", help="parents of these resource types are not judged (e.g. seed)"),
    },
)
def layer_dependencies(*, run: CheckRun) -> Iterator[Hit]:
    """Each capsule reads only from the layers allowed for its own layer (unknown layers are not judged)."""
    allowed: Mapping[str, tuple[str, ...]] = run.params["allowed"]
    ignore = set(run.params.get("ignore_types") or ())
    capsules, parents = run.graph.capsules, run.graph.upstream
    for index in run.capsules:
        node = capsules[index]
        may_read = allowed.get(node.layer) if node.layer else None
        if may_read is None:
            continue
        for parent in parents[index]:
            other = capsules[parent]
            if other.layer is None or other.layer in may_read or other.capsule_type in ignore:
                continue
            yield Hit(
                index,
                f"{node.layer} '{capsule_label(node)}' reads {other.layer} {_describe(other)}; {node.layer} may read "
                f"{', '.join(may_read)}",
                key=other.urn,
                details={
                    "layer": node.layer,
                    "upstream": other.urn,
                    "upstream_layer": other.layer,
                    "allowed": list(may_read),
                },
            )


# -- paths that bypass a layer --------------------------------------------------------------------


@register_check(
    "layer_bypass",
    depends="ancestors",
    columns="none",
    scopes={"graph": "capsule"},
    params={
        "from_layers": Param("layer_list", default=("raw",), help="where the paths start"),
        "to_layers": Param("layer_list", default=("marts", "consumption"), help="where they must not arrive"),
        "via_layers": Param("layer_list", default=("staging",), help="a path must pass through one of these"),
        "ignore_types": Param("type_list", help="capsules of these types start no path (e.g. seed)"),
    },
)
def layer_bypass(*, run: CheckRun) -> Iterator[Hit]:
    """No path leads from a from-layer capsule to a to-layer capsule without passing a via-layer capsule.

    Precisely: a to-layer capsule T is flagged when some lineage path S -> ... -> T starts at a capsule S in
    ``from_layers``, has no capsule in ``via_layers``, and T is the first to-layer capsule on it (capsules
    further downstream of T inherit the problem through T and are not flagged again). One breadth-first
    search from all start capsules at once, O(V + E); the details show one shortest such path.
    """
    params = run.params
    previous, reached = _bypass_reach(run.ctx, params)
    capsules = run.graph.capsules
    for index in run.capsules:
        if index not in reached:
            continue
        path = [index]
        while previous[path[-1]] >= 0 and len(path) < 100:
            path.append(previous[path[-1]])
        path.reverse()
        start = capsules[path[0]]
        names = [capsule_label(capsules[i]) for i in path]
        yield Hit(
            index,
            f"'{names[-1]}' ({capsules[index].layer}) is reached from {start.layer} '{names[0]}' without "
            f"passing {' or '.join(params['via_layers'])}: {' -> '.join(names)}",
            details={"path": names, "from": start.urn},
        )


def _bypass_reach(ctx: EvalContext, params: Mapping[str, Any]) -> tuple[dict[int, int], set[int]]:
    """(predecessor of every capsule reached on a bypassing path, flagged to-layer capsules); memoised."""
    key = ("bypass", params["from_layers"], params["to_layers"], params["via_layers"], params.get("ignore_types"))

    def compute() -> tuple[dict[int, int], set[int]]:
        layers, types = ctx.layers, ctx.types
        sources, targets, via = set(params["from_layers"]), set(params["to_layers"]), set(params["via_layers"])
        ignore = set(params.get("ignore_types") or ())
        downstream = ctx.graph.downstream
        previous = {i: -1 for i, layer in enumerate(layers) if layer in sources and types[i] not in ignore}
        queue = deque(previous)
        hits: set[int] = set()
        while queue:
            index = queue.popleft()
            for child in downstream[index]:
                if child in previous:
                    continue
                layer = layers[child]
                if layer in via:
                    continue
                previous[child] = index
                if layer in targets:
                    hits.add(child)  # the first to-layer capsule on the path; do not walk past it
                else:
                    queue.append(child)
        return previous, hits

    return ctx.memo(key, compute)


# -- fan-out, fan-in, depth, chains -----------------------------------------------------------------


def _bounds_params(params: Mapping[str, Any], scope: str) -> None:
    if params.get("max") is None and params.get("min") is None:
        raise ValueError("check: give max and/or min")


def _bound_words(verdict: str) -> str:
    return "more than allowed" if verdict == "above" else "fewer than required"


def _bounds(count: int, params: Mapping[str, Any]) -> str | None:
    if params.get("max") is not None and count > params["max"]:
        return "above"
    if params.get("min") is not None and count < params["min"]:
        return "below"
    return None


@register_check(
    "fan_out",
    depends="children",
    columns="none",
    scopes={"graph": "capsule"},
    params={
        "max": Param("int", minimum=0, help="a violation when the count is above this"),
        "min": Param("int", minimum=0, help="a violation when the count is below this (min 1: unused)"),
        "child_types": Param("type_list", help="only children of these resource types count"),
        "count": Param(
            "str",
            default="children",
            choices=("children", "leaf_children"),
            help="leaf_children counts only children that have no children themselves",
        ),
    },
    validate=_bounds_params,
)
def fan_out(*, run: CheckRun) -> Iterator[Hit]:
    """The number of direct children (or of leaf children) stays within min..max."""
    params = run.params
    kinds = set(params.get("child_types") or ())
    leaves_only = params["count"] == "leaf_children"
    capsules, children = run.graph.capsules, run.graph.downstream
    for index in run.capsules:
        counted = [
            c
            for c in children[index]
            if (not kinds or capsules[c].capsule_type in kinds) and (not leaves_only or not children[c])
        ]
        verdict = _bounds(len(counted), params)
        if verdict:
            node = capsules[index]
            what = "leaf children" if leaves_only else "children"
            if kinds:
                what = f"{'/'.join(sorted(kinds))} {what}"
            limit = params["max"] if verdict == "above" else params["min"]
            yield Hit(
                index,
                f"'{capsule_label(node)}' has {len(counted)} direct {what}, {_bound_words(verdict)} ({limit})",
                key=verdict,
                details={"count": len(counted), "limit": limit, "children": _names(capsules, counted)},
            )


@register_check(
    "fan_in",
    depends="parents",
    columns="none",
    scopes={"graph": "capsule"},
    params={
        "max": Param("int", minimum=0, help="a violation when the count is above this"),
        "min": Param("int", minimum=0, help="a violation when the count is below this (min 1: root models)"),
        "parent_types": Param("type_list", help="only parents of these resource types count"),
        "count_excluded": Param(
            "bool", default=False, help="parents a project excludes count too (the evaluator's root models and joins)"
        ),
        "skip_time_spines": Param("bool", default=False, help="MetricFlow time spines are not judged"),
    },
    validate=_bounds_params,
)
def fan_in(*, run: CheckRun) -> Iterator[Hit]:
    """The number of distinct direct parents stays within min..max."""
    params = run.params
    kinds = set(params.get("parent_types") or ())
    capsules = run.graph.capsules
    parents = run.ctx.with_excluded.upstream if params["count_excluded"] else run.graph.upstream
    skip_spines = params["skip_time_spines"]
    for index in run.capsules:
        counted = [p for p in parents[index] if not kinds or capsules[p].capsule_type in kinds]
        verdict = _bounds(len(counted), params)
        if verdict and not (skip_spines and run.ctx.is_time_spine(index)):
            node = capsules[index]
            what = f"{'/'.join(sorted(kinds))} parents" if kinds else "parents"
            limit = params["max"] if verdict == "above" else params["min"]
            yield Hit(
                index,
                f"'{capsule_label(node)}' has {len(counted)} direct {what}, {_bound_words(verdict)} ({limit})",
                key=verdict,
                details={"count": len(counted), "limit": limit, "parents": _names(capsules, counted)},
            )


@register_check(
    "dag_depth",
    depends="ancestors",
    columns="none",
    scopes={"graph": "capsule"},
    params={"max": Param("int", required=True, minimum=1, help="longest allowed chain of edges from a root")},
)
def dag_depth(*, run: CheckRun) -> Iterator[Hit]:
    """The longest lineage path from any root (a capsule with no parents) stays within ``max`` edges."""
    depth, best = run.ctx.longest_chain(counts=None, key="depth")
    limit = run.params["max"]
    for index in run.capsules:
        if depth[index] > limit:
            path = run.ctx.trace(index, best)
            yield Hit(
                index,
                f"'{path[-1]}' sits {depth[index]} edges below its farthest root, more than {limit}",
                details={"depth": depth[index], "limit": limit, "path": path},
            )


@register_check(
    "view_chain",
    depends="ancestors",
    columns="none",
    scopes={"graph": "capsule"},
    params={
        "max": Param("int", default=4, minimum=1, help="longest allowed run of view-like parents"),
        "materializations": Param("str_list", default=("view", "ephemeral"), help="what counts as a view"),
    },
)
def view_chain(*, run: CheckRun) -> Iterator[Hit]:
    """A capsule depends on a chain of at most ``max`` consecutive views/ephemerals (dbt-project-evaluator)."""
    views = set(run.params["materializations"])
    capsules = run.graph.capsules
    materializations = [node.materialization for node in capsules]
    run_length, best = run.ctx.longest_chain(
        counts=lambda i: materializations[i] in views, key=("views", tuple(sorted(views)))
    )
    limit = run.params["max"]
    parents = run.graph.upstream
    for index in run.capsules:
        longest, via = 0, -1
        for parent in parents[index]:
            if run_length[parent] > longest:
                longest, via = run_length[parent], parent
        if longest > limit:
            chain = run.ctx.trace(via, best)
            starts = _chain_starts(parents, run_length, index, limit)
            labels = sorted(capsule_label(capsules[i]) for i in starts)
            yield Hit(
                index,
                f"'{capsule_label(capsules[index])}' depends on a chain of {longest} views/ephemerals "
                f"(more than {limit}): {' -> '.join(chain)}",
                details={"length": longest, "limit": limit, "chain": chain, "starts": labels[:LISTED]},
                related=tuple(("start", label) for label in labels),
            )


def _chain_starts(parents: list[list[int]], run_length: list[int], index: int, limit: int) -> list[int]:
    """The view-like ancestors from which an unbroken chain of views longer than ``limit`` edges reaches
    ``index`` (dbt-project-evaluator lists each such ancestor); only for capsules already flagged."""
    farthest: dict[int, int] = {}  # ancestor -> longest all-view distance to index
    stack = [(parent, 1) for parent in parents[index] if run_length[parent] > 0]
    while stack:
        node, distance = stack.pop()
        if farthest.get(node, 0) >= distance or distance > len(run_length):
            continue
        farthest[node] = distance
        stack.extend((parent, distance + 1) for parent in parents[node] if run_length[parent] > 0)
    return [node for node, distance in farthest.items() if distance > limit]


# -- DAG smells ---------------------------------------------------------------------------------


@register_check(
    "rejoined_concepts",
    depends="graph",
    columns="none",
    scopes={"graph": "capsule"},
    params={
        "ignore_types": Param(
            "type_list", default=("exposure", "metric"), help="resource types left out of the triangle and counts"
        )
    },
)
def rejoined_concepts(*, run: CheckRun) -> Iterator[Hit]:
    """No triangle A -> B -> C with A -> C where B has no child but C (dbt-project-evaluator's definition).

    The finding sits on C, the model that joins A back in; B's logic usually belongs in a CTE of C.
    """
    ignore = set(run.params["ignore_types"])
    capsules, parents, children = run.graph.capsules, run.graph.upstream, run.graph.downstream
    types = run.ctx.types
    for index in run.capsules:
        if types[index] in ignore:
            continue
        direct = set(parents[index])
        for middle in parents[index]:
            if types[middle] in ignore:
                continue
            if sum(1 for c in children[middle] if types[c] not in ignore) != 1:
                continue
            for top in parents[middle]:
                if top in direct and types[top] not in ignore:
                    yield Hit(
                        index,
                        f"'{capsule_label(capsules[index])}' reads '{capsule_label(capsules[top])}' both directly "
                        f"and through '{capsule_label(capsules[middle])}', which feeds nothing else",
                        key=f"{capsules[top].urn}>{capsules[middle].urn}",
                        details={"parent": capsules[top].urn, "via": capsules[middle].urn},
                        related=(("parent", capsule_label(capsules[top])), ("via", capsule_label(capsules[middle]))),
                    )


def _mixed_params(params: Mapping[str, Any], scope: str) -> None:
    if len(set(params["types"])) < 2:
        raise ValueError("types: list at least two resource types")


@register_check(
    "mixed_parents",
    depends="parents",
    columns="none",
    scopes={"graph": "capsule"},
    params={
        "types": Param("type_list", required=True, help="a violation when parents include ALL these types"),
        "per_parent": Param(
            "bool", default=False, help="one finding per parent of those types (dbt-project-evaluator's rows)"
        ),
    },
    validate=_mixed_params,
)
def mixed_parents(*, run: CheckRun) -> Iterator[Hit]:
    """A capsule does not read from all of the listed parent types at once (e.g. a model and a source)."""
    wanted = run.params["types"]
    capsules, parents = run.graph.capsules, run.graph.upstream
    for index in run.capsules:
        by_type: dict[str, list[int]] = {}
        for parent in parents[index]:
            by_type.setdefault(capsules[parent].capsule_type, []).append(parent)
        if all(kind in by_type for kind in wanted):
            listed = {kind: _names(capsules, by_type[kind]) for kind in wanted}
            if run.params["per_parent"]:
                mix = " and ".join(f"{kind}s ({', '.join(listed[kind])})" for kind in wanted)
                for kind in wanted:
                    for parent in by_type[kind]:
                        other = capsules[parent]
                        yield Hit(
                            index,
                            f"'{capsule_label(capsules[index])}' reads {_describe(other)} among {mix}",
                            key=other.urn,
                            details={"parent": other.urn, "parents": listed},
                            related=(("parent", capsule_label(other)),),
                        )
                continue
            yield Hit(
                index,
                f"'{capsule_label(capsules[index])}' reads "
                + " and ".join(f"{kind}s ({', '.join(listed[kind])})" for kind in wanted),
                details={"parents": listed},
            )


_QUOTES = re.compile(r"[\"`\[\]]")


def relation_key(node: CapsuleNode) -> str | None:
    """database.schema.identifier, unquoted and lower-case.

    ``relation_name`` is used whole when it is qualified (as dbt writes it: "db"."schema"."table"); a bare
    table name is qualified with the capsule's database and schema.
    """
    relation = _QUOTES.sub("", node.relation_name or "")
    if "." in relation:
        return relation.lower()
    parts = [part for part in (node.database, node.schema, relation or node.name) if part]
    return ".".join(parts).lower() if len(parts) >= 2 else None


@register_check("duplicate_relation", depends="graph", columns="none", scopes={"graph": "capsule"}, params={})
def duplicate_relation(*, run: CheckRun) -> Iterator[Hit]:
    """No two capsules in the filter point at the same database.schema.identifier (duplicate sources)."""
    capsules = run.graph.capsules
    groups: dict[str, list[int]] = {}
    for index in run.capsules:
        key = relation_key(capsules[index])
        if key:
            groups.setdefault(key, []).append(index)
    for key, members in groups.items():
        if len(members) < 2:
            continue
        for index in members:
            others = [_describe(capsules[m]) for m in members if m != index]
            yield Hit(
                index,
                f"'{capsule_label(capsules[index])}' points at {key}, as do {', '.join(others)}",
                key=key,
                details={"relation": key, "others": [capsules[m].urn for m in members if m != index]},
            )


@register_check("orphan", depends="neighbours", columns="none", scopes={"graph": "capsule"}, params={})
def orphan(*, run: CheckRun) -> Iterator[Hit]:
    """A capsule has at least one parent or one child (an orphan has neither: nothing feeds or reads it)."""
    capsules, parents, children = run.graph.capsules, run.graph.upstream, run.graph.downstream
    for index in run.capsules:
        if not parents[index] and not children[index]:
            yield Hit(
                index, f"'{capsule_label(capsules[index])}' has neither parents nor children in the lineage graph"
            )


def _describe(node: CapsuleNode) -> str:
    return f"{node.capsule_type} '{capsule_label(node)}'"


def _names(capsules: list[CapsuleNode], indexes: list[int]) -> list[str]:
    return [capsule_label(capsules[i]) for i in indexes[:LISTED]]
