"""Load a parsed dbt project into the catalog: diff against what is stored, write only the difference.

``project_load`` must run inside the ingestion transaction (``ingestion.services`` holds the lock):

1. upsert the source system (one per dbt project), its owners and domains;
2. read what is stored for that source system: URN, id and content hash of each capsule and column,
   and its capsule edges (three queries);
3. hash each parsed row; insert the new ones, update the changed ones, leave the rest alone;
4. delete what vanished from that project (and only that project), children first.

A row's content hash covers every value the loader owns, so an unchanged re-ingest writes nothing.
Values that other steps own (PII classification, semantic types, column-lineage status) and steward
edits are never overwritten: an owner or domain set in the admin survives unless dbt now names one.
The one exception is a capsule's first load: its columns are inserted already classified, exactly as
the PII step would classify them (catalog.services.NewColumnClassifier), to spare rewriting every row.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from django.db import connection
from django.db.models import Q
from django.db.models.fields.json import KT
from django.utils import timezone

from catalog.choices import INFERRED_ORIGINS, ColumnOrigin, LineageStatus
from catalog.models import Capsule, Column, Domain, Owner, SourceSystem
from catalog.querysets import db_key, sql_among
from catalog.services import PiiValues
from dab_project.bulk import bulk_delete, bulk_insert, bulk_update, json_text
from dab_project.ids import ordered_uuid, ordered_uuid_hexes
from dab_project.progress import counted
from ingestion import conventions as conv
from ingestion.models import ColumnsDigest, NodeDigest
from ingestion.records import CapsuleRecord, ColumnRecord, KeptCapsule, OwnerRecord, ParsedProject, TestRecord
from lineage.models import LINEAGE_TYPES, SQL_ONLY_EDGE, CapsuleLineage
from pii.services import PII_FINGERPRINT_KEY, pii_new_column_classifier

# Who set a capsule's owner/domain; steward values are kept until dbt itself names one.
SOURCE_DBT = "dbt"
SOURCE_CONVENTION = "convention"
SOURCE_STEWARD = "steward"

CAPSULE_COLUMNS = (
    "urn", "name", "capsule_type", "source_system_id", "database_name", "schema_name", "domain_id", "owner_id",
    "layer", "materialization", "description", "meta", "tags", "has_tests", "test_count", "doc_coverage",
    "unique_id", "relation_name", "package_name", "original_file_path", "access", "group_name",
    "contract_enforced", "version", "checksum", "compiled_sql", "raw_sql", "attributes", "tests",
)  # fmt: skip
# capsule_id is written beside these but kept out of the hashed values (a column's identity is its URN).
COLUMN_COLUMNS = (
    "urn", "name", "data_type", "ordinal_position", "is_nullable", "description", "meta", "tags", "stats",
    "has_tests", "test_count", "tests", "constraints", "in_manifest", "in_catalog",
)  # fmt: skip
# Written with new columns by the loader (see catalog.services.NewColumnClassifier); the defaults otherwise.
PII_COLUMNS = ("pii_type", "pii_detected_by", "pii_confidence", "pii_evidence", "pii_masked", "semantic_type")
UNCLASSIFIED = (None, None, None, "[]", False, None)
# The database's limits; longer values are cut (names) or the row is skipped (URNs), with a warning.
MAX_URN = 500
MAX_NAME = 255
LIMITS = {"database_name": 255, "schema_name": 255, "materialization": 50, "relation_name": 255,
          "package_name": 255, "access": 20, "group_name": 255, "version": 50, "checksum": 128,
          "data_type": 1000, "layer": 50, "capsule_type": 50}  # fmt: skip


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged, "removed": self.removed}

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.removed


@dataclass
class LoadResult:
    """What the load did, for the job's stats, and what later pipeline steps need to know."""

    source_system_id: uuid.UUID
    capsules: Counts = field(default_factory=Counts)
    columns: Counts = field(default_factory=Counts)
    edges: Counts = field(default_factory=Counts)
    tests: Counts = field(default_factory=Counts)
    owners_created: int = 0
    domains_created: int = 0
    warnings: list[str] = field(default_factory=list)
    capsule_ids: dict[str, uuid.UUID] = field(default_factory=dict)  # urn -> id, every capsule of the project
    changed_capsule_ids: set[uuid.UUID] = field(default_factory=set)  # capsules created or whose fields changed
    changed_column_capsule_ids: set[uuid.UUID] = field(default_factory=set)  # capsules whose columns changed
    removed_capsule_ids: set[uuid.UUID] = field(default_factory=set)  # capsules deleted (with their columns)
    # The pipeline's later steps note here what they changed, so each works only on what that can affect:
    derived_capsule_ids: set[Any] = field(default_factory=set)  # models whose column lineage was derived again
    inferred_column_capsule_ids: set[Any] = field(default_factory=set)  # capsules whose inferred columns changed
    reclassified_column_ids: set[Any] = field(default_factory=set)  # columns whose PII classification changed
    classified_capsule_ids: set[Any] = field(default_factory=set)  # capsules whose columns PII step 1 classified
    kept_column_urns: set[str] = field(default_factory=set)  # capsules whose columns were kept unbuilt (digests)
    # The columns this load inserted for the capsules it created, for column lineage (which would read them back
    # otherwise): capsule id as int -> [(column id as 32 hex digits, lower-case name, origin)] in the order
    # ``lineage.services`` reads columns in (ordinal position, NULLs last; then name by code point). Every created
    # capsule is listed, with or without columns. The step takes it (and drops it here) to free it early.
    created_columns: dict[int, list[tuple[str, str, str]]] = field(default_factory=dict)
    # Node digests to store once the change history is known (``node_digests_write``): by URN, (id, node digest,
    # key, column count) of the built capsules the load left untouched; and the ids whose stored row is stale.
    quiet_nodes: dict[str, tuple] = field(default_factory=dict)
    stale_node_ids: list = field(default_factory=list)

    def stats(self) -> dict[str, Any]:
        return {
            "capsules": self.capsules.as_dict(),
            "columns": self.columns.as_dict(),
            "edges": self.edges.as_dict(),
            "tests": self.tests.as_dict(),
            "owners_created": self.owners_created,
            "domains_created": self.domains_created,
        }

    @property
    def changed(self) -> bool:
        return any(c.changed for c in (self.capsules, self.columns, self.edges, self.tests))


