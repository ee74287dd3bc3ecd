"""Naming and folder checks: name patterns, prefixes per layer, folder versus name, sources' folders."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from conformance.engine.params import Param, compiled
from conformance.engine.registry import CheckRun, register_check
from conformance.engine.results import Hit, capsule_label

# dbt-project-evaluator's default prefixes and folders, with its "base" model type folded into staging
DEFAULT_PREFIXES = {"staging": ("stg_", "base_"), "intermediate": ("int_",), "marts": ("fct_", "dim_")}
DEFAULT_FOLDERS = {"staging": ("staging", "base"), "intermediate": ("intermediate",), "marts": ("marts",)}


def _name_pattern_params(params: Mapping[str, Any], scope: str) -> None:
    if not any(params.get(key) for key in ("pattern", "prefix", "suffix")):
        raise ValueError("check: give at least one of pattern, prefix, suffix")


@register_check(
    "name_pattern",
    depends="self",
    columns="own",
    scopes={"capsule": "capsule", "column": "column"},
    params={
        "pattern": Param("regex", help="regular expression searched in the name (anchor it with ^ and $)"),
        "prefix": Param("str_list", help="the name must start with one of these"),
        "suffix": Param("str_list", help="the name must end with one of these"),
        "ignore_case": Param("bool", default=False, help="compare case-insensitively"),
    },
    validate=_name_pattern_params,
)
def name_pattern(*, run: CheckRun) -> Iterator[Hit]:
    """Capsule (or column) names must match a regex and/or start/end with given prefixes/suffixes."""
    params = run.params
    fold = params["ignore_case"]
    pattern = compiled(params["pattern"], fold) if params.get("pattern") else None
    prefixes = tuple(p.lower() for p in params["prefix"]) if fold and params.get("prefix") else params.get("prefix")
    suffixes = tuple(s.lower() for s in params["suffix"]) if fold and params.get("suffix") else params.get("suffix")
    capsules, columns = run.graph.capsules, run.graph.columns
    if run.subject == "column":
        objects = ((columns[c].capsule, c, columns[c].name) for c in run.columns)
    else:
        objects = ((i, None, capsules[i].name) for i in run.capsules)
    for capsule, column, name in objects:
        text = name.lower() if fold else name
        problems = []
        if pattern is not None and pattern.search(name) is None:
            problems.append(f"does not match {params['pattern']}")
        if prefixes and not text.startswith(prefixes):
            problems.append(f"does not start with {_either(params['prefix'])}")
        if suffixes and not text.endswith(suffixes):
            problems.append(f"does not end with {_either(params['suffix'])}")
        if problems:
            yield Hit(capsule, f"name '{name}' {' and '.join(problems)}", column=column, details={"name": name})


@register_check(
    "layer_prefixes",
    depends="self",
    columns="none",
    scopes={"capsule": "capsule"},
    params={
        "prefixes": Param("layer_map", default=DEFAULT_PREFIXES, help="allowed name prefixes per layer"),
        "unknown_layer": Param(
            "str",
            default="fail",
            choices=("fail", "skip"),
            help="a capsule whose layer is unknown fails unless its name starts with some listed prefix",
        ),
        "ignore_case": Param("bool", default=False, help="compare case-insensitively"),
    },
)
def layer_prefixes(*, run: CheckRun) -> Iterator[Hit]:
    """Each capsule's name starts with a prefix allowed for its layer (dbt-project-evaluator's naming rule)."""
    prefixes: Mapping[str, tuple[str, ...]] = run.params["prefixes"]
    fold = run.params["ignore_case"]
    if fold:
        prefixes = {layer: tuple(p.lower() for p in items) for layer, items in prefixes.items()}
    every = tuple(p for items in prefixes.values() for p in items)
    capsules = run.graph.capsules
    for index in run.capsules:
        node = capsules[index]
        name = node.name.lower() if fold else node.name
        if node.layer in prefixes:
            allowed = prefixes[node.layer]
            if not name.startswith(allowed):
                yield Hit(
                    index,
                    f"{node.capsule_type} '{capsule_label(node)}' is in layer {node.layer} but does not start with "
                    f"{_either(allowed)}",
                    details={"layer": node.layer, "allowed_prefixes": list(allowed)},
                )
        elif node.layer is None and run.params["unknown_layer"] == "fail" and not name.startswith(every):
            yield Hit(
                index,
                f"{node.capsule_type} '{capsule_label(node)}' has no layer prefix ({_either(every)}) and no layer "
                "could be told from its folder",
                details={"layer": None, "allowed_prefixes": list(every)},
            )


def layer_of_name(name: str, prefixes: Mapping[str, tuple[str, ...]]) -> tuple[str | None, str | None]:
    """(layer, prefix) of the longest listed prefix the name starts with, or (None, None)."""
    found: tuple[str | None, str | None] = (None, None)
    for layer, items in prefixes.items():
        for prefix in items:
            if name.startswith(prefix) and (found[1] is None or len(prefix) > len(found[1])):
                found = (layer, prefix)
    return found


def layer_of_folder(path: str, folders: Mapping[str, tuple[str, ...]]) -> tuple[str | None, str | None]:
    """(layer, folder) of the deepest folder in ``path`` named like a layer's folder, or (None, None)."""
    by_name = {folder: layer for layer, items in folders.items() for folder in items}
    for folder in reversed(path.replace("\\", "/").split("/")[:-1]):
        if folder in by_name:
            return by_name[folder], folder
    return None, None


