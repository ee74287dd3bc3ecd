"""Write use-cases of the catalog."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from catalog.choices import INFERRED_ORIGINS, PiiDecision
from catalog.models import Capsule, Column
from dab_project.bulk import bulk_insert, bulk_update, json_text


@dataclass(frozen=True, slots=True)
class LineageStatusUpdate:
    """A capsule's column-lineage status and the reason when it is not fully parsed."""

    capsule_id: Any
    status: str
    error: str | None = None


@dataclass(frozen=True, slots=True)
class InferredColumn:
    """A column column lineage inferred (origin ``sql`` or ``usage``), to insert with a new id the caller chose."""

    id: Any
    capsule_id: Any
    capsule_urn: str
    name: str  # lower case, as column URNs are
    origin: str
    data_type: str | None = None
    ordinal_position: int | None = None


def inferred_column_urn(*, capsule_urn: str, name: str) -> str:
    """The URN of a capsule's column, as the loader builds it (ingestion.parsers.dbt.urns.column_urn)."""
    return f"{capsule_urn}:{name.lower()}"


def columns_inferred_apply(
    *,
    inserts: Sequence[InferredColumn] = (),
    updates: Sequence[tuple[Any, str, str | None]] = (),
    delete_ids: Sequence[Any] = (),
    now=None,
) -> None:
    """Write what column lineage inferred about columns nobody declared.

    1. delete the columns no longer inferred, with what hangs on them (their edges, violations) through the
       ORM's cascade: the caller deleted the edges it re-derives already, so few remain;
    2. set ``(id, origin, data_type)`` on inferred columns whose origin or type moved;
    3. insert the new ones, not yet classified for PII: the pii app's propagation step, which runs right after
       column lineage, classifies the project's inferred columns before it propagates (``pii.services``).
    Must run inside the caller's transaction.
    """
    now = now or timezone.now()
    ids = list(delete_ids)
    for start in range(0, len(ids), 2000):
        Column.objects.filter(pk__in=ids[start : start + 2000], origin__in=INFERRED_ORIGINS).delete()
    bulk_update(Column._meta.db_table, ("origin", "data_type", "updated_at"), [(*u, now) for u in updates])
    if not inserts:
        return
    rows = [
        (column.id, column.capsule_id, inferred_column_urn(capsule_urn=column.capsule_urn, name=column.name),
         column.name, column.data_type, column.ordinal_position, False, False, column.origin, "[]", False, now, now)
        for column in inserts
    ]  # fmt: skip
    bulk_insert(
        Column._meta.db_table,
        ("id", "capsule_id", "urn", "name", "data_type", "ordinal_position", "in_manifest", "in_catalog", "origin",
         "pii_evidence", "pii_masked", "created_at", "updated_at"),
        rows,
    )  # fmt: skip


def capsules_set_lineage_status(*, updates: Iterable[LineageStatusUpdate]) -> int:
    """Set ``lineage_status`` and ``lineage_error`` of many capsules; returns how many updates were sent.

    On PostgreSQL the rows are COPYed into a temporary table and applied with one UPDATE; elsewhere in
    batched UPDATEs. Must run inside the caller's transaction.
    """
    rows = [(u.capsule_id, u.status, u.error) for u in updates]
    return bulk_update(Capsule._meta.db_table, ("lineage_status", "lineage_error"), rows)


# ---------------------------------------------------------------------------------------------------------------------
# The PII fields of columns. Classification, steward decisions and propagation live in the pii app, which
# writes its results through ``columns_pii_write`` (the column's classification and the steward's decision are
# the only PII state the catalog keeps) and records what a capsule was classified from with
# ``capsules_attribute_set``.

PII_WRITE_FIELDS = ("pii_type", "pii_detected_by", "pii_confidence", "pii_evidence", "pii_masked", "semantic_type")
# (pii_type, pii_detected_by, pii_confidence, pii_evidence as a list of dicts, pii_masked, semantic_type)
PiiValues = tuple[str | None, str | None, float | None, list[dict[str, Any]], bool, str | None]


@dataclass(frozen=True, slots=True)
class PiiDecisionWrite:
    """A steward's decision to store on columns: ``decision`` None withdraws it (the other fields are cleared)."""

    column_ids: Sequence[Any]
    decision: str | None
    decided_type: str | None = None
    decided_by: str | None = None
    decided_at: Any = None
    note: str | None = None


def columns_pii_write(
    *, classified: Iterable[tuple[Any, PiiValues]] = (), decisions: Iterable[PiiDecisionWrite] = ()
) -> int:
    """Store PII state on columns; returns how many classification rows were sent.

    ``classified`` are (column id, values) with the classification fields in ``PII_WRITE_FIELDS`` order: COPY
    into a temporary table and one UPDATE on PostgreSQL, batched UPDATEs elsewhere; never touches a
    steward's fields. ``decisions`` set the steward's fields (one UPDATE each), which the loader never
    touches. Must run inside the caller's transaction. Both move ``updated_at``: `dab conformance check` finds the
    columns changed since its last evaluation by it.
    """
    now = timezone.now()
    for d in decisions:
        if d.decision is not None and d.decision not in PiiDecision.values:
            raise ValueError(f"unknown decision {d.decision!r}: expected confirmed, rejected or none")
        decided = d.decision is not None
        Column.objects.filter(pk__in=list(d.column_ids)).update(
            pii_decision=d.decision, pii_decided_type=d.decided_type if decided else None,
            pii_decided_by=d.decided_by if decided else None, pii_decided_at=d.decided_at if decided else None,
            pii_decision_note=d.note if decided else None, updated_at=now,
        )  # fmt: skip
    encoded = (
        (pk, pii_type, detected_by, confidence, json_text(evidence), masked, semantic, now)
        for pk, (pii_type, detected_by, confidence, evidence, masked, semantic) in classified
    )
    return bulk_update(Column._meta.db_table, (*PII_WRITE_FIELDS, "updated_at"), encoded)


def capsules_attribute_set(*, key: str, rows: Sequence[tuple[str, str]]) -> None:
    """Set ``attributes[key]`` of many capsules (other keys kept); ``rows`` are (capsule id as text, value).

    COPY + one UPDATE on PostgreSQL, batched UPDATEs elsewhere; moves ``updated_at`` (the graph reads the
    attributes). Must run inside the caller's transaction.
    """
    if not rows:
        return
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    if not key.replace("_", "").isalnum():
        raise ValueError(f"attribute key {key!r}: letters, digits and underscores only")
    table = connection.ops.quote_name(Capsule._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("CREATE TEMPORARY TABLE _dab_capsule_attr (id uuid, value text) ON COMMIT DROP")
            with cursor.cursor.copy("COPY _dab_capsule_attr (id, value) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(f"UPDATE {table} c SET attributes = c.attributes || jsonb_build_object('{key}', u.value),"
                           " updated_at = %s FROM _dab_capsule_attr u WHERE c.id = u.id", [now])
            cursor.execute("DROP TABLE _dab_capsule_attr")
            return
        sql = f"UPDATE {table} SET attributes = json_set(attributes, '$.{key}', %s), updated_at = %s WHERE id = %s"
        for start in range(0, len(rows), 2000):
            cursor.executemany(sql, [(value, now, pk) for pk, value in rows[start : start + 2000]])