class LeanMiss(Exception):
    """A capsule the parser kept (its node digest is the stored one) whose stored row is no longer the one that
    digest was stored with (edited since, or another ingestion came between): parse again in full."""


@dataclass(slots=True)
class _Stored:
    pk: uuid.UUID
    content_hash: str | None
    columns_hash: str | None
    owner_id: uuid.UUID | None
    domain_id: uuid.UUID | None
    owner_source: str | None
    domain_source: str | None


def _digest(value: Any) -> str:
    # Only the tests' dicts (read back from jsonb, which reorders keys) need sorting; rows are flat tuples.
    option = orjson.OPT_SORT_KEYS if isinstance(value, dict) else 0
    return hashlib.md5(orjson.dumps(value, option=option), usedforsecurity=False).hexdigest()


@cache
def _code_key() -> bytes:
    """The code that turns a capsule's column inputs into stored rows (the parser, the records, this loader):
    after an upgrade every capsule's columns are built and compared again."""
    digest = hashlib.md5(usedforsecurity=False)
    here = Path(__file__).resolve().parent
    for path in (here / "records.py", here / "loader.py", *sorted((here / "parsers" / "dbt").glob("*.py"))):
        digest.update(path.read_bytes())
    return digest.digest()


def code_version() -> str:
    """The digest of the code that turns artifacts into rows (the parser, the records, this loader), in hex: the
    salt of the parser's node digests, so that an upgrade builds every record once instead of keeping them."""
    return _code_key().hex()


def _columns_key(record: CapsuleRecord) -> str | None:
    """What ColumnsDigest.digest holds for a capsule built from this record: its columns' inputs and the code."""
    if record.columns_digest is None:
        return None
    return hashlib.md5(_code_key() + record.columns_digest.encode(), usedforsecurity=False).hexdigest()


def _lean_context(parsed: ParsedProject, conventions: conv.Conventions) -> bytes:
    """What decides a capsule's row and its change history besides its node and the row itself: the code, the
    conventions (layers and domains), the project's name (domain inference) and the domains by name and id."""
    digest = hashlib.md5(_code_key(), usedforsecurity=False)
    digest.update(repr(conventions).encode())
    digest.update(orjson.dumps([parsed.project.name, [(n, str(i)) for n, i in Domain.objects.order_by("name")
                                                       .values_list("name", "id")]]))  # fmt: skip
    return digest.digest()


def _node_key(context: bytes, owner: OwnerRecord | None, owner_ids: dict, owners: dict, stored: _Stored) -> str:
    """NodeDigest.key: the context, the capsule's owner as parsed and the Owner row it maps to, and its row as
    stored (hashes, owner and domain with where they came from, the stored owner's name and email)."""
    new_owner = owner_ids.get(owner.key) if owner is not None else None
    value = (
        (owner.name, owner.email) if owner is not None else None, str(new_owner), owners.get(new_owner),
        stored.content_hash, stored.columns_hash, str(stored.owner_id), owners.get(stored.owner_id),
        str(stored.domain_id), stored.owner_source, stored.domain_source,
    )  # fmt: skip
    return hashlib.md5(context + orjson.dumps(value), usedforsecurity=False).hexdigest()


def _fit(value: str | None, limit: int) -> str | None:
    return value if value is None or len(value) <= limit else value[: limit - 1] + "…"