@register_check(
    "layer_folder_match",
    depends="self",
    columns="none",
    scopes={"capsule": "capsule"},
    params={
        "prefixes": Param("layer_map", default=DEFAULT_PREFIXES, help="name prefixes per layer"),
        "folders": Param("layer_map", default=DEFAULT_FOLDERS, help="folder names per layer"),
    },
)
def layer_folder_match(*, run: CheckRun) -> Iterator[Hit]:
    """The layer told by a capsule's name prefix and the one told by its deepest layer folder agree."""
    prefixes, folders = run.params["prefixes"], run.params["folders"]
    capsules = run.graph.capsules
    for index in run.capsules:
        node = capsules[index]
        if not node.path:
            continue
        name_layer, prefix = layer_of_name(node.name, prefixes)
        folder_layer, folder = layer_of_folder(node.path, folders)
        if name_layer and folder_layer and name_layer != folder_layer:
            yield Hit(
                index,
                f"'{capsule_label(node)}' is named as {name_layer} ({prefix}) but lives in the {folder_layer} folder "
                f"'{folder}' ({node.path})",
                details={"name_layer": name_layer, "folder_layer": folder_layer, "path": node.path},
            )


@register_check(
    "source_folder",
    depends="ancestors",
    columns="none",
    scopes={"capsule": "capsule"},
    params={
        "ancestors": Param(
            "bool",
            default=False,
            help="a model must live in the folder of every source upstream of it, not only of those it reads",
        ),
        "max_depth": Param("int", minimum=1, help="with ancestors: only sources at most this many edges upstream"),
    },
)
def source_folder(*, run: CheckRun) -> Iterator[Hit]:
    """Sources are declared, and models reading a source live, in a folder named after the source.

    As in dbt-project-evaluator, "named after" means the folder path contains the source name; with
    ``ancestors`` every source upstream counts (through excluded capsules too, as the evaluator walks them).
    """
    capsules, upstream = run.graph.capsules, run.graph.upstream
    ancestors, depth = run.params["ancestors"], run.params.get("max_depth")
    for index in run.capsules:
        node = capsules[index]
        if not node.path:
            continue
        folder = node.path.replace("\\", "/").rsplit("/", 1)[0].lower() if "/" in node.path else ""
        if node.capsule_type == "source":
            wanted = [node.source_name] if node.source_name else []
        else:
            if not ancestors:
                reached: Any = upstream[index]
            elif depth is not None:
                reached = [i for i, _ in run.ctx.with_excluded.walk([index], direction="upstream", max_depth=depth)]
            else:
                reached = _ancestors(run.ctx.with_excluded.upstream, index)
            wanted = sorted(
                {
                    capsules[p].source_name
                    for p in reached
                    if capsules[p].capsule_type == "source" and capsules[p].source_name
                }
            )
        for source_name in wanted:
            if source_name.lower() not in folder:
                what = "declares source" if node.capsule_type == "source" else "reads source"
                yield Hit(
                    index,
                    f"'{capsule_label(node)}' {what} '{source_name}' but its folder '{folder or '.'}' is not "
                    "named after it",
                    key=source_name,
                    details={"source_name": source_name, "path": node.path},
                )


