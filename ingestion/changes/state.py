"""One state of a dbt project, reduced to what a change report compares. Pure: no Django.

A state is built from parsed artifacts (``state_from_parsed``) or from what DAB stored
(``ingestion.changes.selectors.project_state_read``); both give the same shape, so the diff never knows
where a side came from. Only what the loader owns is compared: columns inferred by column lineage are left
out, and PII facts are filled in only by the stored side (the classifier runs after the load).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

from ingestion import conventions as conv
from ingestion.records import CapsuleRecord, KeptCapsule, ParsedProject, TestRecord

__all__ = [
    "CapsuleState", "ColumnState", "ProjectState", "columns_unpack", "sql_digest", "state_from_parsed", "test_key",
]  # fmt: skip

# Attributes that change on every run (or are bookkeeping) and say nothing about the model's configuration.
VOLATILE_ATTRIBUTES = frozenset({
    "last_run", "compiled_sql_source", "catalog_stats", "in_catalog", "owner_source", "domain_source", "dbt_owner",
    "fqn", "path", "latest_version", "language", "relation_name",
    "pii_fingerprint",  # pii.services.PII_FINGERPRINT_KEY: the classifier's bookkeeping, not configuration
})  # fmt: skip


class ColumnState(NamedTuple):
    """A tuple: a 376,000-column project builds and compares these in C, not through dataclass code."""

    name: str  # as the project spells it
    data_type: str | None
    in_manifest: bool = True
    in_catalog: bool = False
    pii_type: str | None = None
    pii_masked: bool = False


@dataclass(slots=True)
class CapsuleState:
    urn: str
    unique_id: str | None
    name: str
    capsule_type: str
    path: str | None  # original_file_path
    checksum: str | None
    sql_digest: str | None  # of the compiled SQL with whitespace collapsed; None without SQL
    materialization: str | None
    config_digest: str  # of the configuration facts (attributes, tags, materialization, group)
    contract_enforced: bool
    access: str | None
    version: str | None
    deprecation_date: str | None
    owner: str | None  # "name <email>" or either part
    domain: str | None
    layer: str | None = None
    relation: str | None = None  # database.schema.relation
    compiled_sql: str | None = None  # None in stored states until asked for (ProjectState.compiled_sql)
    # lower-case name -> column; empty until ProjectState.columns_of while the state holds them packed
    columns: dict[str, ColumnState] = field(default_factory=dict)
    tests: dict[tuple, str] = field(default_factory=dict)  # test_key -> the test's name

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}" if self.version else self.name


@dataclass(slots=True)
class ProjectState:
    """Capsules by URN and capsule-level lineage (upstream URN -> downstream URNs) of one project."""

    name: str
    adapter: str | None
    capsules: dict[str, CapsuleState] = field(default_factory=dict)
    downstream: dict[str, set[str]] = field(default_factory=dict)
    has_catalog: bool = True
    # False for parsed artifacts: a steward's owner or domain, kept by DAB while dbt names none, is not in them
    stewarded: bool = True

    # Fetches compiled SQL the state was read without (stored states): URNs -> SQL, asked only for the few models
    # whose column lineage a report needs.
    sql_source: Callable[[list[str]], dict[str, str]] | None = None
    # A stored state read without its columns (``project_state_read(columns=False)``): reads those of the capsules
    # named, by URN, into the state (the change history reads only the columns an ingestion may change).
    columns_reader: Callable[[Iterable[str]], None] | None = None
    # A stored state read on PostgreSQL: by URN, the MD5 of the capsule's declared columns as the database packed
    # them, so a later read in the same transaction reuses the columns that kept their digest.
    column_digests: dict[str, str] = field(default_factory=dict)
    # The same for each capsule's row: capsule id (as the reader keys it) -> (MD5 of the row, URN).
    row_digests: dict[Any, tuple[str, str]] = field(default_factory=dict)
    # Columns read but not yet unpacked, by URN (``columns_unpack``'s text): ``columns_of`` fills the capsule's
    # columns dict in place on first use. The preview's head shares this dict, and the columns dicts, with its base.
    packed: dict[str, str] = field(default_factory=dict)

    def compiled_sql(self, urn: str) -> str | None:
        capsule = self.capsules.get(urn)
        if capsule is None or capsule.sql_digest is None:
            return None
        if capsule.compiled_sql is None and self.sql_source is not None:
            capsule.compiled_sql = self.sql_source([urn]).get(urn)
        return capsule.compiled_sql

    def columns_of(self, urn: str) -> dict[str, ColumnState]:
        """The capsule's columns, unpacked now if they were read packed. Code that reads the columns of capsules
        the diff did not compare (lineage of readers, the drawn subgraph) goes through here."""
        capsule = self.capsules[urn]
        text = self.packed.pop(urn, None)
        if text is not None:
            capsule.columns.update(columns_unpack(text))
        return capsule.columns

    def upstream_of(self, urn: str) -> list[str]:
        return sorted(up for up, downs in self.downstream.items() if urn in downs)


def columns_unpack(text: str) -> dict[str, ColumnState]:
    """Columns packed by the database (``ingestion.changes.selectors``): fields joined by chr(31), columns by
    chr(30), chr(2) for NULL; by lower-case name."""
    out = {}
    for item in text.split("\x1e"):
        name, data_type, in_manifest, in_catalog, pii_type, masked = item.split("\x1f")
        out[name.lower()] = _column((
            name, None if data_type == "\x02" else data_type, in_manifest == "1", in_catalog == "1",
            None if pii_type == "\x02" else pii_type, masked == "1",
        ))  # fmt: skip
    return out


def sql_digest(sql: str | None) -> str | None:
    """MD5 of the compiled SQL as written (None without SQL). Byte for byte, so PostgreSQL computes the same
    digest of a stored model (``md5(compiled_sql)``) without sending its SQL over."""
    if not sql or not sql.strip(" \t\n\r\f"):  # as PostgreSQL's btrim in the stored read
        return None
    return hashlib.md5(sql.encode(), usedforsecurity=False).hexdigest()


def config_digest(*, attributes: dict[str, Any], tags: Any, materialization: str | None, group: str | None) -> str:
    kept = {k: v for k, v in (attributes or {}).items() if k not in VOLATILE_ATTRIBUTES}
    value = [kept, sorted(tags or ()), materialization, group]
    return hashlib.md5(orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str), usedforsecurity=False).hexdigest()


def test_key(*, test_type: str, column: str | None, kwargs: dict[str, Any] | None, name: str) -> tuple:
    """A test's identity on its capsule, independent of the capsule's name (dbt's test names embed it)."""
    if test_type == "singular":
        return ("singular", name)
    shown = orjson.dumps(kwargs or {}, option=orjson.OPT_SORT_KEYS, default=str).decode()
    return (test_type, (column or "").lower(), shown)


def owner_label(name: str | None, email: str | None) -> str | None:
    if name and email and name.lower() != email.lower():
        return f"{name} <{email}>"
    return name or email or None


_column = ColumnState._make


def _capsule_state(
    record: CapsuleRecord, conventions: Any, project: str, columns: dict[str, ColumnState] | None = None
) -> CapsuleState:
    deprecation = record.attributes.get("deprecation_date")
    tests: dict[tuple, str] = {}
    for test in record.tests:
        tests[_record_test_key(test)] = test.name
    relation = ".".join(p for p in (record.database, record.schema, record.relation_name) if p) or None
    return CapsuleState(
        urn=record.urn, unique_id=record.unique_id, name=record.name, capsule_type=record.capsule_type,
        path=record.original_file_path, checksum=record.checksum or None, sql_digest=sql_digest(record.compiled_sql),
        materialization=record.materialization,
        config_digest=config_digest(attributes=record.attributes, tags=record.tags,
                                    materialization=record.materialization, group=record.group),
        contract_enforced=record.contract_enforced, access=record.access, version=record.version,
        deprecation_date=str(deprecation) if deprecation else None,
        owner=owner_label(record.owner.name, record.owner.email) if record.owner else None,
        domain=record.domain or (conv.infer_domain(record, conventions, project_name=project) if conventions else None),
        layer=conv.infer_layer(record, conventions) if conventions else None, relation=relation,
        compiled_sql=record.compiled_sql,
        columns=columns if columns is not None else {
            c.name.lower(): _column((c.name, c.data_type, c.in_manifest, c.in_catalog, None, False))
            for c in record.columns
        },
        tests=tests,
    )  # fmt: skip


def _record_test_key(test: TestRecord) -> tuple:
    return test_key(test_type=test.test_type, column=test.column_name, kwargs=test.kwargs, name=test.name)


def state_from_parsed(
    parsed: ParsedProject,
    *,
    conventions: conv.Conventions | None = None,
    same_columns: dict[str, dict[str, ColumnState]] | None = None,
    kept: dict[str, CapsuleState] | None = None,
) -> ProjectState:
    """The state parsed artifacts describe (no PII facts: those come from the classifier). With ``conventions``,
    layers and domains dbt does not name are inferred as the loader infers them. ``same_columns`` gives, by URN,
    the columns of capsules known to be those another state holds (the loader kept them: same inputs), which are
    then not built from the records. ``kept`` gives, by URN, the states of the capsules the parser kept (no record:
    ``ParsedProject.kept``), known to compare equal to what their records would give (``NodeDigest``); kept
    capsules it lacks are left out (the other state left them out too)."""
    state = ProjectState(name=parsed.project.name, adapter=parsed.project.adapter_type, stewarded=False)
    same_columns = same_columns or {}
    for record in parsed.in_order():
        if isinstance(record, KeptCapsule):
            if record.urn in kept:  # type: ignore[operator]  # those left out equal on both sides are left out here
                state.capsules[record.urn] = kept[record.urn]  # type: ignore[index]
            continue
        state.capsules[record.urn] = _capsule_state(
            record, conventions, parsed.project.name, same_columns.get(record.urn)
        )
    for edge in parsed.edges:
        state.downstream.setdefault(edge.source_urn, set()).add(edge.target_urn)
    state.has_catalog = any(c.in_catalog for c in parsed.in_order())
    return state