def _test_json(test: TestRecord) -> dict[str, Any]:
    return {
        "unique_id": test.unique_id,
        "name": test.name,
        "test_type": test.test_type,
        "column": test.column_name,
        "severity": test.severity,
        "status": test.status,
        "kwargs": test.kwargs,
        "path": test.original_file_path,
    }


# -- owners, domains, source system --------------------------------------------------------------------


def _owner_ids(owners: tuple[OwnerRecord, ...], result: LoadResult) -> dict[str, uuid.UUID]:
    """Map each parsed owner's key to an Owner row, creating missing ones; existing rows are not edited."""
    by_email: dict[str, Owner] = {}
    by_name: dict[str, Owner] = {}
    for owner in Owner.objects.all():
        if owner.email:
            by_email.setdefault(owner.email.lower(), owner)
        by_name.setdefault(owner.name.lower(), owner)
    ids: dict[str, uuid.UUID] = {}
    for record in owners:
        name = _fit(record.name or record.email, MAX_NAME)
        if not name:
            continue
        existing = (record.email and by_email.get(record.email)) or by_name.get(name.lower())
        if existing is None:
            kind = "person" if record.email and (record.name is None or "@" in (record.name or "")) else "team"
            existing = Owner.objects.create(name=name, email=_fit(record.email, 255), owner_type=kind)
            by_name[name.lower()] = existing
            if record.email:
                by_email[record.email] = existing
            result.owners_created += 1
        elif record.email and not existing.email:
            Owner.objects.filter(pk=existing.pk).update(email=_fit(record.email, 255))
            existing.email = record.email
        ids[record.key] = existing.pk
    return ids


def _domain_ids(names: set[str], result: LoadResult) -> dict[str, uuid.UUID]:
    existing = {d.name: d.pk for d in Domain.objects.filter(name__in=names)}
    for name in sorted(names - set(existing)):
        existing[name] = Domain.objects.create(name=name).pk
        result.domains_created += 1
    return existing


def _source_system(parsed: ParsedProject) -> SourceSystem:
    project = parsed.project
    meta = {
        "adapter_type": project.adapter_type,
        "dbt_version": project.dbt_version,
        "dbt_schema_version": project.dbt_schema_version,
        "schema_version": project.schema_version,
        "project_id": project.project_id,
        "invocation_id": project.invocation_id,
        "generated_at": project.generated_at.isoformat() if project.generated_at else None,
    }
    system, created = SourceSystem.objects.get_or_create(
        name=_fit(project.name, 100), defaults={"source_type": "dbt", "meta": meta}
    )
    if not created and system.meta != meta:
        SourceSystem.objects.filter(pk=system.pk).update(meta=meta, updated_at=timezone.now())
    return system


# -- the load -----------------------------------------------------------------------------------------


