"""A project's state as DAB stored it, in the shape the pure diff compares (``ingestion.changes.state``)."""

from __future__ import annotations

from typing import Any

import orjson

from catalog.choices import INFERRED_ORIGINS
from catalog.models import Capsule, Column, SourceSystem
from lineage.models import SQL_ONLY_EDGE, CapsuleLineage

from .state import CapsuleState, ColumnState, ProjectState, config_digest, owner_label, sql_digest, test_key

__all__ = ["project_state_read", "source_system_find", "source_system_names"]


def _json(value: Any, empty: Any) -> Any:
    if value is None or value in ("", "[]", "{}"):
        return empty
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def source_system_find(*, name: str) -> SourceSystem | None:
    return SourceSystem.objects.filter(name=name).first()


def project_state_read(*, source_system: SourceSystem) -> ProjectState:
    """Everything of one stored project the change report compares, PII facts included. Three queries (capsules,
    their declared columns, capsule edges), read as tuples; about 1 s for 10,000 models and 376,000 columns."""
    state = ProjectState(name=source_system.name, adapter=(source_system.meta or {}).get("adapter_type"))
    by_id: dict[Any, CapsuleState] = {}
    rows = (
        Capsule.objects.filter(source_system=source_system)
        .values_list(
            "id",
            "urn",
            "unique_id",
            "name",
            "capsule_type",
            "original_file_path",
            "checksum",
            "compiled_sql",
            "materialization",
            "attributes",
            "tags",
            "group_name",
            "contract_enforced",
            "access",
            "version",
            "owner__name",
            "owner__email",
            "domain__name",
            "layer",
            "database_name",
            "schema_name",
            "relation_name",
            "tests",
        )  # fmt: skip
        .order_by()
    )
    for (pk, urn, unique_id, name, capsule_type, path, checksum, sql, materialization, attributes, tags, group,
         contract, access, version, owner_name, owner_email, domain, layer, database, schema, relation,
         tests) in rows.iterator(chunk_size=2000):  # fmt: skip
        attributes = _json(attributes, {})
        deprecation = attributes.get("deprecation_date")
        capsule = CapsuleState(
            urn=urn, unique_id=unique_id, name=name, capsule_type=capsule_type, path=path, checksum=checksum or None,
            sql_digest=sql_digest(sql), materialization=materialization,
            config_digest=config_digest(attributes=attributes, tags=_json(tags, []), materialization=materialization,
                                        group=group),
            contract_enforced=bool(contract), access=access, version=version,
            deprecation_date=str(deprecation) if deprecation else None, owner=owner_label(owner_name, owner_email),
            domain=domain, layer=layer, relation=".".join(p for p in (database, schema, relation) if p) or None,
            compiled_sql=sql,
            tests={test_key(test_type=t.get("test_type", ""), column=t.get("column"), kwargs=t.get("kwargs"),
                            name=t.get("name", "")): t.get("name", "") for t in _json(tests, [])},
        )  # fmt: skip
        state.capsules[urn] = capsule
        by_id[pk] = capsule
    columns = (
        Column.objects.filter(capsule__source_system=source_system)
        .exclude(origin__in=INFERRED_ORIGINS)
        .values_list(
            "capsule_id", "name", "data_type", "in_manifest", "in_catalog", "pii_type", "pii_masked", "ordinal_position"
        )  # fmt: skip
        .order_by("capsule_id", "ordinal_position", "name")
    )
    has_catalog = False
    for capsule_id, name, data_type, in_manifest, in_catalog, pii_type, masked, _ in columns.iterator(chunk_size=5000):
        capsule = by_id.get(capsule_id)
        if capsule is not None:
            capsule.columns[name.lower()] = ColumnState(name, data_type, in_manifest, in_catalog, pii_type, masked)
            has_catalog = has_catalog or in_catalog
    state.has_catalog = has_catalog
    ids = list(by_id)
    urn_of = {pk: c.urn for pk, c in by_id.items()}
    edges = CapsuleLineage.objects.exclude(edge_type=SQL_ONLY_EDGE).values_list("source_id", "target_id").order_by()
    if len(ids) < 5000:  # a larger project: all edges in one scan beats a huge IN list
        edges = edges.filter(target_id__in=ids)
    for source, target in edges.iterator(chunk_size=5000):
        if target in urn_of and source in urn_of:
            state.downstream.setdefault(urn_of[source], set()).add(urn_of[target])
    return state


def source_system_names() -> list[str]:
    """Names of the stored projects, for a choice list; one query."""
    return list(SourceSystem.objects.order_by("name").values_list("name", flat=True))
