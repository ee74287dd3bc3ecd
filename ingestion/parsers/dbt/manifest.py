"""Unpacking manifest.json (schemas v1 to v12, newer ones best-effort) into the parts the merge needs."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ingestion.records import ProjectRecord

from ._loading import ParseError, check_kind, gc_paused, load_artifact, schema_url, schema_version, type_name

__all__ = ["NEWEST_MANIFEST_SCHEMA", "ManifestData", "parse_manifest"]

NEWEST_MANIFEST_SCHEMA = 12

# top-level collections whose entries can become capsules, in the order capsules are emitted
_CAPSULE_COLLECTIONS = ("nodes", "sources", "exposures", "metrics", "semantic_models", "saved_queries")
_CAPSULE_NODE_TYPES = frozenset({"model", "seed", "snapshot"})
# node resource types that are known and deliberately not capsules -> stats key
_IGNORED_NODE_TYPES = {
    "analysis": "ignored_analyses",
    "operation": "ignored_operations",
    "sql_operation": "ignored_operations",
    "rpc": "ignored_operations",
    "unit_test": "ignored_unit_tests",
}
# top-level collections that are ignored entirely -> stats key
_IGNORED_COLLECTIONS = {
    "macros": "ignored_macros",
    "docs": "ignored_docs",
    "unit_tests": "ignored_unit_tests",
    "functions": "ignored_functions",
}
_COLLECTION_TYPES = {
    "sources": "source",
    "exposures": "exposure",
    "metrics": "metric",
    "semantic_models": "semantic_model",
    "saved_queries": "saved_query",
}


@dataclass(frozen=True, slots=True)
class ManifestData:
    """The enabled resources of a manifest, sorted into what becomes capsules and what are data tests.

    ``resources`` and ``tests`` map unique_id to dbt's own (NUL-free) JSON object, in manifest order;
    ``groups`` maps a group's name to its JSON object; ``disabled`` holds every disabled unique_id.
    """

    project: ProjectRecord
    resources: dict[str, dict[str, Any]]
    tests: dict[str, dict[str, Any]]
    groups: dict[str, dict[str, Any]]
    disabled: frozenset[str]
    stats: dict[str, int]
    warnings: tuple[str, ...]


def parse_manifest(data: bytes, *, project_name: str | None = None) -> ManifestData:
    """Parse manifest.json bytes; raise ParseError when they are not a usable manifest.

    ``project_name`` names the root project when the manifest does not (schemas before v10 do not
    store it); when both exist and differ, the argument wins and a warning says so.
    Cost: one orjson pass plus one pass over the nodes; the garbage collector is paused meanwhile.
    """
    with gc_paused():
        document = load_artifact(data, artifact="manifest")
        return _unpack(document, project_name=project_name)


def _collection(document: dict[str, Any], key: str) -> dict[str, Any]:
    value = document.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ParseError(
            f"manifest.json '{key}' must be an object keyed by unique_id, but it is {type_name(value)}",
            artifact="manifest",
        )
    return value


def _unpack(document: dict[str, Any], *, project_name: str | None) -> ManifestData:
    check_kind(document, artifact="manifest")
    warnings: list[str] = []
    url = schema_url(document)
    version = schema_version(url)
    if url is None:
        warnings.append("manifest.json has no metadata.dbt_schema_version; it was read as the newest known schema")
    elif version is not None and version > NEWEST_MANIFEST_SCHEMA:
        warnings.append(
            f"manifest schema v{version} is newer than the newest this parser knows (v{NEWEST_MANIFEST_SCHEMA}): "
            "the fields it understands were ingested, anything new was ignored"
        )
    collections = {key: _collection(document, key) for key in _CAPSULE_COLLECTIONS}
    if not collections["nodes"] and not collections["sources"]:
        raise ParseError(
            "manifest.json has no nodes and no sources: there is nothing to ingest "
            "(was it written for an empty project, or is it another JSON file?)",
            artifact="manifest",
        )

    stats: Counter[str] = Counter()
    resources: dict[str, dict[str, Any]] = {}
    tests: dict[str, dict[str, Any]] = {}
    disabled: set[str] = set()
    unknown_types: Counter[str] = Counter()
    for key, collection in collections.items():
        default_type = _COLLECTION_TYPES.get(key)
        for map_key, node in collection.items():
            if not isinstance(node, dict):
                raise ParseError(
                    f"manifest.json {key} entry '{map_key}' must be an object, but it is {type_name(node)}",
                    artifact="manifest",
                )
            unique_id = node.get("unique_id")
            if not isinstance(unique_id, str) or not unique_id:
                raise ParseError(f"manifest.json {key} entry '{map_key}' has no unique_id", artifact="manifest")
            resource_type = node.get("resource_type") or default_type or unique_id.partition(".")[0]
            config = node.get("config")
            if isinstance(config, dict) and config.get("enabled") is False:
                disabled.add(unique_id)
                stats["disabled"] += 1
                continue
            if resource_type == "test":
                tests[unique_id] = node
            elif resource_type in _CAPSULE_NODE_TYPES or key != "nodes":
                resources[unique_id] = node
            elif resource_type in _IGNORED_NODE_TYPES:
                stats[_IGNORED_NODE_TYPES[resource_type]] += 1
            else:
                unknown_types[resource_type] += 1
    for resource_type, count in sorted(unknown_types.items()):
        stats["ignored_unknown"] += count
        warnings.append(f"{count} manifest node(s) of unknown resource type '{resource_type}' were ignored")

    disabled_section = document.get("disabled")
    if isinstance(disabled_section, dict):  # schema v4+: unique_id -> [node, ...]
        for unique_id, entries in disabled_section.items():
            disabled.add(unique_id)
            stats["disabled"] += len(entries) if isinstance(entries, list) else 1
    elif isinstance(disabled_section, list):  # schemas v1-v3: a list of nodes
        for entry in disabled_section:
            if isinstance(entry, dict) and isinstance(entry.get("unique_id"), str):
                disabled.add(entry["unique_id"])
            stats["disabled"] += 1
    # a unique_id can be both enabled and disabled (two configs of one resource); enabled wins
    disabled.difference_update(resources)
    disabled.difference_update(tests)

    for key, stats_key in _IGNORED_COLLECTIONS.items():
        section = document.get(key)
        if isinstance(section, dict | list):
            stats[stats_key] += len(section)

    groups: dict[str, dict[str, Any]] = {}
    for group in _collection(document, "groups").values():
        if isinstance(group, dict) and isinstance(group.get("name"), str):
            groups.setdefault(group["name"], group)

    project = _project(
        document,
        resources=resources,
        tests=tests,
        url=url,
        version=version,
        project_name=project_name,
        warnings=warnings,
    )
    return ManifestData(
        project=project,
        resources=resources,
        tests=tests,
        groups=groups,
        disabled=frozenset(disabled),
        stats=dict(stats),
        warnings=tuple(warnings),
    )


def _parse_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _project(
    document: dict[str, Any],
    *,
    resources: dict[str, dict[str, Any]],
    tests: dict[str, dict[str, Any]],
    url: str | None,
    version: int | None,
    project_name: str | None,
    warnings: list[str],
) -> ProjectRecord:
    """The root project's record. Its name: the argument, else metadata.project_name (schema v10+),
    else the package whose md5 equals metadata.project_id (dbt derives project_id that way), else the
    package owning most resources (with a warning, since installed packages can outnumber the project).
    """
    metadata = document.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    project_id = metadata.get("project_id") if isinstance(metadata.get("project_id"), str) else None
    stated = metadata.get("project_name") if isinstance(metadata.get("project_name"), str) else None
    name = project_name or stated
    if project_name and stated and project_name != stated:
        warnings.append(f"the manifest names its project '{stated}' but '{project_name}' was given; using the latter")
    if not name:
        packages = Counter(node.get("package_name") for node in resources.values())
        packages.update(node.get("package_name") for node in tests.values())
        packages.pop(None, None)
        if project_id:
            for package in packages:
                digest = hashlib.md5(str(package).encode(), usedforsecurity=False).hexdigest()
                if digest == project_id:
                    name = package
                    break
        if not name and packages:
            name = packages.most_common(1)[0][0]
            warnings.append(
                f"the manifest does not name its project; assumed '{name}', the package with most resources "
                "(pass project_name to be sure)"
            )
    return ProjectRecord(
        name=name or "dbt_project",
        adapter_type=metadata.get("adapter_type"),
        dbt_version=metadata.get("dbt_version"),
        dbt_schema_version=url,
        schema_version=version,
        generated_at=_parse_datetime(metadata.get("generated_at")),
        invocation_id=metadata.get("invocation_id"),
        project_id=project_id,
    )