def project_load(
    parsed: ParsedProject,
    *,
    job_id: uuid.UUID,
    conventions: conv.Conventions,
    progress: Callable[[str], None] = lambda message: None,
    before_write: Callable[[list[str]], None] | None = None,
) -> LoadResult:
    """Upsert one parsed project; see the module docstring. Must run inside a transaction.

    ``before_write`` is called once everything is compared and before any capsule, column or edge is written, with
    the URNs of the stored capsules whose columns may change (all but those kept by their digest; vanished ones too).

    Capsules the parser kept (``parsed.kept``) are taken as stored, after checking that their row is still the one
    their node digest was stored with (``NodeDigest.key``); raises LeanMiss before writing anything otherwise."""
    now = timezone.now()
    system = _source_system(parsed)
    result = LoadResult(source_system_id=system.pk)
    owner_ids = _owner_ids(parsed.owners, result)
    # The two keys read from attributes by the database: decoding every capsule's attributes took twice as long.
    stored_capsules = {
        urn: _Stored(pk, content_hash, columns_hash, owner_id, domain_id, owner_source, domain_source)
        for urn, pk, content_hash, columns_hash, owner_id, domain_id, owner_source, domain_source in (
            Capsule.objects.filter(source_system=system).values_list(
                "urn", "id", "content_hash", "columns_hash", "owner_id", "domain_id", KT("attributes__owner_source"),
                KT("attributes__domain_source"),
            )
        )
    }  # fmt: skip
    digests = dict(
        (pk, (digest, columns_hash))
        for pk, digest, columns_hash in ColumnsDigest.objects.filter(
            capsule_id__in=Capsule.objects.filter(source_system=system).values("id")
        ).values_list("capsule_id", "digest", "columns_hash")
    )
    digest_writes: list[tuple] = []  # (capsule id, digest, columns hash) of columns built this time
    # a URN stored under this project is nowhere else (URNs are unique): only the others are looked up
    foreign_urns = _urns_elsewhere([c.urn for c in parsed.in_order() if c.urn not in stored_capsules], system)
    # Node digests (lean re-ingests): the context is read before any domain is created, as the next parse will
    context = _lean_context(parsed, conventions)
    owner_rows = {pk: (name, email) for pk, name, email in Owner.objects.values_list("id", "name", "email")}
    nodes_stored = {
        pk: (digest, key)
        for pk, digest, key in NodeDigest.objects.filter(
            capsule_id__in=Capsule.objects.filter(source_system=system).values("id")
        ).values_list("capsule_id", "digest", "key")
    }
    domains = {}
    for record in parsed.capsules:
        if record.domain:
            domains[record.urn] = (_fit(record.domain, 100), SOURCE_DBT)
        else:
            inferred = conv.infer_domain(record, conventions, project_name=parsed.project.name)
            domains[record.urn] = (_fit(inferred, 100), SOURCE_CONVENTION if inferred else None)
    domain_ids = _domain_ids({name for name, _ in domains.values() if name}, result)

    pii = pii_new_column_classifier()
    capsule_inserts: list[tuple] = []
    capsule_updates: list[tuple] = []
    column_inserts: list[tuple] = []
    column_diffs: dict[uuid.UUID, list[tuple]] = {}  # stored capsules whose columns changed -> new column values
    created_ids: list[uuid.UUID] = []  # the capsules this load creates
    retested: list[tuple[uuid.UUID, CapsuleRecord]] = []  # stored capsules whose tests may have changed
    seen: set[str] = set()
    for record in parsed.in_order():
        if isinstance(record, KeptCapsule):
            _keep(record, stored_capsules.get(record.urn), seen=seen, foreign_urns=foreign_urns, digests=digests,
                  nodes=nodes_stored, key=lambda s, r=record: _node_key(context, r.owner, owner_ids, owner_rows, s),
                  result=result)  # fmt: skip
            continue
        problem = _unloadable(record, seen, foreign_urns)
        if problem:
            result.warnings.append(problem)
            continue
        seen.add(record.urn)
        stored = stored_capsules.get(record.urn)
        owner_id, owner_source = _choose(
            owner_ids.get(record.owner.key) if record.owner else None,
            SOURCE_DBT,
            stored.owner_id if stored else None,
            stored.owner_source if stored else None,
        )
        domain_name, domain_source = domains[record.urn]
        domain_id, domain_source = _choose(
            domain_ids.get(domain_name) if domain_name else None,
            domain_source,
            stored.domain_id if stored else None,
            stored.domain_source if stored else None,
        )
        layer = conv.infer_layer(record, conventions)
        values = _capsule_values(record, system.pk, owner_id, domain_id, layer, owner_source, domain_source)
        pk = stored.pk if stored is not None else ordered_uuid()
        key = _columns_key(record)
        if stored is not None and key is not None and digests.get(stored.pk) == (key, stored.columns_hash):
            # The columns' inputs are those the stored columns were built from: they are what building gives.
            columns, columns_hash = None, stored.columns_hash
            result.kept_column_urns.add(record.urn)
        else:
            kept: list[ColumnRecord] = []
            columns = _column_rows(record, result, kept)
            columns_hash = _digest(columns)
            if key is not None and len(kept) == len(record.columns):  # none skipped (that warns each time)
                digest_writes.append((pk, key, columns_hash))
            elif stored is not None and stored.pk in digests:
                digest_writes.append((stored.pk, None, None))
        content_hash = _digest(values)
        if stored is None:
            # New columns are written already classified, and the capsule marked as such (see NewColumnClassifier).
            fingerprint = pii.capsule_fingerprint(content_hash=content_hash, columns_hash=columns_hash)
            # Written in its final form (an UPDATE of a row just copied in rewrites its 25 index entries): a type
            # without SQL is not_applicable, which the column-lineage step would otherwise set on it afterwards.
            status = None if record.capsule_type in LINEAGE_TYPES else LineageStatus.NOT_APPLICABLE.value
            capsule_inserts.append(
                (pk, *_with_attribute(values, PII_FINGERPRINT_KEY, fingerprint), content_hash, columns_hash, job_id,
                 status, now, now)
            )  # fmt: skip
            table = pii.table(name=values[1], description=values[10], column_names=[row[1] for row in columns])
            for row, column in zip(columns, kept, strict=True):
                classified = pii.values(
                    name=row[1], data_type=row[2], description=row[5], meta=column.meta, tags=column.tags,
                    tests=column.tests, capsule_name=values[1], capsule_meta=record.meta, table=table,
                )  # fmt: skip
                column_inserts.append((pk, *row, _origin(row), _digest(row), *_pii_columns(classified), now, now))
            created_ids.append(pk)
            result.capsules.created += 1
            result.columns.created += len(columns)
            result.tests.created += len(record.tests)
            result.changed_capsule_ids.add(pk)
            if columns:
                result.changed_column_capsule_ids.add(pk)
        else:
            # Owner and domain are compared too: the admin edits them without touching the hash.
            if (
                stored.content_hash != content_hash
                or stored.columns_hash != columns_hash
                or (stored.owner_id, stored.domain_id) != (owner_id, domain_id)
            ):
                capsule_updates.append((pk, *values, content_hash, columns_hash, job_id, now))
            if stored.content_hash != content_hash or (stored.owner_id, stored.domain_id) != (owner_id, domain_id):
                result.capsules.updated += 1
                result.changed_capsule_ids.add(pk)
                retested.append((pk, record))
            else:
                result.capsules.unchanged += 1
                result.tests.unchanged += len(record.tests)
            if stored.columns_hash != columns_hash:
                column_diffs[pk] = columns
            else:
                result.columns.unchanged += len(record.columns) if columns is None else len(columns)
            if pk in nodes_stored:
                result.stale_node_ids.append(pk)
            if (
                columns is None
                and record.node_digest is not None
                and (stored.content_hash, stored.owner_id, stored.domain_id) == (content_hash, owner_id, domain_id)
            ):  # untouched by this load, its columns kept: stored as it stands (unless the change history says more)
                result.quiet_nodes[record.urn] = (
                    pk, record.node_digest, _node_key(context, record.owner, owner_ids, owner_rows, stored),
                    len(record.columns),
                )  # fmt: skip
        result.capsule_ids[record.urn] = pk

    stale = {urn: s.pk for urn, s in stored_capsules.items() if urn not in seen}
    if before_write is not None:
        before_write([urn for urn in stored_capsules if urn not in result.kept_column_urns])
    _count_tests(retested, list(stale.values()), result)
    progress(counted(f"capsules: {result.capsules.created} new, {result.capsules.updated} changed, {len(stale)} gone",
                     done=1, total=3))  # fmt: skip
    extra = ("content_hash", "columns_hash", "ingestion_id")
    bulk_insert(Capsule._meta.db_table, ("id", *CAPSULE_COLUMNS, *extra, "lineage_status", "created_at", "updated_at"),
                capsule_inserts)  # fmt: skip
    bulk_update(Capsule._meta.db_table, (*CAPSULE_COLUMNS, *extra, "updated_at"), capsule_updates)
    _diff_columns(column_diffs, column_inserts, result, now)
    progress(counted(f"columns: {result.columns.created} new, {result.columns.updated} changed, "
                     f"{result.columns.removed} gone", done=2, total=3))  # fmt: skip
    result.created_columns = {pk.int: [] for pk in created_ids}
    bulk_insert(
        Column._meta.db_table,
        ("id", "capsule_id", *COLUMN_COLUMNS, "origin", "content_hash", *PII_COLUMNS, "created_at", "updated_at"),
        _column_ids(column_inserts, result.created_columns),
    )
    _load_edges(parsed, system, result, job_id, now)
    _write_digests(digest_writes, known=digests)
    if stale:
        result.columns.removed += _delete_capsules(list(stale.values()))
        result.capsules.removed = len(stale)
        result.removed_capsule_ids.update(stale.values())
    return result


