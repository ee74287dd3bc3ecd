"""Bulk writes for hundreds of thousands of rows: COPY on PostgreSQL, batched executemany elsewhere.

Ingestion, PII classification and column lineage write whole projects at once; the ORM's
``bulk_create``/``bulk_update`` build one huge statement per batch and cost several times more. These
helpers take plain tuples whose values are already Python types (UUID, str, bool, int, float,
datetime, or ``Json`` for JSON columns) and adapt them per database. They must run inside a transaction
(the caller's ``atomic()``), and they bypass model ``save()`` and signals, like ``bulk_create`` does.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import islice
from typing import Any

import orjson
from django.db import connection

BATCH = 2000


class Json:
    """Marks a value bound for a JSON column (dicts and lists), serialised once with orjson."""

    __slots__ = ("text",)

    def __init__(self, value: Any):
        self.text = orjson.dumps(value).decode()


def _adapter():
    """A function turning one Python value into what this database's driver wants."""
    if connection.vendor == "postgresql":

        def adapt(value):
            return value.text if isinstance(value, Json) else value

        return adapt

    ops = connection.ops

    def adapt_other(value):
        if isinstance(value, Json):
            return value.text
        if isinstance(value, uuid.UUID):
            return value.hex  # Django stores UUIDs as 32 hex characters on SQLite
        if isinstance(value, datetime):
            return ops.adapt_datetimefield_value(value)
        return value

    return adapt_other


def _batches(rows: Iterable[Sequence[Any]], size: int = BATCH):
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def bulk_insert(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert rows; returns how many. The rows must not conflict (the caller diffed them first)."""
    adapt = _adapter()
    count = 0
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([adapt(v) for v in row])
                    count += 1
            return count
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) VALUES ({placeholders})"
        for batch in _batches(rows):
            cursor.executemany(sql, [[adapt(v) for v in row] for row in batch])
            count += len(batch)
    return count


def bulk_update(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, key: str = "id") -> int:
    """Set ``columns`` on the rows identified by ``key``; each row is (key value, *column values).

    On PostgreSQL the rows are COPYed into a temporary table and applied with one UPDATE ... FROM.
    """
    adapt = _adapter()
    qn = connection.ops.quote_name
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            all_columns = [key, *columns]
            cursor.execute(
                f"CREATE TEMPORARY TABLE _dab_bulk ON COMMIT DROP AS "
                f"SELECT {', '.join(qn(c) for c in all_columns)} FROM {qn(table)} WITH NO DATA"
            )
            with cursor.cursor.copy(f"COPY _dab_bulk ({', '.join(qn(c) for c in all_columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([adapt(v) for v in row])
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
            cursor.executemany(sql, [[adapt(v) for v in (*row[1:], row[0])] for row in batch])
            count += len(batch)
    return count


def bulk_delete(table: str, ids: Sequence[Any], *, key: str = "id") -> int:
    """Delete rows by key, in batches (SQLite limits a statement's parameters)."""
    adapt = _adapter()
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
            cursor.execute(f"DELETE FROM {qn(table)} WHERE {qn(key)} IN ({placeholders})", [adapt(v) for v in batch])
            deleted += cursor.rowcount
    return deleted