def _ancestors(upstream: list[list[int]], index: int) -> set[int]:
    """Every capsule upstream of ``index`` (cycle-safe)."""
    seen: set[int] = set()
    stack = list(upstream[index])
    while stack:
        parent = stack.pop()
        if parent not in seen:
            seen.add(parent)
            stack.extend(upstream[parent])
    return seen


def _either(items: tuple[str, ...] | list[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


# -- dbt-project-evaluator's model types ------------------------------------------------------------------


@register_check(
    "model_type_prefix",
    depends="self",
    columns="none",
    scopes={"capsule": "capsule"},
    params={"skip_time_spines": Param("bool", default=True, help="MetricFlow time spines are not judged")},
)
def model_type_prefix(*, run: CheckRun) -> Iterator[Hit]:
    """A model's name prefix (up to its first underscore) is one of its model type's prefixes.

    dbt-project-evaluator's naming check: the type comes from the prefix, else from the deepest type folder,
    else ``other``; a name whose prefix belongs to no type fails, listing its type's prefixes.
    """
    ctx = run.ctx
    capsules, types = run.graph.capsules, ctx.model_types
    namings: dict[str | None, Any] = {}
    skip_spines = run.params["skip_time_spines"]
    for index in run.capsules:
        node = capsules[index]
        system = getattr(node, "source_system", None)
        naming = namings.get(system)
        if naming is None:
            naming = namings[system] = ctx.projects.naming(system)
        if naming.prefix_type(node.name) is not None or (skip_spines and ctx.is_time_spine(index)):
            continue
        kind = types[index] or "other"
        allowed = sorted(naming.prefixes.get(kind, ()))
        wanted = f"should start with {_either(allowed)}" if allowed else "has no prefixes defined for that type"
        yield Hit(
            index,
            f"'{capsule_label(node)}' is a {kind} model and {wanted} (its prefix is '{naming.name_prefix(node.name)}')",
            details={"model_type": kind, "prefix": naming.name_prefix(node.name), "allowed_prefixes": allowed},
        )


@register_check("model_type_folder", depends="self", columns="none", scopes={"capsule": "capsule"}, params={})
def model_type_folder(*, run: CheckRun) -> Iterator[Hit]:
    """The model type told by the name's prefix and the one told by the deepest type folder agree.

    dbt-project-evaluator's model-directories check (the part on every model): when the name's prefix names
    a type and a folder of the path names another, the model is in the wrong folder.
    """
    capsules = run.graph.capsules
    for index in run.capsules:
        node = capsules[index]
        naming = run.ctx.projects.naming(getattr(node, "source_system", None))
        by_name = naming.prefix_type(node.name)
        by_folder, folder = naming.folder_type(node.path)
        if by_name and by_folder and by_name != by_folder:
            yield Hit(
                index,
                f"'{capsule_label(node)}' is named as {by_name} ({naming.name_prefix(node.name)}) but lives in the "
                f"{by_folder} folder '{folder}' ({node.path})",
                details={"model_type": by_name, "folder_model_type": by_folder, "path": node.path},
            )