def _keep(
    record: KeptCapsule, stored: _Stored | None, *, seen: set[str], foreign_urns: set[str], digests: dict,
    nodes: dict, key: Callable[[_Stored], str], result: LoadResult,
) -> None:  # fmt: skip
    """Take a kept capsule as stored: its row, columns and tests are what building its record would give, so
    nothing is compared or written. Raises LeanMiss when that cannot be vouched for."""
    if (
        stored is None
        or _unloadable(record, seen, foreign_urns) is not None
        or nodes.get(stored.pk) != (record.node_digest, key(stored))
        or stored.pk not in digests
        or digests[stored.pk][1] != stored.columns_hash
    ):
        raise LeanMiss(record.urn)
    seen.add(record.urn)
    result.capsule_ids[record.urn] = stored.pk
    result.capsules.unchanged += 1
    result.tests.unchanged += record.test_count
    result.columns.unchanged += record.column_count
    result.kept_column_urns.add(record.urn)


def node_digests_write(result: LoadResult, *, recorded_urns: set[str]) -> None:
    """Store the node digests of the capsules the load left untouched and the change history recorded nothing for
    (``recorded_urns``: the URNs its changes name); drop the stale ones. Inside the ingestion's transaction."""
    bulk_delete(NodeDigest._meta.db_table, result.stale_node_ids, key="capsule_id")
    bulk_insert(
        NodeDigest._meta.db_table, ("capsule_id", "digest", "key", "column_count"),
        [row for urn, row in result.quiet_nodes.items() if urn not in recorded_urns],
    )  # fmt: skip


