"""Reading catalog.json (schema v1 in every dbt version): what the warehouse says each relation holds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._loading import ParseError, check_kind, gc_paused, load_artifact, schema_version, type_name

__all__ = ["CatalogData", "catalog_stats", "parse_catalog"]

NEWEST_CATALOG_SCHEMA = 1

# catalog stats ids (they differ per adapter) -> our key
_STAT_KEYS = {
    "row_count": "row_count",  # Snowflake, Redshift (rows), Databricks
    "num_rows": "row_count",  # BigQuery
    "rows": "row_count",
    "bytes": "bytes",  # Snowflake
    "num_bytes": "bytes",  # BigQuery
    "size": "bytes",
    "last_modified": "last_modified",
}


@dataclass(frozen=True, slots=True)
class CatalogData:
    """The catalog's entries (nodes and sources together) by unique_id, as dbt wrote them."""

    entries: dict[str, dict[str, Any]]
    dbt_version: str | None
    generated_at: str | None
    invocation_id: str | None
    errors: tuple[str, ...]  # errors dbt itself recorded while generating the catalog
    warnings: tuple[str, ...]


def parse_catalog(data: bytes) -> CatalogData:
    """Parse catalog.json bytes; raise ParseError when they are not a usable catalog."""
    with gc_paused():
        document = load_artifact(data, artifact="catalog")
        check_kind(document, artifact="catalog")
        warnings: list[str] = []
        metadata = document.get("metadata") if isinstance(document.get("metadata"), dict) else {}
        version = schema_version(metadata.get("dbt_schema_version"))
        if version is not None and version > NEWEST_CATALOG_SCHEMA:
            warnings.append(
                f"catalog schema v{version} is newer than the newest this parser knows (v{NEWEST_CATALOG_SCHEMA}): "
                "the fields it understands were ingested"
            )
        entries: dict[str, dict[str, Any]] = {}
        for key in ("nodes", "sources"):
            section = document.get(key)
            if section is None:
                continue
            if not isinstance(section, dict):
                raise ParseError(
                    f"catalog.json '{key}' must be an object keyed by unique_id, but it is {type_name(section)}",
                    artifact="catalog",
                )
            for unique_id, entry in section.items():
                if not isinstance(entry, dict):
                    raise ParseError(
                        f"catalog.json {key} entry '{unique_id}' must be an object, but it is {type_name(entry)}",
                        artifact="catalog",
                    )
                columns = entry.get("columns")
                if columns is not None and not isinstance(columns, dict):
                    raise ParseError(
                        f"catalog.json {key} entry '{unique_id}' has 'columns' that is {type_name(columns)}, "
                        "not an object keyed by column name",
                        artifact="catalog",
                    )
                entries[unique_id] = entry
        if "nodes" not in document and "sources" not in document:
            raise ParseError("catalog.json has neither 'nodes' nor 'sources'", artifact="catalog")
        errors = document.get("errors")
        return CatalogData(
            entries=entries,
            dbt_version=metadata.get("dbt_version"),
            generated_at=metadata.get("generated_at"),
            invocation_id=metadata.get("invocation_id"),
            errors=tuple(str(error) for error in errors) if isinstance(errors, list) else (),
            warnings=tuple(warnings),
        )


def catalog_stats(entry: dict[str, Any]) -> dict[str, Any]:
    """Table-level facts from one catalog entry: row_count, bytes, last_modified, table_type, owner, comment."""
    stats: dict[str, Any] = {}
    metadata = entry.get("metadata")
    if isinstance(metadata, dict):
        for key, target in (("type", "table_type"), ("owner", "owner"), ("comment", "comment")):
            value = metadata.get(key)
            if value not in (None, ""):
                stats[target] = value
    raw_stats = entry.get("stats")
    if isinstance(raw_stats, dict):
        for stat_id, stat in raw_stats.items():
            target = _STAT_KEYS.get(stat_id)
            if target is None or not isinstance(stat, dict) or not stat.get("include", True):
                continue
            value = stat.get("value")
            if value is not None:
                stats[target] = int(value) if isinstance(value, float) and value.is_integer() else value
    return stats
