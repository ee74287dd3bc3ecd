"""Write use-cases of the catalog."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection

from catalog.models import Capsule

# The key in Capsule.attributes recording what a capsule's column lineage was computed from.
LINEAGE_FINGERPRINT_KEY = "lineage_fingerprint"


@dataclass(frozen=True, slots=True)
class LineageStatusUpdate:
    """A capsule's column-lineage status, the reason when it is not fully parsed, and its inputs' fingerprint."""

    capsule_id: Any
    status: str
    error: str | None = None
    fingerprint: str | None = None  # None removes a stored fingerprint (the next run recomputes)


def capsules_set_lineage_status(*, updates: Iterable[LineageStatusUpdate]) -> int:
    """Set ``lineage_status``/``lineage_error`` and the fingerprint key of ``attributes``, in bulk.

    Other keys of ``attributes`` are kept. On PostgreSQL the rows are COPYed into a temporary table and
    applied with one UPDATE; elsewhere one batched UPDATE per row. Must run inside the caller's transaction.
    Returns how many updates were sent.
    """
    rows = [(u.capsule_id, u.status, u.error, u.fingerprint) for u in updates]
    if not rows:
        return 0
    table = connection.ops.quote_name(Capsule._meta.db_table)
    key = LINEAGE_FINGERPRINT_KEY
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE TEMPORARY TABLE _dab_lineage_status (id uuid, status varchar(20), error text, fp text)"
                " ON COMMIT DROP"
            )
            with cursor.cursor.copy("COPY _dab_lineage_status (id, status, error, fp) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"UPDATE {table} c SET lineage_status = u.status, lineage_error = u.error,"
                f" attributes = CASE WHEN u.fp IS NULL THEN c.attributes - '{key}'"
                f" ELSE c.attributes || jsonb_build_object('{key}', u.fp) END"
                " FROM _dab_lineage_status u WHERE c.id = u.id"
            )
            cursor.execute("DROP TABLE _dab_lineage_status")
            return len(rows)
        sql = (
            f"UPDATE {table} SET lineage_status = %s, lineage_error = %s, attributes = CASE WHEN %s IS NULL"
            f" THEN json_remove(attributes, '$.{key}') ELSE json_set(attributes, '$.{key}', %s) END WHERE id = %s"
        )
        params = [(status, error, fp, fp, _db_id(pk)) for pk, status, error, fp in rows]
        for start in range(0, len(params), 2000):
            cursor.executemany(sql, params[start : start + 2000])
    return len(rows)


def _db_id(pk: Any) -> Any:
    # Django stores UUIDs as 32 hex characters outside PostgreSQL.
    return pk.hex if hasattr(pk, "hex") else pk
