"""Merging a parsed manifest, catalog and run results into the records the loader stores."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial
from typing import Any

import orjson

from ingestion.records import (
    CapsuleRecord,
    ColumnRecord,
    EdgeRecord,
    KeptCapsule,
    LazyColumns,
    OwnerRecord,
    ParsedProject,
    TestRecord,
)

from ._loading import gc_paused
from .catalog import CatalogData, catalog_stats, parse_catalog
from .manifest import ManifestData, parse_manifest
from .owners import OwnerRegistry, owner_from_value
from .run_results import RunResult, RunResultsData, parse_run_results
from .urns import capsule_urn, column_urn, format_version, test_urn

__all__ = ["merge_artifacts", "parse_dbt_artifacts"]

_RELATIONAL = frozenset({"model", "seed", "snapshot", "source"})
_SQL_TYPES = frozenset({"model", "snapshot"})
_EDGE_TYPE_BY_TARGET = {
    "model": "flows_to",
    "snapshot": "flows_to",
    "seed": "flows_to",
    "exposure": "exposes",
    "semantic_model": "defines",
    "metric": "measures",
    "saved_query": "queries",
}
_STATS_KEYS = {
    "model": "models",
    "source": "sources",
    "seed": "seeds",
    "snapshot": "snapshots",
    "exposure": "exposures",
    "metric": "metrics",
    "semantic_model": "semantic_models",
    "saved_query": "saved_queries",
}
# ref('name'), ref('package', 'name'), ref('name', v=2) and source('source_name', 'table') inside test kwargs
_MODEL_CALL = re.compile(
    r"""\b(?P<call>ref|source)\s*\(\s*(?P<q1>['"])(?P<first>[^'"]*)(?P=q1)\s*"""
    r"""(?:,\s*(?P<q2>['"])(?P<second>[^'"]*)(?P=q2)\s*)?"""
    r"""(?:,\s*(?:v|version)\s*=\s*['"]?(?P<version>[^'"\s),]+)['"]?\s*)?\)"""
)
_QUOTES = {'"': '"', "`": "`", "[": "]"}
_NOT_NULL_CONSTRAINTS = frozenset({"not_null", "primary_key"})
_MAX_LISTED = 5  # ids quoted in a summarising warning
_CATALOG_COLUMN_KEYS = frozenset({"type", "index", "name", "comment"})
# stats keys reported even when zero, so a job summary always has the same shape
_ALWAYS_COUNTED = (
    *_STATS_KEYS.values(),
    "capsules",
    "columns",
    "tests",
    "tests_attached",
    "edges",
    "owners",
    "disabled",
    "ignored_analyses",
    "ignored_operations",
    "ignored_macros",
    "ignored_docs",
    "ignored_unit_tests",
    "ignored_functions",
)
# run_results ids of these kinds should exist in the manifest; operations (hooks) are not kept in it
_RUN_RESULT_KINDS = ("model.", "seed.", "snapshot.", "test.", "source.")


def parse_dbt_artifacts(
    *,
    manifest: bytes,
    catalog: bytes | None = None,
    run_results: bytes | None = None,
    project_name: str | None = None,
    known: Callable[[str], Mapping[str, tuple[str, int]] | None] | None = None,
    salt: str = "",
) -> ParsedProject:
    """Parse dbt's artifacts and merge them into one ParsedProject. Raises ParseError on unusable input.

    ``catalog`` and ``run_results`` are optional; pass None when there is none (empty bytes are an error).
    ``known``, given the project's name, returns the node digests stored for it (see ``merge_artifacts``), or None
    when no digest is worth computing (nothing of the project is stored yet); ``salt`` goes into every digest (the
    caller's code version: digests another version stored never match).
    Cost: dominated by orjson and by building one record per column; the garbage collector is paused.
    """
    with gc_paused():
        manifest_data = parse_manifest(manifest, project_name=project_name)
        catalog_data = parse_catalog(catalog) if catalog is not None else None
        run_data = parse_run_results(run_results) if run_results is not None else None
        stored = known(manifest_data.project.name) if known is not None and run_data is None else None
        return merge_artifacts(manifest=manifest_data, catalog=catalog_data, run_results=run_data, known=stored,
                               salt=salt)  # fmt: skip


def merge_artifacts(
    *,
    manifest: ManifestData,
    catalog: CatalogData | None = None,
    run_results: RunResultsData | None = None,
    known: Mapping[str, tuple[str, int]] | None = None,
    salt: str = "",
) -> ParsedProject:
    """Build capsules, columns, tests, edges and owners from already parsed artifacts.

    1. attach every data test to the capsule it tests (dbt's attached_node, else derived);
    2. build each capsule with its columns (manifest and catalog united case-insensitively);
    3. add an edge for every depends_on entry that names another capsule;
    4. de-duplicate owners and count everything.

    With ``known`` (unique_id -> (node digest, column count) stored by the last ingestion), every capsule's
    ``node_digest`` is computed (the MD5 of its node's JSON, catalog entry and tests, and of the groups: all its
    record is built from; run results are not, so they make ``known`` unused); a capsule whose digest is the known
    one is not built but kept (``ParsedProject.kept``): its record would be the one its stored row was built from.
    """
    with gc_paused():
        warnings = list(manifest.warnings)
        if catalog is not None:
            warnings.extend(catalog.warnings)
            warnings.extend(f"dbt reported an error while generating the catalog: {e}" for e in catalog.errors)
        if run_results is not None:
            warnings.extend(run_results.warnings)
        results = run_results.results if run_results is not None else {}
        statuses_apply = run_results is not None and run_results.statuses_apply

        tests, tests_by_capsule = _tests(
            manifest=manifest, results=results if statuses_apply else {}, warnings=warnings
        )
        owners = OwnerRegistry()
        group_owners = {name: owner_from_value(group.get("owner")) for name, group in manifest.groups.items()}
        catalog_entries = catalog.entries if catalog is not None else {}

        lean = known is not None and not results
        groups = _json_digest((salt, manifest.groups)) if lean else None  # in every node's digest, with the salt
        nodes: list[CapsuleRecord | KeptCapsule] = []
        kept_any = False
        matched_catalog = 0
        for unique_id, node in manifest.resources.items():
            catalog_entry = catalog_entries.get(unique_id)
            attached = tests_by_capsule.get(unique_id, ())
            digest = _node_digest(unique_id, node, catalog_entry, attached, manifest.tests, groups) if lean else None
            stored = known.get(unique_id) if digest is not None else None
            if stored is not None and stored[0] == digest:
                capsule = _kept(unique_id=unique_id, node=node, catalog_entry=catalog_entry, tests=attached,
                                group_owners=group_owners, owners=owners, digest=digest, columns=stored[1])  # fmt: skip
                kept_any = True
            else:
                capsule = _capsule(
                    unique_id=unique_id,
                    node=node,
                    catalog_entry=catalog_entry,
                    tests=attached,
                    result=results.get(unique_id),
                    statuses_apply=statuses_apply,
                    group_owners=group_owners,
                    owners=owners,
                    warnings=warnings,
                    node_digest=digest,
                )
            matched_catalog += capsule.in_catalog
            nodes.append(capsule)
        nodes = [_with_canonical_owner(capsule, owners) for capsule in nodes]
        if kept_any and len({capsule.urn for capsule in nodes}) < len(nodes):
            # Two resources share a URN: which one loads depends on the order of every record; build them all.
            return merge_artifacts(manifest=manifest, catalog=catalog, run_results=run_results, known={}, salt=salt)
        capsules = [capsule for capsule in nodes if isinstance(capsule, CapsuleRecord)]
        edges = _edges(capsules=nodes, disabled=manifest.disabled, warnings=warnings)
        if catalog is not None:
            _check_catalog_match(
                catalog=catalog, resources=manifest.resources, matched=matched_catalog, warnings=warnings
            )

        if run_results is not None:
            _check_run_results_match(run_results=run_results, manifest=manifest, warnings=warnings)

        stats: Counter[str] = Counter(dict.fromkeys(_ALWAYS_COUNTED, 0))
        stats.update(manifest.stats)
        for capsule in nodes:
            stats[_STATS_KEYS[capsule.capsule_type]] += 1
            stats["columns"] += len(capsule.columns) if isinstance(capsule, CapsuleRecord) else capsule.column_count
        stats["capsules"] = len(nodes)
        stats["tests"] = len(tests)
        stats["tests_attached"] = sum(1 for test in tests if test.attached_to is not None)
        stats["edges"] = len(edges)
        stats["owners"] = len(owners.all())
        if catalog is not None:
            stats["catalog_entries"] = len(catalog.entries)
            stats["catalog_entries_unmatched"] = len(catalog.entries) - matched_catalog
        if run_results is not None:
            stats["run_results"] = len(run_results.results)
        return ParsedProject(
            project=manifest.project,
            capsules=tuple(capsules),
            edges=tuple(edges),
            tests=tuple(tests),
            owners=owners.all(),
            warnings=tuple(warnings),
            stats=dict(stats),
            kept=tuple(capsule for capsule in nodes if isinstance(capsule, KeptCapsule)) if kept_any else (),
            nodes=tuple(nodes) if kept_any else (),
        )


def _json_digest(value: Any) -> str | None:
    try:  # SHA-1: twice as fast as MD5 here (OpenSSL's SHA extensions) over the 100 MB of a large project's nodes
        return hashlib.sha1(orjson.dumps(value), usedforsecurity=False).hexdigest()
    except (TypeError, orjson.JSONEncodeError):
        return None


def _node_digest(
    unique_id: str, node: Any, catalog_entry: Any, tests: Any, all_tests: dict[str, Any], groups: str | None
) -> str | None:
    """SHA-1 of everything a capsule's record is built from (JSON as orjson writes it back: key order kept): the
    node, its catalog entry, the tests attached to it (which ones, and their JSON) and the project's groups (a
    group's owner is the owner of its capsules). None when unwritable: the capsule is then always built."""
    if groups is None:
        return None
    return _json_digest((unique_id, node, catalog_entry, [(t.unique_id, all_tests.get(t.unique_id)) for t in tests],
                         groups))  # fmt: skip


def _identity(unique_id: str, node: dict[str, Any]) -> tuple[str, dict, str, str | None, str, dict, str | None]:
    """A node's type, config, name, version, URN, merged meta and group: what a built capsule and a kept one both
    need, so that the two never derive them differently."""
    capsule_type = node.get("resource_type") or unique_id.partition(".")[0]
    if capsule_type not in _STATS_KEYS:
        capsule_type = unique_id.partition(".")[0]
    config = _dict(node.get("config"))
    name = node.get("name") or unique_id.rpartition(".")[2]
    version = format_version(node.get("version")) if capsule_type == "model" else None
    urn = capsule_urn(
        resource_type=capsule_type,
        package_name=node.get("package_name") or "",
        name=name,
        source_name=node.get("source_name"),
        version=version,
    )
    if capsule_type == "source":
        meta = _merged_meta(node.get("source_meta"), node.get("meta"), config.get("meta"))
    else:
        meta = _merged_meta(node.get("meta"), config.get("meta"))
    group = _text(node.get("group")) or _text(config.get("group"))
    return capsule_type, config, name, version, urn, meta, group


def _kept(
    *,
    unique_id: str,
    node: dict[str, Any],
    catalog_entry: dict[str, Any] | None,
    tests: list[TestRecord] | tuple[()],
    group_owners: dict[str, OwnerRecord | None],
    owners: OwnerRegistry,
    digest: str,
    columns: int,
) -> KeptCapsule:
    """What ``_capsule`` computes that the loader and the edges need, computed the same way."""
    capsule_type, _config, _name, _version, urn, meta, group = _identity(unique_id, node)
    return KeptCapsule(
        unique_id=unique_id,
        urn=urn,
        capsule_type=capsule_type,
        depends_on=_depends_on(node),
        owner=owners.add(
            _owner(capsule_type=capsule_type, node=node, meta=meta, group=group, group_owners=group_owners)
        ),
        in_catalog=catalog_entry is not None,
        column_count=columns,
        test_count=len(tests),
        node_digest=digest,
    )


# ---------------------------------------------------------------------------------------------- helpers


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _unique(values: Any) -> tuple[str, ...]:
    """Strings of a list (or a lone string), de-duplicated, order kept."""
    if isinstance(values, str):
        return (values,)
    if not isinstance(values, list):
        return ()
    return tuple(dict.fromkeys(value for value in values if isinstance(value, str)))


def _merged_tags(first: Any, second: Any) -> tuple[str, ...]:
    if not second:
        return _unique(first)
    if not first:
        return _unique(second)
    return tuple(dict.fromkeys(_unique(first) + _unique(second)))


def _merged_meta(*layers: Any) -> dict[str, Any]:
    """Later layers win, as dbt's config.meta overrides the property-level meta."""
    present = [layer for layer in layers if isinstance(layer, dict) and layer]
    if not present:
        return {}
    if len(present) == 1:
        return present[0]
    merged: dict[str, Any] = {}
    for layer in present:
        merged.update(layer)
    return merged


def _depends_on(node: dict[str, Any]) -> tuple[str, ...]:
    return _unique(_dict(node.get("depends_on")).get("nodes"))


def normalise_column_name(name: Any) -> str | None:
    """Lower case, surrounding whitespace and one pair of identifier quotes ("x", `x`, [x]) removed."""
    if not isinstance(name, str):
        return None
    text = name.strip()
    if len(text) >= 2 and text[0] in _QUOTES and text[-1] == _QUOTES[text[0]]:
        text = text[1:-1]
    return text.lower() or None


# ---------------------------------------------------------------------------------------------- tests


def _resolve_model_argument(text: str, deps: tuple[str, ...], resources: dict[str, dict[str, Any]]) -> str | None:
    """Which of the test's dependencies its ``model`` argument ({{ get_where_subquery(ref('x')) }}) names."""
    match = _MODEL_CALL.search(text)
    if match is None:
        return None
    first, second = match.group("first"), match.group("second")
    if match.group("call") == "source":
        if second is None:
            return None
        for dep in deps:
            node = resources.get(dep)
            if (
                node is not None
                and dep.startswith("source.")
                and node.get("source_name") == first
                and (node.get("name") == second)
            ):
                return dep
        return None
    package, name = (first, second) if second is not None else (None, first)
    version = match.group("version")
    for dep in deps:
        node = resources.get(dep)
        if node is None or dep.startswith(("source.", "metric.", "semantic_model.", "exposure.", "saved_query.")):
            continue
        if node.get("name") != name or (package is not None and node.get("package_name") != package):
            continue
        if version is not None and format_version(node.get("version")) != version:
            continue
        return dep
    return None


def _attachment(test: dict[str, Any], deps: tuple[str, ...], manifest: ManifestData) -> tuple[str | None, str | None]:
    """(attached capsule unique_id, None) or (None, why not).

    dbt >= 1.5 writes ``attached_node``; before that (and for some source tests later) it is derived:
    the node named by the test's ``model`` argument (for relationships tests that is the tested model,
    not the ``to`` target), else the only capsule the test depends on. A singular test that reads
    several capsules is attached to none of them: it tests their combination.
    """
    resources = manifest.resources
    attached = test.get("attached_node")
    if isinstance(attached, str) and attached:
        if attached in resources:
            return attached, None
        state = "disabled" if attached in manifest.disabled else "not in the manifest"
        return None, f"dbt attached it to {attached}, which is {state}"
    metadata = _dict(test.get("test_metadata"))
    model_argument = _dict(metadata.get("kwargs")).get("model")
    if isinstance(model_argument, str):
        target = _resolve_model_argument(model_argument, deps, resources)
        if target is not None:
            return target, None
    known = [dep for dep in deps if dep in resources]
    if len(known) == 1:
        return known[0], None
    if known:
        return None, f"it reads {len(known)} capsules ({', '.join(known)}) and does not say which one it tests"
    if not deps:
        return None, "it depends on no node"
    missing = ", ".join(f"{dep} ({'disabled' if dep in manifest.disabled else 'not in the manifest'})" for dep in deps)
    return None, f"it depends only on nodes that are not capsules: {missing}"


def _tests(
    *, manifest: ManifestData, results: dict[str, RunResult], warnings: list[str]
) -> tuple[list[TestRecord], dict[str, list[TestRecord]]]:
    records: list[TestRecord] = []
    by_capsule: dict[str, list[TestRecord]] = {}
    for unique_id, test in manifest.tests.items():
        deps = _depends_on(test)
        attached_to, reason = _attachment(test, deps, manifest)
        if reason is not None:
            warnings.append(f"test {unique_id} is not attached to any capsule: {reason}")
        metadata = _dict(test.get("test_metadata"))
        test_name = _text(metadata.get("name"))
        if test_name is None:
            test_type = "singular"
        else:
            namespace = _text(metadata.get("namespace"))
            test_type = f"{namespace}.{test_name}" if namespace else test_name
        kwargs = _dict(metadata.get("kwargs"))
        column = test.get("column_name")
        if column is None:
            column = kwargs.get("column_name")
        severity = _dict(test.get("config")).get("severity")
        result = results.get(unique_id)
        record = TestRecord(
            unique_id=unique_id,
            urn=test_urn(unique_id=unique_id),
            name=test.get("name") or unique_id,
            test_type=test_type,
            column_name=normalise_column_name(column),
            attached_to=attached_to,
            depends_on=deps,
            severity=severity.lower() if isinstance(severity, str) else None,
            status=result.status if result is not None else None,
            kwargs={key: value for key, value in kwargs.items() if key != "model"},
            package_name=test.get("package_name") or "",
            original_file_path=_text(test.get("original_file_path")),
        )
        records.append(record)
        if attached_to is not None:
            by_capsule.setdefault(attached_to, []).append(record)
    return records, by_capsule


# ---------------------------------------------------------------------------------------------- capsules


def _owner(
    *, capsule_type: str, node: dict[str, Any], meta: dict[str, Any], group: str | None, group_owners: dict
) -> OwnerRecord | None:
    """Exposure's own owner field, else meta.owner, else the owner of the capsule's group."""
    owner = owner_from_value(node.get("owner")) if capsule_type == "exposure" else None
    if owner is None and "owner" in meta:
        owner = owner_from_value(meta["owner"])
    if owner is None and group is not None:
        owner = group_owners.get(group)
    return owner


def _domain(meta: dict[str, Any]) -> str | None:
    value = meta.get("domain")
    if isinstance(value, str):
        value = " ".join(value.split())
        return value or None
    return None


def _drop_empty(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value not in (None, "", [], {})}


def _freshness(node: dict[str, Any], config: dict[str, Any]) -> dict[str, Any] | None:
    """The source freshness rule when it sets a threshold (dbt writes an all-null one otherwise)."""
    freshness = config.get("freshness") or node.get("freshness")
    if not isinstance(freshness, dict):
        return None
    for key in ("warn_after", "error_after"):
        rule = freshness.get(key)
        if isinstance(rule, dict) and rule.get("count") is not None:
            return freshness
    return None


def _attributes(capsule_type: str, node: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """Type-specific facts worth showing; keys with no value are left out."""
    if capsule_type in _RELATIONAL:
        values: dict[str, Any] = {"relation_name": node.get("relation_name")}
        if capsule_type == "source":
            values.update(
                source_name=node.get("source_name"),
                source_description=node.get("source_description"),
                loader=node.get("loader"),
                identifier=node.get("identifier"),
                loaded_at_field=node.get("loaded_at_field") or config.get("loaded_at_field"),
                freshness=_freshness(node, config),
                external=node.get("external"),
            )
        else:
            values.update(
                # An ephemeral model has no relation; dbt inlines it as a CTE named after its alias (identifier).
                alias=node.get("alias") if config.get("materialized") == "ephemeral" else None,
                unique_key=config.get("unique_key"),
                incremental_strategy=config.get("incremental_strategy"),
                on_schema_change=config.get("on_schema_change")
                if config.get("materialized") == "incremental"
                else None,
                deprecation_date=node.get("deprecation_date"),
                primary_key=node.get("primary_key"),
                constraints=node.get("constraints"),
                time_spine=node.get("time_spine") if capsule_type == "model" else None,
            )
            if capsule_type == "snapshot":
                values.update(
                    strategy=config.get("strategy"),
                    updated_at=config.get("updated_at"),
                    check_cols=config.get("check_cols"),
                    target_schema=config.get("target_schema"),
                )
        return _drop_empty(values)
    if capsule_type == "exposure":
        return _drop_empty(
            {
                "type": node.get("type"),
                "url": node.get("url"),
                "maturity": node.get("maturity"),
                "label": node.get("label"),
            }
        )
    if capsule_type == "metric":
        params = _dict(node.get("type_params"))
        measures = [m.get("name") for m in params.get("input_measures") or () if isinstance(m, dict)]
        if not measures and isinstance(params.get("measure"), dict):
            measures = [params["measure"].get("name")]
        return _drop_empty(
            {
                "type": node.get("type") or node.get("calculation_method"),
                "label": node.get("label"),
                # v10+: type_params.expr; dbt 1.3-1.5: expression; dbt 1.0-1.2: sql
                "expression": params.get("expr") or node.get("expression") or node.get("sql"),
                "measures": [m for m in measures if m],
                "metrics": [m.get("name") for m in params.get("metrics") or () if isinstance(m, dict)],
                "numerator": _dict(params.get("numerator")).get("name"),
                "denominator": _dict(params.get("denominator")).get("name"),
                "timestamp": node.get("timestamp"),
                "time_grains": node.get("time_grains"),
                "dimensions": node.get("dimensions"),
            }
        )
    if capsule_type == "semantic_model":
        return _drop_empty(
            {
                "model": node.get("model"),
                "label": node.get("label"),
                "relation_name": _dict(node.get("node_relation")).get("relation_name"),
                "primary_entity": node.get("primary_entity"),
                "entities": [
                    _drop_empty({"name": e.get("name"), "type": e.get("type"), "expr": e.get("expr")})
                    for e in node.get("entities") or ()
                    if isinstance(e, dict)
                ],
                "measures": [
                    _drop_empty({"name": m.get("name"), "agg": m.get("agg"), "expr": m.get("expr")})
                    for m in node.get("measures") or ()
                    if isinstance(m, dict)
                ],
                "dimensions": [
                    _drop_empty({"name": d.get("name"), "type": d.get("type"), "expr": d.get("expr")})
                    for d in node.get("dimensions") or ()
                    if isinstance(d, dict)
                ],
            }
        )
    if capsule_type == "saved_query":
        params = _dict(node.get("query_params"))
        return _drop_empty(
            {
                "label": node.get("label"),
                "metrics": params.get("metrics"),
                "group_by": params.get("group_by"),
                "where": params.get("where"),
                "exports": [e.get("name") for e in node.get("exports") or () if isinstance(e, dict)],
            }
        )
    return {}


def _relation_name(capsule_type: str, node: dict[str, Any], materialization: str | None) -> str | None:
    if capsule_type == "source":
        return _text(node.get("identifier")) or _text(node.get("name"))
    if capsule_type in _RELATIONAL:
        if materialization == "ephemeral":
            return None  # an ephemeral model is inlined as a CTE; no relation exists
        return _text(node.get("alias")) or _text(node.get("name"))
    return None  # exposures, metrics, semantic models and saved queries are not relations themselves


def _checksum(node: dict[str, Any]) -> str:
    checksum = node.get("checksum")
    if isinstance(checksum, dict):
        value = checksum.get("checksum")
        return value if isinstance(value, str) else ""
    return checksum if isinstance(checksum, str) else ""


def _last_run(result: RunResult) -> dict[str, Any]:
    return _drop_empty(
        {
            "status": result.status,
            "execution_time": result.execution_time,
            "completed_at": result.completed_at,
            "rows_affected": result.rows_affected,
            "message": result.message,
        }
    )


def _capsule(
    *,
    unique_id: str,
    node: dict[str, Any],
    catalog_entry: dict[str, Any] | None,
    tests: list[TestRecord] | tuple[()],
    result: RunResult | None,
    statuses_apply: bool,
    group_owners: dict[str, OwnerRecord | None],
    owners: OwnerRegistry,
    warnings: list[str],
    node_digest: str | None = None,
) -> CapsuleRecord:
    capsule_type, config, name, version, urn, meta, group = _identity(unique_id, node)
    package = node.get("package_name") or ""
    materialization = _text(config.get("materialized")) if capsule_type in _RELATIONAL else None
    contract = node.get("contract") if isinstance(node.get("contract"), dict) else _dict(config.get("contract"))
    compiled = _text(node.get("compiled_code")) or _text(node.get("compiled_sql"))
    attributes = _attributes(capsule_type, node, config)
    if result is not None:
        if statuses_apply:
            attributes["last_run"] = _last_run(result)
        if compiled is None and capsule_type in _SQL_TYPES and result.compiled_code:
            compiled = result.compiled_code
            attributes["compiled_sql_source"] = "run_results"
    language = _text(node.get("language"))
    if language is None and capsule_type in _SQL_TYPES:
        language = "sql"  # dbt < 1.3 had SQL models only and did not write the field

    column_tests: dict[str, list[str]] = {}
    for test in tests:
        if test.column_name is not None:
            column_tests.setdefault(test.column_name, []).append(test.test_type)
    declared = node.get("columns")
    warehouse = catalog_entry.get("columns") if catalog_entry is not None else None
    summary = _columns_summary(declared, warehouse)
    columns: tuple[ColumnRecord, ...] | LazyColumns
    if summary is None:  # building them warns: build them now, so the warnings come in order
        columns = _columns(
            unique_id=unique_id, capsule_urn=urn, declared=declared, warehouse=warehouse, column_tests=column_tests,
            model_constraints=node.get("constraints"), warnings=warnings,
        )  # fmt: skip
        count = len(columns)
        documented = sum(1 for column in columns if column.description.strip())
        digest = None
    else:
        count, documented = summary
        columns = LazyColumns(count, partial(
            _columns, unique_id=unique_id, capsule_urn=urn, declared=declared, warehouse=warehouse,
            column_tests=column_tests, model_constraints=node.get("constraints"), warnings=[],
        ))  # fmt: skip
        digest = _columns_digest(unique_id, urn, declared, warehouse, node.get("constraints"), column_tests)
    return CapsuleRecord(
        unique_id=unique_id,
        urn=urn,
        name=name,
        capsule_type=capsule_type,
        package_name=package,
        database=_text(node.get("database")),
        schema=_text(node.get("schema")),
        relation_name=_relation_name(capsule_type, node, materialization),
        fqn=tuple(node.get("fqn") or ()),
        materialization=materialization,
        description=node.get("description") if isinstance(node.get("description"), str) else "",
        tags=_merged_tags(node.get("tags"), config.get("tags")),
        meta=meta,
        original_file_path=_text(node.get("original_file_path")),
        path=_text(node.get("path")),
        access=_text(node.get("access")) or _text(config.get("access")),
        group=group,
        contract_enforced=contract.get("enforced") is True,
        version=version,
        latest_version=format_version(node.get("latest_version")) if capsule_type == "model" else None,
        language=language,
        compiled_sql=compiled,
        raw_sql=_text(node.get("raw_code")) or _text(node.get("raw_sql")),
        checksum=_checksum(node),
        depends_on=_depends_on(node),
        owner=owners.add(
            _owner(capsule_type=capsule_type, node=node, meta=meta, group=group, group_owners=group_owners)
        ),
        domain=_domain(meta),
        attributes=attributes,
        columns=columns,
        tests=tuple(tests),
        test_count=len(tests),
        has_tests=bool(tests),
        doc_coverage=documented / count if count else None,
        catalog_stats=catalog_stats(catalog_entry) if catalog_entry is not None else {},
        in_catalog=catalog_entry is not None,
        columns_digest=digest,
        node_digest=node_digest,
    )


def _with_canonical_owner(capsule: CapsuleRecord, owners: OwnerRegistry) -> CapsuleRecord:
    """Point every capsule at the one OwnerRecord finally kept for its key (rarely differs from the first)."""
    canonical = owners.canonical(capsule.owner)
    if canonical is capsule.owner:
        return capsule
    return replace(capsule, owner=canonical)


# ---------------------------------------------------------------------------------------------- columns


def _columns_summary(declared: Any, warehouse: Any) -> tuple[int, int] | None:
    """(columns, documented columns) that ``_columns`` would build, without building them (a tenth of the cost);
    None when ``_columns`` would warn (names repeated apart from case). Mirrors ``_columns``'s matching: a
    column's description is the YAML's, else the warehouse comment."""
    declared = declared if isinstance(declared, dict) else {}
    warehouse = warehouse if isinstance(warehouse, dict) else {}
    descriptions: dict[str, str] = {}
    for key, column in declared.items():
        if not isinstance(column, dict):
            continue
        lower = (column.get("name") or key).lower()
        if lower in descriptions:
            return None
        description = column.get("description")
        descriptions[lower] = description if isinstance(description, str) else ""
    count = documented = 0
    seen: set[str] = set()
    for key, found in warehouse.items():
        if not isinstance(found, dict):
            continue
        lower = (found.get("name") or key).lower()
        if lower in seen:
            return None
        seen.add(lower)
        count += 1
        description = descriptions.pop(lower, None) if descriptions else None
        if not description:
            comment = found.get("comment")
            description = comment if isinstance(comment, str) else ""
        if description.strip():
            documented += 1
    for description in descriptions.values():
        count += 1
        if description.strip():
            documented += 1
    return count, documented


def _columns_digest(
    unique_id: str, urn: str, declared: Any, warehouse: Any, constraints: Any, column_tests: dict[str, list[str]]
) -> str | None:
    """MD5 of every input of ``_columns`` (JSON as orjson writes it back: key order kept); None if unwritable."""
    try:
        data = orjson.dumps((unique_id, urn, declared, warehouse, constraints, column_tests))
    except (TypeError, orjson.JSONEncodeError):
        return None
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _not_null_columns(declared: dict[str, Any], model_constraints: Any) -> set[str]:
    """Lower-case names of columns a not_null or primary_key constraint declares non-nullable."""
    names: set[str] = set()
    if isinstance(model_constraints, list):
        for constraint in model_constraints:
            if isinstance(constraint, dict) and constraint.get("type") in _NOT_NULL_CONSTRAINTS:
                names.update(c.lower() for c in constraint.get("columns") or () if isinstance(c, str))
    for key, column in declared.items():
        if isinstance(column, dict) and column.get("constraints"):
            for constraint in column["constraints"]:
                if isinstance(constraint, dict) and constraint.get("type") in _NOT_NULL_CONSTRAINTS:
                    names.add((column.get("name") or key).lower())
    return names


def _columns(
    *,
    unique_id: str,
    capsule_urn: str,
    declared: Any,
    warehouse: Any,
    column_tests: dict[str, list[str]],
    model_constraints: Any,
    warnings: list[str],
) -> tuple[ColumnRecord, ...]:
    """The union of the YAML's and the warehouse's columns, matched case-insensitively.

    Order: the warehouse's (catalog index), then columns only the YAML declares, in YAML order. The name
    keeps the YAML's spelling (what the project's authors write) and falls back to the warehouse's.
    """
    declared = declared if isinstance(declared, dict) else {}
    warehouse = warehouse if isinstance(warehouse, dict) else {}
    if not declared and not warehouse:
        return ()
    by_lower: dict[str, tuple[str, dict[str, Any]]] = {}
    for key, column in declared.items():
        if not isinstance(column, dict):
            continue
        name = column.get("name") or key
        lower = name.lower()
        if lower in by_lower:
            warnings.append(
                f"{unique_id} declares column '{name}' twice (names differ only in case); the first was kept"
            )
            continue
        by_lower[lower] = (name, column)
    not_null = _not_null_columns(declared, model_constraints) if declared else set()
    for lower, types in column_tests.items():
        if "not_null" in types:
            not_null.add(lower)

    records: list[ColumnRecord] = []
    seen: set[str] = set()
    previous_index, in_order = 0, True
    for key, found in warehouse.items():
        if not isinstance(found, dict):
            continue
        warehouse_name = found.get("name") or key
        lower = warehouse_name.lower()
        if lower in seen:
            warnings.append(
                f"{unique_id}: the warehouse has two columns named '{warehouse_name}' apart from case; "
                "only the first was kept"
            )
            continue
        seen.add(lower)
        index = found.get("index")
        if not isinstance(index, int):
            index = None
        elif in_order:
            in_order = index >= previous_index
            previous_index = index
        match = by_lower.pop(lower, None) if by_lower else None
        if match is None:
            name, description, meta, tags, constraints, data_type = warehouse_name, "", {}, (), (), None
        else:
            name, column = match
            description, meta, tags, constraints = _declared_parts(column)
            data_type = column.get("data_type")
        if not description:
            comment = found.get("comment")
            description = comment if isinstance(comment, str) else ""
        tests = column_tests.get(lower)
        records.append(
            ColumnRecord(
                name=name,
                urn=f"{capsule_urn}:{lower}",
                data_type=found.get("type") or data_type,
                description=description,
                meta=meta,
                tags=tags,
                constraints=constraints,
                ordinal_position=index,
                is_nullable=False if lower in not_null else None,
                stats={k: v for k, v in found.items() if k not in _CATALOG_COLUMN_KEYS} if len(found) > 4 else {},
                in_manifest=match is not None,
                in_catalog=True,
                tests=tuple(tests) if tests else (),
                test_count=len(tests) if tests else 0,
            )
        )
    if not in_order:  # dbt writes catalog columns by index; sort if a hand-made file did not
        records.sort(key=lambda record: (record.ordinal_position is None, record.ordinal_position or 0))
    for lower, (name, column) in by_lower.items():
        description, meta, tags, constraints = _declared_parts(column)
        tests = column_tests.get(lower)
        records.append(
            ColumnRecord(
                name=name,
                urn=column_urn(capsule_urn=capsule_urn, column_name=lower),
                data_type=_text(column.get("data_type")),
                description=description,
                meta=meta,
                tags=tags,
                constraints=constraints,
                ordinal_position=None,
                is_nullable=False if lower in not_null else None,
                stats={},
                in_manifest=True,
                in_catalog=False,
                tests=tuple(tests) if tests else (),
                test_count=len(tests) if tests else 0,
            )
        )
    return tuple(records)


def _declared_parts(column: dict[str, Any]) -> tuple[str, dict[str, Any], tuple[str, ...], tuple[dict, ...]]:
    """Description, meta, tags and constraints of a YAML column (dbt 1.10+ also nests meta/tags in config)."""
    description = column.get("description")
    meta = column.get("meta")
    meta = meta if isinstance(meta, dict) else {}
    tags = column.get("tags")
    tags = _unique(tags) if tags else ()
    config = column.get("config")
    if config and isinstance(config, dict):
        config_meta, config_tags = config.get("meta"), config.get("tags")
        # dbt 1.10+ writes the same meta and tags in both places; merge only when they differ
        if config_meta and config_meta != meta:
            meta = _merged_meta(meta, config_meta)
        if config_tags and list(tags) != config_tags:
            tags = _merged_tags(list(tags), config_tags)
    constraints = column.get("constraints")
    return (
        description if isinstance(description, str) else "",
        meta,
        tags,
        tuple(c for c in constraints if isinstance(c, dict)) if constraints else (),
    )


# ---------------------------------------------------------------------------------------------- edges


def _edges(*, capsules: list[CapsuleRecord], disabled: frozenset[str], warnings: list[str]) -> list[EdgeRecord]:
    by_id = {capsule.unique_id: capsule for capsule in capsules}
    edges: list[EdgeRecord] = []
    for capsule in capsules:
        edge_type = _EDGE_TYPE_BY_TARGET.get(capsule.capsule_type, "flows_to")
        for dep in capsule.depends_on:
            upstream = by_id.get(dep)
            if upstream is None:
                state = "disabled" if dep in disabled else "not in the manifest"
                warnings.append(f"{capsule.unique_id} depends on {dep}, which is {state}: that edge was skipped")
                continue
            if dep == capsule.unique_id:
                continue
            edges.append(
                EdgeRecord(
                    source_unique_id=dep,
                    target_unique_id=capsule.unique_id,
                    source_urn=upstream.urn,
                    target_urn=capsule.urn,
                    edge_type=edge_type,
                )
            )
    return edges


def _check_catalog_match(
    *, catalog: CatalogData, resources: dict[str, dict[str, Any]], matched: int, warnings: list[str]
) -> None:
    """Warn about catalog entries the manifest lacks, loudly when most of the catalog does not match."""
    total = len(catalog.entries)
    if total == 0:
        warnings.append("catalog.json lists no tables or views: warehouse columns and types are unknown")
        return
    unmatched = [unique_id for unique_id in catalog.entries if unique_id not in resources]
    if not unmatched:
        return
    if matched < total / 2:
        warnings.append(
            f"catalog.json does not seem to belong to this manifest: only {matched} of its {total} entries match "
            "a manifest node. Was it generated from another project or target? Warehouse columns and types "
            "are missing for the rest."
        )
        return
    listed = ", ".join(unmatched[:_MAX_LISTED]) + (", ..." if len(unmatched) > _MAX_LISTED else "")
    warnings.append(
        f"catalog.json has {len(unmatched)} entr{'y' if len(unmatched) == 1 else 'ies'} for nodes the manifest "
        f"lacks, ignored: {listed}"
    )


def _check_run_results_match(*, run_results: RunResultsData, manifest: ManifestData, warnings: list[str]) -> None:
    """Warn when run_results names models, tests... that the manifest lacks (an older or other run)."""
    unknown = [
        unique_id
        for unique_id in run_results.results
        if unique_id.startswith(_RUN_RESULT_KINDS)
        and unique_id not in manifest.resources
        and unique_id not in manifest.tests
        and unique_id not in manifest.disabled
    ]
    if unknown:
        listed = ", ".join(unknown[:_MAX_LISTED]) + (", ..." if len(unknown) > _MAX_LISTED else "")
        warnings.append(
            f"run_results.json has {len(unknown)} result(s) for nodes the manifest lacks, ignored: {listed}"
        )
