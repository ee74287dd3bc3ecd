"""Bulk writes for hundreds of thousands of rows: COPY on PostgreSQL, batched executemany elsewhere.

Ingestion, PII classification and column lineage write whole projects at once; the ORM's
``bulk_create``/``bulk_update`` cost several times more per row. Rows are plain tuples of str, int,
float, bool, None, UUID or datetime; JSON columns take their text, made once with ``json_text``. The
helpers must run inside the caller's transaction and bypass ``save()`` and signals, like
``bulk_create``. Rows of ``columns``, ``capsule_lineage`` and ``column_lineage`` may come without ids: they get
time-ordered ones (``dab_project.ids``; cheaper to index than the database's random default).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import islice
from typing import Any

import orjson
from django.db import connection
from psycopg.copy import QueuedLibpqWriter

from dab_project.ids import ordered_uuid_hexes

BATCH = 2000


def json_text(value: Any) -> str:
    """JSON text for a JSON column; empty containers skip the encoder (most meta/tags are empty)."""
    if not value:
        return "[]" if isinstance(value, list | tuple) else "{}"
    return orjson.dumps(value).decode()


def _sqlite_row(row: Sequence[Any]) -> list[Any]:
    ops = connection.ops
    out = []
    for value in row:
        if isinstance(value, uuid.UUID):
            value = value.hex  # Django stores UUIDs as 32 hex characters outside PostgreSQL
        elif isinstance(value, datetime):
            value = ops.adapt_datetimefield_value(value)
        out.append(value)
    return out


def _copy_row(row: Sequence[Any], times: dict[int, tuple[datetime, str]]) -> Sequence[Any]:
    """The row with each UUID as its hex and each datetime as its text: the very bytes psycopg's dumpers write, without
    a call into Python per value (psycopg's UUID dumper is Python code, and a datetime's dumper is chosen per value
    by its time zone), which was half of COPY's cost for rows holding three UUIDs and a timestamp. ``times`` keeps
    the text of each datetime object met (a write's rows share one or two)."""
    for value in row:
        kind = type(value)
        if kind is uuid.UUID or kind is datetime:
            break
    else:
        return row
    out = []
    for value in row:
        kind = type(value)
        if kind is uuid.UUID:
            value = value.hex
        elif kind is datetime:
            known = times.get(id(value))
            if known is None:
                known = times[id(value)] = (value, str(value))  # holding the datetime keeps its id unique
            value = known[1]
        out.append(value)
    return out


def _batches(rows: Iterable[Sequence[Any]], size: int = BATCH):
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def bulk_insert(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert rows; returns how many. The rows must not conflict (the caller diffed them first)."""
    qn = connection.ops.quote_name
    names = ", ".join(qn(c) for c in columns)
    count = 0
    if "id" not in columns and _needs_python_id(table):
        # time-ordered ids rather than the database's random default: see dab_project.ids
        columns, rows = ["id", *columns], ((pk, *row) for pk, row in zip(ordered_uuid_hexes(), rows, strict=False))
        names = ", ".join(qn(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A queued writer hands the data to a thread, so PostgreSQL indexes one batch while we format the next.
            raw = cursor.cursor
            times: dict[int, tuple[datetime, str]] = {}
            with raw.copy(f"COPY {qn(table)} ({names}) FROM STDIN", writer=QueuedLibpqWriter(raw)) as copy:
                for row in rows:
                    copy.write_row(_copy_row(row, times))
                    count += 1
            return count
        sql = f"INSERT INTO {qn(table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
        for batch in _batches(rows):
            cursor.executemany(sql, [_sqlite_row(row) for row in batch])
            count += len(batch)
    return count


def _needs_python_id(table: str) -> bool:
    return table in ("columns", "capsule_lineage", "column_lineage")


def bulk_update(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, key: str = "id") -> int:
    """Set ``columns`` on the rows identified by ``key``; each row is (key value, *column values).

    On PostgreSQL the rows are COPYed into a temporary table and applied with one UPDATE ... FROM.
    """
    if isinstance(rows, Sequence) and not rows:
        return 0  # no temporary table and COPY for nothing (an unchanged re-ingestion's usual case)
    qn = connection.ops.quote_name
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = ", ".join(qn(c) for c in (key, *columns))
            cursor.execute(
                f"CREATE TEMPORARY TABLE _dab_bulk ON COMMIT DROP AS SELECT {names} FROM {qn(table)} WITH NO DATA"
            )
            raw = cursor.cursor
            times: dict[int, tuple[datetime, str]] = {}
            with raw.copy(f"COPY _dab_bulk ({names}) FROM STDIN", writer=QueuedLibpqWriter(raw)) as copy:
                for row in rows:
                    copy.write_row(_copy_row(row, times))
                    count += 1
            if count:
                assignments = ", ".join(f"{qn(c)} = u.{qn(c)}" for c in columns)
                cursor.execute(
                    f"UPDATE {qn(table)} t SET {assignments} FROM _dab_bulk u WHERE t.{qn(key)} = u.{qn(key)}"
                )
            cursor.execute("DROP TABLE _dab_bulk")
            return count
        assignments = ", ".join(f"{qn(c)} = %s" for c in columns)
        sql = f"UPDATE {qn(table)} SET {assignments} WHERE {qn(key)} = %s"
        for batch in _batches(rows):
            cursor.executemany(sql, [_sqlite_row((*row[1:], row[0])) for row in batch])
            count += len(batch)
    return count


def bulk_delete(table: str, ids: Sequence[Any], *, key: str = "id") -> int:
    """Delete rows by key, in batches (SQLite limits a statement's parameters)."""
    qn = connection.ops.quote_name
    deleted = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for batch in _batches(ids, 50_000):
                cursor.execute(f"DELETE FROM {qn(table)} WHERE {qn(key)} = ANY(%s)", [batch])
                deleted += cursor.rowcount
            return deleted
        for batch in _batches(ids, 900):
            placeholders = ", ".join(["%s"] * len(batch))
            cursor.execute(f"DELETE FROM {qn(table)} WHERE {qn(key)} IN ({placeholders})", _sqlite_row(batch))
            deleted += cursor.rowcount
    return deleted
