"""dab_project.bulk: the rows COPY writes are the rows given, whatever shortcut formats them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from psycopg._copy_base import format_row_text
from psycopg.adapt import Transformer

from catalog.models import Domain, Owner
from dab_project.bulk import _copy_row, bulk_insert, bulk_update

VALUES = (
    uuid.UUID(int=0), uuid.UUID(int=2**128 - 1), uuid.UUID("12345678-1234-5678-1234-567812345678"),
    datetime(2026, 12, 7, 9, 0, tzinfo=UTC), datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5, minutes=30))), datetime(9999, 12, 31, 23, 59, 59, 999999),
    None, True, False, 0, -7, 2.5, "", "tab\there\nnewline\\", '{"a": [1]}',
)  # fmt: skip


def _copy_bytes(rows) -> bytes:
    out = bytearray()
    transformer = Transformer()
    for row in rows:
        format_row_text(row, transformer, out)
    return bytes(out)


def test_copy_row_gives_the_bytes_psycopgs_own_dumpers_write():
    rows = [VALUES, VALUES[::-1], ("plain", 1, None), (VALUES[0], VALUES[0], VALUES[3], VALUES[3])]
    times: dict = {}
    assert _copy_bytes(_copy_row(row, times) for row in rows) == _copy_bytes(rows)
    assert _copy_row(rows[2], times) is rows[2]  # nothing to turn into text: the row itself


@pytest.mark.django_db
def test_bulk_insert_and_update_store_uuids_and_times_as_given():
    owner = Owner.objects.create(name="team a")
    created = datetime(2025, 6, 2, 8, 15, 30, 123456, tzinfo=UTC)
    ids = [uuid.uuid4() for _ in range(3)]
    rows = [(pk, f"domain {n}", owner.pk if n else None, created, created + timedelta(seconds=n)) for n, pk in
            enumerate(ids)]  # fmt: skip
    assert bulk_insert(Domain._meta.db_table, ("id", "name", "owner_id", "created_at", "updated_at"), rows) == 3
    stored = {d.pk: (d.name, d.owner_id, d.created_at, d.updated_at) for d in Domain.objects.filter(pk__in=ids)}
    assert stored == {pk: (name, owner_id, at, updated) for pk, name, owner_id, at, updated in rows}
    later = datetime(2026, 12, 7, 9, 0, tzinfo=timezone(timedelta(hours=2)))
    assert bulk_update(Domain._meta.db_table, ("owner_id", "updated_at"), [(ids[0], owner.pk, later)]) == 1
    domain = Domain.objects.get(pk=ids[0])
    assert (domain.owner_id, domain.updated_at) == (owner.pk, later)