def _write_digests(writes: list[tuple], *, known: dict) -> None:
    """Replace the ColumnsDigest rows of the capsules whose columns were built (a None digest: drop the row)."""
    gone = [pk for pk, _, _ in writes if pk in known]
    if gone:
        bulk_delete(ColumnsDigest._meta.db_table, gone, key="capsule_id")
    bulk_insert(
        ColumnsDigest._meta.db_table, ("capsule_id", "digest", "columns_hash"),
        [row for row in writes if row[1] is not None],
    )  # fmt: skip


def _pii_columns(values: PiiValues) -> tuple:
    pii_type, detected_by, confidence, evidence, masked, semantic = values
    return pii_type, detected_by, confidence, json_text(evidence), masked, semantic


def _with_attribute(values: tuple, key: str, value: Any) -> tuple:
    """The capsule's values with one more key in ``attributes`` (kept out of the content hash)."""
    if value is None:
        return values
    position = CAPSULE_COLUMNS.index("attributes")
    attributes = orjson.loads(values[position])
    attributes[key] = value
    return (*values[:position], json_text(attributes), *values[position + 1 :])


def _urns_elsewhere(urns: list[str], system: SourceSystem) -> set[str]:
    """Which of these URNs are stored under another project; one query (none for no URN)."""
    if not urns:
        return set()
    within, params = sql_among("urn", urns, keys=False)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT urn FROM {Capsule._meta.db_table} WHERE {within}"
            " AND (source_system_id IS NULL OR source_system_id <> %s)",
            [*params, db_key(system.pk)],
        )
        return {row[0] for row in cursor.fetchall()}


def _unloadable(record: CapsuleRecord, seen: set[str], foreign_urns: set[str]) -> str | None:
    if len(record.urn) > MAX_URN:
        return f"{record.unique_id}: its URN is longer than {MAX_URN} characters; skipped."
    if record.urn in foreign_urns:
        return f"{record.urn} is already ingested from another dbt project; kept there, skipped here."
    if record.urn in seen:
        return f"{record.unique_id}: a second resource with URN {record.urn}; skipped."
    return None


def _choose(new_id, new_source, stored_id, stored_source):
    """dbt's value wins; a convention's value fills in unless a steward set one. Without a new value, what dbt
    or a convention gave goes with it (dropped in dbt, dropped here); a steward's value (or one of unknown
    origin, stored before sources were recorded) is kept."""
    if new_id is not None and (new_source == SOURCE_DBT or stored_source != SOURCE_STEWARD or stored_id is None):
        return new_id, new_source
    if stored_id is not None and stored_source not in (SOURCE_DBT, SOURCE_CONVENTION):
        return stored_id, stored_source
    return None, None


def _capsule_values(record: CapsuleRecord, system_id, owner_id, domain_id, layer, owner_source, domain_source) -> tuple:
    attributes = dict(record.attributes)
    attributes.update(
        fqn=list(record.fqn),
        path=record.path,
        latest_version=record.latest_version,
        language=record.language,
        catalog_stats=record.catalog_stats,
        in_catalog=record.in_catalog,
        owner_source=owner_source,
        domain_source=domain_source,
    )
    if record.owner:
        attributes["dbt_owner"] = {"name": record.owner.name, "email": record.owner.email}
    return (
        record.urn,
        _fit(record.name, MAX_NAME),
        record.capsule_type,
        system_id,
        _fit(record.database, LIMITS["database_name"]),
        _fit(record.schema, LIMITS["schema_name"]),
        domain_id,
        owner_id,
        layer,
        _fit(record.materialization, LIMITS["materialization"]),
        record.description or None,
        json_text(record.meta),
        json_text(list(record.tags)),
        record.has_tests,
        record.test_count,
        record.doc_coverage if record.doc_coverage is not None else 0.0,
        _fit(record.unique_id, MAX_URN),
        _fit(record.relation_name, LIMITS["relation_name"]),
        _fit(record.package_name, LIMITS["package_name"]),
        record.original_file_path,
        _fit(record.access, LIMITS["access"]),
        _fit(record.group, LIMITS["group_name"]),
        record.contract_enforced,
        _fit(record.version, LIMITS["version"]),
        _fit(record.checksum, LIMITS["checksum"]) or None,
        record.compiled_sql,
        record.raw_sql,
        json_text(attributes),
        json_text([_test_json(t) for t in record.tests]),
    )


def _column_rows(record: CapsuleRecord, result: LoadResult, kept: list[ColumnRecord]) -> list[tuple]:
    """The capsule's columns as value tuples in COLUMN_COLUMNS order (without capsule_id); ``kept`` receives
    the records of the columns kept, in the same order."""
    rows = []
    seen: set[str] = set()
    for column in record.columns:
        if len(column.urn) > MAX_URN or column.urn in seen:
            result.warnings.append(f"column {column.urn[:120]}: URN too long or repeated; skipped.")
            continue
        seen.add(column.urn)
        kept.append(column)
        rows.append(
            (
                column.urn,
                _fit(column.name, MAX_NAME),
                _fit(column.data_type, LIMITS["data_type"]),
                column.ordinal_position,
                column.is_nullable is not False,
                column.description or None,
                json_text(column.meta),
                json_text(column.tags),
                json_text(column.stats),
                column.test_count > 0,
                column.test_count,
                json_text(column.tests),
                json_text(column.constraints),
                column.in_manifest,
                column.in_catalog,
            )
        )
    return rows


