"""Inferring a capsule's architecture layer and business domain from the conventions a dbt project follows.

Pure functions over parsed records; the loader applies them after parsing. Every rule is data in a frozen
``Conventions`` so settings or a YAML file can replace it (``conventions_from_dict``).

Layer, first rule that answers wins:

1. ``meta.layer`` (or another configured meta key), when its value is a known layer or synonym;
2. the resource type for capsules whose nature fixes the layer: sources are ``raw``; exposures, metrics,
   saved queries and semantic models are ``consumption`` (the semantic layer holds no data of its own and
   serves BI tools). This comes before tags and folders because dbt projects keep source YAML inside
   ``models/staging/`` and put layer tags on whole folders;
3. a tag that names a layer (``bronze``/``raw``, ``silver``/``staging``, ``intermediate``,
   ``gold``/``marts``/``mart``...), in the capsule's tag order. ``source``/``sources`` are not synonyms by
   default: GitLab, for one, tags and files its renaming models (staging, in dbt's terms) as ``sources``,
   while others mean raw data by it; such a project adds ``{sources: staging}`` to ``layer_synonyms``;
4. a name prefix (the longest matching one): ``stg_``/``base_`` staging, ``int_`` intermediate,
   ``fct_``/``fact_``/``dim_``/``rpt_``/``mart_``/``agg_`` marts, ``raw_`` raw. ``src_`` is deliberately not
   a rule: projects use it both for raw mirrors and for staging models, so the folder decides;
5. a folder of the file's path that names a layer (``models/staging/...``), the deepest such folder winning;
6. the resource type's fallback: seeds and snapshots are ``raw`` (reference data and history of sources);
7. otherwise None: unknown, never guessed.

Domain: ``meta.domain``; then, only if ``domain_from_group`` is on, the dbt group (off by default: dbt groups
are ownership units, a team can own several domains); then the first folder under a configured root
(``models/marts/<domain>/...``). Domains are lower-cased and trimmed unless configured otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from ingestion.records import CapsuleRecord

__all__ = ["DEFAULT_CONVENTIONS", "LAYERS", "Conventions", "conventions_from_dict", "infer_domain", "infer_layer"]

LAYERS = ("raw", "staging", "intermediate", "marts", "consumption")


@dataclass(frozen=True, slots=True)
class Conventions:
    """The rules ``infer_layer`` and ``infer_domain`` apply. Pairs are (pattern, canonical layer)."""

    meta_layer_keys: tuple[str, ...] = ("layer",)
    # meta values, tags and folder names that name a layer (matched lower-cased, whole word)
    layer_synonyms: tuple[tuple[str, str], ...] = (
        ("raw", "raw"),
        ("bronze", "raw"),
        ("landing", "raw"),
        ("staging", "staging"),
        ("stg", "staging"),
        ("silver", "staging"),
        ("base", "staging"),
        ("intermediate", "intermediate"),
        ("int", "intermediate"),
        ("marts", "marts"),
        ("mart", "marts"),
        ("gold", "marts"),
        ("reporting", "marts"),
        ("reports", "marts"),
        ("consumption", "consumption"),
        ("semantic", "consumption"),
    )
    prefix_layers: tuple[tuple[str, str], ...] = (
        ("stg_", "staging"),
        ("base_", "staging"),
        ("int_", "intermediate"),
        ("fct_", "marts"),
        ("fact_", "marts"),
        ("dim_", "marts"),
        ("rpt_", "marts"),
        ("mart_", "marts"),
        ("agg_", "marts"),
        ("raw_", "raw"),
    )
    # capsule types whose layer is fixed, whatever their tags, names or folders say
    type_layers: tuple[tuple[str, str], ...] = (
        ("source", "raw"),
        ("exposure", "consumption"),
        ("metric", "consumption"),
        ("saved_query", "consumption"),
        ("semantic_model", "consumption"),
    )
    # capsule types given a layer only when no tag, prefix or folder named one
    fallback_type_layers: tuple[tuple[str, str], ...] = (("seed", "raw"), ("snapshot", "raw"))
    domain_meta_keys: tuple[str, ...] = ("domain",)
    domain_from_group: bool = False
    # folders whose sub-folders are domains: models/marts/finance/fct_x.sql -> "finance"
    domain_folder_roots: tuple[str, ...] = ("models/marts",)
    lowercase_domains: bool = True


DEFAULT_CONVENTIONS = Conventions()


def _layer_named(value: Any, conventions: Conventions) -> str | None:
    if not isinstance(value, str):
        return None
    wanted = value.strip().lower()
    for synonym, layer in conventions.layer_synonyms:
        if synonym == wanted:
            return layer
    return None


def _folders(capsule: CapsuleRecord) -> list[str]:
    path = (capsule.original_file_path or capsule.path or "").replace("\\", "/")
    return [part for part in path.split("/")[:-1] if part]


def infer_layer(capsule: CapsuleRecord, conventions: Conventions = DEFAULT_CONVENTIONS) -> str | None:
    """The capsule's layer (one of LAYERS) by the rules in this module's docstring, or None when unknown."""
    for key in conventions.meta_layer_keys:
        layer = _layer_named(capsule.meta.get(key), conventions)
        if layer is not None:
            return layer
    for capsule_type, layer in conventions.type_layers:
        if capsule.capsule_type == capsule_type:
            return layer
    for tag in capsule.tags:
        layer = _layer_named(tag, conventions)
        if layer is not None:
            return layer
    name = capsule.name.lower()
    matches = [(len(prefix), layer) for prefix, layer in conventions.prefix_layers if name.startswith(prefix.lower())]
    if matches:
        return max(matches)[1]  # the longest prefix is the most specific
    for folder in reversed(_folders(capsule)):
        layer = _layer_named(folder, conventions)
        if layer is not None:
            return layer
    for capsule_type, layer in conventions.fallback_type_layers:
        if capsule.capsule_type == capsule_type:
            return layer
    return None


def _clean_domain(value: Any, conventions: Conventions) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    if conventions.lowercase_domains:
        value = value.lower()
    return value or None


def infer_domain(
    capsule: CapsuleRecord, conventions: Conventions = DEFAULT_CONVENTIONS, *, project_name: str | None = None
) -> str | None:
    """The capsule's business domain: meta, then (if configured) its group, then its folder; else None.

    With ``project_name``, the folder rule only applies to the root project's capsules: an installed
    package's folders (dbt_project_evaluator's ``models/marts/dag/``) say nothing about the business.
    """
    for key in conventions.domain_meta_keys:
        domain = _clean_domain(capsule.meta.get(key), conventions)
        if domain is not None:
            return domain
    if conventions.domain_from_group and capsule.group:
        return _clean_domain(capsule.group, conventions)
    if project_name is not None and capsule.package_name != project_name:
        return None
    folders = _folders(capsule)
    for root in conventions.domain_folder_roots:
        root_parts = [part for part in root.replace("\\", "/").split("/") if part]
        if len(folders) > len(root_parts) and folders[: len(root_parts)] == root_parts:
            return _clean_domain(folders[len(root_parts)], conventions)
    return None


# ---------------------------------------------------------------------------------------------- configuration

_PAIR_FIELDS = ("layer_synonyms", "prefix_layers", "type_layers", "fallback_type_layers")
_TEXT_LIST_FIELDS = ("meta_layer_keys", "domain_meta_keys", "domain_folder_roots")
_BOOL_FIELDS = ("domain_from_group", "lowercase_domains")


def _pairs(key: str, value: Any) -> tuple[tuple[str, str | None], ...]:
    """A mapping {pattern: layer} or a list of [pattern, layer] pairs, checked; a None layer means "remove"."""
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list | tuple) and all(isinstance(item, list | tuple) and len(item) == 2 for item in value):
        items = [tuple(item) for item in value]
    else:
        raise ValueError(f"conventions key '{key}' must be a mapping of pattern to layer or a list of pairs")
    pairs = []
    for pattern, layer in items:
        if not isinstance(pattern, str) or not pattern:
            raise ValueError(f"conventions key '{key}' has a pattern that is not a non-empty string: {pattern!r}")
        if layer is not None and layer not in LAYERS:
            raise ValueError(
                f"conventions key '{key}' maps {pattern!r} to {layer!r}, which is not a layer "
                f"(one of {', '.join(LAYERS)})"
            )
        pairs.append((pattern.lower() if key != "type_layers" else pattern, layer))
    return tuple(pairs)


def conventions_from_dict(values: dict[str, Any]) -> Conventions:
    """Conventions from a settings/YAML mapping; keys left out keep their defaults.

    Pattern-to-layer keys (``layer_synonyms``, ``prefix_layers``, ``type_layers``, ``fallback_type_layers``)
    update the defaults pattern by pattern (a null layer removes a pattern); list keys replace the default
    list. Raises ValueError naming the key when a key is unknown or its value has the wrong shape.
    """
    if not isinstance(values, dict):
        raise ValueError("conventions must be a mapping of setting names to values")
    known = {field.name for field in fields(Conventions)}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise ValueError(f"unknown conventions key '{key}'; known keys: {', '.join(sorted(known))}")
        if key in _PAIR_FIELDS:
            merged = dict(getattr(DEFAULT_CONVENTIONS, key))
            for pattern, layer in _pairs(key, value):
                if layer is None:
                    merged.pop(pattern, None)
                else:
                    merged[pattern] = layer
            changes[key] = tuple(merged.items())
        elif key in _TEXT_LIST_FIELDS:
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list | tuple) or not all(isinstance(item, str) and item for item in value):
                raise ValueError(f"conventions key '{key}' must be a list of non-empty strings")
            changes[key] = tuple(value)
        elif key in _BOOL_FIELDS:
            if not isinstance(value, bool):
                raise ValueError(f"conventions key '{key}' must be true or false, not {value!r}")
            changes[key] = value
    return Conventions(**changes)