# Where a column insert (capsule id, *COLUMN_COLUMNS, origin, ...) holds its name, position and origin.
_NAME, _POSITION, _ORIGIN = 2, 4, 1 + len(COLUMN_COLUMNS)


def _column_order(row: tuple) -> tuple:
    """A column's place in column lineage's reading order (``lineage.services._attach_columns``)."""
    position = row[_POSITION]
    return position is None, position or 0, row[_NAME]


def _column_ids(inserts: list[tuple], created: dict[int, list[tuple[str, str, str]]]) -> Iterator[tuple]:
    """The column inserts with a time-ordered id in front (drawn as they are written, as ``bulk_insert`` would);
    the columns of the capsules in ``created`` are listed there as (id, lower-case name, origin), in column
    lineage's reading order. Each row is dropped from ``inserts`` once written, so the lists take the place of
    rows no longer needed rather than adding to the load's memory.

    A capsule's rows come together (the loader appends them so), in the order the parser gives, which is the reading
    order but for columns of equal (or no) position: a capsule whose rows come otherwise is sorted when its last
    row is written."""
    current, columns, orders, in_order = None, None, [], True

    def settle() -> None:
        if not in_order:
            pairs = sorted(zip(orders, columns, strict=True), key=lambda pair: pair[0])
            columns[:] = [column for _, column in pairs]

    ids = ordered_uuid_hexes()
    for index, row in enumerate(inserts):
        cid = next(ids)
        yield (cid, *row)
        inserts[index] = None
        key = row[0].int
        if key != current:
            if columns is not None:
                settle()
            current, columns, orders, in_order = key, created.get(key), [], True
        if columns is None:
            continue
        name = row[_NAME]
        lower = name.lower()
        columns.append((cid, name if lower == name else lower, row[_ORIGIN]))
        order = _column_order(row)
        in_order = in_order and (not orders or orders[-1] <= order)
        orders.append(order)
    if columns is not None:
        settle()


def _origin(row: tuple) -> str:
    """A declared column's origin, from its in_catalog value (the last of COLUMN_COLUMNS); derived from hashed
    values, so it is not hashed itself."""
    return ColumnOrigin.CATALOG if row[-1] else ColumnOrigin.MANIFEST


def _diff_columns(column_diffs: dict[uuid.UUID, list[tuple]], inserts: list[tuple], result: LoadResult, now) -> None:
    """Column by column, for the stored capsules whose columns changed; reads only those capsules' columns.

    Columns column lineage inferred (origin sql or usage) are not the loader's: they are never stale here, and a
    declared column of the same name takes their row over (its edges kept)."""
    if not column_diffs:
        return
    stored: dict[str, tuple[uuid.UUID, str | None]] = {}
    inferred: set[str] = set()
    capsule_ids = list(column_diffs)
    for start in range(0, len(capsule_ids), 2000):
        for urn, pk, content_hash, origin in (
            Column.objects.filter(capsule_id__in=capsule_ids[start : start + 2000])
            .values_list("urn", "id", "content_hash", "origin")
            .order_by()
        ):
            stored[urn] = (pk, content_hash)
            if origin in INFERRED_ORIGINS:
                inferred.add(urn)
    updates: list[tuple] = []
    seen: set[str] = set()
    for capsule_pk, rows in column_diffs.items():
        for row in rows:
            seen.add(row[0])
            digest = _digest(row)
            existing = stored.get(row[0])
            if existing is None:
                # Step 1 classifies columns added to a capsule already stored; here they get the defaults.
                inserts.append((capsule_pk, *row, _origin(row), digest, *UNCLASSIFIED, now, now))
                result.columns.created += 1
                result.changed_column_capsule_ids.add(capsule_pk)
            elif existing[1] != digest:
                updates.append((existing[0], capsule_pk, *row, _origin(row), digest, now))
                result.columns.updated += 1
                result.changed_column_capsule_ids.add(capsule_pk)
            else:
                result.columns.unchanged += 1
    stale = [pk for urn, (pk, _) in stored.items() if urn not in seen and urn not in inferred]
    if stale:
        stale_capsules = Column.objects.filter(pk__in=stale).values_list("capsule_id", flat=True).distinct()
        result.changed_column_capsule_ids.update(stale_capsules)
        _delete_columns(stale)
        result.columns.removed = len(stale)
    bulk_update(Column._meta.db_table, ("capsule_id", *COLUMN_COLUMNS, "origin", "content_hash", "updated_at"), updates)


def _count_tests(retested: list[tuple[uuid.UUID, CapsuleRecord]], stale_ids: list, result: LoadResult) -> None:
    """Tests live on their capsule's row; compare them only where the capsule changed or vanished."""
    stored: dict[str, str] = {}
    ids = [pk for pk, _ in retested] + stale_ids
    for start in range(0, len(ids), 2000):
        for tests in Capsule.objects.filter(pk__in=ids[start : start + 2000]).values_list("tests", flat=True):
            for test in tests or ():
                stored[test["unique_id"]] = _digest(test)
    current = {test.unique_id: _digest(_test_json(test)) for _, record in retested for test in record.tests}
    for unique_id, digest in current.items():
        previous = stored.get(unique_id)
        if previous is None:
            result.tests.created += 1
        elif previous != digest:
            result.tests.updated += 1
        else:
            result.tests.unchanged += 1
    result.tests.removed = len(set(stored) - set(current))


def _load_edges(parsed: ParsedProject, system: SourceSystem, result: LoadResult, job_id, now) -> None:
    """Edges belong to their downstream capsule's project (dbt's depends_on lives on the target). Edges only the
    compiled SQL shows (``sql_only``) are column lineage's, not the loader's."""
    # Keyed by the UUIDs' ints: a tuple of UUID objects hashes and compares through Python code (UUID.__hash__,
    # __eq__), which made these few dict operations per edge most of the step's time at 18,778 edges.
    stored = {
        (source_id.int, target_id.int, edge_type): pk
        for pk, source_id, target_id, edge_type in CapsuleLineage.objects.filter(target__source_system=system)
        .exclude(edge_type=SQL_ONLY_EDGE)
        .values_list("id", "source_id", "target_id", "edge_type")
    }
    # An upstream capsule stored under another project (a cross-project ref, a shared package model).
    foreign = dict(
        Capsule.objects.filter(
            urn__in={e.source_urn for e in parsed.edges if e.source_urn not in result.capsule_ids}
        ).values_list("urn", "id")
    )
    wanted: dict[tuple, tuple] = {}
    for edge in parsed.edges:
        source_id = result.capsule_ids.get(edge.source_urn) or foreign.get(edge.source_urn)
        target_id = result.capsule_ids.get(edge.target_urn)
        if source_id is None or target_id is None or source_id == target_id:
            continue
        key = (source_id.int, target_id.int, edge.edge_type)
        if key not in wanted:
            wanted[key] = (edge.source_urn, edge.target_urn, source_id, target_id, edge.edge_type, "{}", job_id, now)
    inserts = [row for key, row in wanted.items() if key not in stored]
    stale = [pk for key, pk in stored.items() if key not in wanted]
    result.edges.created = len(inserts)
    result.edges.removed = len(stale)
    result.edges.unchanged = len(wanted) - len(inserts)
    if stale:
        bulk_delete(CapsuleLineage._meta.db_table, stale)
    bulk_insert(
        CapsuleLineage._meta.db_table,
        ("source_urn", "target_urn", "source_id", "target_id", "edge_type", "meta", "ingestion_id", "created_at"),
        inserts,
    )


# -- deletes, children first ----------------------------------------------------------------------------


def _delete_columns(column_ids: list) -> None:
    from conformance.models import Violation
    from lineage.models import ColumnLineage

    for start in range(0, len(column_ids), 5000):
        chunk = column_ids[start : start + 5000]
        ColumnLineage.objects.filter(Q(source_column_id__in=chunk) | Q(target_column_id__in=chunk))._raw_delete(
            connection.alias
        )
        Violation.objects.filter(column_id__in=chunk)._raw_delete(connection.alias)
        Column.objects.filter(pk__in=chunk)._raw_delete(connection.alias)


def _delete_capsules(capsule_ids: list) -> int:
    """Delete capsules with their columns, edges and violations; returns how many columns went."""
    from conformance.models import Violation

    columns = 0
    for start in range(0, len(capsule_ids), 2000):
        chunk = capsule_ids[start : start + 2000]
        column_ids = list(Column.objects.filter(capsule_id__in=chunk).values_list("id", flat=True))
        _delete_columns(column_ids)
        columns += len(column_ids)
        Violation.objects.filter(capsule_id__in=chunk)._raw_delete(connection.alias)
        ColumnsDigest.objects.filter(capsule_id__in=chunk)._raw_delete(connection.alias)
        NodeDigest.objects.filter(capsule_id__in=chunk)._raw_delete(connection.alias)
        CapsuleLineage.objects.filter(Q(source_id__in=chunk) | Q(target_id__in=chunk))._raw_delete(connection.alias)
        Capsule.objects.filter(pk__in=chunk)._raw_delete(connection.alias)
    return columns
